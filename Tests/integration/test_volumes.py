"""Volumes and bind mounts through the real docker CLI 28 and docker-py:
named volumes that outlive containers and the daemon, copy-up of image
content (owners, modes, links, xattrs), read-only binds, anonymous volumes
and `rm -v`, `--volumes-from`, tmpfs mounts, driver options (a tmpfs
volume mounted only while used), in-use refusal, prune, filters, Docker's
errors for bad input, hostile images, and no mount left behind."""
from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import tarfile
import time
import urllib.parse
from pathlib import Path

import pytest

from clitest import skiff_binary
from skiffd import busybox_tar, daemon  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def busybox(daemon, busybox_tar):
    daemon.out("import", str(busybox_tar), "busybox:latest")
    yield "busybox"


@pytest.fixture(scope="module")
def appimage(daemon, busybox_tar, tmp_path_factory):
    """busybox plus /srv/app: a directory owned 1000:1001 (0750) holding a
    setuid file with an xattr, a hard link to it, a symlink and a fifo, and
    a hostile symlink /escape -> the path of a host directory (which the
    image has too); VOLUME /srv/app."""
    host_target = tmp_path_factory.mktemp("escape-target")
    out = tmp_path_factory.mktemp("appimage") / "app.tar"
    with tarfile.open(busybox_tar) as src, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)

        def entry(name, kind=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, data=b"", **extra):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.uid, info.gid, info.size = kind, mode, uid, gid, len(data)
            for key, value in extra.items():
                setattr(info, key, value)
            dst.addfile(info, io.BytesIO(data) if data else None)

        entry("srv/app", tarfile.DIRTYPE, 0o750, 1000, 1001)
        entry("srv/app/sub", tarfile.DIRTYPE, 0o700, 1000, 1001)
        entry("srv/app/sub/tool", mode=0o4755, uid=33, gid=44, data=b"#!/bin/sh\necho tool\n",
              pax_headers={"SCHILY.xattr.user.note": "kept"})
        entry("srv/app/hardlink", tarfile.LNKTYPE, linkname="srv/app/sub/tool")
        entry("srv/app/link", tarfile.SYMTYPE, linkname="sub/tool")
        entry("srv/app/fifo", tarfile.FIFOTYPE, 0o600)
        # The symlink's target exists in the image too: that is where it must lead.
        parts = str(host_target).strip("/").split("/")
        for i in range(1, len(parts) + 1):
            entry("/".join(parts[:i]), tarfile.DIRTYPE, 0o755)
        entry("escape", tarfile.SYMTYPE, linkname=str(host_target))
    daemon.out("import", "--change", "VOLUME /srv/app", str(out), "app:latest")
    yield "app", host_target


@pytest.fixture(autouse=True)
def no_leftovers(daemon):
    """Every test removes its containers and volumes, and no volume mount is left."""
    yield
    ids = daemon.out("ps", "-aq").split()
    if ids:
        daemon.docker("rm", "-f", "-v", *ids, check=False)
    names = daemon.out("volume", "ls", "-q").split()
    if names:
        daemon.docker("volume", "rm", "-f", *names, check=False)
    assert volume_mounts(daemon) == []


def volume_mounts(daemon):
    root = str(daemon.data / "volumes")
    return [line.split()[4] for line in open("/proc/self/mountinfo") if line.split()[4].startswith(root)]


def inspect(daemon, name):
    return json.loads(daemon.out("inspect", name))[0]


def volume(daemon, name):
    return json.loads(daemon.out("volume", "inspect", name))[0]


def filters(value):
    return "filters=" + urllib.parse.quote(json.dumps(value))


