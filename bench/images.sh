#!/usr/bin/env bash
# bench/images.sh: loading and unpacking a ~220 MB, 4-layer image with skiff's
# image store, podman, dockerd and umoci, against raw floors on the same data.
#
# The image (made once with a fixed seed, cached in the work dir):
#   layer 1  the busybox rootfs (scripts/make-busybox-rootfs.sh)          ~2 MB
#   layer 2  SMALL_FILES files of 1-8 KiB (log-uniform, text-like) in
#            app/dNN/eNN/, 50 per directory                             ~84 MB
#   layer 3  four large files of random bytes (BIG_MB in all)         ~126 MB
#   layer 4  500 modified small files, 300 file whiteouts, a directory
#            whiteout, an opaque directory, a deleted and a replaced
#            large file, /bin/vi deleted, /etc/passwd changed          ~9 MB
# as a `docker save` archive (manifest.json, config with diff_ids and history,
# uncompressed layer tars) and as an oci-archive with gzip layers (`skopeo
# copy`, which compresses), plus a busybox-only docker archive. For a given
# seed the docker archives are byte-identical from run to run; the oci-archive
# holds the same blobs (only its outer tar's mtimes differ).
#
# Measured, round-robin (each round runs every column of a measurement once,
# the order rotating from round to round, each into a fresh empty store or
# directory; the page cache is warm and not dropped; `sync` before each
# command so nobody pays for the previous one's writeback):
#   load docker-archive   skiff-bench load | podman load -i | docker load -i
#                         (a fresh dockerd with an empty data root per round)
#   load oci-archive gz   skiff-bench load | podman load -i  (dockerd 20.10
#                         cannot load OCI archives)
#   unpack                skiff-bench unpack (stored gzip blobs -> one merged
#                         tree, whiteouts applied; no digest checks: the store
#                         verified them at load) | umoci unpack (the same
#                         from an OCI layout, plus blob digest checks and an
#                         mtree manifest of every file, i.e. hashing it again)
#   prepare               skiff-bench prepare STORE IMAGE PREPARE_N: overlay
#                         container root made (timed inside), then unmounted
#                         and removed; on the big image and on busybox alone
#   floors                gzip -dc of the gzip layers, zstd -dc of zstd copies,
#                         sha256sum and tar -xf (into an empty dir) of the
#                         uncompressed layers, cp of the docker archive, and
#                         `openssl dgst -sha256` (SHA-NI; coreutils' sha256sum
#                         has no such code path) when openssl is installed
# and prints the medians as a markdown table, then where skiff's load time goes
# and the spread of the rounds.
#
# Deletions: nothing is deleted until all rounds are done (each round has its
# own directories, and dockerd is restarted on an empty data root rather than
# emptied with rmi + prune). On ext4 without a journal, as on this host's root
# filesystem, creating inodes within a minute of deleting many (up to 6 min if
# not yet written back) is several times slower (ext4 skips recently deleted
# inodes, checking each: recently_deleted() in fs/ext4/ialloc.c), so deleting
# between rounds would charge one round's cleanup to the next round's first
# commands. Hence the disk space: about 2.5 GB per round, freed at the end.
#
# Usage:  bench/images.sh           (ROUNDS=5: about 6 minutes on 2 vCPUs,
#                                   13 GB of disk in the work dir)
#
# Environment knobs (defaults in brackets):
#   ROUNDS [5]            rounds
#   PREPARE_N [50]        container roots per prepare run (one run per round)
#   SEED [1]  SMALL_FILES [20000]  BIG_MB [120]   the generated image
#   SKIFF_BENCH [<repo>/.build-bench/release/skiff-bench], built with
#       swift build -c release --static-swift-stdlib --product skiff-bench --scratch-path .build-bench
#   SKIP ['']             columns to leave out, any of: podman docker umoci
#   PODMAN_DRIVER [auto]  overlay or vfs; auto: overlay if it loads an image here
#   WORK [mktemp -d /tmp/skiff-imgbench.XXXXXX]  work dir; everything is
#                         written inside it (an existing WORK must be empty or
#                         one this script made before: the image is reused)
#   KEEP_WORK [0]         1: keep the work dir (image cache, samples.csv, logs)
#   SETTLE [60 on ext4 without a journal, else 0]  seconds to wait (after a
#                         sync) before the first round, so that deletions made
#                         just before the run (by anyone) have aged out
#
# Needs root, bash >= 5, python3, GNU tar, gzip, zstd, skopeo, busybox-static;
# podman, dockerd (Debian's docker.io) and umoci for their columns.
# Isolation: podman and dockerd run in private mount namespaces with tmpfs on
# /run and /var/tmp (dockerd also gets an overlay on /etc: 20.10 writes
# /etc/docker/key.json), their roots, sockets and configs in the work dir;
# dockerd gets no bridge, iptables or ip-forward changes. At exit everything
# under the work dir is unmounted, dockerd is stopped, leftover processes that
# name the work dir are killed (by pid), and the work dir is removed.
set -euo pipefail
export LC_ALL=C

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$HERE/.." && pwd -P)
ROUNDS=${ROUNDS:-5}
PREPARE_N=${PREPARE_N:-50}
SEED=${SEED:-1}
SMALL_FILES=${SMALL_FILES:-20000}
BIG_MB=${BIG_MB:-120}
SKIP=" ${SKIP:-} "
PODMAN_DRIVER=${PODMAN_DRIVER:-auto}
KEEP_WORK=${KEEP_WORK:-0}
SKIFF_BENCH=${SKIFF_BENCH:-$REPO/.build-bench/release/skiff-bench}
MARK=.skiff-images-bench

