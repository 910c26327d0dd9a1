"""Namespaces: the container sees its own pids, hostname, mounts, cgroups and network."""
import os
import re
from pathlib import Path

import ocitest


def sh(script):
    return ["sh", "-c", script]


def test_pid_namespace_init_is_pid1(runtime, bundle, cid):
    r = runtime.run(bundle(sh("echo $$")), cid)
    assert r.rc == 0, r
    assert r.out.strip() == "1"


def test_ps_shows_only_container_processes(runtime, bundle, cid):
    # busybox ps reads /proc: with the container's own proc mount it sees
    # pid 1 (sh) and ps itself, nothing of the host.
    r = runtime.run(bundle(sh("ps -o pid,comm")), cid)
    assert r.rc == 0, r
    rows = [l.split() for l in r.out.strip().splitlines()[1:]]
    pids = sorted(int(p) for p, _ in rows)
    assert pids[0] == 1, r
    assert len(rows) <= 2, r          # sh (1) and ps (or ps exec'd as 1)
    assert {c for _, c in rows} <= {"sh", "ps"}, r


def test_hostname(runtime, bundle, cid):
    r = runtime.run(bundle(["hostname"], hostname="skiffbox"), cid)
    assert (r.rc, r.out.strip()) == (0, "skiffbox"), r
    assert os.uname().nodename != "skiffbox"


def test_uname_nodename_and_domainname(runtime, bundle, cid):
    def mut(c):
        c["domainname"] = "example.test"
    r = runtime.run(bundle(sh("uname -n; cat /proc/sys/kernel/domainname"), hostname="h1", mutate=mut), cid)
    if runtime.name == "runc":
        # runc 1.1.5 predates runtime-spec 1.1's "domainname" (runc 1.2 has
        # it) and silently ignores the field: the namespace keeps "(none)".
        assert (r.rc, r.out.split()) == (0, ["h1", "(none)"]), r
        return
    assert (r.rc, r.out.split()) == (0, ["h1", "example.test"]), r


def test_mount_inside_is_invisible_on_host(runtime, bundle, cid, workdir):
    # The default caps do not allow mount(2), so give the container
    # CAP_SYS_ADMIN for this one test.
    def mut(c):
        for s in ("bounding", "effective", "permitted"):
            c["process"]["capabilities"][s].append("CAP_SYS_ADMIN")
    b = bundle(sh("mount -t tmpfs skiffprobe /mnt && grep -c skiffprobe /proc/self/mounts"), mutate=mut)
    r = runtime.run(b, cid)
    assert (r.rc, r.out.strip()) == (0, "1"), r
    assert "skiffprobe" not in Path("/proc/self/mountinfo").read_text()
    assert not ocitest.mounts_under(b.rootfs)


def test_mount_namespace_root_is_the_bundle_rootfs(runtime, bundle, cid):
    r = runtime.run(bundle(sh("ls /; test -e /bin/busybox && echo has-busybox")), cid)
    assert r.rc == 0, r
    assert "has-busybox" in r.out
    assert "work" not in r.out.split()


def test_cgroup_namespace_root(runtime, bundle, cid):
    # With a cgroup namespace every hierarchy's path is "/" from inside.
    r = runtime.run(bundle(["cat", "/proc/self/cgroup"]), cid)
    assert r.rc == 0, r
    lines = r.out.strip().splitlines()
    assert lines, r
    for line in lines:
        assert line.rsplit(":", 1)[1] == "/", r


def test_cgroup_placement_on_host(runtime, bundle, cid):
    """From the host, the container's init sits in a cgroup ending with the
    configured cgroupsPath, in every v1 hierarchy that has a controller.
    (runc nests a relative path under the caller's own cgroup, e.g.
    memory:/process_api/<x>/skiff-test/<id>; crun 1.8.1 on v1 under the
    hierarchy root, memory:/skiff-test/<id>.  Only the suffix is common.)"""
    b = bundle(["sleep", "100"])
    r = runtime.run(b, cid, detach=True)
    assert r.rc == 0, r
    pid = runtime.state(cid)["pid"]
    cg = ocitest.own_cgroups(pid)
    for ctrl in ("memory", "pids", "cpu", "devices", "freezer"):
        key = next(k for k in cg if ctrl in k.split(","))
        assert cg[key].endswith("/" + b.cgroups_path), (ctrl, cg)
    if runtime.name == "skiff" and "" in ocitest.v1_hierarchies():
        # skiff's child is cloned into the (controller-less) cgroup2 directory too
        # (CLONE_INTO_CGROUP) and moves itself into the v1 ones ("0" to tasks)
        assert cg[""].endswith("/" + b.cgroups_path), cg
    dirs = ocitest.existing_cgroup_dirs(b.cgroups_path)
    assert dirs
    assert runtime.delete(cid, force=True).rc == 0
    assert not ocitest.existing_cgroup_dirs(b.cgroups_path)


def test_network_namespace_has_only_lo(runtime, bundle, cid):
    r = runtime.run(bundle(sh("ls /sys/class/net; ip -o link")), cid)
    assert r.rc == 0, r
    names = re.findall(r"^\d+: ([^:@]+)", r.out, re.M)
    assert names == ["lo"], r


def test_ipc_namespace(runtime, bundle, cid):
    # A fresh IPC namespace has no System V objects at all.
    r = runtime.run(bundle(sh("cat /proc/sysvipc/shm | wc -l; readlink /proc/self/ns/ipc")), cid)
    assert r.rc == 0, r
    lines = r.out.split()
    assert lines[0] == "1"            # header line only
    assert lines[1] != os.readlink("/proc/self/ns/ipc")


def test_namespaces_differ_from_host(runtime, bundle, cid):
    kinds = ["pid", "net", "ipc", "uts", "mnt", "cgroup"]
    r = runtime.run(bundle(sh(" ; ".join(f"readlink /proc/self/ns/{k}" for k in kinds))), cid)
    assert r.rc == 0, r
    inside = r.out.split()
    assert len(inside) == len(kinds), r
    for k, v in zip(kinds, inside):
        assert v != os.readlink(f"/proc/self/ns/{k}"), k
    # No user namespace was asked for: it is the host's.
    r = runtime.run(bundle(["readlink", "/proc/self/ns/user"]), ocitest.new_id())
    assert r.out.strip() == os.readlink("/proc/self/ns/user")
