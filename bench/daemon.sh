#!/usr/bin/env bash
# bench/daemon.sh: the skiff engine (skiffd + skiff-monitor, through the skiff
# CLI) against docker (dockerd 20.10 + containerd + runc) and podman 4.3
# (conmon + crun), through their CLIs, on one busybox image imported into all
# three (scripts/make-busybox-image.sh).
#
# Measures, round-robin (every round runs each engine once per measurement,
# the order rotating from round to round, so that drift of this shared, noisy
# machine hits all columns alike):
#   run --rm true     `run --rm busybox true`; every container here gets
#                     `--network none` (bench/network.sh measures what the
#                     default bridge adds)
#   run -d sleep      `run -d busybox sleep 1000`, then `stop -t 1` (PID 1 is
#                     sleep, which ignores TERM: stop waits out its second and
#                     kills), then `rm`; each step and the three end to end
#   run -d trap       the same with a PID 1 that traps TERM (`sh -c 'trap
#                     "exit 0" TERM; sleep 1000 & wait'`): stop's own cost; an
#                     untimed 0.2 s pause after run -d lets sh set its trap,
#                     so end to end is the sum of the three steps
#   --version         the CLIs' start-up: hyperfine -N (HYPERFINE_RUNS runs per
#                     engine per round), or bash timing without hyperfine
# then creates PS_COUNT containers per engine (`create busybox true`, timed,
# interleaved; never started) and measures `ps` (no container running) and
# `ps -a` (PS_COUNT rows), ROUNDS interleaved rounds; and memory:
#   idle daemons      VmRSS and PSS (/proc/PID/smaps_rollup) of skiffd vs
#                     dockerd+containerd (podman has no daemon), after the
#                     image is imported, with PS_COUNT created containers, and
#                     at the end with none
#   monitor           one `run -d busybox sleep 1000` each: skiff-monitor vs
#                     containerd-shim-runc-v2 vs conmon
# and prints the medians (ms, MiB) and the ratios docker/skiff, podman/skiff
# as markdown tables.
#
# Usage:  sudo bench/daemon.sh     (ROUNDS=20: about 3 minutes on 2 quiet vCPUs)
#
# Environment knobs (defaults in brackets):
#   ROUNDS [20]            rounds (timing groups and ps)
#   PS_COUNT [100]         containers created for ps / ps -a
#   HYPERFINE_RUNS [20]    hyperfine runs per engine per round for --version
#   SKIFF_BIN_DIR [<repo>/.build-bench/release, else <repo>/.build/release]
#                          where skiffd, skiff-monitor and skiff are; they are
#                          copied into the temp dir together (skiffd finds
#                          skiff-monitor next to its own executable)
#   DOCKER_CLI [docker on PATH]   the docker client (28.x here; 20.10 is /usr/bin/docker)
#   SKIFFD_DEBUG [0]       1: skiffd --debug (logs every request; costs time)
#   RUN_TMPFS [1]          1: the engines' exec roots are tmpfs, as /run is in use
#   KEEP_TMP [0]           1: keep the temp dir (samples.csv, mem.csv, logs)
#
# Needs root, bash >= 5 (EPOCHREALTIME), python3, util-linux unshare, Debian's
# docker.io, containerd, runc, podman, conmon, crun, busybox-static; hyperfine
# if present.
#
# Isolation: everything runs in a private mount and pid namespace
# (unshare --mount --pid --fork): /run, /var/tmp and /dev/shm are fresh
# tmpfs there, and /etc and /var/lib are overlays whose upper directories are
# in the temp dir, so a stray write by any engine lands in the temp dir.
# dockerd gets its own data root, exec root and socket (and starts its own
# containerd), podman its own storage root, runroot and tmp dir (and the
# default_ulimits workaround of /work/shared/bench/README.md), skiffd its
# own -H, --data-root and --exec-root; all in one fresh temp dir (mktemp -d),
# removed at exit. When the namespace's first process exits the kernel kills
# whatever is left in it. The only other side effects are the engines'
# cgroups (removed with their containers; parents this run created are
# removed) and, if crun needs it, the hugetlb v1 hierarchy mount described in
# /work/shared/notes/platform.md (left mounted, as systemd would have it).
set -euo pipefail
export LC_ALL=C

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$HERE/.." && pwd -P)
SELF="$HERE/$(basename -- "${BASH_SOURCE[0]}")"
ROUNDS=${ROUNDS:-20}
PS_COUNT=${PS_COUNT:-100}
HYPERFINE_RUNS=${HYPERFINE_RUNS:-20}
KEEP_TMP=${KEEP_TMP:-0}
SKIFFD_DEBUG=${SKIFFD_DEBUG:-0}
RUN_TMPFS=${RUN_TMPFS:-1}
DOCKER_CLI=${DOCKER_CLI:-$(command -v docker || true)}
if [[ -z "${SKIFF_BIN_DIR:-}" ]]; then
    for d in "$REPO/.build-bench/release" "$REPO/.build/release"; do
        if [[ -x "$d/skiffd" ]]; then SKIFF_BIN_DIR=$d; break; fi
    done
