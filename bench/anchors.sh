#!/usr/bin/env bash
# bench/anchors.sh: the shared reference harness, ../shared/bench/anchors.sh
# (docker, podman, crun, runc and a no-runtime floor, interleaved round by
# round, the harness the issues' figures come from), with skiff as its
# candidate column, run in private namespaces as the other benches are.
#
# What the harness measures with skiff in it (its groups; see its header):
#   run    `run --rm bb true` on each engine's default network, with
#          --network=none and with --net=host; crun/runc `run` of a bundle
#   life   run -d, stop -t 1, rm, rm -f of a running one, stop of a PID 1
#          that traps TERM
#   mem    idle daemons (skiffd vs dockerd+containerd), one container's
#          monitor (skiff-monitor vs containerd-shim vs conmon)
#   build, reg, net   skipped by default here (bench/build.sh,
#          bench/registry.sh and bench/network.sh measure those)
# and prints its summary (medians, ratios) as markdown.
#
# Usage:  sudo bench/anchors.sh      (about 4 minutes on 2 vCPUs)
#
# Environment knobs (defaults in brackets), besides the harness's own
# (ROUNDS, LIFE_ROUNDS, ...), which pass through:
#   ANCHORS [<repo>/../shared/bench/anchors.sh]   the harness
#   SKIP [build reg net]   the harness's groups to skip
#   CANDIDATE_GROUPS [run life]   groups skiff takes part in (mem always)
#   SKIFF_BIN_DIR [<repo>/.build-bench/release, else <repo>/.build/release]
#                          skiffd, skiff-monitor, skiff
#   RUN_TMPFS [1], KEEP_TMP [0]   as in bench/lib.sh
#
# Needs root, bash >= 5, and what the harness needs: docker.io, podman, crun,
# runc, docker-registry, skopeo, umoci, busybox-static, curl, jq, python3.
#
# Isolation (bench/lib.sh): a private mount, pid and network namespace (only
# `lo`: the engines' bridges and firewall rules are made there), fresh /run,
# overlays on /etc and /var/lib, /var/lib/docker a directory of the temp dir
# (so dockerd's overlay2 sits on a real file system), the harness's WORK and
# OUT in the temp dir (mktemp -d /tmp/skiff-anchors.*), removed at exit;
# skiffd with its own -H, --data-root and --exec-root there. The harness
# starts and stops dockerd itself (inside the namespace); its lock file and
# dockerd log are /tmp/anchors-bench.lock and /tmp/dockerd.log. Left on the
# host: the hugetlb v1 hierarchy mount crun needs (as bench_hugetlb says).
set -euo pipefail
export LC_ALL=C

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
SELF="$HERE/$(basename -- "${BASH_SOURCE[0]}")"
BENCH=anchors.sh
source "$HERE/lib.sh"
export ANCHORS=${ANCHORS:-$(cd "$HERE/../.." && pwd -P)/shared/bench/anchors.sh}
export SKIP=${SKIP:-build reg net}
export CANDIDATE_GROUPS=${CANDIDATE_GROUPS:-run life}

# ------------------------------------------------------------------ outside
if [[ -z "${SKIFF_BENCH_T:-}" ]]; then
    [[ -f "$ANCHORS" ]] || { echo "$BENCH: no harness at $ANCHORS (set ANCHORS)" >&2; exit 1; }
    bench_check_outside dockerd containerd podman crun runc docker-registry skopeo umoci busybox curl jq python3 unshare
    bench_hugetlb
    bench_run_inside /tmp/skiff-anchors.XXXXXX --net -- "$@"
fi

# ------------------------------------------------------------------ inside the namespace
bench_inside skiff-run
ip link set lo up
mkdir -p "$T/var-lib-docker" /var/lib/docker
mount --bind "$T/var-lib-docker" /var/lib/docker

SK=("$T/bin/skiff" -H "unix://$T/skiff.sock")
eng() { local e=$1; shift; [[ $e == skiff ]] && "${SK[@]}" "$@"; }
bench_cgroup_parents
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

say "starting skiffd"
bench_start_skiffd
bench_wait_up skiff "$SKIFFD_PID" "$T/skiffd.log" 300

# The harness imports bb:latest into docker and podman with these changes.
cat >"$T/skiff-setup.sh" <<'EOF'
$CANDIDATE import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' "$BB_TAR" bb:latest
EOF

mkdir -p "$T/results"
WORK=$T/anchors OUT=$T/results UNDO_CGROUP_FIX=0 \
    CANDIDATE="${SK[*]}" CANDIDATE_NAME=skiff CANDIDATE_SETUP="source $T/skiff-setup.sh" \
    CANDIDATE_DAEMON=skiffd CANDIDATE_MONITOR=skiff-monitor \
    bash "$ANCHORS" || { echo "$BENCH: the harness failed; its log:" >&2; tail -20 "$T/results/commands.log" >&2; exit 1; }
echo
cat "$T/results/env.txt"
