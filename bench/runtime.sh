#!/usr/bin/env bash
# bench/runtime.sh: skiff-runtime against crun and runc on the same bundle.
#
# Measures, round-robin (every round runs each runtime once per measurement,
# the order rotating from round to round, so that drift of this shared,
# noisy machine hits all columns alike):
#   run true         `RT run` of a bundle whose process is /bin/true
#   create           `RT create` of a `sleep 100` bundle
#   start            `RT start` of it
#   kill+delete      `RT kill ID KILL` then `RT delete --force ID`
#   lifecycle        the three above, end to end
# and prints the medians (ms) per runtime and the ratio to crun as a
# markdown table.
#
# Usage:  sudo bench/runtime.sh          (ROUNDS=50: about a minute)
#
# Environment knobs (defaults in brackets):
#   ROUNDS [50]              rounds
#   SKIFF_RUNTIME [<repo>/.build/release/skiff-runtime, else .build/debug/...]
#   RUNTIMES ['skiff crun runc']   columns, any subset (skiff is dropped with
#                            a note when its binary does not exist)
#   KEEP_TMP [0]             1: keep the temp dir (samples.csv, bundles)
#
# Needs root, bash >= 5 (EPOCHREALTIME), python3, crun, runc, busybox-static.
# Writes only into a fresh temp dir (mktemp -d), removed at exit; the only
# other side effects are the runtimes' cgroups (removed) and, if crun needs
# it, the hugetlb v1 hierarchy mount described in /work/shared/notes/platform.md
# (left mounted, as systemd would have it).
set -euo pipefail
export LC_ALL=C

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$HERE/.." && pwd -P)
ROUNDS=${ROUNDS:-50}
RUNTIMES=${RUNTIMES:-"skiff crun runc"}
KEEP_TMP=${KEEP_TMP:-0}

if [[ $EUID -ne 0 ]]; then echo "runtime.sh: needs root" >&2; exit 1; fi
if [[ -z "${EPOCHREALTIME:-}" ]]; then echo "runtime.sh: needs bash >= 5" >&2; exit 1; fi

if [[ -z "${SKIFF_RUNTIME:-}" ]]; then
    for c in release debug; do
        if [[ -x "$REPO/.build/$c/skiff-runtime" ]]; then SKIFF_RUNTIME="$REPO/.build/$c/skiff-runtime"; break; fi
    done
fi

declare -A BIN=()
COLS=()
NOTES=()
for rt in $RUNTIMES; do
    case $rt in
        skiff) b=${SKIFF_RUNTIME:-} ;;
        *) b=$(command -v "$rt" || true) ;;
    esac
    if [[ -n "$b" && -x "$b" ]]; then
        BIN[$rt]=$b
        COLS+=("$rt")
    else
        NOTES+=("$rt: no binary (${b:-not found}), column skipped")
    fi
