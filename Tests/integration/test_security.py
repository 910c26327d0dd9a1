"""Process security settings: capabilities, no_new_privs, masked and read-only
paths, user/groups, umask, env, cwd, rlimits, read-only root, sysctl, oom_score_adj."""
import os
import re
from pathlib import Path

import ocitest


def sh(script):
    return ["sh", "-c", script]


def status_fields(text):
    return dict(re.findall(r"^(\w+):\s*(.*)$", text, re.M))


def run_ok(runtime, b, cid):
    r = runtime.run(b, cid)
    assert r.rc == 0, r
    return r


# -- capabilities ---------------------------------------------------------

def test_default_capabilities_exact(runtime, bundle, cid):
    r = run_ok(runtime, bundle(["cat", "/proc/self/status"]), cid)
    f = status_fields(r.out)
    want = f"{ocitest.cap_mask(ocitest.DEFAULT_CAPS):016x}"          # 0000000020000420
    assert (f["CapInh"], f["CapPrm"], f["CapEff"], f["CapBnd"], f["CapAmb"]) == \
        ("0000000000000000", want, want, want, "0000000000000000"), r.out
    assert f["NoNewPrivs"] == "1"
    assert f["Seccomp"] == "0"        # no linux.seccomp in the config


def test_capabilities_same_as_reference(runtime, reference, bundle):
    """Cap*, NoNewPrivs and Seccomp lines of /proc/self/status are identical
    to crun's, for the default set and for a wider one including ambient."""
    def wide(c):
        caps = ["CAP_CHOWN", "CAP_NET_RAW", "CAP_SETUID", "CAP_SETGID", "CAP_KILL"]
        c["process"]["capabilities"] = {
            "bounding": caps + ["CAP_SYS_ADMIN"], "effective": caps, "permitted": caps,
            "inheritable": ["CAP_NET_RAW"], "ambient": ["CAP_NET_RAW"],
        }
    for mut in (None, wide):
        outs = {}
        for rt in (runtime, reference):
            r = run_ok(rt, bundle(["cat", "/proc/self/status"], mutate=mut), ocitest.new_id())
            f = status_fields(r.out)
            outs[rt.name] = {k: v for k, v in f.items() if k.startswith("Cap") or k in ("NoNewPrivs", "Seccomp")}
        assert outs[runtime.name] == outs[reference.name]
    # and the wide set is what it should be
    f = outs[reference.name]
    assert int(f["CapAmb"], 16) == ocitest.cap_mask(["CAP_NET_RAW"])
    assert int(f["CapBnd"], 16) == ocitest.cap_mask(
        ["CAP_CHOWN", "CAP_NET_RAW", "CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_SYS_ADMIN"])


def test_mount_denied_without_cap_sys_admin(runtime, bundle, cid):
    r = runtime.run(bundle(["mount", "-t", "tmpfs", "none", "/mnt"]), cid)
    assert r.rc != 0, r
    assert "permission denied" in r.err.lower(), r


def test_raw_socket_denied_without_cap_net_raw(runtime, bundle, cid):
    r = runtime.run(bundle(["ping", "-c1", "-W1", "127.0.0.1"]), cid)
    assert r.rc != 0, r
    assert "permission denied" in r.err.lower(), r


def test_raw_socket_allowed_with_cap_net_raw(runtime, bundle, cid):
    def mut(c):
        for s in ("bounding", "effective", "permitted"):
            c["process"]["capabilities"][s].append("CAP_NET_RAW")
    r = runtime.run(bundle(["ping", "-c1", "-W2", "127.0.0.1"], mutate=mut), cid)
    assert r.rc == 0, r
    assert "1 packets received" in r.out, r


def test_no_new_privs_false(runtime, bundle, cid):
    def mut(c):
        c["process"]["noNewPrivileges"] = False
    r = run_ok(runtime, bundle(["grep", "NoNewPrivs", "/proc/self/status"], mutate=mut), cid)
    assert r.out.split() == ["NoNewPrivs:", "0"]


# -- masked / read-only paths --------------------------------------------

def test_masked_paths(runtime, bundle, cid):
    # /proc/kcore does not exist on this kernel (no CONFIG_PROC_KCORE): the
    # runtimes skip masked paths that do not exist.  /proc/timer_list and
    # /proc/keys do: files read as empty (a bind of /dev/null), directories
    # are empty read-only tmpfs.
    assert Path("/proc/timer_list").stat() and Path("/proc/timer_list").read_text() != ""
    script = ("cat /proc/kcore 2>/dev/null | wc -c; wc -c < /proc/timer_list; wc -c < /proc/keys; "
              "ls -A /proc/acpi | wc -l; ls -A /sys/firmware | wc -l; touch /proc/acpi/x 2>/dev/null || echo ro")
    r = run_ok(runtime, bundle(sh(script)), cid)
    assert r.out.split() == ["0", "0", "0", "0", "0", "ro"], r