def api(daemon, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    status, _, raw = daemon.request(method, path, data, {"Content-Type": "application/json"} if data else None)
    return status, json.loads(raw) if raw else None


# ---------------------------------------------------------------- named volumes

def test_named_volume_outlives_containers_and_the_daemon(daemon, busybox):
    daemon.docker("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/file")
    info = volume(daemon, "data")
    assert info["Driver"] == "local" and info["Scope"] == "local"
    assert info["Mountpoint"] == str(daemon.data / "volumes" / "data" / "_data")
    assert (Path(info["Mountpoint"]) / "file").read_text() == "kept\n"
    daemon.docker("create", "--name", "reader", "-v", "data:/in", "busybox", "cat", "/in/file")
    daemon.docker("rm", "-v", "reader")  # a named volume stays even with -v
    assert daemon.out("run", "--rm", "-v", "data:/in", "busybox", "cat", "/in/file") == "kept"

    daemon.stop()
    daemon.start()
    assert daemon.out("volume", "ls", "-q").split() == ["data"]
    assert volume(daemon, "data")["CreatedAt"] == info["CreatedAt"]
    assert daemon.out("run", "--rm", "-v", "data:/again", "busybox", "cat", "/again/file") == "kept"


def test_inspect_shows_mounts_as_dockerd(daemon, busybox, tmp_path):
    (tmp_path / "src").mkdir()
    daemon.docker("create", "--name", "m", "-v", "named:/n", "-v", f"{tmp_path}/src:/b:ro", "-v", "/anon",
                  "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m", "--mount", "type=volume,src=other,dst=/o,volume-nocopy",
                  "--mount", f"type=bind,src={tmp_path}/src,dst=/p,bind-propagation=rslave",
                  "busybox", "true")
    info = inspect(daemon, "m")
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    assert mounts["/n"] == {"Type": "volume", "Name": "named", "Source": str(daemon.data / "volumes/named/_data"),
                            "Destination": "/n", "Driver": "local", "Mode": "z", "RW": True, "Propagation": ""}
    assert mounts["/b"] == {"Type": "bind", "Source": f"{tmp_path}/src", "Destination": "/b", "Mode": "ro",
                            "RW": False, "Propagation": "rprivate"}
    assert mounts["/t"] == {"Type": "tmpfs", "Source": "", "Destination": "/t", "Mode": "", "RW": True, "Propagation": ""}
    assert mounts["/p"]["Propagation"] == "rslave" and mounts["/o"]["Name"] == "other"
    anon = mounts["/anon"]
    assert anon["Type"] == "volume" and len(anon["Name"]) == 64 and anon["Mode"] == ""
    assert volume(daemon, anon["Name"])["Labels"] == {"com.docker.volume.anonymous": ""}
    host = info["HostConfig"]
    # The docker CLI collects -v values in a Go map: their order in Binds is random.
    assert sorted(host["Binds"]) == sorted(["named:/n", f"{tmp_path}/src:/b:ro"])
    assert [m["Target"] for m in host["Mounts"]] == ["/t", "/o", "/p"]
    assert host["Mounts"][0]["TmpfsOptions"] == {"SizeBytes": 1048576}
    assert host["Mounts"][1]["VolumeOptions"] == {"NoCopy": True}
    assert info["Config"]["Volumes"] == {"/anon": {}}
    assert daemon.out("ps", "-a", "--filter", "volume=named", "--format", "{{.Names}}") == "m"
    assert daemon.out("ps", "-a", "--filter", "volume=/t", "--format", "{{.Names}}") == "m"
    assert daemon.out("ps", "-a", "--filter", "volume=nothing", "--format", "{{.Names}}") == ""


# ---------------------------------------------------------------- copy-up

def test_copy_up_of_image_content(daemon, busybox):
    out = daemon.out("run", "--rm", "-v", "etc:/etc", "busybox", "sh", "-c", "grep -c ^root: /etc/passwd")
    assert out == "1"
    data = Path(volume(daemon, "etc")["Mountpoint"])
    assert (data / "passwd").read_text().startswith("root:")
    st = data.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o755)
    # Not again: the volume holds the container's changes now.
    daemon.docker("run", "--rm", "-v", "etc:/etc", "busybox", "sh", "-c", "rm /etc/passwd")
    daemon.docker("run", "--rm", "-v", "etc:/etc", "busybox", "true")
    assert not (data / "passwd").exists()
    # nocopy: nothing of the image's (only the mount points of /etc/hosts and the like).
    assert daemon.out("run", "--rm", "-v", "empty:/etc:nocopy", "busybox", "ls", "-A", "/etc").split() == ["hostname", "hosts", "resolv.conf"]


