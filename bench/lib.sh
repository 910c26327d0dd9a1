# shellcheck shell=bash
# bench/lib.sh: what bench/daemon.sh, bench/network.sh, bench/build.sh and
# bench/registry.sh share. Sourced (after `set -euo pipefail`, with BENCH set
# to the script's name for messages and SELF to its path), never run.
#
#   outside   bench_check_outside, bench_hugetlb, bench_run_inside: checks,
#             the temp dir, and the script run again in private namespaces
#   inside    bench_inside: fresh /run, /var/tmp, /dev/shm, overlays on /etc
#             and /var/lib, the engines' exec roots, the temp dir removed at
#             exit; bench_podman_config, bench_cgroup_parents, bench_cleanup
#   daemons   bench_start_skiffd, bench_start_dockerd, bench_wait_up, in_ns
#   timing    timed, record, col_at; notes: note, say, loadavg, bench_env_notes
#   images    bench_import_busybox
# bench/lib.py is the Python half: samples, medians, ratios, tables.
#
# Knobs read here (defaults in brackets): SKIFF_BIN_DIR [<repo>/.build-bench/
# release, else <repo>/.build/release], DOCKER_CLI [docker on PATH],
# KEEP_TMP [0], RUN_TMPFS [1]; see the scripts' headers.

BENCH_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$BENCH_DIR/.." && pwd -P)
KEEP_TMP=${KEEP_TMP:-0}
RUN_TMPFS=${RUN_TMPFS:-1}
DOCKER_CLI=${DOCKER_CLI:-$(command -v docker || true)}
if [[ -z "${SKIFF_BIN_DIR:-}" ]]; then
    for d in "$REPO/.build-bench/release" "$REPO/.build/release"; do
        if [[ -x "$d/skiffd" ]]; then SKIFF_BIN_DIR=$d; break; fi
    done
fi

# ------------------------------------------------------------------ outside

# bench_check_outside COMMAND...: root, bash >= 5, the COMMANDs on PATH, the
# docker CLI, skiff's three binaries; exits with a message otherwise.
bench_check_outside() {
    if [[ $EUID -ne 0 ]]; then echo "$BENCH: needs root" >&2; exit 1; fi
    if [[ -z "${EPOCHREALTIME:-}" ]]; then echo "$BENCH: needs bash >= 5" >&2; exit 1; fi
    local c b
    for c in "$@"; do
        command -v "$c" >/dev/null || { echo "$BENCH: missing $c" >&2; exit 1; }
    done
    [[ -x "$DOCKER_CLI" ]] || { echo "$BENCH: no docker CLI" >&2; exit 1; }
    for b in skiffd skiff-monitor skiff; do
        [[ -x "${SKIFF_BIN_DIR:-}/$b" ]] || { echo "$BENCH: no $b in SKIFF_BIN_DIR=${SKIFF_BIN_DIR:-}" >&2; exit 1; }
    done
}

# crun refuses this host's hybrid cgroup layout while hugetlb sits only in the
# cgroup2 tree (see /work/shared/notes/platform.md): mount it as v1,
# idempotently (left mounted, as systemd would have it).
bench_hugetlb() {
    if [[ -f /sys/fs/cgroup/unified/cgroup.controllers ]] \
        && grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers \
        && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
        mkdir -p /sys/fs/cgroup/hugetlb
        mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
    fi
}

