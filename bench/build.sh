#!/usr/bin/env bash
# bench/build.sh: image builds (Dockerfile -> image, with a layer cache) by the
# skiff engine (skiffd's `POST /build`, driven by the real docker CLI with
# DOCKER_BUILDKIT=0), dockerd 20.10's classic builder (the same CLI) and
# `podman build` 4.3 (buildah, --layers), on the same contexts and base images
# imported into all three.
#
# Two contexts, generated into the temp dir (deterministic: the same files
# every run for a given SEED and FILES):
#   small    FROM busybox (scripts/make-busybox-image.sh): ENV, WORKDIR,
#            COPY of a directory, RUN, COPY of one file, RUN, CMD
#   debian   multi-stage on debian:bookworm (scripts/make-debian-image.sh:
#            debootstrap minbase from the Debian mirror, cached in DEBIAN_TAR)
#            with a source tree of FILES small text files in nested dirs
#            (src/pNN/mNN/, 200 B - 4 KiB each, ~2 KiB on average) and a
#            .dockerignore. Stage `build`: ARG, ENV, WORKDIR, COPY src/, a RUN
#            over the tree (find | sort | xargs cat and sha256sum, a shell
#            loop counting files per directory), a RUN making a tar.gz of it;
#            final stage: RUN groupadd/useradd, WORKDIR, COPY --from=build
#            --chown, USER, ENV, CMD.
# Every build runs with `--network none` (no RUN needs the network; the
# engines run in a network namespace of their own with only `lo`).
#
# Measured, round-robin (every round runs each engine once per measurement,
# the order rotating from round to round, so that drift of this shared, noisy
# machine hits all columns alike), for each context:
#   cold      the first build of the round: the engine holds the base images
#             and nothing else (COLD=clean, the default: after each round
#             every image but the bases is removed, `rmi` + `image prune`
#             until none is left, so no step can hit a cache), or a build
#             with --no-cache (COLD=no-cache: nothing is removed)
#   cached    the same build again, nothing changed: every step a cache hit
#   touched   after one source file changed (a line appended: small's
#             data.txt, a file deep in debian's src/): cache hits up to the
#             COPY that takes it in, the rest built again
# Each build's output is kept with the time of every line, so the tables
# also show the cache hits of each build (a check that cold is cold) and the
# time of each step (from its `Step N/M` line to the next one; "context" is
# the time before the first step: the CLI's tar of the context, its transfer
# and unpacking for skiffd and dockerd, reading it for podman). Two floors,
# once per round: the docker CLI alone (the same build command against a
# small server in the script that reads the context and answers at once, as
# a daemon with nothing to do would: what the skiff column cannot go below),
# and each client's `version` (start-up and one request). Prints the medians
# (ms) and the ratios docker/skiff, podman/skiff as markdown tables, and
# whether the issue's targets are met: cached rebuilds at least 3x faster
# than both, cold builds no slower than either.
#
# If the skiff binary in SKIFF_BIN_DIR has a `build` command, `skiff build`
# is timed too, as column "skiff build", against a second skiffd with a data
# root of its own (so that its cold builds are cold too).
#
# Usage:  sudo bench/build.sh      (ROUNDS=7: about 5 minutes on 2 vCPUs;
#                                   DATA_FS=disk: about 10)
#         ROUNDS=3 CASES=small bench/build.sh          (about a minute)
#
# Environment knobs (defaults in brackets):
#   ROUNDS [7]             rounds
#   CASES [small debian]   the contexts to build
#   FILES [3000]           files in debian's source tree
#   SEED [1]               seed of the source tree's contents
#   COLD [clean]           clean: cold builds on a store emptied of all but the
#                          base images; no-cache: `build --no-cache`, nothing
#                          removed (cheaper, the stores grow)
#   DEBIAN_TAR [/var/cache/skiff-bench/debian.tar]   the debian:bookworm root
#                          file system; made (about a minute, from the Debian
#                          mirror, before the namespaces) if missing
#   WARMUP [1]             1: one untimed build of each context per engine first
#   SYNC [1]               1: `sync` before each timed build (nobody pays for
#                          the previous build's writeback)
#   DATA_FS [ext4]         the file system of the engines' data roots, the
#                          contexts and TMPDIR: ext4: a fresh ext4 (with its
#                          journal, as mkfs makes it) on a loop device, a
#                          sparse DATA_FS_SIZE file in the temp dir;
#                          ext4-nojournal: the same without a journal; disk:
#                          the temp dir itself, on /tmp's file system, as the
#                          other benchmarks do; tmpfs: in memory. Not `disk` by
#                          default: this host's root is ext4 without a journal,
#                          where allocating inodes within a minute or so of
#                          deleting many is several times slower (ext4 skips
#                          recently deleted inodes only in no-journal mode:
#                          recently_deleted() in fs/ext4/ialloc.c; see
#                          bench/images.sh), and builds do just that: skiffd
#                          and dockerd unpack the context (3000 files) in every
#                          build and delete it after, every step's container
#                          leaves a writable layer to delete, the rounds'
#                          removals delete thousands of files. Measured here
#                          (ROUNDS=3): the debian context phase 0.4 s on ext4,
#                          1.8 s on ext4-nojournal and 2.1 s on disk, for
#                          skiffd and dockerd alike (podman reads the context
#                          where it is); cold builds 2-3x slower. Normal hosts
#                          (ext4 with a journal, xfs, btrfs) look like ext4.
#   DATA_FS_SIZE [8G]      the size of that file system (ext4: sparse)
#   SETTLE [0]             seconds to wait after each round's removals (after
#                          a sync): with DATA_FS=disk or ext4-nojournal, lets
#                          the deleted inodes age (see DATA_FS)
#   SKIFF_CLI [auto]       auto: time `skiff build` if the binary has it; 0: not
#   SKIFF_BIN_DIR [<repo>/.build-bench/release, else <repo>/.build/release]
#                          where skiffd, skiff-monitor and skiff are
#   DOCKER_CLI [docker on PATH]   the docker client (28.x here)
#   RUN_TMPFS [1]          1: the engines' exec roots are tmpfs, as /run is in use
#   KEEP_TMP [0]           1: keep the temp dir (samples.csv, build outputs in
#                          out/, the contexts, logs)
#
# Needs root, bash >= 5 (EPOCHREALTIME), python3, util-linux unshare, GNU tar,
# Debian's docker.io, containerd, runc, podman, conmon, crun, busybox-static;
# debootstrap (installed by scripts/make-debian-image.sh) if DEBIAN_TAR is
# missing.
#
# Isolation (bench/lib.sh, as bench/daemon.sh and bench/network.sh): the run
# happens in a private mount, pid and network namespace (unshare --mount
# --pid --net --fork): /run, /var/tmp and /dev/shm are fresh tmpfs, /etc and
# /var/lib overlays whose upper directories are in the temp dir; skiffd,
# dockerd (no bridge, no iptables) and podman have their own data roots, exec
# roots and sockets in one fresh temp dir (mktemp -d /tmp/skiff-buildbench.*),
# removed at exit (DATA_FS=ext4: a file system in a file there, on a loop
# device that detaches itself when the namespace's mounts go); the network
# namespace has only `lo`. The only other side effects are those of
# bench/daemon.sh (the engines' cgroups, parents this run created removed;
# the hugetlb v1 mount crun may need) and DEBIAN_TAR.
set -euo pipefail
export LC_ALL=C

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
SELF="$HERE/$(basename -- "${BASH_SOURCE[0]}")"
BENCH=build.sh
source "$HERE/lib.sh"
ROUNDS=${ROUNDS:-7}
CASES=${CASES:-small debian}
FILES=${FILES:-3000}
SEED=${SEED:-1}
COLD=${COLD:-clean}
DEBIAN_TAR=${DEBIAN_TAR:-/var/cache/skiff-bench/debian.tar}
WARMUP=${WARMUP:-1}
SYNC=${SYNC:-1}
SETTLE=${SETTLE:-0}
SKIFF_CLI=${SKIFF_CLI:-auto}
DATA_FS=${DATA_FS:-ext4}
DATA_FS_SIZE=${DATA_FS_SIZE:-8G}