die() { echo "images.sh: $*" >&2; exit 1; }
say() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
[[ $EUID -eq 0 ]] || die "needs root"
[[ -n "${EPOCHREALTIME:-}" ]] || die "needs bash >= 5"
[[ -x "$SKIFF_BENCH" ]] || die "no $SKIFF_BENCH; build it with: swift build -c release --static-swift-stdlib --product skiff-bench --scratch-path .build-bench"
PY=$(command -v /usr/bin/python3 || command -v python3) || die "needs python3"
for c in tar gzip zstd sha256sum skopeo unshare sync; do command -v "$c" >/dev/null || die "needs $c"; done

COLS=(skiff)
NOTES=()
# which skiff was measured (an incremental build can leave a stale object behind)
stale=$(find "$REPO/Sources" "$REPO/Package.swift" -newer "$SKIFF_BENCH" -type f 2>/dev/null | wc -l)
provenance="skiff: $SKIFF_BENCH built $(date -u -r "$SKIFF_BENCH" +%Y-%m-%dT%H:%MZ), repo at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
if [[ -n "$(git -C "$REPO" status --porcelain -- Sources Package.swift 2>/dev/null || true)" ]]; then
    provenance+=" with uncommitted changes in Sources/"
fi
if ((stale > 0)); then provenance+="; WARNING: $stale source file(s) are newer than the binary, rebuild it"; fi
NOTES+=("$provenance")
have_col() { [[ " ${COLS[*]} " == *" $1 "* ]]; }
for c in podman umoci; do
    if [[ $SKIP == *" $c "* ]]; then NOTES+=("$c: skipped (SKIP)")
    elif command -v "$c" >/dev/null; then COLS+=("$c")
    else NOTES+=("$c: not installed, column skipped"); fi
done
# The docker CLI that matches Debian's dockerd 20.10 (a newer one in /usr/local works too).
DOCKER_CLI=$(command -v /usr/bin/docker || command -v docker || true)
if [[ $SKIP == *" docker "* ]]; then NOTES+=("docker: skipped (SKIP)")
elif command -v dockerd >/dev/null && [[ -n "$DOCKER_CLI" ]]; then COLS+=(docker)
else NOTES+=("docker: dockerd or docker CLI not installed, column skipped"); fi

# ---------------------------------------------------------------- work dir
if [[ -n "${WORK:-}" ]]; then
    mkdir -p -- "$WORK"
    W=$(cd -- "$WORK" && pwd -P)
    [[ $W != / ]] || die "WORK=/ ?"
    if [[ ! -e "$W/$MARK" && -n "$(ls -A -- "$W")" ]]; then
        die "WORK=$W is not empty and not made by this script"
    fi
else
    W=$(mktemp -d /tmp/skiff-imgbench.XXXXXX)
fi
touch "$W/$MARK"
DATA=$W/data      # the generated image (cached)
STORES=$W/stores  # skiff stores loaded once (unpack and prepare read them)
R=$W/round        # R/<round>/: that round's stores and directories (kept until the end)
LOG=$W/commands.log
SAMPLES=$W/samples.csv
PREP=$W/prepare.csv
mkdir -p "$DATA" "$W/tmp" "$R"
need_gb=$((ROUNDS * 5 / 2 + 2))
avail_gb=$(($(df --output=avail -B1G "$W" | tail -1)))
((avail_gb >= need_gb)) || die "$W has ${avail_gb} GB free, needs about ${need_gb} GB (2.5 GB per round)"
fs_dev=$(findmnt -n -o SOURCE --target "$W" 2>/dev/null || true)
if [[ "$(findmnt -n -o FSTYPE --target "$W" 2>/dev/null)" == ext4 && -n "$fs_dev" ]] \
    && ! ls /proc/fs/jbd2 2>/dev/null | grep -q "^$(basename "$fs_dev")-"; then
    NOTES+=("the work dir is on ext4 without a journal ($fs_dev): file creation there slows down for a minute or more after mass deletions, so nothing is deleted during the rounds, and the first round waited ${SETTLE:-60} s after setup")
    SETTLE=${SETTLE:-60}
