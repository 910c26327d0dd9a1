#!/usr/bin/env bash
# bench/registry.sh: registries, both sides, in one run.
#
# The image: a deterministic OCI layout written by Python in the temp dir
# (the same bytes every run for a given SEED and IMAGE_MB): busybox
# (scripts/make-busybox-image.sh) plus five generated layers, gzip level 6,
# tar and gzip headers without times: one random file (incompressible), 32
# random 1 MiB files, word text (compresses ~3x), bytes from a 16-symbol
# alphabet (~2x), 2000 small mixed files; about IMAGE_MB MB uncompressed.
#
# (a) clients: push and pull of that image against one registry, Debian's
#     docker-registry (distribution 2.8, /usr/bin/docker-registry serve, its
#     storage on DATA_FS), by
#       skiff    skiffd's pull/push, driven by `skiff push` / `skiff pull`
#       skopeo   `skopeo copy oci:LAYOUT docker://...` and back into a fresh
#                OCI layout directory (no unpacking: it only stores blobs)
#       podman   `podman push/pull --tls-verify=false`, overlay storage
#     Every tool starts from the same content: skopeo copies the layout into
#     the registry once, skiff and podman pull it from there (untimed set-up).
#     Each round, for each tool (the order rotating from round to round):
#     the registry stopped, its storage emptied, started again; `push` (cold:
#     every blob uploaded); `push again` (warm: every blob already there);
#     the local image removed (skiff rmi -f ID, podman rmi, the layout
#     directory; skiff and podman are checked to hold no image after it);
#     `pull` (every blob fetched; skiff and podman unpack the layers too).
# (b) servers: `skiff registry serve` (the skiff-registry executable) vs
#     docker-registry, the image pushed once into each (skopeo copy), then per
#     round, for each server (rotating): `skopeo pull` (skopeo copy to a fresh
#     OCI layout directory) and `curl blobs` (curl fetching the manifest, the
#     config and every layer in parallel, -Z, to /dev/null: the server's own
#     throughput); each server's memory: VmRSS and PSS (smaps_rollup) idle
#     before the round's pulls, and the peak during them (VmHWM after
#     clear_refs 5; PSS sampled every 50 ms).
# Blobs are read from the page cache in (b) (both servers alike).
#
# Prints the medians (ms, MB/s with MB = 10^6 bytes of the image's compressed
# blobs, MiB) and ratios peer/skiff as markdown tables, and whether the
# issue's target is met: skiff faster than every peer on both sides.
#
# Usage:  sudo bench/registry.sh            (ROUNDS=7: about 2.5 minutes on 2 vCPUs)
#         ROUNDS=1 IMAGE_MB=20 bench/registry.sh   (a check: 20 seconds)
#
# Environment knobs (defaults in brackets):
#   ROUNDS [7]          rounds
#   IMAGE_MB [200]      the image's uncompressed size (the layers scale)
#   SEED [1]            seed of the generated layers
#   PARTS [a b]         a: the clients; b: the servers
#   CLIENTS [skiff skopeo podman]   the clients of (a)
#   SYNC [1]            1: `sync` before each timed command
#   DATA_FS [ext4]      the file system of the tools' stores, the registries'
#                       roots, the layouts and TMPDIR: ext4 (a fresh ext4 with
#                       a journal on a loop device), ext4-nojournal, disk (the
#                       temp dir on /tmp's file system: ext4 without a journal
#                       on this host, slow to allocate recently deleted
#                       inodes, see bench/build.sh), tmpfs
#   DATA_FS_SIZE [8G]   its size (sparse)
#   SKIFF_BIN_DIR [<repo>/.build-bench/release, else <repo>/.build/release]
#                       skiffd, skiff-monitor, skiff, skiff-registry
#   RUN_TMPFS [1], KEEP_TMP [0]   as in bench/lib.sh
#
# Needs root, bash >= 5, python3, util-linux unshare, curl, skopeo, podman
# (with conmon, crun), docker-registry (apt-get install docker-registry; its
# systemd service is not used), busybox-static.
#
# Isolation (bench/lib.sh): a private mount, pid and network namespace (only
# `lo`; the registries listen on 127.0.0.1 there), fresh /run, /var/tmp,
# /dev/shm, overlays on /etc and /var/lib (podman's and skopeo's blob info
# caches land in the temp dir); skiffd, podman, skopeo and the registries
# have their roots in one temp dir (mktemp -d /tmp/skiff-regbench.*),
# removed at exit. Nothing touches the host's /var/lib/containers,
# /var/lib/docker-registry, /run or network.
set -euo pipefail
export LC_ALL=C

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
SELF="$HERE/$(basename -- "${BASH_SOURCE[0]}")"
BENCH=registry.sh
source "$HERE/lib.sh"
ROUNDS=${ROUNDS:-7}
IMAGE_MB=${IMAGE_MB:-200}
SEED=${SEED:-1}
PARTS=${PARTS:-a b}
CLIENTS=${CLIENTS:-skiff skopeo podman}
SYNC=${SYNC:-1}
DATA_FS=${DATA_FS:-ext4}
DATA_FS_SIZE=${DATA_FS_SIZE:-8G}

