#!/usr/bin/env bash
# bench/compose.sh: the example application (examples/todo: a web service and
# PostgreSQL, the web service waiting for the database to be healthy) brought
# up and down with `skiff compose` against skiffd and with Debian's
# docker-compose 1.29 against Debian's dockerd 20.10, the images already
# built, in one run.
#
# The images are built once by skiffd (`skiff compose build`, the example's
# Dockerfiles on debian:bookworm, packages from Debian's mirror) and loaded
# into dockerd (`skiff save | docker load`), so both engines run the same
# images. An override file names those images and gives both services a
# health check every 100 ms (the same for both engines: with the file's 1-2 s
# intervals both would mostly wait for their first check).
#
# Measured, round-robin (the order rotating from round to round), per round:
#   up     `compose up -d` until every container is healthy, from the command's
#          start: skiff compose `up -d --wait` (it returns once all are
#          healthy), and, for both tools, `up -d` then polling the web
#          container's health with the docker CLI every 20 ms (docker-compose
#          1.29 has no --wait); the database's volume exists (kept by down)
#   down   `compose down` (containers stopped and removed, the network removed)
# Also docker-compose 1.29 against skiffd, as a column: what the engine
# alone changes. Prints medians (ms) and ratios, and whether the issue's
# target is met: skiff at least 3x faster to all-healthy than docker-compose
# against dockerd.
#
# Usage:  sudo bench/compose.sh          (ROUNDS=7: a few minutes, plus a first
#                                         build of the images, about a minute)
#
# Knobs: ROUNDS [7]; DEBIAN_TAR [/var/cache/skiff-bench/debian.tar] (made with
# scripts/make-debian-image.sh if missing); MIRROR [deb.debian.org:80] (an HTTP
# server or proxy serving Debian's archive, for the builds' apt); SKIFF_BIN_DIR
# (skiffd, skiff-monitor, skiff and skiff-compose); DOCKER_CLI; KEEP_TMP [0].
#
# Isolation (bench/lib.sh, as bench/network.sh): a private mount, pid and
# network namespace; skiffd and dockerd each in a network namespace of their
# own; data and exec roots in one temp dir, removed at exit. The builds reach
# the mirror through a forwarder pair (socat): one on a unix socket in a temp
# dir in the host's namespace (started before, stopped after), one inside
# skiffd's namespace on 198.18.0.1:3142, passed as the http_proxy build arg.
set -euo pipefail
export LC_ALL=C

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
SELF="$HERE/$(basename -- "${BASH_SOURCE[0]}")"
BENCH=compose.sh
source "$HERE/lib.sh"
ROUNDS=${ROUNDS:-7}
DEBIAN_TAR=${DEBIAN_TAR:-/var/cache/skiff-bench/debian.tar}
MIRROR=${MIRROR:-deb.debian.org:80}
PROXY_ADDR=198.18.0.1

# ------------------------------------------------------------------ outside
if [[ -z "${SKIFF_BENCH_T:-}" ]]; then
    bench_check_outside dockerd containerd runc docker-compose socat python3 unshare nsenter ip curl
    [[ -x "$SKIFF_BIN_DIR/skiff-compose" ]] || { echo "compose.sh: no skiff-compose in $SKIFF_BIN_DIR" >&2; exit 1; }
    if [[ ! -f "$DEBIAN_TAR" ]]; then
        mkdir -p "$(dirname "$DEBIAN_TAR")"
        "$REPO/scripts/make-debian-image.sh" "$DEBIAN_TAR" >/dev/null
    fi
    bench_hugetlb
    MIRROR_DIR=$(mktemp -d /tmp/skiff-composebench-mirror.XXXXXX)
    socat "UNIX-LISTEN:$MIRROR_DIR/mirror.sock,fork,mode=600" "TCP:$MIRROR" </dev/null >/dev/null 2>&1 &
    MIRROR_PID=$!
    bench_outer_extra() { kill "$MIRROR_PID" 2>/dev/null; wait "$MIRROR_PID" 2>/dev/null; rm -rf -- "$MIRROR_DIR"; return 0; }
    export DEBIAN_TAR MIRROR_DIR
    bench_run_inside /tmp/skiff-composebench.XXXXXX --net -- "$@"