def test_copy_up_keeps_owners_modes_links_and_xattrs(daemon, appimage):
    image, _ = appimage
    daemon.docker("create", "--name", "app", image, "true")
    anon = [m for m in inspect(daemon, "app")["Mounts"] if m["Destination"] == "/srv/app"][0]
    data = Path(anon["Source"])
    st = data.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1000, 1001, 0o750)
    tool = os.lstat(data / "sub/tool")
    assert (tool.st_uid, tool.st_gid, stat.S_IMODE(tool.st_mode)) == (33, 44, 0o4755)
    assert os.getxattr(data / "sub/tool", "user.note", follow_symlinks=False) == b"kept"
    assert os.lstat(data / "hardlink").st_ino == tool.st_ino and tool.st_nlink == 2
    assert os.readlink(data / "link") == "sub/tool"
    assert stat.S_ISFIFO(os.lstat(data / "fifo").st_mode)
    assert stat.S_IMODE(os.lstat(data / "sub").st_mode) == 0o700
    # The container sees the same through the volume.
    out = daemon.out("run", "--rm", image, "sh", "-c", "stat -c '%u:%g %a' /srv/app /srv/app/sub/tool; /srv/app/link")
    assert out.splitlines() == ["1000:1001 750", "33:44 4755", "tool"]


def test_a_hostile_symlink_stays_in_the_image(daemon, appimage):
    image, host_target = appimage
    before = sorted(os.listdir(host_target))
    daemon.docker("run", "--rm", "-v", "hostile:/escape", image, "sh", "-c", "echo owned > /escape/file")
    daemon.docker("run", "--rm", "--mount", "type=tmpfs,dst=/escape/t", image, "true")
    assert sorted(os.listdir(host_target)) == before
    assert (Path(volume(daemon, "hostile")["Mountpoint"]) / "file").read_text() == "owned\n"
    assert not any(str(host_target) in line for line in open("/proc/self/mountinfo"))


# ---------------------------------------------------------------- binds

def test_binds_read_write_and_read_only(daemon, busybox, tmp_path):
    (tmp_path / "in.txt").write_text("from host\n")
    out = daemon.out("run", "--rm", "-v", f"{tmp_path}:/host", "busybox", "sh", "-c", "cat /host/in.txt; echo back > /host/out.txt")
    assert out == "from host" and (tmp_path / "out.txt").read_text() == "back\n"
    for args in (["-v", f"{tmp_path}:/host:ro"], ["--mount", f"type=bind,src={tmp_path},dst=/host,readonly"]):
        bad = daemon.docker("run", "--rm", *args, "busybox", "sh", "-c", "touch /host/x", check=False)
        assert bad.returncode != 0 and b"Read-only file system" in bad.stderr
    assert not (tmp_path / "x").exists()
    # A single file, and a missing -v source made as a directory (--mount refuses it).
    assert daemon.out("run", "--rm", "-v", f"{tmp_path}/in.txt:/etc/motd:ro", "busybox", "cat", "/etc/motd") == "from host"
    daemon.docker("run", "--rm", "-v", f"{tmp_path}/made/here:/m", "busybox", "true")
    assert (tmp_path / "made/here").is_dir()
    bad = daemon.docker("run", "--rm", "--mount", f"type=bind,src={tmp_path}/nope,dst=/m", "busybox", "true", check=False)
    assert bad.returncode == 125
    assert f"invalid mount config for type \"bind\": bind source path does not exist: {tmp_path}/nope".encode() in bad.stderr
    # Nested mounts in any order: the deeper one is on top.
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner/mark").write_text("inner\n")
    out = daemon.out("run", "--rm", "-v", f"{tmp_path}/inner:/a/b/c", "-v", "outer:/a", "busybox", "cat", "/a/b/c/mark")
    assert out == "inner"