fi

# ------------------------------------------------------------------ outside
if [[ -z "${DAEMON_BENCH_T:-}" ]]; then
    if [[ $EUID -ne 0 ]]; then echo "daemon.sh: needs root" >&2; exit 1; fi
    if [[ -z "${EPOCHREALTIME:-}" ]]; then echo "daemon.sh: needs bash >= 5" >&2; exit 1; fi
    for c in dockerd containerd containerd-shim-runc-v2 runc podman conmon crun busybox python3 unshare; do
        command -v "$c" >/dev/null || { echo "daemon.sh: missing $c" >&2; exit 1; }
    done
    [[ -x "$DOCKER_CLI" ]] || { echo "daemon.sh: no docker CLI" >&2; exit 1; }
    for b in skiffd skiff-monitor skiff; do
        [[ -x "${SKIFF_BIN_DIR:-}/$b" ]] || { echo "daemon.sh: no $b in SKIFF_BIN_DIR=${SKIFF_BIN_DIR:-}" >&2; exit 1; }
    done
    # crun refuses this host's hybrid cgroup layout while hugetlb sits only in
    # the cgroup2 tree (see platform.md): mount it as v1, idempotently.
    if [[ -f /sys/fs/cgroup/unified/cgroup.controllers ]] \
        && grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers \
        && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
        mkdir -p /sys/fs/cgroup/hugetlb
        mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
    fi
    T=$(mktemp -d /tmp/skiff-daemonbench.XXXXXX)
    chmod 711 "$T"
    # The namespace's first process cleans up and removes $T (it alone knows
    # when its daemons are gone); here only if it never started. Ctrl-C and
    # timeout(1) signal the whole process group, the inner script included
    # (unshare itself ignores INT and TERM); if unshare is killed,
    # --kill-child passes TERM on.
    outer_cleanup() {
        if [[ ! -e "$T/.started" ]]; then
            rm -rf -- "$T"
            return
        fi
        # unshare may be gone before the inner script: wait for its cleanup
        for _ in $(seq 600); do
            [[ -d "$T" && ! -e "$T/.done" ]] || return 0
            sleep 0.2
        done
        echo "daemon.sh: $T is still there" >&2
    }
    trap outer_cleanup EXIT
    trap ':' INT TERM
    rc=0
    DAEMON_BENCH_T=$T SKIFF_BIN_DIR=$SKIFF_BIN_DIR DOCKER_CLI=$DOCKER_CLI \
        unshare --mount --propagation private --pid --fork --kill-child=TERM --mount-proc -- "$BASH" "$SELF" "$@" || rc=$?
    exit $rc
fi

