"""linux.resources: memory, pids and cpu limits, seen from inside and from the host."""
import ocitest

MiB = 1024 * 1024


def sh(script):
    return ["sh", "-c", script]


def with_resources(**res):
    def mut(c):
        c["linux"]["resources"].update(res)
    return mut


def test_memory_limit_oom_kills(runtime, bundle, cid):
    # `tail` keeps everything after the last newline; /dev/zero has none, so
    # it tries to hold 100 MB and the OOM killer (32 MiB limit, swap limit
    # equal: no swap either) kills it with SIGKILL.  sh reports 128+9.
    # Measured with both crun and runc, about 1 run in 10: the shell is
    # OOM-killed too right after tail (its memory is not yet uncharged when
    # sh next allocates), and `run` exits 137 with no output.  Both outcomes
    # prove the limit.
    b = bundle(sh("head -c 100000000 /dev/zero | tail > /dev/null; echo status=$?"),
               mutate=with_resources(memory={"limit": 32 * MiB, "swap": 32 * MiB}))
    r = runtime.run(b, cid, timeout=120)
    assert (r.rc, r.out.strip()) in ((0, "status=137"), (137, "")), r


def test_memory_limit_oom_kills_init(runtime, bundle, cid):
    # When the container's init itself is the victim, `run` exits 137 (128+SIGKILL).
    b = bundle(["tail", "/dev/zero"], mutate=with_resources(memory={"limit": 32 * MiB, "swap": 32 * MiB}))
    r = runtime.run(b, cid, timeout=120)
    assert r.rc == 137, r


def test_memory_under_limit_is_fine(runtime, bundle, cid):
    b = bundle(sh("head -c 8000000 /dev/zero | tail | wc -c"),
               mutate=with_resources(memory={"limit": 32 * MiB, "swap": 32 * MiB}))
    r = runtime.run(b, cid, timeout=60)
    assert (r.rc, r.out.strip()) == (0, "8000000"), r


def test_pids_limit(runtime, bundle, cid):
    b = bundle(sh("i=0; while [ $i -lt 20 ]; do sleep 2 & i=$((i+1)); done; wait"),
               mutate=with_resources(pids={"limit": 8}))
    r = runtime.run(b, cid, timeout=60)
    assert "can't fork" in r.err, r


def test_pids_limit_allows_below(runtime, bundle, cid):
    b = bundle(sh("sleep 1 & sleep 1 & sleep 1 & wait; echo done"), mutate=with_resources(pids={"limit": 8}))
    r = runtime.run(b, cid, timeout=60)
    assert (r.rc, r.out.strip(), r.err) == (0, "done", ""), r


def read_cg(pid, controller, file):
    return (ocitest.cgroup_dir_of(pid, controller) / file).read_text().strip()


def test_limits_visible_from_host(runtime, bundle, cid):
    """The values land in the container's cgroup files (checked from the
    host through /proc/<pid>/cgroup, which works wherever the runtime put
    the cgroup)."""
    b = bundle(["sleep", "100"], mutate=with_resources(
        memory={"limit": 48 * MiB, "reservation": 16 * MiB},
        pids={"limit": 42},
        cpu={"quota": 50000, "period": 100000, "shares": 512},
    ))
    r = runtime.run(b, cid, detach=True)
    assert r.rc == 0, r
    pid = runtime.state(cid)["pid"]
    assert read_cg(pid, "memory", "memory.limit_in_bytes") == str(48 * MiB)
    assert read_cg(pid, "memory", "memory.soft_limit_in_bytes") == str(16 * MiB)
    assert read_cg(pid, "pids", "pids.max") == "42"
    assert read_cg(pid, "cpu", "cpu.cfs_quota_us") == "50000"
    assert read_cg(pid, "cpu", "cpu.cfs_period_us") == "100000"
    assert read_cg(pid, "cpu", "cpu.shares") == "512"


def test_cpuset(runtime, bundle, cid):
    b = bundle(sh("cat /proc/self/status | grep Cpus_allowed_list"),
               mutate=with_resources(cpu={"cpus": "0"}))
    r = runtime.run(b, cid)
    assert r.rc == 0, r
    assert r.out.split()[-1] == "0", r


def test_devices_cgroup_denies_mknod_use(runtime, bundle, cid):
    # The default "deny all" device rule plus the runtimes' standard allow
    # list: /dev/null works, a device node outside the list cannot be
    # opened even if it exists (mknod needs CAP_MKNOD, so give it).
    def mut(c):
        for s in ("bounding", "effective", "permitted"):
            c["process"]["capabilities"][s].append("CAP_MKNOD")
    b = bundle(sh("echo ok > /dev/null && echo null-ok; mknod /tmp/sda b 8 0; head -c1 /tmp/sda >/dev/null 2>&1 || echo sda-denied"),
               mutate=mut)
    r = runtime.run(b, cid)
    assert r.rc == 0, r
    assert "null-ok" in r.out and "sda-denied" in r.out, r


def test_no_limits_when_unset(runtime, bundle, cid):
    b = bundle(["sleep", "100"])
    assert runtime.run(b, cid, detach=True).rc == 0
    pid = runtime.state(cid)["pid"]
    assert read_cg(pid, "pids", "pids.max") == "max"
    assert read_cg(pid, "cpu", "cpu.cfs_quota_us") == "-1"