# bench_run_inside TEMPLATE [UNSHARE-FLAG...] -- [ARG...]: makes the temp dir
# (mktemp -d TEMPLATE), runs this script ($SELF) again with ARGs in a private
# mount and pid namespace (plus the UNSHARE-FLAGs, e.g. --net) with
# SKIFF_BENCH_T naming the temp dir, and exits with its status. Variables the
# inside needs besides SKIFF_BIN_DIR and DOCKER_CLI must be exported.
#
# The namespace's first process cleans up and removes the temp dir (it alone
# knows when its daemons are gone); here only if it never started. Ctrl-C and
# timeout(1) signal the whole process group, the inner script included
# (unshare itself ignores INT and TERM); if unshare is killed, --kill-child
# passes TERM on. When the namespace's first process exits the kernel kills
# whatever is left in it.
bench_run_inside() {
    local template=$1 flags=()
    shift
    while [[ $# -gt 0 && $1 != -- ]]; do flags+=("$1"); shift; done
    [[ $# -gt 0 ]] && shift
    T=$(mktemp -d "$template")
    chmod 711 "$T"
    trap bench_outer_cleanup EXIT
    trap ':' INT TERM
    local rc=0
    SKIFF_BENCH_T=$T SKIFF_BIN_DIR=$SKIFF_BIN_DIR DOCKER_CLI=$DOCKER_CLI \
        unshare --mount --propagation private --pid "${flags[@]}" --fork --kill-child=TERM --mount-proc -- "$BASH" "$SELF" "$@" || rc=$?
    exit $rc
}
bench_outer_cleanup() {
    # a script's own outside clean-up (bench/compose.sh's mirror forwarder)
    if declare -F bench_outer_extra >/dev/null; then bench_outer_extra; fi
    if [[ ! -e "$T/.started" ]]; then
        rm -rf -- "$T"
        return
    fi
    # unshare may be gone before the inner script: wait for its cleanup
    local _
    for _ in $(seq 600); do
        [[ -d "$T" && ! -e "$T/.done" ]] || return 0
        sleep 0.2
    done
    echo "$BENCH: $T is still there" >&2
}

# ------------------------------------------------------------------ inside the namespaces

# bench_inside EXEC-ROOT...: the inside's set-up, in the temp dir $T: the
# script's own stdout/stderr kept as OUT_FD/ERR_FD (an interrupt can land
# while a function's output is redirected to the log, and the cleanup should
# still be heard); $T removed at exit (bench_cleanup replaces that trap once
# there is more to clean); /run, /var/tmp and /dev/shm fresh tmpfs; /etc and
# /var/lib overlays whose upper directories are in $T, so a stray write by any
# engine lands in $T; $T/EXEC-ROOT for each argument, a tmpfs unless
# RUN_TMPFS=0 (as /run is in use); TMPDIR and the docker CLI's config in $T;
# LOG (commands' output), SAMPLES (round,row,col,us,rc) and ENVF (notes) made;
# skiff's binaries copied into $T/bin together (skiffd finds skiff-monitor
# next to itself; a rebuild during the run changes nothing).
bench_inside() {
    T=$SKIFF_BENCH_T
    touch "$T/.started"
    exec {OUT_FD}>&1 {ERR_FD}>&2
    trap 'set +e; exec 1>&"$OUT_FD" 2>&"$ERR_FD"; bench_remove_tmp' EXIT
    trap 'exit 130' INT TERM
    cd "$T"
    mkdir -p "$T"/{ns/etc-up,ns/etc-work,ns/lib-up,ns/lib-work,tmp,bin}
    mount -t tmpfs -o mode=755 tmpfs /run
    mount -t tmpfs -o mode=1777 tmpfs /var/tmp
    mount -t tmpfs -o mode=1777 tmpfs /dev/shm
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/ns/etc-up,workdir=$T/ns/etc-work" /etc
    mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$T/ns/lib-up,workdir=$T/ns/lib-work" /var/lib
    local d b
    for d in "$@"; do
        mkdir -p "$T/$d"
        if [[ $RUN_TMPFS == 1 ]]; then mount -t tmpfs -o mode=711 tmpfs "$T/$d"; fi
    done
    # the docker CLI's config dir (podman reads DOCKER_CONFIG too, so it must hold a config.json)
    export TMPDIR=$T/tmp DOCKER_CONFIG=$T/docker-config
    mkdir -p "$DOCKER_CONFIG" && echo '{}' >"$DOCKER_CONFIG/config.json"
    unset DOCKER_HOST DOCKER_CONTEXT XDG_RUNTIME_DIR
    LOG=$T/commands.log
    SAMPLES=$T/samples.csv
    ENVF=$T/env.txt
    echo "round,row,col,us,rc" >"$SAMPLES"
    : >"$LOG"
    : >"$ENVF"
    for b in skiffd skiff-monitor skiff; do cp "$SKIFF_BIN_DIR/$b" "$T/bin/$b"; done
}

# unmounts what this namespace mounted, removes (or keeps) $T
bench_remove_tmp() {
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

note() { printf '%s\n' "$*" >>"$ENVF"; }
say() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
loadavg() { note "loadavg $1: $(cut -d' ' -f1-3 /proc/loadavg)"; }

# podman: its own storage, runroot, tmp dir and network config in $T; the
# nofile/nproc it may set (root here lacks CAP_SYS_RESOURCE for its default
# 1048576: the default_ulimits workaround of /work/shared/bench/README.md).
bench_podman_config() {
    local nofile nproc
    nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
    if [[ $nofile == unlimited ]]; then nofile=1048576; fi
    if [[ $nproc == unlimited || $nproc -gt 32768 ]]; then nproc=32768; fi
    mkdir -p "$T/podman" "$T/podman-run"
    cat >"$T/podman/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$T/podman/root"
runroot = "$T/podman-run/runroot"
EOF
    cat >"$T/podman/containers.conf" <<EOF
[containers]
default_ulimits = [
  "nofile=$nofile:$nofile",
  "nproc=$nproc:$nproc",
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
}

# The engines' cgroup parents that do not exist yet, in CG_PARENTS: the
# cleanup removes them (those that exist now are not ours to remove).
CG_PARENTS=()
bench_cgroup_parents() {
    local h p own_cg
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
}

# ------------------------------------------------------------------ daemons
# The script defines `eng ENGINE ARGS...` (the engine's CLI) and the arrays
# SK (skiff's CLI with -H) and PM (podman's).
SKIFFD_PID=
declare -A DOCKERD_PID=()

# in_ns ENGINE CMD...: CMD in ENGINE's network namespace if it has one of its
# own ($T/netns/ENGINE, bench/network.sh), else here.
in_ns() {
    local e=$1; shift
    if [[ -e "$T/netns/$e" ]]; then nsenter --net="$T/netns/$e" -- "$@"; else "$@"; fi
}
# bench_spawn ENGINE LOGFILE CMD...: CMD in the background, in ENGINE's network
# namespace (as in_ns); its pid (CMD's own: nsenter execs it) in BENCH_PID.
bench_spawn() {
    local e=$1 log=$2; shift 2
    if [[ -e "$T/netns/$e" ]]; then
        nsenter --net="$T/netns/$e" -- "$@" </dev/null >"$log" 2>&1 &
    else
        "$@" </dev/null >"$log" 2>&1 &
    fi
    BENCH_PID=$!
}
# bench_start_skiffd [FLAG...]: skiffd on $T/skiff.sock, data root $T/skiff,
# exec root $T/skiff-run, log $T/skiffd.log; not waited for.
bench_start_skiffd() {
    bench_spawn skiff "$T/skiffd.log" "$T/bin/skiffd" -H "unix://$T/skiff.sock" --data-root "$T/skiff" --exec-root "$T/skiff-run" "$@"
    SKIFFD_PID=$BENCH_PID
}
# bench_start_dockerd NAME [FLAG...]: a dockerd (which starts its own
# containerd) on $T/NAME/docker.sock, data root $T/NAME/data, exec root
# $T/NAME-exec, log $T/NAME.log; not waited for.
bench_start_dockerd() {
    local e=$1; shift
    mkdir -p "$T/$e"
    bench_spawn "$e" "$T/$e.log" dockerd --data-root "$T/$e/data" --exec-root "$T/$e-exec" --pidfile "$T/$e/dockerd.pid" \
        -H "unix://$T/$e/docker.sock" "$@"
    DOCKERD_PID[$e]=$BENCH_PID
}
# bench_wait_up ENGINE PID LOGFILE TENTHS: until `eng ENGINE version` answers
# (at most TENTHS tenths of a second); exits with the log's tail if the daemon
# dies or does not answer.
bench_wait_up() {
    local e=$1 pid=$2 log=$3 tenths=$4 _
    for _ in $(seq "$tenths"); do
        if eng "$e" version >/dev/null 2>&1; then return 0; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$e: the daemon did not start:" >&2
    tail -20 "$log" >&2
    exit 1
}

# The inside's EXIT trap once daemons may run: their containers removed, skiffd
# and the dockerds stopped (TERM, then waited for), podman's containers
# removed, whatever is left in the pid namespace killed, the cgroup parents
# this run made removed, $T unmounted and removed.
bench_cleanup() {
    set +e
    trap - EXIT INT TERM
    exec 1>&"$OUT_FD" 2>&"$ERR_FD"
    say "cleanup"
    local ids e p d _
    if [[ -n "$SKIFFD_PID" ]]; then
        ids=$("${SK[@]}" ps -aq 2>/dev/null)
        [[ -n "$ids" ]] && "${SK[@]}" rm -f $ids >/dev/null 2>&1
        kill -TERM "$SKIFFD_PID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$SKIFFD_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    for e in "${!DOCKERD_PID[@]}"; do
        ids=$(eng "$e" ps -aq 2>/dev/null)
        [[ -n "$ids" ]] && eng "$e" rm -f $ids >/dev/null 2>&1
        kill -TERM "${DOCKERD_PID[$e]}" 2>/dev/null
    done
    for e in "${!DOCKERD_PID[@]}"; do
        for _ in $(seq 300); do kill -0 "${DOCKERD_PID[$e]}" 2>/dev/null || break; sleep 0.1; done
    done
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
    bench_remove_tmp
}

# ------------------------------------------------------------------ timing
FAIL=0
LAST_US=0
# timed ROUND ROW COL CMD...: runs CMD (output to LOG), records its wall time
# in µs in SAMPLES (and LAST_US), counts and reports a failure.
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
# record ROUND ROW COL US [RC]: a sample measured otherwise
record() { echo "$1,$2,$3,$4,${5:-0}" >>"$SAMPLES"; }
# col_at ROUND K: the K-th engine of ROUND, the order of COLS rotated by round
col_at() { echo "${COLS[$((($1 + $2) % ${#COLS[@]}))]}"; }

# The notes every script starts with (after its own first line).
bench_env_notes() {
    note "kernel $(uname -r)  cpus $(nproc)  mem_total_kib $(awk '/MemTotal/ {print $2}' /proc/meminfo)"
    note "os $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')  cgroup $(stat -fc %T /sys/fs/cgroup)"
    note "skiff $("$T/bin/skiff" --version)  binaries from $SKIFF_BIN_DIR ($(file -b "$T/bin/skiff" | cut -d, -f1-2 | tr -d ','); skiffd $(du -h "$T/bin/skiffd" | cut -f1), skiff-monitor $(du -h "$T/bin/skiff-monitor" | cut -f1), skiff $(du -h "$T/bin/skiff" | cut -f1))"
    note "repo at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" status --porcelain -- Sources Package.swift 2>/dev/null | grep -q . && echo ', with uncommitted changes in Sources/ or Package.swift (the binaries may not be built from HEAD)')"
    note "docker client $("$DOCKER_CLI" --version)  ($DOCKER_CLI)"
    note "$(dockerd --version)  $(containerd --version)  $(runc --version | head -1)"
    note "$(podman --version)  $(conmon --version | head -1)  $(crun --version | head -1)"
}

# ------------------------------------------------------------------ images
# bench_import_busybox ENGINE...: scripts/make-busybox-image.sh's image
# imported as busybox:latest (CMD sh, the usual PATH) into each ENGINE.
bench_import_busybox() {
    local e
    "$REPO/scripts/make-busybox-image.sh" "$T/busybox.tar" >/dev/null
    for e in "$@"; do
        eng "$e" import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            "$T/busybox.tar" busybox:latest >>"$LOG" 2>&1 \
            || { echo "$e import failed:" >&2; tail -5 "$LOG" >&2; exit 1; }
    done
}
