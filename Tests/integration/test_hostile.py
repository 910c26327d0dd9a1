"""Hostile images: a rootfs whose links point out of it must not make the
runtime touch the host, and the runtime binary must never run inside the
container (CVE-2019-5736: `#!/proc/self/exe` or a link to it)."""
from __future__ import annotations

import os

import ocitest


def test_mount_through_escaping_symlinks_stays_inside(runtime, bundle, cid, workdir):
    outside = workdir / "outside"
    outside.mkdir()
    before = ocitest.mountpoints()

    def mut(c):
        c["mounts"].append({"destination": "/abs/x", "type": "tmpfs", "source": "tmpfs"})
        c["mounts"].append({"destination": "/rel/y", "type": "tmpfs", "source": "tmpfs"})

    b = bundle(["sh", "-c", "ls -d /abs/x /rel/y && grep -c tmpfs /proc/mounts"], mutate=mut)
    # /abs -> the host path of `outside`; /rel -> enough ../ to leave any root.
    os.symlink(str(outside), b.rootfs / "abs")
    os.symlink("../../../../../../../../" + str(outside).lstrip("/"), b.rootfs / "rel")
    r = runtime.run(b, cid)
    # runc refuses such a mount; skiff and crun resolve the link inside the
    # rootfs (it then means <rootfs>/<outside>/x). Either way the host is untouched.
    assert list(outside.iterdir()) == [], r
    assert ocitest.mountpoints() == before


def test_runtime_binary_is_not_run_by_a_shebang(runtime, bundle, cid):
    b = bundle(["/bin/evil"])
    (b.rootfs / "bin/evil").write_text("#!/proc/self/exe\n")
    os.chmod(b.rootfs / "bin/evil", 0o755)
    r = runtime.run(b, cid)
    assert r.rc != 0, r


def test_runtime_binary_is_not_run_through_a_link(runtime, bundle, cid):
    b = bundle(["/bin/evil"])
    os.symlink("/proc/self/exe", b.rootfs / "bin/evil")
    r = runtime.run(b, cid)
    assert r.rc != 0, r


def test_skiff_names_the_refusal(bundle, cid, workdir):
    rt = ocitest.Runtime("skiff", _skiff(), workdir / "skiff-root")
    try:
        b = bundle(["/bin/evil"])
        os.symlink("/proc/self/exe", b.rootfs / "bin/evil")
        r = rt.run(b, cid)
        assert r.rc != 0 and "refusing to run the runtime binary" in r.err, r
    finally:
        rt.cleanup()


def _skiff():
    import conftest
    return conftest._binary_ok("skiff")