# ------------------------------------------------------------------ outside
if [[ -z "${SKIFF_BENCH_T:-}" ]]; then
    bench_check_outside skopeo podman conmon crun docker-registry curl busybox python3 unshare tar
    [[ -x "$SKIFF_BIN_DIR/skiff-registry" ]] || { echo "$BENCH: no skiff-registry in SKIFF_BIN_DIR=$SKIFF_BIN_DIR" >&2; exit 1; }
    [[ $DATA_FS == disk || $DATA_FS == ext4 || $DATA_FS == ext4-nojournal || $DATA_FS == tmpfs ]] \
        || { echo "$BENCH: DATA_FS must be ext4, ext4-nojournal, disk or tmpfs" >&2; exit 1; }
    if [[ $DATA_FS == ext4* ]]; then bench_check_outside mkfs.ext4 losetup; fi
    bench_hugetlb
    export ROUNDS IMAGE_MB SEED PARTS CLIENTS SYNC DATA_FS DATA_FS_SIZE
    bench_run_inside /tmp/skiff-regbench.XXXXXX --net -- "$@"
fi

# ------------------------------------------------------------------ inside the namespaces
bench_inside skiff-run podman-run
cp "$SKIFF_BIN_DIR/skiff-registry" "$T/bin/"
DIRS=(skiff podman dist skreg layout pulled tmp)
mkdir -p "${DIRS[@]/#/$T/}"
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
    for d in "${DIRS[@]}"; do
        mkdir -p "$T/fs/$d"
        mount --bind "$T/fs/$d" "$T/$d"
    done
fi
ip link set lo up

SK=("$T/bin/skiff" -H "unix://$T/skiff.sock")
PM=(podman)
eng() {
    local e=$1; shift
    case $e in
        skiff) "${SK[@]}" "$@" ;;
        podman) "${PM[@]}" "$@" ;;
    esac
}
DIST_PORT=5000
SKREG_PORT=5001
REF=127.0.0.1:$DIST_PORT/bench/image:latest