fi
SETTLE=${SETTLE:-0}
: >"$LOG"
echo "round,row,col,real_s,user_s,sys_s,rc" >"$SAMPLES"
echo "image,round,ms" >"$PREP"
export TMPDIR=$W/tmp DOCKER_CONFIG=$W/docker-cli

before_host=$(ls -A /run /var/tmp /etc/docker 2>&1 || true)
DOCKERD_PID=
DOCKERD_ERR=
dockerd_stop() { :; }   # (defined below)

# Run "$@" in a private mount namespace with fresh tmpfs on /run and
# /var/tmp, and (for dockerd) /etc overlaid with an upper dir in $W.
NS_SH='set -e; mount -t tmpfs none /run; mount -t tmpfs none /var/tmp; exec "$@"'
NS_ETC_SH='set -e; mkdir -p "$0/up" "$0/work"
mount -t tmpfs none /run; mount -t tmpfs none /var/tmp
mount -t overlay overlay -o lowerdir=/etc,upperdir="$0/up",workdir="$0/work" /etc; exec "$@"'
isolated() { unshare -m --propagation private sh -c "$NS_SH" sh "$@"; }

cleanup() {
    local rc=$?
    set +e
    dockerd_stop
    # processes still naming the work dir (containerd after a killed dockerd, ...)
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [[ $p == "$$" || $p == "$BASHPID" ]] && continue
        if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$W/"; then kill -KILL "$p" 2>/dev/null; fi
    done
    # mounts under the work dir in this namespace (there should be none: every
    # mounter ran in its own namespace)
    awk -v w="$W" '$5 == w || index($5, w "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -l "$m"; done
    if [[ $KEEP_WORK == 1 ]]; then
        echo "kept $W" >&2
    else
        rm -rf -- "$W"
    fi
    local after_host
    after_host=$(ls -A /run /var/tmp /etc/docker 2>&1 || true)
    [[ "$after_host" == "$before_host" ]] || echo "images.sh: warning: /run, /var/tmp or /etc/docker changed during the run" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- the image
gen_stamp="seed=$SEED small=$SMALL_FILES big=$BIG_MB gen=$(sed -n '/^ *# ---- generator$/,/^ *# ---- end generator$/p' "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16) busybox=$(sha256sum </bin/busybox | cut -c1-16)"
if [[ "$(cat "$DATA/stamp" 2>/dev/null)" != "$gen_stamp" ]]; then
    say "generating the test image in $DATA"
    rm -rf "$DATA" && mkdir -p "$DATA"
    "$REPO/scripts/make-busybox-rootfs.sh" "$DATA/bbroot" >/dev/null
    tar --numeric-owner --sort=name --mtime=@0 -C "$DATA/bbroot" -cf "$DATA/layer1.tar" .
    rm -rf "$DATA/bbroot"
    # ---- generator
    "$PY" - "$DATA" "$SEED" "$SMALL_FILES" "$BIG_MB" <<'EOF'
import hashlib, io, json, math, os, random, sys, tarfile

out, seed, n_small, big_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
MTIME = 1700000000

def info(name, kind=tarfile.REGTYPE, size=0, mode=None):
    t = tarfile.TarInfo(name)
    t.type, t.size, t.mtime = kind, size, MTIME
    t.uid = t.gid = 0
    t.uname = t.gname = "root"
    t.mode = mode if mode is not None else (0o755 if kind == tarfile.DIRTYPE else 0o644)
    return t

class Layer:
    """A layer tar; parent directories get entries before their first child."""
    def __init__(self, path):
        self.path, self.dirs = path, set()
        self.tar = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)
    def dir(self, name):
        parts = name.split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.dirs:
                self.dirs.add(d)
                self.tar.addfile(info(d + "/", tarfile.DIRTYPE))
    def file(self, name, data):
        if "/" in name:
            self.dir(name.rsplit("/", 1)[0])
        self.tar.addfile(info(name, size=len(data)), io.BytesIO(data))
    def close(self):
        self.tar.close()

# Text-like content (compresses about as well as source code) for small files.
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 10))) for _ in range(3000)]
lines, size = [], 0
while size < (2 << 20):
    line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 14))) + "\n"
    lines.append(line)
    size += len(line)