def test_shared_propagation_needs_a_shared_source(daemon, busybox, tmp_path):
    """As dockerd: a shared bind of a source on a private mount is refused at start."""
    mount = max((line.split() for line in open("/proc/self/mountinfo")
                 if str(tmp_path).startswith(line.split()[4].rstrip("/") + "/") or line.split()[4] == "/"),
                key=lambda fields: len(fields[4]))
    shared = any(tag.startswith("shared:") for tag in mount[6:mount.index("-")])
    run = daemon.docker("run", "--rm", "--mount", f"type=bind,src={tmp_path},dst=/x,bind-propagation=rshared",
                        "busybox", "true", check=False)
    if shared:
        assert run.returncode == 0
    else:
        assert run.returncode == 125 and f"path {tmp_path} is mounted on {mount[4]} but it is not a shared mount".encode() in run.stderr
    assert daemon.out("ps", "-aq") == ""


# ---------------------------------------------------------------- anonymous volumes

def test_anonymous_volumes_and_rm_v(daemon, busybox):
    daemon.docker("create", "--name", "a", "-v", "/data", "busybox", "true")
    name = inspect(daemon, "a")["Mounts"][0]["Name"]
    daemon.docker("rm", "a")
    assert name in daemon.out("volume", "ls", "-q").split()
    daemon.docker("volume", "rm", name)
    daemon.docker("create", "--name", "b", "-v", "/data", "-v", "named:/named", "busybox", "true")
    name = inspect(daemon, "b")["Mounts"][0]["Name"]
    daemon.docker("rm", "-v", "b")
    assert daemon.out("volume", "ls", "-q").split() == ["named"]
    # --rm takes its anonymous volumes along, an image VOLUME included.
    daemon.docker("run", "--rm", "-v", "/scratch", "busybox", "true")
    assert daemon.out("volume", "ls", "-q").split() == ["named"]


def test_image_volumes_are_anonymous_unless_mounted_over(daemon, appimage):
    image, _ = appimage
    daemon.docker("run", "--rm", image, "true")
    assert daemon.out("volume", "ls", "-q") == ""
    daemon.docker("create", "--name", "over", "-v", "mine:/srv/app", image, "true")
    assert [m["Name"] for m in inspect(daemon, "over")["Mounts"]] == ["mine"]


# ---------------------------------------------------------------- --volumes-from

def test_volumes_from(daemon, busybox):
    daemon.docker("run", "--name", "writer", "-v", "shared:/shared", "-v", "/anon", "busybox", "sh", "-c",
                  "echo hello > /shared/f; echo anon > /anon/g")
    assert daemon.out("run", "--rm", "--volumes-from", "writer", "busybox", "cat", "/shared/f", "/anon/g").splitlines() == ["hello", "anon"]
    bad = daemon.docker("run", "--rm", "--volumes-from", "writer:ro", "busybox", "touch", "/shared/x", check=False)
    assert bad.returncode != 0 and b"Read-only file system" in bad.stderr
    daemon.docker("create", "--name", "reader", "--volumes-from", "writer:ro", "busybox", "true")
    info = inspect(daemon, "reader")
    assert sorted(m["Destination"] for m in info["Mounts"]) == ["/anon", "/shared"]
    assert all(not m["RW"] for m in info["Mounts"]) and info["HostConfig"]["VolumesFrom"] == ["writer:ro"]
    # The writer's anonymous volume is the reader's too: rm -v of one keeps it for the other.
    anon = [m["Name"] for m in info["Mounts"] if m["Destination"] == "/anon"][0]
    daemon.docker("rm", "-v", "writer")
    assert anon in daemon.out("volume", "ls", "-q").split()
    daemon.docker("rm", "-v", "reader")
    assert anon not in daemon.out("volume", "ls", "-q").split()
    bad = daemon.docker("run", "--rm", "--volumes-from", "nobody", "busybox", "true", check=False)
    assert bad.returncode == 125 and b"No such container: nobody" in bad.stderr


