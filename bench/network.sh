#!/usr/bin/env bash
# bench/network.sh: container networking of the skiff engine (skiffd + its
# nftables table, through the skiff CLI) against docker (dockerd 20.10 with
# its bridge, iptables and default userland proxy, through the docker CLI 28)
# and podman 4.3 (rootful; netavark or CNI, whichever it picks), on one
# busybox image imported into all three (scripts/make-busybox-image.sh).
#
# Measures, round-robin (every round runs each engine once per measurement,
# the order rotating from round to round, so that drift of this shared, noisy
# machine hits all columns alike):
#   network setup   `run --rm busybox true` on the default bridge network and
#                   with `--network none`, back to back (which of the two
#                   goes first alternates by round); the cost the bridge adds
#                   is the median of the per-round differences. Twice: on an
#                   idle engine (podman then creates and removes its bridge
#                   every time, as it does for a lone container), and while
#                   the engine runs the httpd containers below (every bridge
#                   exists already).
#   published port  each engine runs `busybox httpd -f -p 80 -h /www` serving
#                   a FILE_SIZE-byte file, published with
#                   `-p 127.0.0.1:PORT:80`; from the engine's host side,
#                   `wrk -t1 -c8 -d3s --latency http://127.0.0.1:PORT/file`
#                   per round: requests/s and p50/p99 latency. busybox httpd
#                   closes every connection, so each request is a new TCP
#                   connection through the engine's NAT (or docker-proxy).
#   direct          the same against a second, unpublished httpd container
#                   at its own address (no NAT, no proxy): what the published
#                   rows pay on top of. Per round, each engine's published and
#                   direct measurements run back to back.
#   docker, no proxy  (DOCKER_NOPROXY=1) a second dockerd with
#                   --userland-proxy=false (DNAT in iptables instead of a
#                   docker-proxy process per port), in the published rows
# Without wrk (WRK= or not installed): CURL_REQUESTS sequential requests with
# one curl process per round instead (said so in the output; concurrency 1).
# Prints the medians and the ratios docker/skiff, podman/skiff as markdown
# tables.
#
# Usage:  sudo bench/network.sh     (ROUNDS=20, WRK_ROUNDS=7: about 5 minutes
#                                    on 2 vCPUs)
#         apt-get install wrk       (Debian's wrk, for the published-port rows)
#
# Environment knobs (defaults in brackets):
#   ROUNDS [20]            rounds of the network setup measurements
#   WRK_ROUNDS [7]         rounds of the published-port and direct measurements
#   WRK_SECONDS [3]        wrk's -d per engine per round
#   WRK_THREADS [1]        wrk's -t
#   WRK_CONNECTIONS [8]    wrk's -c
#   FILE_SIZE [1024]       bytes of the file httpd serves
#   CURL_REQUESTS [300]    requests per engine per round without wrk
#   DOCKER_NOPROXY [1]     1: also docker with --userland-proxy=false
#   WRK [wrk on PATH]      wrk; empty: the curl fallback
#   SKIFF_BIN_DIR [<repo>/.build-bench/release, else <repo>/.build/release]
#                          where skiffd, skiff-monitor and skiff are
#   DOCKER_CLI [docker on PATH]   the docker client (28.x here)
#   RUN_TMPFS [1]          1: the engines' exec roots are tmpfs, as /run is in use
#   KEEP_TMP [0]           1: keep the temp dir (samples.csv, wrk outputs, logs)
#
# Needs root, bash >= 5 (EPOCHREALTIME), python3, util-linux unshare and
# nsenter, iproute2, curl, Debian's docker.io, containerd, runc, podman,
# conmon, crun, netavark (or containernetworking-plugins), iptables, nftables,
# busybox-static; wrk if present.
#
# Isolation (bench/lib.sh): everything runs in a private mount, pid and network namespace
# (unshare --mount --pid --net --fork), as bench/daemon.sh does for mount and
# pid: /run, /var/tmp and /dev/shm are fresh tmpfs, /etc and /var/lib are
# overlays whose upper directories are in the temp dir, each engine has its
# own data root, exec root and socket in one fresh temp dir (mktemp -d),
# removed at exit. Inside the fresh network namespace (only `lo`, brought
# up), skiffd and each dockerd run in a network namespace of their own (bound
# under the temp dir), podman in the fresh one itself: every engine finds a
# host network with nothing of the others' in it, so no packet of one engine
# crosses another's bridge, iptables chains or nftables table, and none of it
# touches the host's network. wrk and curl run in the engine's namespace,
# where its published ports are. When the namespaces' first process exits,
# the kernel kills whatever is left and removes the namespaces with their
# bridges, veths and firewall rules. The only other side effects are those
# of bench/daemon.sh: the engines' cgroups (parents this run created are
# removed) and the hugetlb v1 mount crun may need.
set -euo pipefail
export LC_ALL=C

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
SELF="$HERE/$(basename -- "${BASH_SOURCE[0]}")"
BENCH=network.sh
source "$HERE/lib.sh"
ROUNDS=${ROUNDS:-20}
WRK_ROUNDS=${WRK_ROUNDS:-7}
WRK_SECONDS=${WRK_SECONDS:-3}
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-8}
FILE_SIZE=${FILE_SIZE:-1024}
CURL_REQUESTS=${CURL_REQUESTS:-300}
DOCKER_NOPROXY=${DOCKER_NOPROXY:-1}
WRK=${WRK-$(command -v wrk || true)}

