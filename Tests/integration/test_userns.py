"""User namespaces: uid/gid mappings from the config, root inside mapped to
an unprivileged range outside."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def test_user_namespace_maps_root(runtime, bundle, cid, workdir):
    def mut(c):
        c["linux"]["namespaces"].append({"type": "user"})
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        c["root"]["readonly"] = False

    b = bundle(["sh", "-c", "id -u; cat /proc/self/uid_map; touch /tmp/made; sleep 0.2"], mutate=mut)
    # The rootfs must belong to the mapped range: a private copy, chowned.
    shutil.rmtree(b.rootfs)
    subprocess.run(["cp", "-a", str(workdir.parent / "rootfs-cache"), str(b.rootfs)], check=True)
    subprocess.run(["chown", "-R", "100000:100000", str(b.rootfs)], check=True)
    # The mapped root must be able to reach the rootfs (mkdtemp dirs are 0700).
    for d in (workdir.parent, workdir, b.path):
        os.chmod(d, 0o711)
    r = runtime.run(b, cid)
    assert r.rc == 0, r
    lines = r.out.split("\n")
    assert lines[0] == "0"
    assert lines[1].split() == ["0", "100000", "65536"]
    st = os.stat(b.rootfs / "tmp/made")
    assert (st.st_uid, st.st_gid) == (100000, 100000)


def test_user_namespace_without_mappings_is_an_error(runtime, bundle, cid):
    if runtime.name != "skiff":
        pytest.skip("crun and runc differ here (one maps the caller, one fails); skiff fails with a message")

    def mut(c):
        c["linux"]["namespaces"].append({"type": "user"})

    r = runtime.run(bundle(["true"], mutate=mut), cid)
    assert r.rc != 0 and "uidMappings" in r.err, r
