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
# Isolation (bench/lib.sh): everything runs in a private mount, pid and network
# namespace (unshare --mount --pid --net --fork; only `lo`: every container
# here has --network none, and skiffd's nftables table, which it puts in place
# at start, stays in that namespace): /run, /var/tmp and /dev/shm are fresh
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
SELF="$HERE/$(basename -- "${BASH_SOURCE[0]}")"
BENCH=daemon.sh
source "$HERE/lib.sh"
ROUNDS=${ROUNDS:-20}
PS_COUNT=${PS_COUNT:-100}
HYPERFINE_RUNS=${HYPERFINE_RUNS:-20}
SKIFFD_DEBUG=${SKIFFD_DEBUG:-0}

# ------------------------------------------------------------------ outside
if [[ -z "${SKIFF_BENCH_T:-}" ]]; then
    bench_check_outside dockerd containerd containerd-shim-runc-v2 runc podman conmon crun busybox python3 unshare
    bench_hugetlb
    bench_run_inside /tmp/skiff-daemonbench.XXXXXX --net -- "$@"
fi

# ------------------------------------------------------------------ inside the namespace
bench_inside skiff-run docker-exec podman-run
ip link set lo up
mkdir -p "$T"/{hf,docker,podman,skiff}
MEM=$T/mem.csv
echo "row,col,rss_kib,pss_kib,note" >"$MEM"

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

bench_podman_config
bench_cgroup_parents
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ memory
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

# ------------------------------------------------------------------ environment
note "date_utc $(date -u +%Y-%m-%dT%H:%M:%SZ)  rounds $ROUNDS  ps_count $PS_COUNT"
bench_env_notes
note "exec roots on tmpfs: $RUN_TMPFS; data roots on $(findmnt -no FSTYPE -T "$T")"
loadavg start

# ------------------------------------------------------------------ daemons
say "starting skiffd and dockerd"
dbg=(); [[ $SKIFFD_DEBUG == 1 ]] && dbg=(--debug)
bench_start_skiffd "${dbg[@]}"
bench_start_dockerd docker --bridge none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false
DOCKERD=${DOCKERD_PID[docker]}
bench_wait_up skiff "$SKIFFD_PID" "$T/skiffd.log" 300
bench_wait_up docker "$DOCKERD" "$T/docker.log" 600
CONTAINERD_PID=$(pgrep -P "$DOCKERD" -x containerd | head -1)
[[ -n "$CONTAINERD_PID" ]] || { echo "no containerd under dockerd" >&2; exit 1; }
note "dockerd $("${DK[@]}" version --format '{{.Server.Version}}')  $("${DK[@]}" info --format 'storage={{.Driver}} cgroup={{.CgroupDriver}}/v{{.CgroupVersion}} runtime={{.DefaultRuntime}}' 2>/dev/null)"
note "podman $("${PM[@]}" info --format 'storage={{.Store.GraphDriverName}} cgroup={{.Host.CgroupManager}}/{{.Host.CgroupsVersion}} runtime={{.Host.OCIRuntime.Name}}' 2>/dev/null)"

# ------------------------------------------------------------------ the image
say "making and importing busybox"
bench_import_busybox "${COLS[@]}"
note "busybox.tar $(du -h "$T/busybox.tar" | cut -f1), image ids: skiff $("${SK[@]}" images -q busybox:latest) docker $("${DK[@]}" images -q busybox:latest) podman $("${PM[@]}" images -q busybox:latest)"

sleep 3
mem_row idle_fresh skiff "skiffd" "$SKIFFD_PID"
mem_row idle_fresh docker "dockerd+containerd" "$DOCKERD" "$CONTAINERD_PID"

# ------------------------------------------------------------------ the rounds
TRAP_SH='trap "exit 0" TERM; sleep 1000 & wait'
n=${#COLS[@]}

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
mem_row created docker "dockerd+containerd, $PS_COUNT created containers" "$DOCKERD" "$CONTAINERD_PID"
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
mem_row idle_after docker "dockerd+containerd" "$DOCKERD" "$CONTAINERD_PID"
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
mem_row daemon_running docker "dockerd+containerd, one container running" "$DOCKERD" "$CONTAINERD_PID"
for e in "${COLS[@]}"; do eng "$e" rm -f db-mem >>"$LOG" 2>&1 || true; done
loadavg end
note "date_utc_end $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# ------------------------------------------------------------------ the tables
python3 - "$T" "$ROUNDS" "$PS_COUNT" "$FAIL" "$HERE" "${HF:+hyperfine}" <<'EOF'
import csv, glob, json, os, statistics, sys
T, rounds, ps_count, fails, here, hf = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6] if len(sys.argv) > 6 else ""
sys.path.insert(0, here)
from lib import print_env, ratio, read_samples, table
cols = ["skiff", "docker", "podman"]
samples, failed = read_samples(T)
data = {k: [us for _, us in v] for k, v in samples.items()}
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
print(f"Medians of {rounds} interleaved rounds (ms); every engine with `--network none` "
      "(bench/network.sh measures the bridge).\n")
head = ["measurement"] + [f"{c}" for c in cols] + ["docker/skiff", "podman/skiff"]
out = []
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
    out.append(cells)
table(head, out)

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
out = []
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
    out.append(cells)
table(head, out)
p = mem.get(("payload", "docker"))
if p:
    print(f"\n(The `sleep 1000` payload itself: {p[0]:.1f} MiB RSS / {p[1]:.1f} MiB PSS.)")
if fails:
    print(f"\n{fails} command(s) failed (see stderr); their samples are left out of the medians.")
print_env(T)
EOF
if [[ $KEEP_TMP == 1 ]]; then
    echo >&2
    echo "samples: $T/samples.csv, $T/mem.csv, logs in $T" >&2
fi