# ------------------------------------------------------------------ outside
if [[ -z "${SKIFF_BENCH_T:-}" ]]; then
    bench_check_outside dockerd containerd containerd-shim-runc-v2 runc docker-proxy podman conmon crun busybox python3 \
        unshare nsenter ip iptables nft curl
    if [[ -z "$WRK" ]]; then
        echo "network.sh: no wrk (apt-get install wrk): published ports are measured with sequential curl requests" >&2
    fi
    bench_hugetlb
    export WRK
    bench_run_inside /tmp/skiff-netbench.XXXXXX --net -- "$@"
fi

# ------------------------------------------------------------------ inside the namespaces
bench_inside skiff-run docker-exec docker-np-exec podman-run
mkdir -p "$T"/{netns,wrk,docker,docker-np,podman,skiff}

# The fresh network namespace is podman's host; skiffd and the dockerds get
# one each, bound under $T/netns.
ip link set lo up
for e in skiff docker docker-np; do
    : >"$T/netns/$e"
    unshare --net="$T/netns/$e" true
    nsenter --net="$T/netns/$e" ip link set lo up
done

SK=("$T/bin/skiff" -H "unix://$T/skiff.sock")
DK=("$DOCKER_CLI" -H "unix://$T/docker/docker.sock")
DN=("$DOCKER_CLI" -H "unix://$T/docker-np/docker.sock")
PM=(podman)
COLS=(skiff docker podman)
PCOLS=(skiff docker podman)
if [[ $DOCKER_NOPROXY == 1 ]]; then PCOLS=(skiff docker docker-np podman); fi
declare -A PORT=([skiff]=18080 [docker]=18081 [podman]=18082 [docker-np]=18083)
eng() {
    local e=$1; shift
    case $e in
        skiff) "${SK[@]}" "$@" ;;
        docker) "${DK[@]}" "$@" ;;
        docker-np) "${DN[@]}" "$@" ;;
        podman) "${PM[@]}" "$@" ;;
    esac
}
bench_podman_config
bench_cgroup_parents
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ environment
note "date_utc $(date -u +%Y-%m-%dT%H:%M:%SZ)  rounds $ROUNDS  wrk_rounds $WRK_ROUNDS"
bench_env_notes
note "$(iptables --version)  $(nft --version)  netavark $(dpkg-query -W -f '${Version}' netavark 2>/dev/null || echo none)  containernetworking-plugins $(dpkg-query -W -f '${Version}' containernetworking-plugins 2>/dev/null || echo none)"
if [[ -n "$WRK" ]]; then
    note "$("$WRK" --version 2>&1 | head -1 | cut -d' ' -f1-3): wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s --latency, $FILE_SIZE-byte file"
else
    note "no wrk: $(curl --version | head -1 | cut -d' ' -f1-2), $CURL_REQUESTS sequential requests per round, $FILE_SIZE-byte file"
fi
loadavg start

# ------------------------------------------------------------------ daemons
say "starting skiffd and dockerd"
bench_start_skiffd
bench_start_dockerd docker
if [[ $DOCKER_NOPROXY == 1 ]]; then bench_start_dockerd docker-np --userland-proxy=false; fi
bench_wait_up skiff "$SKIFFD_PID" "$T/skiffd.log" 300
for e in "${!DOCKERD_PID[@]}"; do bench_wait_up "$e" "${DOCKERD_PID[$e]}" "$T/$e.log" 600; done
note "dockerd $("${DK[@]}" version --format '{{.Server.Version}}')  $("${DK[@]}" info --format 'storage={{.Driver}} cgroup={{.CgroupDriver}}/v{{.CgroupVersion}} runtime={{.DefaultRuntime}}' 2>/dev/null)  bridge docker0 $(in_ns docker ip -4 -br addr show docker0 | awk '{print $3}'), iptables on"
note "podman $("${PM[@]}" info --format 'storage={{.Store.GraphDriverName}} cgroup={{.Host.CgroupManager}}/{{.Host.CgroupsVersion}} runtime={{.Host.OCIRuntime.Name}} network={{.Host.NetworkBackend}}' 2>/dev/null)"