# ------------------------------------------------------------------ outside
if [[ -z "${SKIFF_BENCH_T:-}" ]]; then
    bench_check_outside dockerd containerd containerd-shim-runc-v2 runc podman conmon crun busybox python3 unshare tar
    for c in $CASES; do
        [[ $c == small || $c == debian ]] || { echo "build.sh: unknown case $c (CASES: small debian)" >&2; exit 1; }
    done
    [[ $COLD == clean || $COLD == no-cache ]] || { echo "build.sh: COLD must be clean or no-cache" >&2; exit 1; }
    [[ $DATA_FS == disk || $DATA_FS == ext4 || $DATA_FS == ext4-nojournal || $DATA_FS == tmpfs ]] \
        || { echo "build.sh: DATA_FS must be ext4, ext4-nojournal, disk or tmpfs" >&2; exit 1; }
    if [[ $DATA_FS == ext4* ]]; then bench_check_outside mkfs.ext4 losetup; fi
    if [[ " $CASES " == *" debian "* && ! -s "$DEBIAN_TAR" ]]; then
        echo "build.sh: making $DEBIAN_TAR (debootstrap from the Debian mirror, about a minute)" >&2
        mkdir -p "$(dirname -- "$DEBIAN_TAR")"
        "$REPO/scripts/make-debian-image.sh" "$DEBIAN_TAR" >/dev/null
    fi
    bench_hugetlb
    export ROUNDS CASES FILES SEED COLD DEBIAN_TAR WARMUP SYNC SETTLE SKIFF_CLI DATA_FS DATA_FS_SIZE
    bench_run_inside /tmp/skiff-buildbench.XXXXXX --net -- "$@"