done
if [[ ${#COLS[@]} -eq 0 ]]; then echo "runtime.sh: no runtime to measure" >&2; exit 1; fi

# crun refuses this host's hybrid cgroup layout while hugetlb sits only in the
# cgroup2 tree (see platform.md): mount it as v1, idempotently.
if [[ -f /sys/fs/cgroup/unified/cgroup.controllers ]] \
    && grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers \
    && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
    mkdir -p /sys/fs/cgroup/hugetlb
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi

TMP=$(mktemp -d /tmp/skiff-rtbench.XXXXXX)
# The runtimes' state directories live where they do in use: on tmpfs
# (/run is tmpfs; /dev/shm here). On a disk, file creation after heavy
# deletions can dominate what is measured.
STATE=$(mktemp -d /dev/shm/skiff-rtbench-state.XXXXXX)
CG="skiff-bench/$(basename "$TMP")"
cleanup() {
    set +e
    for rt in "${COLS[@]}"; do
        for id in $("${BIN[$rt]}" --root "$STATE/state-$rt" list -q 2>/dev/null); do
            "${BIN[$rt]}" --root "$STATE/state-$rt" delete --force "$id" >/dev/null 2>&1
        done
    done
    # leaf cgroups are the runtimes' to remove; the parents are ours (runc
    # nests them under our own cgroup, crun under each hierarchy's root)
    for d in $(find /sys/fs/cgroup -depth -type d -path "*/$CG*" 2>/dev/null); do rmdir "$d" 2>/dev/null; done
    for d in /sys/fs/cgroup/*/skiff-bench $(find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name skiff-bench 2>/dev/null); do
        rmdir "$d" 2>/dev/null
    done
    if [[ $KEEP_TMP == 1 ]]; then
        echo "kept $TMP" >&2
    else
        if grep -q " $TMP" /proc/self/mountinfo; then
            grep " $TMP" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
        fi
        rm -rf -- "$TMP" "$STATE"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One rootfs (hardlinked into each bundle by make-bundle.sh), two bundles.
export ROOTFS_CACHE="$TMP/rootfs-cache"
BUNDLE_OPTS="--cgroups-path $CG/true" "$REPO/scripts/make-bundle.sh" "$TMP/b-true" /bin/true >/dev/null
BUNDLE_OPTS="--cgroups-path $CG/sleep" "$REPO/scripts/make-bundle.sh" "$TMP/b-sleep" /bin/sleep 100 >/dev/null
for rt in "${COLS[@]}"; do mkdir -p "$TMP/state-$rt"; done

SAMPLES=$TMP/samples.csv
LOG=$TMP/commands.log
echo "round,row,col,us,rc" >"$SAMPLES"
: >"$LOG"
FAIL=0

now_us() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }

# timed ROUND ROW COL CMD...: runs CMD, records its wall time in µs.
LAST_US=0
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
    fi
    return 0
}

# Warm-up: one of each, unrecorded (page cache, first cgroup parents).
for rt in "${COLS[@]}"; do
    R=(${BIN[$rt]} --root "$STATE/state-$rt")
    "${R[@]}" run --bundle "$TMP/b-true" warm-$rt >/dev/null 2>&1 || true
    "${R[@]}" run --detach --bundle "$TMP/b-sleep" warm-$rt >/dev/null 2>&1 </dev/null || true
    "${R[@]}" delete --force warm-$rt >/dev/null 2>&1 || true
done

n=${#COLS[@]}
for ((round = 1; round <= ROUNDS; round++)); do
    for ((k = 0; k < n; k++)); do
        rt=${COLS[$(((round + k) % n))]}
        R=(${BIN[$rt]} --root "$STATE/state-$rt")
        timed "$round" "run true" "$rt" "${R[@]}" run --bundle "$TMP/b-true" "t$round"
    done
    for ((k = 0; k < n; k++)); do
        rt=${COLS[$(((round + k) % n))]}
        R=(${BIN[$rt]} --root "$STATE/state-$rt")
        id="s$round"
        timed "$round" "create" "$rt" "${R[@]}" create --bundle "$TMP/b-sleep" "$id"
        total=$LAST_US
        timed "$round" "start" "$rt" "${R[@]}" start "$id"
        total=$((total + LAST_US))
        t0=$(now_us)
        timed "$round" "kill" "$rt" "${R[@]}" kill "$id" KILL
        timed "$round" "delete" "$rt" "${R[@]}" delete --force "$id"
        kd=$(($(now_us) - t0))
        echo "$round,kill+delete,$rt,$kd,0" >>"$SAMPLES"
        echo "$round,lifecycle,$rt,$((total + kd)),0" >>"$SAMPLES"
    done
done

# Medians and the table.
python3 - "$SAMPLES" "${COLS[*]}" "$ROUNDS" "$FAIL" "${NOTES[@]+"${NOTES[@]}"}" <<'EOF'
import csv, statistics, sys
path, cols, rounds, fails, notes = sys.argv[1], sys.argv[2].split(), sys.argv[3], int(sys.argv[4]), sys.argv[5:]
rows = ["run true", "create", "start", "kill+delete", "lifecycle"]
data = {}
for r in csv.DictReader(open(path)):
    data.setdefault((r["row"], r["col"]), []).append(int(r["us"]))
med = {k: statistics.median(v) / 1000 for k, v in data.items()}
ratio_cols = [c for c in cols if c != "crun"] if "crun" in cols else []
head = ["measurement"] + [f"{c} (ms)" for c in cols] + [f"{c}/crun" for c in ratio_cols]
print(f"Medians of {rounds} interleaved rounds, `sleep 100` for create/start/kill+delete "
      "(kill = `kill ID KILL`, delete = `delete --force ID`).\n")
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for row in rows:
    cells = [row]
    for c in cols:
        v = med.get((row, c))
        cells.append("" if v is None else f"{v:.1f}")
    for c in ratio_cols:
        a, b = med.get((row, c)), med.get((row, "crun"))
        cells.append("" if not a or not b else f"{a / b:.2f}")
    print("| " + " | ".join(cells) + " |")
if fails:
    print(f"\n{fails} command(s) failed (see stderr); their times are included.")
for n in notes:
    print(f"\nNote: {n}")
EOF