# ------------------------------------------------------------------ inside the namespace
T=$DAEMON_BENCH_T
touch "$T/.started"
# the script's own stdout/stderr: an interrupt can land while a function's
# output is redirected to the log, and the cleanup should still be heard
exec {OUT_FD}>&1 {ERR_FD}>&2
# unmounts what this namespace mounted, removes (or keeps) $T
remove_tmp() {
    cd /
    if grep -q " $T" /proc/self/mountinfo; then
        awk -v t="$T" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
    fi
    umount -l /etc 2>/dev/null
    umount -l /var/lib 2>/dev/null
    if [[ $KEEP_TMP == 1 ]]; then
        echo "kept $T" >&2
        touch "$T/.done"
    else
        rm -rf -- "$T"
    fi
}
trap 'set +e; exec 1>&"$OUT_FD" 2>&"$ERR_FD"; remove_tmp' EXIT
trap 'exit 130' INT TERM
cd "$T"
mkdir -p "$T"/{ns/etc-up,ns/etc-work,ns/lib-up,ns/lib-work,tmp,bin,hf,docker,podman,skiff}
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/ns/etc-up,workdir=$T/ns/etc-work" /etc
mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$T/ns/lib-up,workdir=$T/ns/lib-work" /var/lib
for d in skiff-run docker-exec podman-run; do
    mkdir -p "$T/$d"
    if [[ $RUN_TMPFS == 1 ]]; then mount -t tmpfs -o mode=711 tmpfs "$T/$d"; fi
done
# the docker CLI's config dir (podman reads DOCKER_CONFIG too, so it must hold a config.json)
export TMPDIR=$T/tmp DOCKER_CONFIG=$T/docker-config
mkdir -p "$DOCKER_CONFIG" && echo '{}' >"$DOCKER_CONFIG/config.json"
unset DOCKER_HOST DOCKER_CONTEXT XDG_RUNTIME_DIR

LOG=$T/commands.log
SAMPLES=$T/samples.csv
MEM=$T/mem.csv
ENVF=$T/env.txt
echo "round,row,col,us,rc" >"$SAMPLES"
echo "row,col,rss_kib,pss_kib,note" >"$MEM"
: >"$LOG"
: >"$ENVF"
note() { printf '%s\n' "$*" >>"$ENVF"; }
say() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# The binaries, together (skiffd finds skiff-monitor next to itself), in $T so
# that a rebuild during the run changes nothing.
for b in skiffd skiff-monitor skiff; do cp "$SKIFF_BIN_DIR/$b" "$T/bin/$b"; done

SK=("$T/bin/skiff" -H "unix://$T/skiff.sock")
DK=("$DOCKER_CLI" -H "unix://$T/docker/docker.sock")
PM=(podman)
COLS=(skiff docker podman)
eng() {
    local e=$1; shift
    case $e in
        skiff) "${SK[@]}" "$@" ;;
        docker) "${DK[@]}" "$@" ;;
        podman) "${PM[@]}" "$@" ;;
    esac
}
# every engine gets --network none: bench/network.sh measures what the bridge adds
netflag() { echo "--network=none"; }

# podman: its own storage, runroot, tmp and network config; nofile/nproc it
# may set (root here lacks CAP_SYS_RESOURCE for its default 1048576).
NOFILE=$(ulimit -Hn); NPROC=$(ulimit -Hu)
if [[ $NOFILE == unlimited ]]; then NOFILE=1048576; fi
if [[ $NPROC == unlimited || $NPROC -gt 32768 ]]; then NPROC=32768; fi
cat >"$T/podman/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$T/podman/root"
runroot = "$T/podman-run/runroot"
EOF
cat >"$T/podman/containers.conf" <<EOF
[containers]
default_ulimits = [
  "nofile=$NOFILE:$NOFILE",
  "nproc=$NPROC:$NPROC",
]
[engine]
tmp_dir = "$T/podman-run/tmp"
events_logger = "file"
events_logfile_path = "$T/podman/events.log"
volume_path = "$T/podman/volumes"
[network]
network_config_dir = "$T/podman/networks"
EOF
export CONTAINERS_CONF=$T/podman/containers.conf CONTAINERS_STORAGE_CONF=$T/podman/storage.conf

# cgroup parents that exist now are not ours to remove later
CG_PARENTS=()
for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    for p in docker libpod_parent skiff; do
        if [[ ! -d "$h$p" ]]; then CG_PARENTS+=("$h$p"); fi
    done