bench_podman_config
bench_cgroup_parents
declare -A SRV_PID=()
cleanup() {
    set +e
    local s
    for s in "${!SRV_PID[@]}"; do kill -TERM "${SRV_PID[$s]}" 2>/dev/null; done
    bench_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ the servers
cat >"$T/dist.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $T/dist/root
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$DIST_PORT
EOF
# wait_http URL PID LOG: until URL answers (10 s at most)
wait_http() {
    local _
    for _ in $(seq 200); do
        curl -s -o /dev/null "$1" && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.05
    done
    echo "$BENCH: $1 does not answer:" >&2
    tail -20 "$3" >&2
    exit 1
}
# start_server dist|skreg
start_server() {
    case $1 in
        dist)
            docker-registry serve "$T/dist.yml" </dev/null >>"$T/dist.log" 2>&1 &
            SRV_PID[dist]=$!
            wait_http "http://127.0.0.1:$DIST_PORT/v2/" "${SRV_PID[dist]}" "$T/dist.log" ;;
        skreg)
            "$T/bin/skiff-registry" serve --root "$T/skreg/root" --address 127.0.0.1 --port "$SKREG_PORT" </dev/null >>"$T/skreg.log" 2>&1 &
            SRV_PID[skreg]=$!
            wait_http "http://127.0.0.1:$SKREG_PORT/v2/" "${SRV_PID[skreg]}" "$T/skreg.log" ;;
    esac
}
stop_server() {
    local pid=${SRV_PID[$1]:-} _
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "SRV_PID[$1]"
}
# empty_dist: docker-registry stopped, its storage emptied, started again
empty_dist() {
    stop_server dist
    rm -rf "$T/dist/root"
    start_server dist
}

# ------------------------------------------------------------------ environment
note "date_utc $(date -u +%Y-%m-%dT%H:%M:%SZ)  rounds $ROUNDS  image_mb $IMAGE_MB  seed $SEED  parts $PARTS  clients $CLIENTS  sync $SYNC"
bench_env_notes
note "$(skopeo --version)  $(dpkg-query -W -f='docker-registry ${Version}' docker-registry 2>/dev/null)  $(curl --version | head -1 | cut -d' ' -f1-2)"
note "stores, registry roots, layouts and TMPDIR (DATA_FS=$DATA_FS) on $(findmnt -no FSTYPE -T "$T/skiff") ($(findmnt -no SOURCE,OPTIONS -T "$T/skiff" | cut -c1-60)$([[ $DATA_FS == ext4* ]] && echo ", $(dumpe2fs -h "$T/fs.img" 2>/dev/null | grep -o has_journal || echo 'no journal')"))"
loadavg start

# ------------------------------------------------------------------ the image
say "generating the image (about ${IMAGE_MB} MB)"
"$REPO/scripts/make-busybox-image.sh" "$T/tmp/busybox.tar" >/dev/null
python3 - "$T/layout" "$T/tmp/busybox.tar" "$IMAGE_MB" "$SEED" >"$T/image.txt" <<'EOF'
import gzip, hashlib, io, json, os, random, sys, tarfile
out, busybox, mb, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
MiB = 1 << 20
scale = mb / 200.0
os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)

def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d

def layer(tar_bytes):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=6, mtime=0, filename="") as g:
        g.write(tar_bytes)
    gz = buf.getvalue()
    return {"diff_id": "sha256:" + hashlib.sha256(tar_bytes).hexdigest(), "digest": put(gz), "size": len(gz), "raw": len(tar_bytes)}

def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        dirs = set()
        for name, data in files:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    ti = tarfile.TarInfo(d); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; ti.mtime = 0
                    t.addfile(ti)
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644; ti.mtime = 0
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

def sz(n):
    return max(1, int(n * scale))

words = ("alpha beta gamma delta epsilon value return struct let var func import if else for while "
         "0 1 42 = + { } ( ) registry layer blob manifest digest push pull upload").split()
BASE = []
_length = 0
while _length < 4 * MiB:
    _line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) + "\n"
    BASE.append(_line); _length += len(_line)