# ---------------------------------------------------------------- tmpfs

def test_tmpfs_mounts_and_tmpfs_volumes(daemon, busybox):
    out = daemon.out("run", "--rm", "--mount", "type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=1770", "busybox", "sh", "-c",
                     "stat -c %a /t; df -k /t | tail -1; grep ' /t ' /proc/mounts")
    mode, df, mount = out.splitlines()
    assert mode == "1770" and df.split()[1] == "2048"
    assert "tmpfs" in mount and "noexec" in mount and "nosuid" in mount
    # A volume with driver options: mounted on _data while a container uses it, not before nor after.
    daemon.docker("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=3m", "ram")
    assert volume(daemon, "ram")["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=3m"}
    assert volume_mounts(daemon) == []
    daemon.docker("run", "-d", "--name", "one", "-v", "ram:/ram", "busybox", "sleep", "100")
    daemon.docker("run", "-d", "--name", "two", "-v", "ram:/ram", "busybox", "sleep", "100")
    assert volume_mounts(daemon) == [volume(daemon, "ram")["Mountpoint"]]
    daemon.docker("exec", "one", "sh", "-c", "echo shared > /ram/f")
    assert daemon.out("exec", "two", "cat", "/ram/f") == "shared"
    assert daemon.out("exec", "two", "sh", "-c", "df -k /ram | tail -1").split()[1] == "3072"
    daemon.docker("rm", "-f", "one")
    assert len(volume_mounts(daemon)) == 1  # two still uses it
    daemon.docker("stop", "-t", "0", "two")
    assert volume_mounts(daemon) == []
    daemon.docker("start", "two")
    assert len(volume_mounts(daemon)) == 1
    daemon.docker("rm", "-f", "two")
    assert volume_mounts(daemon) == []


def test_bind_volume_with_driver_options(daemon, busybox, tmp_path):
    (tmp_path / "keep").write_text("host file\n")
    daemon.docker("volume", "create", "-o", "type=none", "-o", "o=bind", "-o", f"device={tmp_path}", "hostdir")
    assert daemon.out("run", "--rm", "-v", "hostdir:/h", "busybox", "cat", "/h/keep") == "host file"
    assert volume_mounts(daemon) == []
    daemon.docker("volume", "rm", "hostdir")
    assert (tmp_path / "keep").read_text() == "host file\n"


# ---------------------------------------------------------------- remove and prune

def test_volume_in_use_is_refused(daemon, busybox):
    daemon.docker("create", "--name", "user", "-v", "busy:/b", "busybox", "true")
    cid = inspect(daemon, "user")["Id"]
    status, body = api(daemon, "DELETE", "/volumes/busy")
    assert status == 409 and body["message"] == f"remove busy: volume is in use - [{cid}]"
    status, body = api(daemon, "DELETE", "/volumes/busy?force=1")
    assert status == 409
    bad = daemon.docker("volume", "rm", "busy", check=False)
    assert bad.returncode == 1 and b"volume is in use" in bad.stderr
    daemon.docker("rm", "user")
    daemon.docker("volume", "rm", "busy")
    status, body = api(daemon, "DELETE", "/volumes/busy")
    assert status == 404 and body["message"] == "get busy: no such volume"
    assert api(daemon, "DELETE", "/volumes/busy?force=1")[0] == 204