done
own_cg=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
for h in /sys/fs/cgroup/*/; do
    if [[ -n "$own_cg" && "$own_cg" != / && -d "$h${own_cg#/}" && ! -d "$h${own_cg#/}/skiff" ]]; then
        CG_PARENTS+=("$h${own_cg#/}/skiff")
    fi
done

SKIFFD_PID=
DOCKERD_PID=
cleanup() {
    set +e
    trap - EXIT INT TERM
    exec 1>&"$OUT_FD" 2>&"$ERR_FD"
    say "cleanup"
    if [[ -n "$SKIFFD_PID" ]]; then
        ids=$("${SK[@]}" ps -aq 2>/dev/null)
        [[ -n "$ids" ]] && "${SK[@]}" rm -f $ids >/dev/null 2>&1
        kill -TERM "$SKIFFD_PID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$SKIFFD_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    if [[ -n "$DOCKERD_PID" ]]; then
        ids=$("${DK[@]}" ps -aq 2>/dev/null)
        [[ -n "$ids" ]] && "${DK[@]}" rm -f $ids >/dev/null 2>&1
        kill -TERM "$DOCKERD_PID" 2>/dev/null
        for _ in $(seq 300); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    if [[ -d "$T/podman/root" ]]; then
        "${PM[@]}" rm -af -t 0 >/dev/null 2>&1
    fi
    # whatever is left in this pid namespace (it dies with us anyway)
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [[ $p == 1 ]] || kill -KILL "$p" 2>/dev/null
    done
    sleep 0.2
    for d in "${CG_PARENTS[@]}"; do
        [[ -d "$d" ]] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    remove_tmp
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ timing
FAIL=0
LAST_US=0
# timed ROUND ROW COL CMD...: runs CMD, records its wall time in µs.
timed() {
    local round=$1 row=$2 col=$3; shift 3
    local t0 t1 rc=0
    t0=${EPOCHREALTIME/./}
    "$@" </dev/null >>"$LOG" 2>&1 || rc=$?
    t1=${EPOCHREALTIME/./}
    LAST_US=$((10#$t1 - 10#$t0))
    echo "$round,$row,$col,$LAST_US,$rc" >>"$SAMPLES"
    if [[ $rc -ne 0 ]]; then
        FAIL=$((FAIL + 1))
        echo "round $round: $col $row failed (exit $rc): $*" >&2
        echo "!! round $round: $col $row failed (exit $rc): $*" >>"$LOG"
    fi
    return 0
}
record() { echo "$1,$2,$3,$4,${5:-0}" >>"$SAMPLES"; }
# KiB; 0 for a process that is gone
kib_rss() { local v; v=$(awk '/^VmRSS:/ {v = $2} END {print v + 0}' "/proc/$1/status" 2>/dev/null) || true; echo "${v:-0}"; }
kib_pss() { local v; v=$(awk '/^Pss:/ {v = $2} END {print v + 0}' "/proc/$1/smaps_rollup" 2>/dev/null) || true; echo "${v:-0}"; }
sum_mem() { # FIELD PID...
    local f=$1 s=0 p; shift
    for p in "$@"; do s=$((s + $(kib_"$f" "$p"))); done
    echo $s
}
mem_row() { # ROW COL NOTE PID...
    local row=$1 col=$2 n=$3; shift 3
    echo "$row,$col,$(sum_mem rss "$@"),$(sum_mem pss "$@"),$n" >>"$MEM"
}
loadavg() { note "loadavg $1: $(cut -d' ' -f1-3 /proc/loadavg)"; }

# ------------------------------------------------------------------ environment
note "date_utc $(date -u +%Y-%m-%dT%H:%M:%SZ)  rounds $ROUNDS  ps_count $PS_COUNT"
note "kernel $(uname -r)  cpus $(nproc)  mem_total_kib $(awk '/MemTotal/ {print $2}' /proc/meminfo)"
note "os $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')  cgroup $(stat -fc %T /sys/fs/cgroup)"
note "skiff $("${SK[0]}" --version)  binaries from $SKIFF_BIN_DIR ($(file -b "$T/bin/skiff" | cut -d, -f1-2 | tr -d ','); skiffd $(du -h "$T/bin/skiffd" | cut -f1), skiff-monitor $(du -h "$T/bin/skiff-monitor" | cut -f1), skiff $(du -h "$T/bin/skiff" | cut -f1))"
note "repo at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" status --porcelain -- Sources Package.swift 2>/dev/null | grep -q . && echo ', with uncommitted changes in Sources/ or Package.swift (the binaries may not be built from HEAD)')"
note "docker client $("${DK[0]}" --version)  ($DOCKER_CLI)"
note "$(dockerd --version)  $(containerd --version)  $(runc --version | head -1)"
note "$(podman --version)  $(conmon --version | head -1)  $(crun --version | head -1)"
note "exec roots on tmpfs: $RUN_TMPFS; data roots on $(findmnt -no FSTYPE -T "$T")"
loadavg start

# ------------------------------------------------------------------ daemons
say "starting skiffd and dockerd"
dbg=(); [[ $SKIFFD_DEBUG == 1 ]] && dbg=(--debug)
"$T/bin/skiffd" -H "unix://$T/skiff.sock" --data-root "$T/skiff" --exec-root "$T/skiff-run" "${dbg[@]}" \
    </dev/null >"$T/skiffd.log" 2>&1 &
SKIFFD_PID=$!
dockerd --data-root "$T/docker/data" --exec-root "$T/docker-exec" --pidfile "$T/docker/dockerd.pid" \
    -H "unix://$T/docker/docker.sock" --bridge none --iptables=false --ip6tables=false --ip-masq=false \
    --userland-proxy=false </dev/null >"$T/dockerd.log" 2>&1 &
DOCKERD_PID=$!
up=0
for _ in $(seq 300); do
    if "${SK[@]}" version >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$SKIFFD_PID" 2>/dev/null || break
    sleep 0.1
done
[[ $up == 1 ]] || { echo "skiffd did not start:" >&2; tail -20 "$T/skiffd.log" >&2; exit 1; }
up=0
for _ in $(seq 600); do
    if "${DK[@]}" version >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.1
done
[[ $up == 1 ]] || { echo "dockerd did not start:" >&2; tail -20 "$T/dockerd.log" >&2; exit 1; }
CONTAINERD_PID=$(pgrep -P "$DOCKERD_PID" -x containerd | head -1)
[[ -n "$CONTAINERD_PID" ]] || { echo "no containerd under dockerd" >&2; exit 1; }
note "dockerd $("${DK[@]}" version --format '{{.Server.Version}}')  $("${DK[@]}" info --format 'storage={{.Driver}} cgroup={{.CgroupDriver}}/v{{.CgroupVersion}} runtime={{.DefaultRuntime}}' 2>/dev/null)"
note "podman $("${PM[@]}" info --format 'storage={{.Store.GraphDriverName}} cgroup={{.Host.CgroupManager}}/{{.Host.CgroupsVersion}} runtime={{.Host.OCIRuntime.Name}}' 2>/dev/null)"

# ------------------------------------------------------------------ the image
say "making and importing busybox"
"$REPO/scripts/make-busybox-image.sh" "$T/busybox.tar" >/dev/null
CHANGES=(-c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
for e in "${COLS[@]}"; do
    eng "$e" import "${CHANGES[@]}" "$T/busybox.tar" busybox:latest >>"$LOG" 2>&1 \
        || { echo "$e import failed:" >&2; tail -5 "$LOG" >&2; exit 1; }
done
note "busybox.tar $(du -h "$T/busybox.tar" | cut -f1), image ids: skiff $("${SK[@]}" images -q busybox:latest) docker $("${DK[@]}" images -q busybox:latest) podman $("${PM[@]}" images -q busybox:latest)"

sleep 3
mem_row idle_fresh skiff "skiffd" "$SKIFFD_PID"
mem_row idle_fresh docker "dockerd+containerd" "$DOCKERD_PID" "$CONTAINERD_PID"

# ------------------------------------------------------------------ the rounds
TRAP_SH='trap "exit 0" TERM; sleep 1000 & wait'
n=${#COLS[@]}
col_at() { echo "${COLS[$((($1 + $2) % n))]}"; } # ROUND K

lifecycle() { # ROUND ENGINE KIND(sleep|trap)
    local round=$1 e=$2 kind=$3 name="db-$3-$2-$1" t0 sum=0 fail0=$FAIL
    local cmd=(sleep 1000)
    if [[ $kind == trap ]]; then cmd=(sh -c "$TRAP_SH"); fi
    t0=${EPOCHREALTIME/./}
    timed "$round" "run -d $kind" "$e" eng "$e" run -d $(netflag "$e") --name "$name" busybox "${cmd[@]}"
    sum=$LAST_US
    if [[ $kind == trap ]]; then sleep 0.2; fi
    timed "$round" "stop $kind" "$e" eng "$e" stop -t 1 "$name"
    sum=$((sum + LAST_US))
    timed "$round" "rm $kind" "$e" eng "$e" rm "$name"
    sum=$((sum + LAST_US))
    local rc=0
    if [[ $FAIL -ne $fail0 ]]; then rc=1; fi
    if [[ $kind == sleep ]]; then
        local t1=${EPOCHREALTIME/./}
        record "$round" "e2e $kind" "$e" $((10#$t1 - 10#$t0)) "$rc"
    else
        record "$round" "e2e $kind" "$e" "$sum" "$rc"
    fi
}

HF=$(command -v hyperfine || true)
version_cmd() { # ENGINE -> the command line, as words
    case $1 in
        skiff) echo "${SK[0]} --version" ;;
        docker) echo "${DK[0]} --version" ;;
        podman) echo "podman --version" ;;
    esac
}
version_round() { # ROUND ENGINE
    local round=$1 e=$2
    if [[ -n "$HF" ]]; then
        "$HF" -N --style none --warmup 3 --runs "$HYPERFINE_RUNS" \
            --export-json "$T/hf/$round-$e.json" "$(version_cmd "$e")" >>"$LOG" 2>&1 \
            || echo "round $round: hyperfine $e failed" >&2
    else
        local i
        for ((i = 0; i < 5; i++)); do timed "$round" "--version" "$e" $(version_cmd "$e"); done
    fi
}

say "warm-up"
for e in "${COLS[@]}"; do
    eng "$e" run --rm $(netflag "$e") busybox true >>"$LOG" 2>&1 || true
    eng "$e" run -d $(netflag "$e") --name "db-warm-$e" busybox sleep 1000 >>"$LOG" 2>&1 || true
    eng "$e" stop -t 1 "db-warm-$e" >>"$LOG" 2>&1 || true
    eng "$e" rm -f "db-warm-$e" >>"$LOG" 2>&1 || true
    $(version_cmd "$e") >/dev/null 2>&1 || true
done

say "$ROUNDS rounds: run --rm, run -d/stop/rm (sleep and trap), --version"
loadavg rounds
for ((round = 1; round <= ROUNDS; round++)); do
    for ((k = 0; k < n; k++)); do
        e=$(col_at "$round" "$k")
        timed "$round" "run --rm" "$e" eng "$e" run --rm $(netflag "$e") busybox true
    done
    for ((k = 0; k < n; k++)); do lifecycle "$round" "$(col_at "$round" "$k")" sleep; done
    for ((k = 0; k < n; k++)); do lifecycle "$round" "$(col_at "$round" "$k")" trap; done
    for ((k = 0; k < n; k++)); do version_round "$round" "$(col_at "$round" "$k")"; done
    say "round $round/$ROUNDS done"
done

# ------------------------------------------------------------------ ps
say "creating $PS_COUNT containers per engine"
loadavg ps
for ((i = 1; i <= PS_COUNT; i++)); do
    for ((k = 0; k < n; k++)); do
        e=$(col_at "$i" "$k")
        timed "$i" "create" "$e" eng "$e" create $(netflag "$e") --name "db-ps-$i" busybox true
    done
done
for e in "${COLS[@]}"; do
    c=$(eng "$e" ps -aq | wc -l) || true
    note "ps: $e lists $c containers (created, none running)"
done
sleep 3
mem_row created skiff "skiffd, $PS_COUNT created containers" "$SKIFFD_PID"
mem_row created docker "dockerd+containerd, $PS_COUNT created containers" "$DOCKERD_PID" "$CONTAINERD_PID"
eng skiff ps -a >/dev/null; eng docker ps -a >/dev/null; eng podman ps -a >/dev/null # warm-up
for ((round = 1; round <= ROUNDS; round++)); do
    for ((k = 0; k < n; k++)); do
        e=$(col_at "$round" "$k")
        timed "$round" "ps" "$e" eng "$e" ps
    done
    for ((k = 0; k < n; k++)); do
        e=$(col_at "$round" "$k")
        timed "$round" "ps -a" "$e" eng "$e" ps -a
    done
done
for e in "${COLS[@]}"; do
    ids=$(eng "$e" ps -aq) || true
    [[ -z "$ids" ]] || eng "$e" rm $ids >>"$LOG" 2>&1 || echo "$e: rm of the ps containers failed" >&2
done

# ------------------------------------------------------------------ memory
say "memory"
loadavg mem
sleep 3
mem_row idle_after skiff "skiffd" "$SKIFFD_PID"
mem_row idle_after docker "dockerd+containerd" "$DOCKERD_PID" "$CONTAINERD_PID"
for e in "${COLS[@]}"; do
    eng "$e" run -d $(netflag "$e") --name db-mem busybox sleep 1000 >>"$LOG" 2>&1 || echo "$e: run -d for memory failed" >&2
done
sleep 3
mons=()
for p in /proc/[0-9]*; do
    if [[ "$(readlink "$p/exe" 2>/dev/null)" == "$T/bin/skiff-monitor" ]]; then mons+=("${p#/proc/}"); fi
done
mem_row monitor skiff "skiff-monitor (${#mons[@]} process(es))" "${mons[@]}"
cid=$("${DK[@]}" inspect -f '{{.Id}}' db-mem) || true
shims=($(pgrep -f "containerd-shim-runc-v2 -namespace moby -id $cid" || true))
mem_row monitor docker "containerd-shim-runc-v2 (${#shims[@]} process(es))" "${shims[@]}"
conmon=$("${PM[@]}" inspect -f '{{.State.ConmonPid}}' db-mem) || true
mem_row monitor podman "conmon" "$conmon"
spid=$("${DK[@]}" inspect -f '{{.State.Pid}}' db-mem) || true
mem_row payload docker "the sleep process itself (docker's)" "$spid"
mem_row daemon_running skiff "skiffd, one container running" "$SKIFFD_PID"
mem_row daemon_running docker "dockerd+containerd, one container running" "$DOCKERD_PID" "$CONTAINERD_PID"
for e in "${COLS[@]}"; do eng "$e" rm -f db-mem >>"$LOG" 2>&1 || true; done
loadavg end
note "date_utc_end $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# ------------------------------------------------------------------ the tables
python3 - "$T" "$ROUNDS" "$PS_COUNT" "$FAIL" "${HF:+hyperfine}" <<'EOF'
import csv, glob, json, os, statistics, sys
T, rounds, ps_count, fails, hf = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else ""
cols = ["skiff", "docker", "podman"]
data, failed = {}, {}
for r in csv.DictReader(open(os.path.join(T, "samples.csv"))):
    key = (r["row"], r["col"])
    if r["rc"] != "0":
        failed[key] = failed.get(key, 0) + 1
        continue
    data.setdefault(key, []).append(int(r["us"]))
for f in glob.glob(os.path.join(T, "hf", "*.json")):
    col = os.path.basename(f).rsplit(".", 1)[0].split("-", 1)[1]
    for res in json.load(open(f))["results"]:
        data.setdefault(("--version", col), []).extend(int(t * 1e6) for t in res["times"])
med = {k: statistics.median(v) / 1000 for k, v in data.items()}
rows = [
    ("run --rm", "`run --rm busybox true`"),
    ("create", f"`create busybox true` ({ps_count} per engine)"),
    ("run -d sleep", "`run -d busybox sleep 1000`"),
    ("stop sleep", "`stop -t 1` (PID 1 sleep ignores TERM: 1 s, then KILL)"),
    ("rm sleep", "`rm` (stopped)"),
    ("e2e sleep", "run -d + stop + rm, end to end"),
    ("run -d trap", "`run -d busybox sh -c 'trap ... TERM; sleep 1000 & wait'`"),
    ("stop trap", "`stop -t 1` (PID 1 traps TERM, exits)"),
    ("rm trap", "`rm` (stopped)"),
    ("e2e trap", "run -d + stop + rm (sum; not the 0.2 s pause)"),
    ("ps", f"`ps` ({ps_count} created, none running)"),
    ("ps -a", f"`ps -a` ({ps_count} created)"),
    ("--version", "`--version`" + (" (hyperfine -N)" if hf else "")),
]
def ratio(a, b):
    return "" if not a or not b else f"{a / b:.1f}x"
print(f"Medians of {rounds} interleaved rounds (ms); every engine with `--network none` "
      "(bench/network.sh measures the bridge).\n")
head = ["measurement"] + [f"{c}" for c in cols] + ["docker/skiff", "podman/skiff"]
print("| " + " | ".join(head) + " |")
print("|---|" + "---:|" * (len(head) - 1))
for key, label in rows:
    cells = [label]
    for c in cols:
        v = med.get((key, c))
        cell = "" if v is None else (f"{v:.1f}" if v < 100 else f"{v:.0f}")
        if failed.get((key, c)):
            cell += f" ({failed[(key, c)]} failed)"
        cells.append(cell)
    s = med.get((key, "skiff"))
    cells += [ratio(med.get((key, "docker")), s), ratio(med.get((key, "podman")), s)]
    print("| " + " | ".join(cells) + " |")

mem = {}
for r in csv.DictReader(open(os.path.join(T, "mem.csv"))):
    mem[(r["row"], r["col"])] = (int(r["rss_kib"]) / 1024, int(r["pss_kib"]) / 1024, r["note"])
mrows = [
    ("idle_fresh", "idle daemon(s), image imported, fresh"),
    ("created", f"daemon(s) with {ps_count} created containers"),
    ("idle_after", "idle daemon(s) after the benchmarks"),
    ("daemon_running", "daemon(s), one container running"),
    ("monitor", "per-container monitor (one `sleep 1000`)"),
]
print("\nMemory (MiB), RSS / PSS. Daemons: skiffd vs dockerd+containerd (podman has none); "
      "monitors: skiff-monitor vs containerd-shim-runc-v2 vs conmon.\n")
print("| " + " | ".join(head) + " |")
print("|---|" + "---:|" * (len(head) - 1))
for key, label in mrows:
    cells = [label]
    vals = {}
    for c in cols:
        m = mem.get((key, c))
        if m is None:
            cells.append("no daemon" if c == "podman" and key != "monitor" else "")
            continue
        vals[c] = m
        cells.append(f"{m[0]:.1f} / {m[1]:.1f}")
    s = vals.get("skiff")
    for c in ("docker", "podman"):
        o = vals.get(c)
        cells.append("" if not s or not o else f"{ratio(o[0], s[0])} / {ratio(o[1], s[1])}")
    print("| " + " | ".join(cells) + " |")
p = mem.get(("payload", "docker"))
if p:
    print(f"\n(The `sleep 1000` payload itself: {p[0]:.1f} MiB RSS / {p[1]:.1f} MiB PSS.)")
if fails:
    print(f"\n{fails} command(s) failed (see stderr); their samples are left out of the medians.")
print("\nEnvironment:\n")
for line in open(os.path.join(T, "env.txt")):
    print("    " + line.rstrip())
EOF
if [[ $KEEP_TMP == 1 ]]; then
    echo >&2
    echo "samples: $T/samples.csv, $T/mem.csv, logs in $T" >&2
fi