fi

# ------------------------------------------------------------------ inside the namespaces
bench_inside skiff-run docker-exec
cp "$SKIFF_BIN_DIR/skiff-compose" "$T/bin/skiff-compose"
mkdir -p "$T"/{netns,docker,skiff}
ip link set lo up
for e in skiff docker; do
    : >"$T/netns/$e"
    unshare --net="$T/netns/$e" true
    nsenter --net="$T/netns/$e" ip link set lo up
done
SK=("$T/bin/skiff" -H "unix://$T/skiff.sock")
DK=("$DOCKER_CLI" -H "unix://$T/docker/docker.sock")
DKS=("$DOCKER_CLI" -H "unix://$T/skiff.sock")
PM=(true)
COLS=(skiff docker docker-compose-on-skiff)
eng() {
    local e=$1; shift
    case $e in
        skiff) "${SK[@]}" "$@" ;;
        docker) "${DK[@]}" "$@" ;;
    esac
}
bench_cgroup_parents
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

note "date_utc $(date -u +%Y-%m-%dT%H:%M:%SZ)  rounds $ROUNDS"
bench_env_notes
note "$(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /')  skiff compose $("$T/bin/skiff" compose version --short)"
loadavg start

say "starting skiffd and dockerd"
bench_start_skiffd
bench_start_dockerd docker
bench_wait_up skiff "$SKIFFD_PID" "$T/skiffd.log" 300
bench_wait_up docker "${DOCKERD_PID[docker]}" "$T/docker.log" 600
note "dockerd $("${DK[@]}" version --format '{{.Server.Version}}')"

# ------------------------------------------------------------------ the images
say "building the example's images with skiffd (apt through the forwarder)"
"${SK[@]}" import "$DEBIAN_TAR" debian:bookworm >>"$LOG" 2>&1
nsenter --net="$T/netns/skiff" ip addr add "$PROXY_ADDR/32" dev lo
nsenter --net="$T/netns/skiff" socat "TCP-LISTEN:3142,bind=$PROXY_ADDR,fork,reuseaddr" "UNIX-CONNECT:$MIRROR_DIR/mirror.sock" \
    </dev/null >/dev/null 2>&1 &
EX=$REPO/examples/todo
OV=$T/bench.override.yaml
cat >"$OV" <<YAML
services:
  web:
    image: todo-web:bench
    build:
      args:
        http_proxy: http://$PROXY_ADDR:3142
    healthcheck:
      test: ["CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
      interval: 100ms
      timeout: 3s
      retries: 30
  db:
    image: todo-db:bench
    build:
      args:
        http_proxy: http://$PROXY_ADDR:3142
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -q -h 127.0.0.1 -U \"\$\$POSTGRES_USER\" -d \"\$\$POSTGRES_DB\""]
      interval: 100ms
      timeout: 3s
      retries: 300
YAML
t0=${EPOCHREALTIME/./}
"${SK[@]}" compose -p todo -f "$EX/compose.yaml" -f "$OV" build >>"$LOG" 2>&1 \
    || { echo "compose.sh: the build failed:" >&2; tail -20 "$LOG" >&2; exit 1; }
note "images built by skiffd in $(((${EPOCHREALTIME/./} - t0) / 1000000)) s"
"${SK[@]}" save todo-web:bench todo-db:bench | "${DK[@]}" load >>"$LOG" 2>&1