def test_readonly_proc_sys(runtime, bundle, cid):
    r = runtime.run(bundle(sh("echo x > /proc/sys/kernel/hostname")), cid)
    assert r.rc != 0, r
    assert "Read-only file system" in r.err, r


def test_readonly_paths_mounted_ro(runtime, bundle, cid):
    # /proc/sysrq-trigger does not exist on this kernel (skipped by the
    # runtimes); the others are read-only (bind) mounts of themselves.
    present = [p for p in ocitest.DEFAULT_READONLY_PATHS if os.path.exists(p)]
    r = run_ok(runtime, bundle(["cat", "/proc/self/mountinfo"]), cid)
    opts = {l.split()[4]: l.split()[5].split(",") for l in r.out.splitlines()}
    for p in present:
        assert p in opts and "ro" in opts[p], (p, r.out)


def test_sysfs_readonly(runtime, bundle, cid):
    r = runtime.run(bundle(["touch", "/sys/kernel/x"]), cid)
    assert r.rc != 0, r
    assert "Read-only file system" in r.err, r


def test_readonly_rootfs(runtime, bundle, cid):
    r = runtime.run(bundle(sh("touch /x"), readonly=True), cid)
    assert r.rc != 0, r
    assert "Read-only file system" in r.err, r
    # the mounts on top stay writable
    r = runtime.run(bundle(sh("touch /dev/shm/x && echo ok"), readonly=True), ocitest.new_id())
    assert (r.rc, r.out.strip()) == (0, "ok"), r


def test_writable_rootfs(runtime, bundle, cid):
    b = bundle(sh("touch /x && echo ok"))
    r = run_ok(runtime, b, cid)
    assert r.out.strip() == "ok"
    assert (b.rootfs / "x").exists()


# -- user, groups, umask, env, cwd ---------------------------------------

def test_user_and_groups(runtime, bundle, cid):
    def mut(c):
        c["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [100, 29]}
    r = run_ok(runtime, bundle(sh("id -u; id -g; id -G"), mutate=mut), cid)
    lines = r.out.splitlines()
    assert lines[0] == "1000" and lines[1] == "1000", r
    assert sorted(lines[2].split(), key=int) == ["29", "100", "1000"], r


def test_nonroot_user_has_no_caps(runtime, bundle, cid):
    # For a non-root user the configured effective/permitted sets do not
    # survive execve (no ambient set, no file caps): only the bounding set
    # shows.  Same for crun and runc.
    def mut(c):
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
    r = run_ok(runtime, bundle(["cat", "/proc/self/status"], mutate=mut), cid)
    f = status_fields(r.out)
    bnd = f"{ocitest.cap_mask(ocitest.DEFAULT_CAPS):016x}"
    zero = "0" * 16
    assert (f["Uid"].split(), f["Gid"].split(), f["CapEff"], f["CapPrm"], f["CapBnd"]) == \
        (["1000"] * 4, ["1000"] * 4, zero, zero, bnd), r.out


def test_nonroot_user_ambient_caps(runtime, bundle, cid):
    # ...unless they are also inheritable+ambient.
    def mut(c):
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
        caps = c["process"]["capabilities"]
        caps["inheritable"] = ["CAP_NET_BIND_SERVICE"]
        caps["ambient"] = ["CAP_NET_BIND_SERVICE"]
    r = run_ok(runtime, bundle(["cat", "/proc/self/status"], mutate=mut), cid)
    f = status_fields(r.out)
    nbs = f"{ocitest.cap_mask(['CAP_NET_BIND_SERVICE']):016x}"
    assert (f["CapInh"], f["CapPrm"], f["CapEff"], f["CapAmb"]) == (nbs, nbs, nbs, nbs), r.out


def test_umask(runtime, bundle, cid):
    def mut(c):
        c["process"]["user"]["umask"] = 0o077
    r = run_ok(runtime, bundle(sh("umask; touch /tmp/f; stat -c %a /tmp/f"), mutate=mut), cid)
    assert r.out.split() == ["0077", "600"], r


def test_default_umask(runtime, bundle, cid):
    r = run_ok(runtime, bundle(["sh", "-c", "umask"]), cid)
    assert r.out.strip() == "0022", r


def test_env_and_cwd(runtime, bundle, cid):
    def mut(c):
        c["process"]["env"] += ["FOO=bar baz", "EMPTY=", "HOME=/home/user"]
        c["process"]["cwd"] = "/home/user"
    r = run_ok(runtime, bundle(sh('pwd; echo "$FOO"; echo "[$EMPTY]"; echo $HOME; echo $TERM'), mutate=mut), cid)
    assert r.out.splitlines() == ["/home/user", "bar baz", "[]", "/home/user", "xterm"], r


def test_env_is_exactly_the_config(runtime, bundle, cid):
    # Both runtimes add HOME (from /etc/passwd) when the config has none;
    # nothing else is added.  `env` run directly, not through sh (which would
    # add PWD/SHLVL).
    r = run_ok(runtime, bundle(["env"]), cid)
    assert sorted(r.out.splitlines()) == sorted(ocitest.DEFAULT_ENV + ["HOME=/root"]), r


def test_home_from_passwd_for_user(runtime, bundle, cid):
    def mut(c):
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
    r = run_ok(runtime, bundle(["env"], mutate=mut), cid)
    assert "HOME=/home/user" in r.out.splitlines(), r


def test_cwd_created_if_missing(runtime, bundle, cid):
    # runc and crun both create a missing cwd (mkdir -p) inside the rootfs.
    def mut(c):
        c["process"]["cwd"] = "/does/not/exist"
    r = run_ok(runtime, bundle(["pwd"], mutate=mut), cid)
    assert r.out.strip() == "/does/not/exist"


# -- rlimits, sysctl, oom_score_adj --------------------------------------

def test_rlimit_nofile(runtime, bundle, cid):
    def mut(c):
        c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 800}]
    r = run_ok(runtime, bundle(sh("ulimit -n; ulimit -Hn; grep 'Max open files' /proc/self/limits"), mutate=mut), cid)
    lines = r.out.splitlines()
    assert lines[0] == "512" and lines[1] == "800", r
    assert lines[2].split()[3:5] == ["512", "800"], r