BASE = "".join(BASE).encode()
def text(n):
    out_, got, i = [], 0, 0
    while got < n:
        piece = f"# part {i}\n".encode() + BASE[rng.randrange(len(BASE) // 2):]
        out_.append(piece); got += len(piece); i += 1
    return b"".join(out_)[:n]

def alphabet16(n):
    return bytes(b & 0x0F | 0x40 for b in rng.randbytes(n))

layers = [layer(open(busybox, "rb").read())]
layers.append(layer(tar_of([("data/random.bin", rng.randbytes(sz(48 * MiB)))])))
layers.append(layer(tar_of([(f"data/random/{i:02d}.bin", rng.randbytes(sz(MiB))) for i in range(32)])))
layers.append(layer(tar_of([("data/text.txt", text(sz(48 * MiB)))])))
layers.append(layer(tar_of([("data/nibbles.bin", alphabet16(sz(40 * MiB)))])))
small = []
for i in range(2000):
    n = sz(8192)
    small.append((f"data/small/{i // 100:02d}/{i:04d}", rng.randbytes(n // 2) + text(n - n // 2)))
layers.append(layer(tar_of(small)))

config = {
    "architecture": "amd64", "os": "linux",
    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
    "rootfs": {"type": "layers", "diff_ids": [l["diff_id"] for l in layers]},
    "history": [{"created_by": f"bench/registry.sh layer {i}"} for i in range(len(layers))],
}
cb = json.dumps(config, separators=(",", ":")).encode()
manifest = {
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cb), "size": len(cb)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": l["digest"], "size": l["size"]} for l in layers],
}
mb_ = json.dumps(manifest, separators=(",", ":")).encode()
md = put(mb_)
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": manifest["mediaType"], "digest": md, "size": len(mb_),
               "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}, f)
with open(os.path.join(out, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
total = sum(l["size"] for l in layers) + len(cb) + len(mb_)
raw = sum(l["raw"] for l in layers)
print(f"total_bytes {total}")
print(f"raw_bytes {raw}")
print(f"manifest {md}")
print(f"blobs {md} {manifest['config']['digest']} " + " ".join(l["digest"] for l in layers))
print("layers " + ", ".join(f"{l['size'] / 1e6:.1f}/{l['raw'] / 1e6:.1f}" for l in layers))
EOF
IMAGE_BYTES=$(awk '$1 == "total_bytes" {print $2}' "$T/image.txt")
read -r -a BLOBS <<<"$(sed -n 's/^blobs //p' "$T/image.txt")"
note "image: $(sed -n 's/^layers //p' "$T/image.txt") MB (compressed/uncompressed per layer); $(awk '$1 == "total_bytes" {printf "%.1f", $2 / 1e6}' "$T/image.txt") MB of blobs, $(awk '$1 == "raw_bytes" {printf "%.1f", $2 / 1e6}' "$T/image.txt") MB uncompressed; manifest $(sed -n 's/^manifest //p' "$T/image.txt" | cut -c1-19)"

sync_maybe() { if [[ $SYNC == 1 ]]; then sync; fi; }
SKOPEO=(skopeo --insecure-policy)

# ------------------------------------------------------------------ (a) clients
if [[ " $PARTS " == *" a "* ]]; then
    read -r -a COLS <<<"$CLIENTS"
    say "(a) starting skiffd and docker-registry; seeding the clients"
    bench_start_skiffd
    bench_wait_up skiff "$SKIFFD_PID" "$T/skiffd.log" 300
    start_server dist
    "${SKOPEO[@]}" copy --dest-tls-verify=false "oci:$T/layout:bench" "docker://$REF" >>"$LOG" 2>&1 \
        || { echo "seeding the registry failed:" >&2; tail -5 "$LOG" >&2; exit 1; }
    for e in "${COLS[@]}"; do
        case $e in
            skiff) "${SK[@]}" pull "$REF" >>"$LOG" 2>&1 || { echo "skiff: seed pull failed" >&2; tail -5 "$LOG" >&2; exit 1; } ;;
            podman) "${PM[@]}" pull --tls-verify=false "$REF" >>"$LOG" 2>&1 || { echo "podman: seed pull failed" >&2; tail -5 "$LOG" >&2; exit 1; } ;;
        esac
    done
    note "podman $("${PM[@]}" info --format 'storage={{.Store.GraphDriverName}}' 2>/dev/null)"

    # the commands
    push() {
        case $1 in
            skiff) "${SK[@]}" push "$REF" ;;
            skopeo) "${SKOPEO[@]}" copy --dest-tls-verify=false "oci:$T/layout:bench" "docker://$REF" ;;
            podman) "${PM[@]}" push --tls-verify=false "$REF" ;;
        esac
    }
    remove() {
        case $1 in
            # by id: `skiff rmi REF` only untags while the image keeps its
            # repo digest (dockerd drops that too and deletes the image)
            skiff) "${SK[@]}" rmi -f "$("${SK[@]}" image inspect -f '{{.Id}}' "$REF")" ;;
            skopeo) rm -rf "$T/pulled/oci" ;;
            podman) "${PM[@]}" rmi -f "$REF" ;;
        esac
    }
    pull() {
        case $1 in
            skiff) "${SK[@]}" pull "$REF" ;;
            skopeo) "${SKOPEO[@]}" copy --src-tls-verify=false "docker://$REF" "oci:$T/pulled/oci:bench" ;;
            podman) "${PM[@]}" pull --tls-verify=false "$REF" ;;
        esac
    }
    n=${#COLS[@]}
    say "(a) $ROUNDS rounds: ${COLS[*]}; push, push again, pull"
    loadavg a
    for ((round = 1; round <= ROUNDS; round++)); do
        for ((k = 0; k < n; k++)); do
            e=$(col_at "$round" "$k")
            empty_dist
            sync_maybe
            timed "$round" push "$e" push "$e"
            if ((round == 1)); then
                m=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
                    "http://127.0.0.1:$DIST_PORT/v2/bench/image/manifests/latest")
                note "(a) $e pushed: $(printf '%s' "$m" | python3 -c 'import json,sys; m=json.load(sys.stdin); print(m.get("mediaType","?").split(".")[-1], "manifest,", len(m["layers"]), "layers,", "%.1f MB" % (sum(l["size"] for l in m["layers"]) / 1e6))' 2>/dev/null), $(du -sm "$T/dist/root" | cut -f1) MiB in the registry, manifest sha256:$(printf '%s' "$m" | sha256sum | cut -c1-12)"
            fi
            sync_maybe
            timed "$round" "push again" "$e" push "$e"
            remove "$e" >>"$LOG" 2>&1 || true
            if ((round == 1)); then
                case $e in
                    skiff) note "(a) skiff store after rmi: $(du -sm "$T/skiff" | cut -f1) MiB, $("${SK[@]}" images -aq | wc -l) images" ;;
                    podman) note "(a) podman store after rmi: $(du -sm "$T/podman/root" | cut -f1) MiB, $("${PM[@]}" images -aq | wc -l) images" ;;
                esac
            fi
            sync_maybe
            timed "$round" pull "$e" pull "$e"
        done
        say "(a) round $round/$ROUNDS done"
    done
    stop_server dist
    kill -TERM "$SKIFFD_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SKIFFD_PID" 2>/dev/null || break; sleep 0.1; done
    SKIFFD_PID=
