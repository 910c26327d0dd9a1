"""Many containers in a row leave nothing behind: mounts, cgroups, zombies,
state dirs, file descriptors of the caller.

The long loops are marked `slow` (300 iterations for skiff, 50 for crun and
runc, which are only the yardstick); a short version of each runs always.
"""
import json
import os
import time

import pytest

import ocitest

LONG = {"skiff": 300, "crun": 50, "runc": 50}
SHORT = 10


class Snapshot:
    """What must be the same before and after a loop."""

    def __init__(self, runtime):
        self.mount_lines = len(open("/proc/self/mountinfo").read().splitlines())
        self.cgroups = self._cgroup_children()
        self.fds = ocitest.open_fds()
        self.zombies = ocitest.zombie_children()
        self.state = sorted(os.listdir(runtime.root))

    @staticmethod
    def _cgroup_children():
        # everything below the shared parent, in every hierarchy, both where
        # runc (own cgroup) and crun (hierarchy root) put it
        out = set()
        for d in ocitest.candidate_cgroup_dirs(ocitest.CGROUP_PARENT):
            if d.exists():
                out |= {str(p) for p in d.iterdir() if p.is_dir()}
        return out

    def assert_same(self, runtime):
        # the runtimes reap their children; give an exiting one a moment
        deadline = time.monotonic() + 5
        while ocitest.zombie_children() != self.zombies and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ocitest.zombie_children() == self.zombies, "zombie children of the test process"
        assert len(open("/proc/self/mountinfo").read().splitlines()) == self.mount_lines, "mounts leaked"
        assert self._cgroup_children() == self.cgroups, "cgroups leaked"
        assert ocitest.open_fds() == self.fds, "fds leaked in the caller"
        assert sorted(os.listdir(runtime.root)) == self.state == [], "state dirs left"


def loop_run(runtime, b, n):
    for i in range(n):
        r = runtime.run(b, ocitest.new_id("lk"))
        assert r.rc == 0, (i, r)


def loop_create_start_delete(runtime, b, n):
    for i in range(n):
        cid = ocitest.new_id("lk")
        r = runtime.create(b, cid)
        assert r.rc == 0, (i, r)
        r = runtime.start(cid)
        assert r.rc == 0, (i, r)
        assert runtime.wait_status(cid, "stopped") == "stopped", i
        r = runtime.delete(cid)
        assert r.rc == 0, (i, r)
        runtime.created.discard(cid)


def loop_detach_force_delete(runtime, b, n):
    for i in range(n):
        cid = ocitest.new_id("lk")
        r = runtime.run(b, cid, detach=True)
        assert r.rc == 0, (i, r)
        r = runtime.delete(cid, force=True)
        assert r.rc == 0, (i, r)
        runtime.created.discard(cid)


LOOPS = {
    "run-true": (loop_run, ["true"]),
    "create-start-delete": (loop_create_start_delete, ["true"]),
    "run-detach-delete-force": (loop_detach_force_delete, ["sleep", "100"]),
}


def _leak_check(runtime, bundle, kind, n):
    fn, args = LOOPS[kind]
    b = bundle(args)
    # one warm-up run: first-use lazily created things (the shared cgroup
    # parent, the state root) are not leaks
    fn(runtime, b, 1)
    before = Snapshot(runtime)
    fn(runtime, b, n)
    before.assert_same(runtime)
    assert not ocitest.existing_cgroup_dirs(b.cgroups_path)
    assert not ocitest.mounts_under(b.path)


@pytest.mark.parametrize("kind", list(LOOPS))
def test_no_leaks_short(runtime, bundle, kind):
    _leak_check(runtime, bundle, kind, SHORT)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["run-true", "create-start-delete"])
def test_no_leaks_long(runtime, bundle, kind):
    _leak_check(runtime, bundle, kind, LONG[runtime.name])


@pytest.mark.slow
def test_no_leaks_exec(runtime, bundle, cid):
    b = bundle(["sleep", "1000"])
    loop_run(runtime, bundle(["true"]), 1)      # warm-up
    before = Snapshot(runtime)
    assert runtime.run(b, cid, detach=True).rc == 0
    init = runtime.state(cid)["pid"]
    n = LONG[runtime.name] // 5
    for i in range(n):
        r = runtime.exec(cid, "sh", "-c", "echo $$")
        assert r.rc == 0 and int(r.out) > 1, (i, r)
    # only init is left in the container
    assert json.loads(runtime.ps(cid).out) == [init]
    assert runtime.delete(cid, force=True).rc == 0
    runtime.created.discard(cid)
    before.assert_same(runtime)


def test_no_leaks_after_failures(runtime, bundle):
    """Failing runs (missing executable, bad mount) leave nothing either."""
    bad_exec = bundle(["nosuchcmd"])

    def bad_mount_mut(c):
        c["mounts"].append({"destination": "/mnt/x", "type": "bind", "source": "/nonexistent", "options": ["rbind"]})
    bad_mount = bundle(["true"], mutate=bad_mount_mut)
    runtime.run(bad_exec, ocitest.new_id("lk"))
    before = Snapshot(runtime)
    for i in range(SHORT):
        for b in (bad_exec, bad_mount):
            r = runtime.run(b, ocitest.new_id("lk"))
            assert r.rc != 0, r
    before.assert_same(runtime)