corpus = "".join(lines).encode()
def text():
    n = int(math.exp(rng.uniform(math.log(1024), math.log(8192))))  # 1-8 KiB, log-uniform
    off = rng.randrange(0, len(corpus) - n)
    return corpus[off:off + n]

layers = [f"{out}/layer1.tar"]  # the busybox rootfs, made by the caller

L = Layer(f"{out}/layer2.tar")
small, per_dir = [], 50
fan = max(1, math.ceil(math.sqrt(max(1, n_small // per_dir))))
for i in range(n_small):
    d = i // per_dir
    name = f"app/d{d // fan:02d}/e{d % fan:02d}/f{i % per_dir:03d}.txt"
    L.file(name, text())
    small.append(name)
L.close(); layers.append(L.path)

L = Layer(f"{out}/layer3.tar")
for k, share in enumerate([0.4, 0.3, 0.2, 0.1]):
    L.file(f"data/blob-{k}.bin", rng.randbytes(int(big_mb * share) << 20))
L.close(); layers.append(L.path)

L = Layer(f"{out}/layer4.tar")
special = ("app/d01/e02/", "app/d03/e04/")  # whited out / made opaque below: nothing else of this layer in them
picks = rng.sample([n for n in small if not n.startswith(special)], min(len(small) // 2, 800))
modified, deleted = sorted(picks[:500]), sorted(picks[500:])
L.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n"
       b"app:x:2000:2000:app:/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
L.file("bin/.wh.vi", b"")                        # a file of layer 1 deleted
for name in modified:
    L.file(name, text())
for name in deleted:
    d, f = name.rsplit("/", 1)
    L.file(f"{d}/.wh.{f}", b"")
L.file("app/d01/.wh.e02", b"")                   # a whole directory deleted
L.file("app/d03/e04/.wh..wh..opq", b"")          # opaque: layer 2's files there hidden
for c in range(5):
    L.file(f"app/d03/e04/new{c}.txt", text())
L.file("data/.wh.blob-3.bin", b"")               # a large file deleted
L.file("data/blob-2.bin", rng.randbytes(int(big_mb * 0.05) << 20))  # and one replaced
L.close(); layers.append(L.path)

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()

def docker_archive(path, tag, layer_paths, comments):
    diffs = [sha256(p) for p in layer_paths]
    config = {
        "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diffs]},
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": c} for c in comments],
    }
    cbytes = json.dumps(config, separators=(",", ":")).encode()
    chex = hashlib.sha256(cbytes).hexdigest()
    manifest = json.dumps([{"Config": chex + ".json", "RepoTags": [tag],
                            "Layers": [d + "/layer.tar" for d in diffs]}]).encode()
    repo, t = tag.rsplit(":", 1)
    repositories = json.dumps({repo: {t: diffs[-1]}}).encode()
    with tarfile.open(path + ".tmp", "w", format=tarfile.PAX_FORMAT) as tf:
        for d, p in zip(diffs, layer_paths):
            tf.addfile(info(d + "/", tarfile.DIRTYPE))
            tf.addfile(info(d + "/VERSION", size=3), io.BytesIO(b"1.0"))
            j = json.dumps({"id": d}).encode()
            tf.addfile(info(d + "/json", size=len(j)), io.BytesIO(j))
            with open(p, "rb") as f:
                tf.addfile(info(d + "/layer.tar", size=os.path.getsize(p)), f)
        tf.addfile(info(chex + ".json", size=len(cbytes)), io.BytesIO(cbytes))
        tf.addfile(info("manifest.json", size=len(manifest)), io.BytesIO(manifest))
        tf.addfile(info("repositories", size=len(repositories)), io.BytesIO(repositories))
    os.rename(path + ".tmp", path)

comments = ["busybox rootfs", f"{n_small} small files", "large random files", "modifications and whiteouts"]
docker_archive(f"{out}/image.tar", "bench/images:latest", layers, comments)
docker_archive(f"{out}/bb.tar", "bench/bb:latest", layers[:1], comments[:1])
EOF
    # ---- end generator
    skopeo copy -q "docker-archive:$DATA/image.tar" "oci-archive:$DATA/image-oci.tar:latest" \
        || die "skopeo copy to oci-archive failed"
    mkdir -p "$DATA/oci" && tar -C "$DATA/oci" -xf "$DATA/image-oci.tar"
    # the gzip layer blobs, in manifest order
    "$PY" - "$DATA/oci" >"$DATA/gz-layers.txt" <<'EOF'
import json, sys
d = sys.argv[1]
idx = json.load(open(f"{d}/index.json"))
m = json.load(open(f"{d}/blobs/" + idx["manifests"][0]["digest"].replace(":", "/")))
for l in m["layers"]:
    assert "gzip" in l["mediaType"], l["mediaType"]
    print(f"{d}/blobs/" + l["digest"].replace(":", "/"))
EOF
    for i in 1 2 3 4; do zstd -q -3 -T0 "$DATA/layer$i.tar" -o "$DATA/layer$i.tar.zst"; done
    echo "$gen_stamp" >"$DATA/stamp"
else
    say "reusing the test image in $DATA"
fi
LAYERS=("$DATA"/layer{1,2,3,4}.tar)
ZST=("$DATA"/layer{1,2,3,4}.tar.zst)
mapfile -t GZ <"$DATA/gz-layers.txt"
mb() { du -cb "$@" | tail -1 | awk '{printf "%.0f", $1 / 1048576}'; }
SIZES="docker archive $(mb "$DATA/image.tar") MiB (layers $(mb "${LAYERS[@]}") MiB uncompressed), oci-archive $(mb "$DATA/image-oci.tar") MiB (gzip layers $(mb "${GZ[@]}") MiB), zstd copies $(mb "${ZST[@]}") MiB"
say "$SIZES"

# ---------------------------------------------------------------- podman
CONTAINERS_CONF=$W/containers.conf
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
EOF
export CONTAINERS_CONF
pm() { # pm ROOT ARGS...: podman on its own store ROOT
    local root=$1; shift
    isolated podman --root "$root/root" --runroot "$root/run" --storage-driver "$PODMAN_DRIVER" \
        --cgroup-manager cgroupfs --events-backend none "$@"
}
if have_col podman; then
    if [[ $PODMAN_DRIVER == auto ]]; then
        PODMAN_DRIVER=overlay
        if pm "$W/podman-probe" load -q -i "$DATA/bb.tar" >>"$LOG" 2>&1; then
            NOTES+=("podman: storage driver overlay (native overlay diff)")
        else
            PODMAN_DRIVER=vfs
            NOTES+=("podman: overlay storage failed here (see commands.log), used vfs: every layer is a full copy of the tree below it")
        fi
        rm -rf "$W/podman-probe"
    else
        NOTES+=("podman: storage driver $PODMAN_DRIVER (PODMAN_DRIVER)")
    fi
fi

# ---------------------------------------------------------------- dockerd
DKSOCK=
dk() { "$DOCKER_CLI" -H "unix://$DKSOCK" "$@"; }
# dockerd_start N: a dockerd with an empty data root in $W/docker/N
dockerd_start() {
    local dk=$W/docker/$1
    mkdir -p "$dk"
    DKSOCK=$dk/docker.sock
    unshare -m --propagation private sh -c "$NS_ETC_SH" "$dk/etc" \
        dockerd --data-root "$dk/data" --exec-root "$dk/exec" --pidfile "$dk/docker.pid" \
        -H "unix://$DKSOCK" --bridge none --iptables=false --ip6tables=false \
        --ip-masq=false --ip-forward=false --userland-proxy=false >"$dk/dockerd.log" 2>&1 &
    DOCKERD_PID=$!   # unshare and sh exec, so this is dockerd
    for _ in $(seq 150); do
        dk info >/dev/null 2>&1 && { sleep 2; return 0; }   # (and let it settle)
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 0.2
    done
    DOCKERD_ERR=$(grep -m1 -iE 'level=(fatal|error)' "$dk/dockerd.log" || tail -1 "$dk/dockerd.log")
    dockerd_stop
    return 1
}
dockerd_stop() {
    [[ -n "$DOCKERD_PID" ]] || return 0
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    DOCKERD_PID=
}
if have_col docker; then
    say "starting dockerd"
    if dockerd_start 1; then
        NOTES+=("docker: dockerd $(dk version --format '{{.Server.Version}}'), storage driver $(dk info --format '{{.Driver}}'), CLI $DOCKER_CLI, a fresh dockerd and data root per round; it keeps no compressed blobs")
    else
        NOTES+=("docker: dockerd did not start ($DOCKERD_ERR), column skipped")
        COLS=("${COLS[@]/docker/}")
    fi
fi

# ---------------------------------------------------------------- skiff stores read by unpack and prepare
say "loading the skiff stores for unpack and prepare"
rm -rf "$STORES"; mkdir -p "$STORES"
"$SKIFF_BENCH" load "$STORES/big" "$DATA/image.tar" >>"$LOG" 2>&1 || die "skiff-bench load of image.tar failed (see $LOG)"
"$SKIFF_BENCH" load "$STORES/bb" "$DATA/bb.tar" >>"$LOG" 2>&1 || die "skiff-bench load of bb.tar failed"
"$SKIFF_BENCH" load "$STORES/oci" "$DATA/image-oci.tar" >>"$LOG" 2>&1 || die "skiff-bench load of image-oci.tar failed"

# ---------------------------------------------------------------- timing
FAIL=0
ROUND=0
TIMEFORMAT='%3R %3U %3S'
# timed ROW COL CMD...: wall, user and system time of CMD (and its children)
timed() {
    local row=$1 col=$2 rc=0 t; shift 2
    sync
    echo "== round $ROUND $row $col: $*" >>"$LOG"
    { time "$@" </dev/null >>"$LOG" 2>&1 || rc=$?; } 2>"$W/.time"
    t=$(tail -1 "$W/.time")
    echo "$ROUND,$row,$col,${t// /,},$rc" >>"$SAMPLES"
    if [[ $rc -ne 0 ]]; then
        FAIL=$((FAIL + 1))
        echo "round $ROUND: $col $row failed (exit $rc); the end of its output (all of it in $LOG, kept with KEEP_WORK=1):" >&2
        tail -3 "$LOG" | sed 's/^/    /' >&2
    fi
}
# rotate CELL...: run the cells ("ROW COL FUNCTION"), order rotated by round
rotate() {
    local n=$# k; local -a cells=("$@")
    for ((k = 0; k < n; k++)); do
        # shellcheck disable=SC2086
        timed ${cells[$(((k + ROUND) % n))]}
    done
}

load_d_skiff() { "$SKIFF_BENCH" load "$RR/skiff-d" "$DATA/image.tar"; }
load_d_podman() { pm "$RR/podman-d" load -q -i "$DATA/image.tar"; }
load_d_docker() { dk load -q -i "$DATA/image.tar"; }
load_o_skiff() { "$SKIFF_BENCH" load "$RR/skiff-o" "$DATA/image-oci.tar"; }
load_o_podman() { pm "$RR/podman-o" load -q -i "$DATA/image-oci.tar"; }
unpack_skiff() { "$SKIFF_BENCH" unpack "$STORES/oci" "$RR/unpack-skiff"; }
unpack_umoci() { umoci unpack --image "$DATA/oci:latest" "$RR/unpack-umoci"; }
floor_gzip() { gzip -dc "${GZ[@]}" >/dev/null; }
floor_zstd() { zstd -q -dc "${ZST[@]}" >/dev/null; }
floor_sha() { sha256sum "${LAYERS[@]}"; }
floor_openssl() { openssl dgst -sha256 "${LAYERS[@]}"; }
floor_tar() { mkdir "$RR/tarx" && for l in "${LAYERS[@]}"; do tar -C "$RR/tarx" -xf "$l" || return; done; }
floor_cp() { cp "$DATA/image.tar" "$RR/copy.tar"; }
# prepare IMAGE STORE REF: PREPARE_N container roots, each timed inside
# skiff-bench (in a private mount namespace, so no mount can outlive it)
prepare() {
    local name=$1 store=$2 ref=$3 out=$RR/prepare-$1.out
    timed "prepare_cycle_$name" skiff unshare -m --propagation private \
        sh -c 'exec "$0" prepare "$1" "$2" "$3" >"$4"' "$SKIFF_BENCH" "$store" "$ref" "$PREPARE_N" "$out"
    awk -v n="$name" -v r="$ROUND" '$1 + 0 == $1 {print n "," r "," $1}' "$out" >>"$PREP" 2>/dev/null || true
}

LOAD_D=("load_d skiff load_d_skiff")
LOAD_O=("load_o skiff load_o_skiff")
UNPACK=("unpack skiff unpack_skiff")
have_col podman && LOAD_D+=("load_d podman load_d_podman") && LOAD_O+=("load_o podman load_o_podman")
have_col docker && LOAD_D+=("load_d docker load_d_docker")
have_col umoci && UNPACK+=("unpack umoci unpack_umoci")
FLOORS=("gzip floor floor_gzip" "zstd floor floor_zstd" "sha256 floor floor_sha" "tar floor floor_tar" "cp floor floor_cp")
command -v openssl >/dev/null && FLOORS+=("openssl floor floor_openssl")

# the data into the page cache
cat "$DATA/image.tar" "$DATA/image-oci.tar" "$DATA/bb.tar" "${LAYERS[@]}" "${ZST[@]}" >/dev/null
if ((SETTLE > 0)); then say "waiting ${SETTLE} s (SETTLE) for recent deletions to age out"; sync; sleep "$SETTLE"; fi

for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
    say "round $ROUND/$ROUNDS"
    RR=$R/$ROUND
    mkdir -p "$RR"
    # podman's fresh stores are initialised (empty) before the clock starts
    if have_col podman; then
        pm "$RR/podman-d" images >>"$LOG" 2>&1 || true; pm "$RR/podman-o" images >>"$LOG" 2>&1 || true
    fi
    rotate "${LOAD_D[@]}"
    rotate "${LOAD_O[@]}"
    rotate "${UNPACK[@]}"
    rotate "${FLOORS[@]}"
    if ((ROUND % 2)); then
        prepare big "$STORES/big" bench/images:latest; prepare bb "$STORES/bb" bench/bb:latest
    else
        prepare bb "$STORES/bb" bench/bb:latest; prepare big "$STORES/big" bench/images:latest
    fi
    if ((ROUND == ROUNDS)) && have_col umoci && [[ -d "$RR/unpack-skiff" && -d "$RR/unpack-umoci/rootfs" ]]; then
        if diff -rq --no-dereference "$RR/unpack-skiff" "$RR/unpack-umoci/rootfs" >"$W/unpack.diff" 2>&1; then
            NOTES+=("unpack: skiff's tree and umoci's rootfs are identical (diff -r)")
        else
            NOTES+=("unpack: skiff's tree and umoci's rootfs DIFFER: $(wc -l <"$W/unpack.diff") lines of diff -rq, first: $(head -1 "$W/unpack.diff")")
        fi
    fi
    # the next round's docker store: a fresh dockerd (see "Deletions" above)
    if have_col docker && ((ROUND < ROUNDS)); then
        dockerd_stop
        dockerd_start "$((ROUND + 1))" || NOTES+=("docker: dockerd for round $((ROUND + 1)) did not start: $DOCKERD_ERR")
    fi
done
[[ -z $(find "$STORES" -mindepth 1 -path '*/active/*' -print -quit 2>/dev/null) ]] || NOTES+=("prepare: left container roots behind in $STORES")

# ---------------------------------------------------------------- table
"$PY" - "$SAMPLES" "$PREP" "$ROUNDS" "$FAIL" "$PREPARE_N" "$SIZES" "${COLS[*]}" "${NOTES[@]+"${NOTES[@]}"}" <<'EOF'
import csv, statistics, sys
samples, prep, rounds, fails, n_prep, sizes, cols_present, notes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7].split(), sys.argv[8:]
wall, cpu, failed = {}, {}, {}
for r in csv.DictReader(open(samples)):
    if r["rc"] != "0":  # failed runs are counted, not timed
        failed[(r["row"], r["col"])] = failed.get((r["row"], r["col"]), 0) + 1
        continue
    wall.setdefault((r["row"], r["col"]), []).append(float(r["real_s"]))
    cpu.setdefault((r["row"], r["col"]), []).append(float(r["user_s"]) + float(r["sys_s"]))
W = {k: statistics.median(v) for k, v in wall.items()}
C = {k: statistics.median(v) for k, v in cpu.items()}
P = {}
for r in csv.DictReader(open(prep)):
    P.setdefault(r["image"], []).append(float(r["ms"]))

def s(v): return "" if v is None else f"{v:.2f} s"
def cell(row, col):
    v, n = W.get((row, col)), failed.get((row, col), 0)
    if not n: return s(v)
    return f"failed {n}/{rounds}" + ("" if v is None else f", {s(v)} for the rest")
def ms(v): return "" if v is None else f"{v:.2f} ms"
def q(vals, f): vals = sorted(vals); return vals[min(len(vals) - 1, int(f * len(vals)))]
def fl(name):
    if name == "sha256":  # the fastest sha256 measured
        vals = [v for v in (W.get(("sha256", "floor")), W.get(("openssl", "floor"))) if v is not None]
        return min(vals) if vals else None
    return W.get((name, "floor"))
def flc(name):
    if name == "sha256" and fl("sha256") == W.get(("openssl", "floor")): return C.get(("openssl", "floor"))
    return C.get((name, "floor"))
def total(*names):
    vals = [fl(n) for n in names]
    return None if None in vals else sum(vals)
def ratios(row, peers):
    a = W.get((row, "skiff"))
    out = []
    for p in peers:
        b = W.get((row, p))
        if a and b: out.append(f"{a / b:.2f} vs {p}")
    return ", ".join(out)

cols = ["measurement", "skiff", "podman", "docker", "umoci", "floor", "ratio (skiff/peer)"]
rows = []
def row(name, sk="", pm="", dk="", um="", floor="", ratio=""):
    rows.append([name, sk, pm, dk, um, floor, ratio])

f_load_d = total("sha256", "tar")
f_load_o = total("gzip", "sha256", "tar")
f_unpack = total("gzip", "tar")
row("load docker-archive (uncompressed)", cell("load_d", "skiff"), cell("load_d", "podman"),
    cell("load_d", "docker"), "", s(f_load_d) + " (sha256+tar)" if f_load_d else "", ratios("load_d", ["podman", "docker"]))
row("load oci-archive (gzip layers)", cell("load_o", "skiff"), cell("load_o", "podman"),
    "n/a (20.10 loads docker archives only)" if "docker" in cols_present else "", "", s(f_load_o) + " (gzip+sha256+tar)" if f_load_o else "", ratios("load_o", ["podman"]))
row("unpack gzip layers into one tree", cell("unpack", "skiff"), "", "", cell("unpack", "umoci"),
    s(f_unpack) + " (gzip+tar)" if f_unpack else "", ratios("unpack", ["umoci"]))
for img, label in (("big", "the 4-layer image"), ("bb", "busybox only, 1 layer")):
    v = P.get(img)
    if v:
        row(f"prepare container root ({label}), median of {len(v)}", ms(statistics.median(v)) + f" (p90 {ms(q(v, 0.9))})")
for img, label in (("big", "4 layers"), ("bb", "busybox")):
    v = W.get((f"prepare_cycle_{img}", "skiff"))
    if v: row(f"prepare + unmount + remove cycle ({label}), wall / {n_prep}", ms(v * 1000 / n_prep))
floor_rows = [("gzip", "gzip -dc of the 4 gzip layers"), ("zstd", "zstd -dc of zstd -3 copies of the layers"),
              ("sha256", "sha256sum of the 4 uncompressed layers"), ("openssl", "openssl dgst -sha256 of them (SHA-NI)"),
              ("tar", "tar -xf of the 4 layers into an empty dir"), ("cp", "cp of the docker archive")]
for key, label in floor_rows:
    v = W.get((key, "floor"))
    if v is not None: row("floor: " + label, floor=s(v))

print(f"Medians of {rounds} interleaved rounds (wall clock; warm page cache, `sync` before each command). {sizes}.\n")
print("| " + " | ".join(cols) + " |")
print("|" + "---|" * len(cols))
for r in rows:
    print("| " + " | ".join(r) + " |")

print("\nWhere the time goes (skiff load, medians; the floors' \"sha256\" is the faster of sha256sum and openssl):\n")
def line(label, v, c=None):
    if v is None: return
    extra = f", CPU {c:.2f} s" if c is not None else ""
    print(f"- {label}: {v:.2f} s{extra}")
ld, lo = W.get(("load_d", "skiff")), W.get(("load_o", "skiff"))
line("skiff load docker-archive", ld, C.get(("load_d", "skiff")))
line("  floor: sha256 of the layers (diff ids), fastest of sha256sum/openssl", fl("sha256"), flc("sha256"))
line("  floor: tar -xf of the layers (creating the files)", fl("tar"), flc("tar"))
line("  floor: cp of the archive (storing the blobs)", fl("cp"), flc("cp"))
t3 = total("sha256", "tar", "cp")
if ld and t3:
    print(f"  - sum of the three: {t3:.2f} s; skiff load / sum = {ld / t3:.2f}" + (" (below 1: they overlap on 2 cores)" if ld < t3 else ""))
line("skiff load oci-archive (gzip)", lo, C.get(("load_o", "skiff")))
line("  floor: gzip -dc of the layers (GNU gzip's own inflate; zlib, which skiff uses, is faster)", fl("gzip"), flc("gzip"))
t4 = total("gzip", "sha256", "tar")
if lo and t4:
    print(f"  - gzip + sha256 + tar: {t4:.2f} s; skiff load / that = {lo / t4:.2f}")
if fl("zstd") and fl("gzip"):
    print(f"  - zstd -dc would take {fl('zstd'):.2f} s instead of gzip's {fl('gzip'):.2f} s")
u = W.get(("unpack", "skiff"))
if u and f_unpack:
    print(f"- skiff unpack: {u:.2f} s vs gzip -dc + tar -xf {f_unpack:.2f} s (ratio {u / f_unpack:.2f})")
for p in ("podman", "docker"):
    v = W.get(("load_d", p))
    if v: print(f"- {p} load docker-archive: {v:.2f} s, CPU {C.get(('load_d', p)):.2f} s" +
                (" (CLI only: dockerd does the work)" if p == "docker" else ""))
print("\nSpread (min - median - max of the rounds, s):\n")
names = {"load_d": "load docker-archive", "load_o": "load oci-archive", "unpack": "unpack"}
for (r, c), v in sorted(wall.items()):
    if r.startswith("prepare_cycle"): continue
    print(f"- {names.get(r, r)} {c}: " + " - ".join(f"{x:.2f}" for x in (min(v), statistics.median(v), max(v))))
if fails:
    print(f"\n{fails} command(s) failed (see commands.log, KEEP_WORK=1 keeps it); their times are left out of the medians.")
for n in notes:
    print(f"\nNote: {n}")
EOF