fi

# ------------------------------------------------------------------ (b) servers
echo "round,server,idle_rss,idle_pss,peak_rss,peak_pss" >"$T/mem.csv"
if [[ " $PARTS " == *" b "* ]]; then
    COLS=(skreg dist)
    declare -A PORT=([skreg]=$SKREG_PORT [dist]=$DIST_PORT)
    rm -rf "$T/dist/root"
    say "(b) starting skiff-registry and docker-registry; pushing the image into each"
    for s in "${COLS[@]}"; do
        start_server "$s"
        "${SKOPEO[@]}" copy --dest-tls-verify=false "oci:$T/layout:bench" "docker://127.0.0.1:${PORT[$s]}/bench/image:latest" >>"$LOG" 2>&1 \
            || { echo "$s: push failed:" >&2; tail -5 "$LOG" >&2; exit 1; }
    done
    note "(b) after the push: skiff-registry root $(du -sm "$T/skreg/root" | cut -f1) MiB, docker-registry root $(du -sm "$T/dist/root" | cut -f1) MiB"
    kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/$3"; }
    # sampler PID FILE: the max PSS (KiB) of PID, every 50 ms, into FILE at TERM
    sampler() {
        local pid=$1 file=$2 max=0 v
        trap 'echo "$max" >"$file"; exit 0' TERM
        while :; do
            v=$(awk '$1 == "Pss:" {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null) || v=0
            [[ -n $v && $v -gt $max ]] && max=$v
            sleep 0.05
        done
    }
    skopeo_pull() {
        rm -rf "$T/pulled/b"
        "${SKOPEO[@]}" copy --src-tls-verify=false "docker://127.0.0.1:$1/bench/image:latest" "oci:$T/pulled/b:bench"
    }
    curl_blobs() {
        local args=() b
        args+=(-H 'Accept: application/vnd.oci.image.manifest.v1+json' -o /dev/null "http://127.0.0.1:$1/v2/bench/image/manifests/latest")
        for b in "${BLOBS[@]:1}"; do args+=(-o /dev/null "http://127.0.0.1:$1/v2/bench/image/blobs/$b"); done
        curl -sSf -Z --parallel-max 8 "${args[@]}"
    }
    say "(b) $ROUNDS rounds: skopeo pull, curl blobs"
    loadavg b
    for ((round = 1; round <= ROUNDS; round++)); do
        for ((k = 0; k < 2; k++)); do
            s=$(col_at "$round" "$k")
            pid=${SRV_PID[$s]}
            idle_rss=$(kib "$pid" VmRSS status); idle_pss=$(kib "$pid" Pss smaps_rollup)
            echo 5 >"/proc/$pid/clear_refs"
            sampler "$pid" "$T/tmp/pss.$s" &
            spid=$!
            sync_maybe
            timed "$round" "skopeo pull" "$s" skopeo_pull "${PORT[$s]}"
            timed "$round" "curl blobs" "$s" curl_blobs "${PORT[$s]}"
            kill -TERM "$spid"; wait "$spid" || true
            peak_rss=$(kib "$pid" VmHWM status)
            echo "$round,$s,$idle_rss,$idle_pss,$peak_rss,$(cat "$T/tmp/pss.$s")" >>"$T/mem.csv"
        done
        say "(b) round $round/$ROUNDS done"
    done
    for s in "${COLS[@]}"; do stop_server "$s"; done
fi
loadavg end
note "date_utc_end $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# ------------------------------------------------------------------ the tables
python3 - "$T" "$ROUNDS" "$FAIL" "$HERE" "$IMAGE_BYTES" "$PARTS" "$CLIENTS" <<'EOF'
import csv, os, sys
T, rounds, fails, here, image_bytes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
parts, clients = sys.argv[6].split(), sys.argv[7].split()
sys.path.insert(0, here)
from lib import median, num, print_env, ratio, read_samples, table
samples, failed = read_samples(T)
med = {k: median(us for _, us in v) / 1000 for k, v in samples.items()}
mb = image_bytes / 1e6
verdicts = []

def cell(key):
    v = med.get(key)
    c = "" if v is None else num(v)
    if failed.get(key):
        c += f" ({failed[key]} failed)"
    return c

def rate(key):
    v = med.get(key)
    return "" if not v else num(mb / (v / 1000))

def verdict(what, row, mine, peers):
    m = med.get((row, mine))
    rs = {p: (med.get((row, p)) / m if m and med.get((row, p)) else None) for p in peers}
    ok = all(r is not None and r > 1.0 for r in rs.values())
    detail = ", ".join(f"{p}/skiff {r:.2f}x" if r is not None else f"{p}: no data" for p, r in rs.items())
    verdicts.append(f"- {what}: **{'met' if ok else 'NOT met'}** ({detail})")

if "a" in parts:
    others = [c for c in clients if c != "skiff"]
    print(f"(a) Clients against docker-registry 2.8 on 127.0.0.1: medians of {rounds} interleaved rounds, "
          f"ms (MB/s of the image's {mb:.1f} MB of compressed blobs).\n")
    head = ["operation"] + clients + [f"{o}/skiff" for o in others]
    rows = []
    what = {"push": "push, cold (registry emptied: every blob uploaded)", "push again": "push, warm (every blob already there)",
            "pull": "pull (image removed first: every blob fetched; skiff and podman unpack, skopeo only stores)"}
    for row in ("push", "push again", "pull"):
        rows.append([what[row]] + [cell((row, c)) + (f" ({rate((row, c))})" if row != "push again" and rate((row, c)) else "") for c in clients]
                    + [ratio(med.get((row, o)), med.get((row, "skiff")), True) for o in others])
    table(head, rows)
    print()
    if "skiff" in clients:
        for row in ("push", "pull"):
            verdict(f"(a) skiff {row} faster than {', '.join(others)}" + (" (skopeo's pull only stores the blobs; skiff's also unpacks them)" if row == "pull" and "skopeo" in others else ""), row, "skiff", others)

if "b" in parts:
    names = {"skreg": "skiff registry serve", "dist": "docker-registry 2.8"}
    print(f"\n(b) Servers, the same image and clients: medians of {rounds} interleaved rounds, ms (MB/s).\n")
    head = ["client"] + [names["skreg"], names["dist"], "docker-registry/skiff"]
    what = {"skopeo pull": "skopeo copy to a fresh OCI layout", "curl blobs": "curl: manifest, config and every layer, 8 in parallel, to /dev/null"}
    rows = []
    for row in ("skopeo pull", "curl blobs"):
        rows.append([what[row]] + [cell((row, s)) + (f" ({rate((row, s))})" if rate((row, s)) else "") for s in ("skreg", "dist")]
                    + [ratio(med.get((row, "dist")), med.get((row, "skreg")), True)])
    table(head, rows)
    mem = {}
    for r in csv.DictReader(open(os.path.join(T, "mem.csv"))):
        for k in ("idle_rss", "idle_pss", "peak_rss", "peak_pss"):
            if r[k]:
                mem.setdefault((r["server"], k), []).append(int(r[k]) / 1024)
    print("\nServer memory (MiB, medians over the rounds): idle before the round's pulls, peak during them "
          "(RSS: VmHWM after clear_refs; PSS: sampled every 50 ms).\n")
    rows = []
    for k, label in (("idle_rss", "idle RSS"), ("idle_pss", "idle PSS"), ("peak_rss", "peak RSS"), ("peak_pss", "peak PSS")):
        a, b = median(mem.get(("skreg", k), [])), median(mem.get(("dist", k), []))
        rows.append([label, num(a), num(b), ratio(b, a, True)])
    table(["memory", names["skreg"], names["dist"], "docker-registry/skiff"], rows)
    print()
    for row in ("skopeo pull", "curl blobs"):
        verdict(f"(b) skiff registry serve faster than docker-registry, {row}", row, "skreg", ["dist"])

print("\nTarget of the issue: skiff faster than every peer on both sides.\n")
print("\n".join(verdicts))
print(f"\nOverall: **{'met' if verdicts and all('**met**' in v for v in verdicts) else 'NOT met'}**")
if fails:
    print(f"\n{fails} command(s) failed (see stderr); their samples are left out of the medians.")
print_env(T)
EOF
if [[ $KEEP_TMP == 1 ]]; then
    echo >&2
    echo "samples: $T/samples.csv, $T/mem.csv, logs in $T" >&2
fi