# ------------------------------------------------------------------ the runs
# compose TOOL ENGINE ARGS...: one compose command of TOOL against ENGINE.
compose() {
    local tool=$1 engine=$2; shift 2
    local sock=$T/skiff.sock
    [[ $engine == docker ]] && sock=$T/docker/docker.sock
    if [[ $tool == skiff ]]; then
        "$T/bin/skiff" -H "unix://$sock" compose -p todo -f "$EX/compose.yaml" -f "$OV" "$@"
    else
        DOCKER_HOST=unix://$sock COMPOSE_API_VERSION=1.41 docker-compose -p todo -f "$EX/compose.yaml" -f "$OV" "$@"
    fi
}
# healthy ENGINE NAME: polls NAME's health with the docker CLI until healthy
healthy() {
    local sock=$T/skiff.sock _
    [[ $1 == docker ]] && sock=$T/docker/docker.sock
    for _ in $(seq 3000); do
        [[ $("$DOCKER_CLI" -H "unix://$sock" inspect -f '{{.State.Health.Status}}' "$2" 2>/dev/null) == healthy ]] && return 0
        sleep 0.02
    done
    return 1
}
up_wait() { compose skiff skiff up -d --wait; }
up_poll() { # TOOL ENGINE WEB-CONTAINER
    compose "$1" "$2" up -d && healthy "$2" "$3"
}
run_col() { # ROUND COL
    local r=$1 c=$2
    case $c in
        skiff)
            timed "$r" "up --wait" skiff up_wait
            in_ns skiff curl -fsS -o /dev/null http://127.0.0.1:8080/api/todos || echo "round $r: skiff: web not answering" >&2
            timed "$r" down skiff compose skiff skiff down
            timed "$r" "up + poll" skiff up_poll skiff skiff todo-web-1
            timed "$r" down2 skiff compose skiff skiff down ;;
        docker)
            timed "$r" "up + poll" docker up_poll docker-compose docker todo_web_1
            in_ns docker curl -fsS -o /dev/null http://127.0.0.1:8080/api/todos || echo "round $r: docker: web not answering" >&2
            timed "$r" down docker compose docker-compose docker down ;;
        docker-compose-on-skiff)
            timed "$r" "up + poll" "$c" up_poll docker-compose skiff todo_web_1
            timed "$r" down "$c" compose docker-compose skiff down ;;
    esac
}

say "warm-up (the database initialised in its volume on each engine)"
for c in "${COLS[@]}"; do run_col 0 "$c" >/dev/null 2>&1 || true; done
sed -i '/^0,/d' "$SAMPLES"
say "$ROUNDS rounds"
for ((round = 1; round <= ROUNDS; round++)); do
    for ((k = 0; k < ${#COLS[@]}; k++)); do run_col "$round" "$(col_at "$round" "$k")"; done
done
loadavg end
compose skiff skiff down -v >>"$LOG" 2>&1 || true
compose docker-compose docker down -v >>"$LOG" 2>&1 || true

python3 - "$T" "$ROUNDS" "$FAIL" "$HERE" <<'PY'
import sys
sys.path.insert(0, sys.argv[4])
from lib import read_samples, median, ratio, num, table, print_env
T, rounds, fails = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data, failed = read_samples(T)
def med(row, col):
    v = data.get((row, col))
    return median(us / 1000 for _, us in v) if v else None
print(f"\n## examples/todo: compose up (to all healthy) and down, images built ({rounds} rounds, medians in ms)\n")
sk_wait, sk_poll, dk_poll, ds_poll = med("up --wait", "skiff"), med("up + poll", "skiff"), med("up + poll", "docker"), med("up + poll", "docker-compose-on-skiff")
sk_down, dk_down, ds_down = med("down", "skiff"), med("down", "docker"), med("down", "docker-compose-on-skiff")
table(["", "skiff compose → skiffd", "docker-compose 1.29 → dockerd", "docker-compose 1.29 → skiffd", "dockerd / skiff"],
      [["up -d --wait (skiff) ", num(sk_wait), "", "", ratio(dk_poll, sk_wait)],
       ["up -d, then poll health", num(sk_poll), num(dk_poll), num(ds_poll), ratio(dk_poll, sk_poll)],
       ["down", num(sk_down), num(dk_down), num(ds_down), ratio(dk_down, sk_down)]])
best = min(v for v in (sk_wait, sk_poll) if v) if (sk_wait or sk_poll) else None
met = best and dk_poll and dk_poll / best >= 3
print(f"\nTarget (skiff at least 3x faster to all-healthy than docker-compose with dockerd): {'met' if met else 'not met'} ({ratio(dk_poll, best)}).")
if fails:
    print(f"\n{fails} command(s) failed (see stderr); their samples are left out.")
print_env(T)
PY