def test_prune(daemon, busybox):
    daemon.docker("create", "--name", "keeper", "-v", "used:/u", "-v", "/anon-used", "busybox", "true")
    daemon.docker("volume", "create", "named")
    daemon.docker("volume", "create", "--label", "tier=cache", "labelled")
    daemon.docker("run", "--name", "gone", "-v", "/anon-unused", "busybox", "true")
    daemon.docker("rm", "gone")
    anonymous_unused = [v for v in daemon.out("volume", "ls", "-q", "--filter", "dangling=true").split()
                        if len(v) == 64]
    assert len(anonymous_unused) == 1
    # API >= 1.42: anonymous only.
    status, body = api(daemon, "POST", "/volumes/prune")
    assert status == 200 and body["VolumesDeleted"] == anonymous_unused
    assert sorted(daemon.out("volume", "ls", "-q").split())[-3:] == ["labelled", "named", "used"]
    # all=true with a label filter: only what matches, never what is used.
    status, body = api(daemon, "POST", "/volumes/prune?" + filters({"all": ["true"], "label": ["tier=cache"]}))
    assert body["VolumesDeleted"] == ["labelled"]
    out = daemon.out("volume", "prune", "-a", "-f")
    assert "named" in out
    remaining = daemon.out("volume", "ls", "-q").split()
    assert "used" in remaining and len(remaining) == 2
    # Before API 1.42 prune took named volumes too.
    daemon.docker("volume", "create", "old")
    status, body = api(daemon, "POST", "/v1.41/volumes/prune")
    assert body["VolumesDeleted"] == ["old"] and body["SpaceReclaimed"] == 0


def test_list_filters(daemon, busybox):
    daemon.docker("volume", "create", "--label", "team=a", "alpha")
    daemon.docker("volume", "create", "--label", "team=b", "beta")
    daemon.docker("create", "--name", "c", "-v", "alpha:/a", "busybox", "true")

    def names(*filters):
        args = [x for f in filters for x in ("--filter", f)]
        return sorted(daemon.out("volume", "ls", "-q", *args).split())

    assert names() == ["alpha", "beta"]
    assert names("dangling=true") == ["beta"]
    assert names("dangling=false") == ["alpha"]
    assert names("label=team=b") == ["beta"]
    assert names("label=team") == ["alpha", "beta"]
    assert names("name=alp") == ["alpha"]
    assert names("name=^b.*a$") == ["beta"]
    assert names("driver=local") == ["alpha", "beta"]
    status, body = api(daemon, "GET", "/volumes")
    assert status == 200 and body["Warnings"] is None and {v["Name"] for v in body["Volumes"]} == {"alpha", "beta"}


# ---------------------------------------------------------------- bad input

def test_bad_input_is_a_clear_400(daemon, busybox):
    for name, message in [
        ("a", "create a: volume name is too short, names should be at least two alphanumeric characters"),
        ("bad name", 'create bad name: "bad name" includes invalid characters for a local volume name, only '
                     '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'),
        ("../up", 'create ../up: "../up" includes invalid characters'),
    ]:
        status, body = api(daemon, "POST", "/volumes/create", {"Name": name})
        assert status == 400 and body["message"].startswith(message)
    status, body = api(daemon, "POST", "/volumes/create", {"Name": "opts", "DriverOpts": {"colour": "blue"}})
    assert status == 400 and body["message"] == 'create opts: invalid option: "colour"'
    status, body = api(daemon, "POST", "/volumes/create", {"Name": "opts", "DriverOpts": {"type": "tmpfs"}})
    assert status == 400 and body["message"] == 'create opts: missing required option: "device"'
    status, body = api(daemon, "POST", "/volumes/create", {"Name": "plug", "Driver": "nfs-plugin"})
    assert status == 404 and "plugin \"nfs-plugin\" not found" in body["message"]
    status, body = api(daemon, "GET", "/volumes/nope")
    assert status == 404 and body["message"] == "get nope: no such volume"
    assert api(daemon, "GET", "/volumes?" + filters({"colour": ["x"]}))[1]["message"] == "invalid filter 'colour'"
    status, body = api(daemon, "GET", "/volumes?" + filters({"dangling": ["maybe"]}))
    assert status == 400 and body["message"] == "invalid filter 'dangling=maybe'"
    assert daemon.out("volume", "ls", "-q") == ""

    for args, message in [
        (["-v", "foo/bar:/x"], 'create foo/bar: "foo/bar" includes invalid characters'),
        (["-v", "vol:relative"], "invalid mount path: 'relative' mount path must be absolute"),
        (["-v", "/tmp:/"], "invalid specification: destination can't be '/'"),
        (["-v", "vol:/x:bogus"], "invalid mode: bogus"),
        (["-v", "/data:rw"], "invalid volume specification: '/data:rw'"),
        (["-v", "vol:/x", "-v", "other:/x"], "Duplicate mount point: /x"),
        (["-v", "/tmp:/x", "--tmpfs", "/x"], "Duplicate mount point: /x"),
        (["--mount", "type=bind,src=relative,dst=/x"], "invalid mount path: 'relative' mount path must be absolute"),
        (["--mount", "type=tmpfs,src=/a,dst=/x"], 'invalid mount config for type "tmpfs": field Source must not be specified'),
        (["--mount", "type=volume,dst=/x,volume-opt=colour=blue"], 'invalid option: "colour"'),
    ]:
        bad = daemon.docker("run", "--rm", *args, "busybox", "true", check=False)
        assert bad.returncode == 125, args
        assert message.encode() in bad.stderr, (args, bad.stderr)
    assert daemon.out("volume", "ls", "-q") == ""
    assert daemon.out("ps", "-aq") == ""