# ------------------------------------------------------------------ the image
say "making and importing busybox"
bench_import_busybox "${PCOLS[@]}"

# ------------------------------------------------------------------ network setup
n=${#COLS[@]}
setup_round() { # ROUND SUFFIX
    local round=$1 suffix=$2 k e mode
    local modes=(bridge none)
    if ((round % 2 == 0)); then modes=(none bridge); fi
    for ((k = 0; k < n; k++)); do
        e=$(col_at "$round" "$k")
        for mode in "${modes[@]}"; do
            if [[ $mode == none ]]; then
                timed "$round" "none$suffix" "$e" eng "$e" run --rm --network none busybox true
            else
                timed "$round" "bridge$suffix" "$e" eng "$e" run --rm busybox true
            fi
        done
    done
}

say "warm-up"
for e in "${COLS[@]}"; do
    for _ in 1 2; do
        eng "$e" run --rm busybox true >>"$LOG" 2>&1 || true
        eng "$e" run --rm --network none busybox true >>"$LOG" 2>&1 || true
    done
done

say "$ROUNDS rounds: run --rm on the default bridge and with --network none, idle engines"
loadavg setup
for ((round = 1; round <= ROUNDS; round++)); do
    setup_round "$round" ""
done

# ------------------------------------------------------------------ httpd
# Two httpd containers per engine: nb-pub, published, and nb-direct, reached
# at its own address. Not one for both: TCP timestamps are offset per address
# pair, and connections masqueraded from 127.0.0.1 leave TIME_WAIT sockets in
# the container whose timestamps the direct ones (from the same bridge
# address, another pair on wrk's side) would fail PAWS against, each such SYN
# then waiting a second for its retransmission.
say "starting the httpd containers"
HTTPD_SH="mkdir -p /www && head -c $FILE_SIZE /dev/zero | tr '\\0' x >/www/file && exec httpd -f -p 80 -h /www"
# wait_http ENGINE URL: until URL answers 200 with the file
wait_http() {
    local _
    for _ in $(seq 100); do
        if [[ "$(in_ns "$1" curl -s -o /dev/null -w '%{http_code} %{size_download}' "$2")" == "200 $FILE_SIZE" ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "$1: httpd does not answer at $2" >&2
    exit 1
}
declare -A CIP=()
for e in "${PCOLS[@]}"; do
    eng "$e" run -d --name nb-pub -p "127.0.0.1:${PORT[$e]}:80" busybox sh -c "$HTTPD_SH" >>"$LOG" 2>&1 \
        || { echo "$e: run -d -p httpd failed:" >&2; tail -5 "$LOG" >&2; exit 1; }
    wait_http "$e" "http://127.0.0.1:${PORT[$e]}/file"
    if [[ $e != docker-np ]]; then
        eng "$e" run -d --name nb-direct busybox sh -c "$HTTPD_SH" >>"$LOG" 2>&1 \
            || { echo "$e: run -d httpd failed:" >&2; tail -5 "$LOG" >&2; exit 1; }
        CIP[$e]=$(eng "$e" inspect -f '{{.NetworkSettings.IPAddress}}' nb-direct)
        wait_http "$e" "http://${CIP[$e]}/file"
    fi
done
proxies=$(pgrep -a -P "${DOCKERD_PID[docker]}" -x docker-proxy | cut -d' ' -f2- || true)
note "docker: userland proxy on (the default): ${proxies:-no docker-proxy process found}"
if [[ $DOCKER_NOPROXY == 1 ]]; then
    note "docker, no proxy: --userland-proxy=false ($(pgrep -c -P "${DOCKERD_PID[docker-np]}" -x docker-proxy || true) docker-proxy processes); DNAT in iptables"
fi
note "skiff: DNAT in its nftables table (ip skiff: $(in_ns skiff nft list map ip skiff tcp_addr 2>/dev/null | grep -o 'elements = {[^}]*}' || echo 'no tcp_addr map')), no proxy process"
note "direct containers at: $(for e in "${COLS[@]}"; do printf '%s %s  ' "$e" "${CIP[$e]}"; done)"

say "$ROUNDS rounds: run --rm on the default bridge and with --network none, the httpd containers running"
loadavg setup_busy
for ((round = 1; round <= ROUNDS; round++)); do
    setup_round "$round" " busy"
done

# ------------------------------------------------------------------ requests
# load ROUND ROW ENGINE URL: one measurement, its output in $T/wrk/
load() {
    local round=$1 row=$2 e=$3 url=$4 out="$T/wrk/$2-$3-$1.txt" rc=0 i
    if [[ -n "$WRK" ]]; then
        in_ns "$e" "$WRK" -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "$url" >"$out" 2>&1 || rc=$?
    else
        local t0 t1
        t0=${EPOCHREALTIME/./}
        for ((i = 0; i < CURL_REQUESTS; i++)); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done \
            | in_ns "$e" curl -s -K - -w '%{http_code} %{time_total}\n' >"$out" 2>&1 || rc=$?
        t1=${EPOCHREALTIME/./}
        echo "wall_us $((10#$t1 - 10#$t0))" >>"$out"
    fi
    if [[ $rc -ne 0 ]]; then
        FAIL=$((FAIL + 1))
        echo "round $round: $e $row failed (exit $rc), see $out" >&2
    fi
}
pn=${#PCOLS[@]}
say "$WRK_ROUNDS rounds: requests to the published port and to the container's address"
loadavg requests
for e in "${PCOLS[@]}"; do # warm-up
    if [[ -n "$WRK" ]]; then
        in_ns "$e" "$WRK" -t1 -c2 -d1s "http://127.0.0.1:${PORT[$e]}/file" >>"$LOG" 2>&1 || true
    fi
done
for ((round = 1; round <= WRK_ROUNDS; round++)); do
    # each engine's pair back to back, which of the two first alternating
    for ((k = 0; k < pn; k++)); do
        e=${PCOLS[$(((round + k) % pn))]}
        rows=(published direct)
        if ((round % 2 == 0)); then rows=(direct published); fi
        for row in "${rows[@]}"; do
            if [[ $row == published ]]; then
                load "$round" published "$e" "http://127.0.0.1:${PORT[$e]}/file"
            elif [[ -n "${CIP[$e]:-}" ]]; then
                load "$round" direct "$e" "http://${CIP[$e]}/file"
            fi
        done
    done
    say "round $round/$WRK_ROUNDS done"
done
loadavg end
note "date_utc_end $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for e in "${PCOLS[@]}"; do # (podman's rm -f would wait 10 s for the TERM httpd ignores)
    if [[ $e == podman ]]; then eng "$e" rm -f -t 0 nb-pub nb-direct; else eng "$e" rm -f nb-pub nb-direct; fi >>"$LOG" 2>&1 || true
done

# ------------------------------------------------------------------ the tables
python3 - "$T" "$ROUNDS" "$WRK_ROUNDS" "$FAIL" "${WRK:+wrk}" "$DOCKER_NOPROXY" "$HERE" <<'EOF'
import glob, os, re, statistics, sys
T, rounds, wrk_rounds, fails = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
wrk, noproxy = sys.argv[5] == "wrk", sys.argv[6] == "1"
sys.path.insert(0, sys.argv[7])
import lib
from lib import num, print_env, read_samples
cols = ["skiff", "docker", "podman"]
pcols = ["skiff", "docker"] + (["docker-np"] if noproxy else []) + ["podman"]
names = {"skiff": "skiff", "docker": "docker", "docker-np": "docker, no proxy", "podman": "podman"}

def ratio(a, b):
    return lib.ratio(a, b, two_digits=True)

# network setup: samples.csv
samples, failed = read_samples(T)
runs = {k: {r: us / 1000 for r, us in v} for k, v in samples.items()}
def med(row, col):
    v = runs.get((row, col))
    return statistics.median(v.values()) if v else None
def added(suffix, col):
    b, n = runs.get(("bridge" + suffix, col), {}), runs.get(("none" + suffix, col), {})
    d = [b[r] - n[r] for r in b if r in n]
    return statistics.median(d) if d else None

print(f"Network setup: medians of {rounds} interleaved rounds (ms); the added cost is the median of the "
      "per-round differences bridge - none.\n")
head = ["measurement"] + cols + ["docker/skiff", "podman/skiff"]
print("| " + " | ".join(head) + " |")
print("|---|" + "---:|" * (len(head) - 1))
for suffix, when in (("", "idle engine"), (" busy", "httpd containers running")):
    for label, f in ((f"`run --rm --network none busybox true` ({when})", lambda c: med("none" + suffix, c)),
                     (f"`run --rm busybox true`, default bridge ({when})", lambda c: med("bridge" + suffix, c)),
                     (f"**added by the bridge** ({when})", lambda c: added(suffix, c))):
        vals = {c: f(c) for c in cols}
        cells = [label]
        for c in cols:
            cell = num(vals[c])
            bad = sum(failed.get((row + suffix, c), 0) for row in ("bridge", "none"))
            if bad and not label.startswith("**"):
                cell += f" ({bad} failed)"
            cells.append(cell)
        cells += [ratio(vals["docker"], vals["skiff"]), ratio(vals["podman"], vals["skiff"])]
        print("| " + " | ".join(cells) + " |")

# requests: wrk outputs (or curl's)
def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
res, errors = {}, {}
for f in glob.glob(os.path.join(T, "wrk", "*.txt")):
    row, rest = os.path.basename(f)[:-len(".txt")].split("-", 1)  # ROW-COL-ROUND.txt; COL may hold a dash
    col = rest.rsplit("-", 1)[0]
    text = open(f).read()
    if wrk:
        rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
        p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
        p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
        err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        if not (rps and p50 and p99):
            errors[(row, col)] = errors.get((row, col), 0) + 1
            continue
        e = (sum(int(x) for x in err.groups()) if err else 0) + (int(non2xx.group(1)) if non2xx else 0)
        if e:
            errors[(row, col)] = errors.get((row, col), 0) + e
        sample = (float(rps.group(1)), ms(p50.group(1)), ms(p99.group(1)))
    else:
        lines = text.split("\n")
        times = [float(l.split()[1]) * 1000 for l in lines if re.match(r"^200 [\d.]+$", l)]
        bad = sum(1 for l in lines if re.match(r"^\d{3} ", l) and not l.startswith("200 "))
        wall = re.search(r"wall_us (\d+)", text)
        if bad:
            errors[(row, col)] = errors.get((row, col), 0) + bad
        if not times or not wall:
            continue
        times.sort()
        sample = (len(times) / (int(wall.group(1)) / 1e6), statistics.median(times),
                  times[min(len(times) - 1, int(0.99 * len(times)))])
    res.setdefault((row, col), []).append(sample)
def rmed(row, col, i):
    v = res.get((row, col))
    return statistics.median(s[i] for s in v) if v else None

tool = "wrk" if wrk else "curl, sequential (no wrk installed: concurrency 1)"
print(f"\nRequests to busybox httpd (one small file; a new TCP connection per request): medians of "
      f"{wrk_rounds} interleaved rounds, {tool}. Published: `-p 127.0.0.1:PORT:80`, requested at "
      "127.0.0.1:PORT on the engine's host side; direct: another such container at its own address, no NAT.\n")
head = ["measurement"] + [names[c] for c in pcols] + ["docker/skiff"] + (["docker-np/skiff"] if noproxy else []) + ["podman/skiff"]
print("| " + " | ".join(head) + " |")
print("|---|" + "---:|" * (len(head) - 1))
rows = [("published", 0, "requests/s, published port", ""), ("published", 1, "p50 latency, published port", " ms"),
        ("published", 2, "p99 latency, published port", " ms"),
        ("direct", 0, "requests/s, container address", ""), ("direct", 1, "p50 latency, container address", " ms"),
        ("direct", 2, "p99 latency, container address", " ms")]
for row, i, label, unit in rows:
    vals = {c: rmed(row, c, i) for c in pcols}
    cells = [label]
    for c in pcols:
        cell = num(vals[c], unit)
        if i == 0 and errors.get((row, c)):
            cell += f" ({errors[(row, c)]} errors)"
        cells.append(cell)
    cells += [ratio(vals[c], vals["skiff"]) for c in pcols if c != "skiff"]
    print("| " + " | ".join(cells) + " |")
share = {c: (rmed("published", c, 0) / rmed("direct", c, 0)) if rmed("published", c, 0) and rmed("direct", c, 0) else None
         for c in pcols}
share["docker-np"] = (rmed("published", "docker-np", 0) / rmed("direct", "docker", 0)) \
    if noproxy and rmed("published", "docker-np", 0) and rmed("direct", "docker", 0) else None
print("| published requests/s as a share of direct | " + " | ".join("" if share.get(c) is None else f"{share[c] * 100:.0f}%" for c in pcols)
      + " |" + " |" * (len(pcols) - 1))
print("\nRatios are other/skiff: below 1x in a requests/s row, skiff serves more; above 1x in a latency row, skiff answers sooner.")
if fails:
    print(f"\n{fails} command(s) failed (see stderr); their samples are left out of the medians.")
print_env(T)
EOF
if [[ $KEEP_TMP == 1 ]]; then
    echo >&2
    echo "samples: $T/samples.csv, $T/wrk/, logs in $T" >&2
fi