fi

# ------------------------------------------------------------------ inside the namespaces
bench_inside skiff-run skiff2-run docker-exec podman-run
mkdir -p "$T"/{docker,podman,skiff,skiff2,out,ctx}
# DATA_FS: the directories that take the engines' writes, bound from another file system
if [[ $DATA_FS != disk ]]; then
    mkdir -p "$T/fs"
    if [[ $DATA_FS == ext4* ]]; then
        journal=(); [[ $DATA_FS == ext4-nojournal ]] && journal=(-O ^has_journal)
        truncate -s "$DATA_FS_SIZE" "$T/fs.img"
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "${journal[@]}" "$T/fs.img"
        mount -o loop "$T/fs.img" "$T/fs"
    else
        mount -t tmpfs -o mode=711,size="$DATA_FS_SIZE" tmpfs "$T/fs"
    fi
    for d in docker podman skiff skiff2 out ctx tmp; do
        mkdir -p "$T/fs/$d"
        mount --bind "$T/fs/$d" "$T/$d"
    done
fi
ip link set lo up
export DOCKER_BUILDKIT=0

SK=("$T/bin/skiff" -H "unix://$T/skiff.sock")
DK=("$DOCKER_CLI" -H "unix://$T/docker/docker.sock")
PM=(podman)
COLS=(skiff docker podman)
# skiff's second column: `skiff build`, against a skiffd of its own
if [[ $SKIFF_CLI == auto ]] && "$T/bin/skiff" build --help >/dev/null 2>&1; then
    COLS=(skiff skiff-cli docker podman)
fi
eng() {
    local e=$1; shift
    case $e in
        skiff) "${SK[@]}" "$@" ;;
        skiff-cli) "$T/bin/skiff" -H "unix://$T/skiff2.sock" "$@" ;;
        docker) "${DK[@]}" "$@" ;;
        podman) "${PM[@]}" "$@" ;;
    esac
}
# build_argv ENGINE: the build command line, up to the flags every build has
build_argv() {
    case $1 in
        skiff) BUILD=(env DOCKER_BUILDKIT=0 "$DOCKER_CLI" -H "unix://$T/skiff.sock" build) ;;
        skiff-cli) BUILD=("$T/bin/skiff" -H "unix://$T/skiff2.sock" build) ;;
        docker) BUILD=(env DOCKER_BUILDKIT=0 "$DOCKER_CLI" -H "unix://$T/docker/docker.sock" build) ;;
        podman) BUILD=(podman build --layers) ;;
    esac
}
# floor_argv ENGINE: the client that builds, doing `version`
floor_argv() {
    case $1 in
        skiff) FLOOR=("$DOCKER_CLI" -H "unix://$T/skiff.sock" version) ;;
        skiff-cli) FLOOR=("$T/bin/skiff" -H "unix://$T/skiff2.sock" version) ;;
        docker) FLOOR=("${DK[@]}" version) ;;
        podman) FLOOR=(podman version) ;;
    esac
}