def test_rlimit_other(runtime, bundle, cid):
    def mut(c):
        c["process"]["rlimits"] += [{"type": "RLIMIT_NPROC", "soft": 100, "hard": 200},
                                    {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
    r = run_ok(runtime, bundle(["cat", "/proc/self/limits"], mutate=mut), cid)
    m = {l[:26].strip(): l[26:].split()[:2] for l in r.out.splitlines()[1:]}
    assert m["Max processes"] == ["100", "200"], r
    assert m["Max core file size"] == ["0", "0"], r
    assert m["Max open files"] == ["1024", "1024"], r


def test_sysctl(runtime, bundle, cid):
    def mut(c):
        c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789"}
    host_fwd = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    r = run_ok(runtime, bundle(sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax"), mutate=mut), cid)
    assert r.out.split() == ["1", "123456789"], r
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text() == host_fwd


def test_oom_score_adj(runtime, bundle, cid):
    def mut(c):
        c["process"]["oomScoreAdj"] = 500
    r = run_ok(runtime, bundle(["cat", "/proc/self/oom_score_adj"], mutate=mut), cid)
    assert r.out.strip() == "500"


def test_oom_score_adj_default_inherited(runtime, bundle, cid):
    r = run_ok(runtime, bundle(["cat", "/proc/self/oom_score_adj"]), cid)
    assert r.out.strip() == Path("/proc/self/oom_score_adj").read_text().strip()


def test_dev_has_standard_devices(runtime, bundle, cid):
    # The runtimes create null zero full random urandom tty in /dev (a
    # tmpfs), the /dev/fd, stdin... symlinks, /dev/ptmx -> pts/ptmx, and
    # mount devpts, shm, mqueue.
    script = ("for d in null zero full random urandom tty; do test -c /dev/$d && echo $d; done; "
              "for l in fd stdin stdout stderr; do readlink /dev/$l; done; "
              "test -e /dev/ptmx && echo ptmx; "
              "head -c 4 /dev/zero | wc -c; "
              "grep -E ' /dev/(pts|shm|mqueue) ' /proc/self/mountinfo | "
              "awk '{for (i = 7; i < NF; i++) if ($i == \"-\") print $5, $(i+1)}'")
    r = run_ok(runtime, bundle(sh(script)), cid)
    lines = r.out.splitlines()
    assert lines[:6] == ["null", "zero", "full", "random", "urandom", "tty"], r
    assert lines[6:10] == ["/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2"], r
    assert lines[10:12] == ["ptmx", "4"], r
    assert sorted(lines[12:]) == ["/dev/mqueue mqueue", "/dev/pts devpts", "/dev/shm tmpfs"], r


def test_create_start_as_a_user_without_capabilities(runtime, reference, bundle):
    """create then start (the exec fifo path) as uid 1000 with no capability
    at all, under the usual umask 022: the process can still open its exec
    fifo (0622 whatever the umask, opened by name in its 0711 directory, as
    it is not dumpable and has no CAP_DAC_OVERRIDE).  Was: `open exec fifo:
    Permission denied` after create, so `start` found the container stopped."""
    def nobody(c):
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
        c["process"]["capabilities"] = {k: [] for k in ("bounding", "effective", "permitted", "inheritable", "ambient")}
    old = os.umask(0o022)
    try:
        for rt in (runtime, reference):
            cid = ocitest.new_id()
            b = bundle(["sh", "-c", "id -u > /tmp/who; sleep 0.2"], mutate=nobody)
            r = rt.create(b, cid)
            assert r.rc == 0, r
            try:
                r = rt.start(cid)
                assert r.rc == 0, (rt.name, r)
            finally:
                rt.delete(cid, force=True)
    finally:
        os.umask(old)