# ---------------------------------------------------------------- docker-py

def test_docker_py(daemon, busybox, tmp_path):
    client = daemon.client()
    v = client.volumes.create("pyvol", labels={"from": "py"})
    assert v.name == "pyvol" and v.attrs["Labels"] == {"from": "py"}
    out = client.containers.run("busybox", ["sh", "-c", "echo py > /v/f; cat /v/f"], remove=True,
                                volumes={"pyvol": {"bind": "/v", "mode": "rw"}, str(tmp_path): {"bind": "/h", "mode": "ro"}})
    assert out == b"py\n"
    assert [x.name for x in client.volumes.list()] == ["pyvol"]
    assert client.volumes.get("pyvol").attrs["Mountpoint"].endswith("/volumes/pyvol/_data")
    c = client.containers.create("busybox", "true", volumes=["pyvol:/v"])
    import docker
    with pytest.raises(docker.errors.APIError) as err:
        client.volumes.get("pyvol").remove()
    assert err.value.status_code == 409
    c.remove(v=True)
    client.volumes.get("pyvol").remove()
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get("pyvol")
    assert client.volumes.prune()["VolumesDeleted"] == []


# ---------------------------------------------------------------- the skiff CLI

def test_skiff_cli_run_flags(daemon, busybox, tmp_path):
    """`skiff run -v/--mount/--volumes-from` end to end (the CLI sends what docker sends)."""
    binary = skiff_binary()
    if not binary:
        pytest.skip("the skiff CLI is not built (set SKIFF_CLI)")

    def skiff(*args):
        p = subprocess.run([binary, "-H", f"unix://{daemon.sock}", *args], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout.strip()

    (tmp_path / "f").write_text("bound\n")
    skiff("run", "--name", "src", "-v", "clivol:/v", "-v", f"{tmp_path}:/h:ro", "--mount", "type=tmpfs,dst=/t",
          "busybox", "sh", "-c", "cat /h/f > /v/copy")
    assert skiff("run", "--rm", "--volumes-from", "src:ro", "busybox", "cat", "/v/copy") == "bound"
    assert skiff("run", "--rm", "--mount", "type=volume,src=clivol,dst=/m,readonly", "busybox", "cat", "/m/copy") == "bound"


# ---------------------------------------------------------------- nothing leaks

def test_nothing_is_left_mounted(daemon, busybox):
    """After all of the above (run last): no mount under the daemon's root but none at all."""
    daemon.docker("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "last")
    for _ in range(3):
        daemon.docker("run", "--rm", "-v", "last:/l", "-v", "/anon", "--mount", "type=tmpfs,dst=/t", "busybox", "true")
    time.sleep(0.2)
    mounts = [line.split()[4] for line in open("/proc/self/mountinfo") if str(daemon.root) in line]
    assert mounts == []
    assert daemon.out("volume", "ls", "-q").split() == ["last"]