bench_podman_config
bench_cgroup_parents
SKIFF2_PID=
cleanup() {
    set +e
    if [[ -n "$SKIFF2_PID" ]]; then
        kill -TERM "$SKIFF2_PID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$SKIFF2_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    bench_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ environment
note "date_utc $(date -u +%Y-%m-%dT%H:%M:%SZ)  rounds $ROUNDS  cases $CASES  files $FILES  seed $SEED  cold $COLD  sync $SYNC  settle $SETTLE"
bench_env_notes
note "exec roots on tmpfs: $RUN_TMPFS; data roots, contexts and TMPDIR (DATA_FS=$DATA_FS) on $(findmnt -no FSTYPE -T "$T/skiff") ($(findmnt -no SOURCE,OPTIONS -T "$T/skiff" | cut -c1-60)$([[ $DATA_FS == ext4* ]] && echo ", $(dumpe2fs -h "$T/fs.img" 2>/dev/null | grep -o has_journal || echo 'no journal')"))"
loadavg start

# ------------------------------------------------------------------ daemons
say "starting skiffd and dockerd"
bench_start_skiffd
if [[ " ${COLS[*]} " == *" skiff-cli "* ]]; then
    bench_spawn skiff-cli "$T/skiffd2.log" "$T/bin/skiffd" -H "unix://$T/skiff2.sock" --data-root "$T/skiff2" --exec-root "$T/skiff2-run"
    SKIFF2_PID=$BENCH_PID
fi
bench_start_dockerd docker --bridge none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false
bench_wait_up skiff "$SKIFFD_PID" "$T/skiffd.log" 300
if [[ -n "$SKIFF2_PID" ]]; then bench_wait_up skiff-cli "$SKIFF2_PID" "$T/skiffd2.log" 300; fi
bench_wait_up docker "${DOCKERD_PID[docker]}" "$T/docker.log" 600
note "dockerd $("${DK[@]}" version --format '{{.Server.Version}}')  $("${DK[@]}" info --format 'storage={{.Driver}} cgroup={{.CgroupDriver}}/v{{.CgroupVersion}} runtime={{.DefaultRuntime}}' 2>/dev/null), classic builder (DOCKER_BUILDKIT=0)"
note "podman $("${PM[@]}" info --format 'storage={{.Store.GraphDriverName}} cgroup={{.Host.CgroupManager}}/{{.Host.CgroupsVersion}} runtime={{.Host.OCIRuntime.Name}}' 2>/dev/null), buildah $(podman info --format '{{.Host.BuildahVersion}}' 2>/dev/null || true), podman build --layers"
if [[ " ${COLS[*]} " == *" skiff-cli "* ]]; then
    note "skiff build: timed too (column skiff build), against a second skiffd"
else
    note "skiff build: not timed ($([[ $SKIFF_CLI == auto ]] && echo "the skiff binary has no build command" || echo "SKIFF_CLI=$SKIFF_CLI"))"
fi

# The docker CLI's own part of a build: a server on $T/sink.sock that reads the
# build context and answers at once (a step, the image id), as dockerd does.
python3 - "$T/sink.sock" >"$T/sink.log" 2>&1 <<'EOF' &
import json, socket, sys, threading
server = socket.socket(socket.AF_UNIX)
server.bind(sys.argv[1])
server.listen(16)
def handle(conn):
    f = conn.makefile("rb")
    while True:
        line = f.readline()
        if not line.strip():
            break
        method, target = line.decode().split(" ")[:2]
        headers = {}
        while True:
            h = f.readline().decode()
            if h.strip() == "":
                break
            k, v = h.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(f.readline().split(b";")[0], 16)
                if size == 0:
                    while f.readline().strip():
                        pass
                    break
                f.read(size)
                f.readline()
        elif "content-length" in headers:
            f.read(int(headers["content-length"]))
        path = target.split("?")[0]
        status = "200 OK"
        if path.endswith("/_ping"):
            body = b"OK"
        elif path.endswith("/version"):
            body = json.dumps({"Version": "sink", "ApiVersion": "1.41", "MinAPIVersion": "1.12", "Os": "linux", "Arch": "amd64"}).encode()
        elif path.endswith("/build"):
            body = b"".join(json.dumps(m).encode() + b"\r\n" for m in (
                {"stream": "Step 1/1 : (sink)\n"}, {"aux": {"ID": "sha256:" + "0" * 64}}, {"stream": "Successfully built 000000000000\n"}))
        else:
            status, body = "404 Not Found", b'{"message": "not here"}'
        head = f"HTTP/1.1 {status}\r\nApi-Version: 1.41\r\nOstype: linux\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        conn.sendall(head.encode() + (b"" if method == "HEAD" else body))
    conn.close()
while True:
    conn, _ = server.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
EOF
disown
for _ in $(seq 50); do [[ -S "$T/sink.sock" ]] && break; sleep 0.1; done

# ------------------------------------------------------------------ base images
say "importing the base images"
bench_import_busybox "${COLS[@]}"
if [[ " $CASES " == *" debian "* ]]; then
    for e in "${COLS[@]}"; do
        eng "$e" import -c 'CMD ["bash"]' "$DEBIAN_TAR" debian:bookworm >>"$LOG" 2>&1 \
            || { echo "$e: import of debian failed:" >&2; tail -5 "$LOG" >&2; exit 1; }
    done
    note "debian:bookworm from $DEBIAN_TAR ($(du -h "$DEBIAN_TAR" | cut -f1), $(date -u -r "$DEBIAN_TAR" +%Y-%m-%d))"
fi
for e in "${COLS[@]}"; do
    eng "$e" images -a -q --no-trunc | sort -u >"$T/base-$e.ids"
done

# ------------------------------------------------------------------ the contexts
say "generating the contexts"
python3 - "$T/ctx" "$FILES" "$SEED" <<'EOF'
import os, random, sys
root, files, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def write(path, text):
    path = os.path.join(root, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

write("small/Dockerfile", """FROM busybox
ENV APP_HOME=/app APP_MODE=bench
WORKDIR /app
COPY conf/ ./conf/
RUN mkdir -p bin data && printf '#!/bin/sh\\ncat /app/conf/*.conf /app/data/*\\n' > bin/show && chmod 755 bin/show
COPY data.txt ./data/
RUN wc -c conf/*.conf data/data.txt > sizes.txt
CMD ["/app/bin/show"]
""")
for name in ("app", "db", "cache"):
    write(f"small/conf/{name}.conf", "".join(f"{name}.option{i} = {i * 7}\n" for i in range(20)))
write("small/data.txt", "".join(f"record {i}\n" for i in range(100)))

write("debian/Dockerfile", """FROM debian:bookworm AS build
ARG BUILD_VERSION=1.0
ENV LC_ALL=C.UTF-8 BUILD_VERSION=${BUILD_VERSION}
WORKDIR /src
COPY src/ ./
RUN set -e; mkdir -p /out; \\
    find . -type f | sort > /out/files.list; \\
    xargs cat < /out/files.list > /out/bundle.txt; \\
    xargs sha256sum < /out/files.list > /out/SHA256SUMS; \\
    for d in */*/; do printf '%s %s\\n' "$d" "$(find "$d" -type f | wc -l)"; done > /out/counts.txt; \\
    wc -l /out/files.list /out/bundle.txt /out/counts.txt
RUN tar -C /src -czf /out/src.tar.gz . && ls -l /out

FROM debian:bookworm
RUN groupadd -r app && useradd -r -g app -d /app -s /usr/sbin/nologin app
WORKDIR /app
COPY --from=build --chown=app:app /out/ ./
USER app
ENV APP_VERSION=1.0
CMD ["cat", "/app/counts.txt"]
""")
write("debian/.dockerignore", "**/*.tmp\n.git\n")
write("debian/README.md", "A generated source tree for bench/build.sh.\n")
rng = random.Random(seed)
words = ["alpha", "beta", "gamma", "delta", "value", "return", "struct", "let", "var", "func",
         "import", "if", "else", "for", "while", "0", "1", "42", "=", "+", "{", "}", "(", ")"]
per_dir = -(-files // 100)
n = 0
for p in range(10):
    for m in range(10):
        for k in range(per_dir):
            if n == files:
                break
            size = int(200 * 20 ** rng.random())  # 200 B - 4 KiB, log-uniform
            lines, length = [], 0
            while length < size:
                line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
                lines.append(line)
                length += len(line) + 1
            write(f"debian/src/p{p:02d}/m{m:02d}/f{n:05d}.txt", "\n".join(lines) + "\n")
            if n == files // 2:  # the file the touched builds change
                write("debian.touch", f"src/p{p:02d}/m{m:02d}/f{n:05d}.txt")
            if k == 0:
                write(f"debian/src/p{p:02d}/m{m:02d}/scratch.tmp", "ignored\n")
            n += 1
EOF
declare -A TOUCH=([small]=data.txt [debian]=$(cat "$T/ctx/debian.touch"))
note "contexts: small $(du -sh "$T/ctx/small" | cut -f1) ($(find "$T/ctx/small" -type f | wc -l) files); debian $(du -sh --apparent-size "$T/ctx/debian" | cut -f1) apparent, $(find "$T/ctx/debian" -type f | wc -l) files ($(find "$T/ctx/debian" -name '*.tmp' | wc -l) of them .dockerignored); touched: small/${TOUCH[small]}, debian/${TOUCH[debian]}"

# ------------------------------------------------------------------ builds
# stamp T0: stdin's lines, each prefixed with the µs since T0
stamp() {
    local t0=$1 line t
    while IFS= read -r line || [[ -n $line ]]; do
        t=${EPOCHREALTIME/./}
        printf '%s %s\n' "$((10#$t - t0))" "$line"
    done
}
# build_one ENGINE CASE OUT [FLAG...]: one build of CASE, its output (each line
# timed) in OUT
build_one() {
    local e=$1 c=$2 out=$3 t0
    shift 3
    build_argv "$e"
    t0=${EPOCHREALTIME/./}
    "${BUILD[@]}" --network none "$@" -t "bench-$c" "$T/ctx/$c" 2>&1 | stamp "$t0" >"$out"
}
# build ROUND CASE PHASE ENGINE: a timed build, its output in out/
build() {
    local round=$1 c=$2 phase=$3 e=$4 flags=()
    local out="$T/out/$round-$c-$phase-$e.txt"
    if [[ $phase == cold && $COLD == no-cache ]]; then flags=(--no-cache); fi
    if [[ $SYNC == 1 ]]; then sync; fi
    timed "$round" "$c $phase" "$e" build_one "$e" "$c" "$out" "${flags[@]}"
    { echo "== round $round: $e $c $phase"; cut -d' ' -f2- "$out"; } >>"$LOG"
}
# sink ROUND CASE: the docker CLI's build of CASE against the sink
sink() {
    local out="$T/out/$1-$2-sink-skiff.txt"
    if [[ $SYNC == 1 ]]; then sync; fi
    timed "$1" "$2 sink" skiff sink_one "$2" "$out"
}
sink_one() {
    local t0=${EPOCHREALTIME/./}
    env DOCKER_BUILDKIT=0 "$DOCKER_CLI" -H "unix://$T/sink.sock" build --network none -t "bench-$1" "$T/ctx/$1" 2>&1 | stamp "$t0" >"$2"
}
# reset ENGINE: every image but the base images removed (the tags, then what
# prune leaves, until none is left)
reset() {
    local e=$1 ids id _
    eng "$e" rmi -f bench-small bench-debian >>"$LOG" 2>&1 || true
    for _ in 1 2 3 4 5; do
        eng "$e" image prune -f >>"$LOG" 2>&1 || true
        ids=$(eng "$e" images -a -q --no-trunc | sort -u | grep -vxF -f "$T/base-$e.ids" || true)
        [[ -n $ids ]] || return 0
        for id in $ids; do eng "$e" rmi -f "$id" >>"$LOG" 2>&1 || true; done
    done
    echo "$e: images left after the reset: $ids" >&2
}
reset_all() {
    local e
    if [[ $COLD == clean ]]; then
        for e in "${COLS[@]}"; do reset "$e"; done
    fi
    sync
    if [[ $SETTLE != 0 ]]; then sleep "$SETTLE"; fi
}
# touch_file CASE ROUND: one line appended to the case's touched file
touch_file() { printf 'edited in round %s\n' "$2" >>"$T/ctx/$1/${TOUCH[$1]}"; }

if [[ $WARMUP == 1 ]]; then
    say "warm-up: one build of each context per engine"
    for c in $CASES; do
        for e in "${COLS[@]}"; do
            build_one "$e" "$c" "$T/out/warmup-$c-$e.txt" >>"$LOG" 2>&1 \
                || { echo "$e: warm-up build of $c failed:" >&2; tail -20 "$T/out/warmup-$c-$e.txt" >&2; exit 1; }
        done
    done
    reset_all
fi

n=${#COLS[@]}
say "$ROUNDS rounds: $CASES; cold, cached, touched"
loadavg rounds
for ((round = 1; round <= ROUNDS; round++)); do
    for c in $CASES; do
        for phase in cold cached touched; do
            if [[ $phase == touched ]]; then touch_file "$c" "$round"; fi
            for ((k = 0; k < n; k++)); do build "$round" "$c" "$phase" "$(col_at "$round" "$k")"; done
        done
        sink "$round" "$c"
    done
    for ((k = 0; k < n; k++)); do
        e=$(col_at "$round" "$k")
        floor_argv "$e"
        timed "$round" "floor" "$e" "${FLOOR[@]}"
    done
    if ((round == 1)); then
        for e in "${COLS[@]}"; do
            root=$T/$e; [[ $e == skiff-cli ]] && root=$T/skiff2
            [[ $e == docker ]] && root=$T/docker/data
            [[ $e == podman ]] && root=$T/podman/root
            note "after round 1: $e has $(eng "$e" images -a -q | wc -l) images (-a), data root $(du -sh "$root" 2>/dev/null | cut -f1)"
        done
    fi
    reset_all
    say "round $round/$ROUNDS done"
done
loadavg end
note "date_utc_end $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# ------------------------------------------------------------------ the tables
python3 - "$T" "$ROUNDS" "$FAIL" "$HERE" "$COLD" "$CASES" "${COLS[*]}" <<'EOF'
import glob, os, re, sys
T, rounds, fails, here, cold = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
cases, cols = sys.argv[6].split(), sys.argv[7].split()
sys.path.insert(0, here)
from lib import median, num, print_env, ratio, read_samples, table
names = {"skiff": "skiff", "skiff-cli": "skiff build", "docker": "docker", "podman": "podman"}
phases = ["cold", "cached", "touched"]
samples, failed = read_samples(T)
med = {k: median(us for _, us in v) / 1000 for k, v in samples.items()}

# the builds' outputs: cache hits, and the time of each step
step_re = re.compile(r"^(?:\[\d+/\d+\] )?(?:STEP|Step) \d+/\d+ ?: ")
hits, steps = {}, {}
for f in glob.glob(os.path.join(T, "out", "*.txt")):
    if os.path.basename(f).startswith("warmup-"):
        continue
    round_, case, phase, col = os.path.basename(f)[:-4].split("-", 3)
    total = dict((r, us) for r, us in samples.get((f"{case} {phase}", col), [])).get(int(round_))
    if total is None:
        continue
    marks, h = [], 0
    for line in open(f, errors="replace"):
        t, _, text = line.rstrip("\n").partition(" ")
        if step_re.match(text):
            marks.append(int(t))
        if "Using cache" in text:
            h += 1
    hits.setdefault((case, phase, col), []).append(h)
    if marks:
        bounds = [0] + marks + [total]
        for i in range(len(bounds) - 1):
            steps.setdefault((case, phase, col, i), []).append((bounds[i + 1] - bounds[i]) / 1000)

def instructions(case):
    text = open(os.path.join(T, "ctx", case, "Dockerfile")).read().replace("\\\n", " ")
    return [re.sub(r"\s+", " ", l.strip()) for l in text.split("\n") if l.strip() and not l.startswith("#")]

def cell(key):
    v = med.get(key)
    c = "" if v is None else num(v)
    if failed.get(key):
        c += f" ({failed[key]} failed)"
    return c

titles = {"small": "small (busybox: 8 steps)", "debian": "debian (multi-stage on debian:bookworm)"}
what = {"cold": "cold build" + (" (`--no-cache`)" if cold == "no-cache" else " (store emptied but for the bases)"),
        "cached": "cached rebuild (nothing changed)", "touched": "rebuild after one source file changed"}
others = [c for c in cols if c not in ("skiff", "skiff-cli")]
print(f"Builds: medians of {rounds} interleaved rounds (ms); skiff through the docker CLI 28 "
      "(DOCKER_BUILDKIT=0), dockerd 20.10's classic builder, podman build --layers; every build --network none.\n")
head = ["build"] + [names[c] for c in cols] + [f"{c}/skiff" for c in others]
rows_main = []
for case in cases:
    for phase in phases:
        key = f"{case} {phase}"
        rows_main.append([f"{case}: {what[phase]}"] + [cell((key, c)) for c in cols]
                    + [ratio(med.get((key, o)), med.get((key, "skiff"))) for o in others])
    rows_main.append([f"{case}: the docker CLI alone (the same build sent to a server that reads the context and answers at once)"]
                     + [cell((f"{case} sink", c)) if c == "skiff" else "" for c in cols] + ["" for o in others])
rows = [["client floor: `version` (the CLI's start and one request; podman: no daemon)"]
        + [cell(("floor", c)) for c in cols] + ["" for o in others]]
table(head, rows_main + rows)

print("\nTargets of the issue: a cached rebuild at least 3x faster than both, a cold build no slower than either.\n")
for s in [c for c in cols if c in ("skiff", "skiff-cli")]:
    for case in cases:
        for phase, need, words in (("cached", 3.0, "at least 3x faster than"), ("cold", 1.0, "no slower than")):
            key = f"{case} {phase}"
            mine = med.get((key, s))
            rs = {o: (med.get((key, o)) / mine if mine and med.get((key, o)) else None) for o in others}
            ok = all(r is not None and r >= need for r in rs.values())
            detail = ", ".join(f"{o}/{names[s]} {r:.2f}x" if r is not None else f"{o}: no data" for o, r in rs.items())
            print(f"- {names[s]}, {case}, {phase}: {words} both: **{'met' if ok else 'NOT met'}** ({detail})")

print("\nCache hits per build (`Using cache` lines; the range over the rounds when it varies):\n")
head = ["build"] + [names[c] for c in cols]
rows = []
for case in cases:
    for phase in phases:
        r = [f"{case}: {phase}"]
        for c in cols:
            v = hits.get((case, phase, c), [])
            r.append("" if not v else str(min(v)) if min(v) == max(v) else f"{min(v)}-{max(v)}")
        rows.append(r)
table(head, rows)

for case in cases:
    ins = instructions(case)
    print(f"\nWhere the time goes, {titles[case]}: medians (ms) from each step's line to the next; "
          "'context' is the time before the first step.\n")
    head = ["step"] + [f"{p} {names[c]}" for p in phases for c in cols]
    rows = []
    nsteps = max([i for (ca, _, _, i) in steps if ca == case] + [-1]) + 1
    for i in range(nsteps):
        label = "context" if i == 0 else (ins[i - 1] if i - 1 < len(ins) else f"step {i}")
        if len(label) > 48:
            label = label[:45] + "..."
        label = label.replace("|", "\\|")
        rows.append([f"{i}. `{label}`" if i else label]
                    + [num(median(steps.get((case, p, c, i), []))) for p in phases for c in cols])
    table(head, rows)

if fails:
    print(f"\n{fails} build(s) failed (see stderr); their samples are left out of the medians.")
print_env(T)
EOF
if [[ $KEEP_TMP == 1 ]]; then
    echo >&2
    echo "samples: $T/samples.csv, build outputs in $T/out/, logs in $T" >&2
fi
