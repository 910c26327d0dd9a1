"""skiffd's image endpoints through the real docker CLI and docker-py:
import, images (formats, filters), inspect, history, tag, rmi, prune,
save/load round trips, and a bad tarball that leaves the store unchanged."""
from __future__ import annotations

import io
import json
import os
import shlex
import socket
import subprocess
import tarfile
import time

import pytest

from skiffd import busybox_tar, daemon  # noqa: F401  (fixtures)


@pytest.fixture
def busybox(daemon, busybox_tar):
    """busybox:latest imported with a CMD; removed (with every tag) afterwards."""
    out = daemon.out("import", "--change", 'CMD ["sh"]', "--change", "LABEL org.test=yes",
                     "--message", "from the test", str(busybox_tar), "busybox:latest")
    image_id = out.splitlines()[-1]
    assert image_id.startswith("sha256:")
    yield image_id
    for line in daemon.out("images", "-q", "--no-trunc").splitlines():
        daemon.docker("rmi", "-f", line, check=False)


def test_import_and_inspect(daemon, busybox):
    info = daemon.inspect("busybox")
    assert info["Id"] == busybox
    assert info["RepoTags"] == ["busybox:latest"]
    assert info["Config"]["Cmd"] == ["sh"]
    assert info["Config"]["Labels"] == {"org.test": "yes"}
    assert info["Comment"] == "from the test"
    assert info["Os"] == "linux"
    assert info["RootFS"]["Type"] == "layers"
    assert len(info["RootFS"]["Layers"]) == 1 and info["RootFS"]["Layers"][0].startswith("sha256:")
    assert info["GraphDriver"]["Name"] == "overlay2"
    assert info["Size"] > 1_000_000
    assert daemon.out("image", "inspect", "--format", "{{.Config.Cmd}}", busybox[7:19]) == "[sh]"


def test_inspect_keeps_container_config_before_api_1_45(daemon, busybox):
    """dockerd answers `Container` and `ContainerConfig` below API 1.45 and
    drops them from 1.45 on; docker-compose 1.29 reads
    `ContainerConfig.Volumes` when it recreates a container (was: KeyError)."""
    for version, present in (("1.41", True), ("1.44", True), ("1.45", False), ("1.47", False)):
        status, _, body = daemon.request("GET", f"/v{version}/images/busybox/json")
        assert status == 200
        info = json.loads(body)
        assert ("ContainerConfig" in info) == present, version
        assert ("Container" in info) == present, version
        if present:
            assert info["ContainerConfig"]["Cmd"] == ["sh"]


def test_container_inspect_shows_the_image_stop_signal(daemon, busybox):
    """An image's STOPSIGNAL is copied into the container's Config at create, as dockerd does."""
    daemon.out("commit", "--change", "STOPSIGNAL SIGINT", daemon.out("create", "busybox", "true"), "stopsig:1")
    cid = daemon.out("create", "stopsig:1", "true")
    try:
        assert daemon.out("inspect", "--format", "{{.Config.StopSignal}}", cid) == "SIGINT"
        own = daemon.out("create", "--stop-signal", "SIGUSR1", "stopsig:1", "true")
        assert daemon.out("inspect", "--format", "{{.Config.StopSignal}}", own) == "SIGUSR1"
    finally:
        daemon.docker("rm", "-f", *daemon.out("ps", "-aq").split(), check=False)


def test_images_list_formats_and_filters(daemon, busybox):
    assert daemon.out("images", "-q") == busybox[7:19]
    assert daemon.out("images", "-q", "--no-trunc") == busybox
    assert daemon.out("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}") == f"busybox:latest {busybox[7:19]}"
    rows = [json.loads(line) for line in daemon.out("images", "--format", "{{json .}}").splitlines()]
    assert rows[0]["Repository"] == "busybox" and rows[0]["Size"].endswith("MB")
    assert daemon.out("images", "-q", "--filter", "reference=busy*") == busybox[7:19]
    assert daemon.out("images", "-q", "--filter", "reference=nothing*") == ""
    # The rows are the matching names only (every tag of the image was shown).
    daemon.docker("tag", "busybox", "bb:one")
    daemon.docker("tag", "busybox", "myrepo/bb:two")
    shown = lambda *args: sorted(daemon.out("images", "--format", "{{.Repository}}:{{.Tag}}", *args).split())
    assert shown("bb") == ["bb:one"]
    assert shown("--filter", "reference=bb*") == ["bb:one"]
    assert shown("--filter", "reference=*/bb") == ["myrepo/bb:two"]
    assert shown("--filter", "reference=busybox:*") == ["busybox:latest"]
    assert shown("--filter", "reference=bb", "--filter", "reference=busybox") == ["bb:one", "busybox:latest"]
    assert sorted(daemon.inspect("busybox")["RepoTags"]) == ["bb:one", "busybox:latest", "myrepo/bb:two"]
    daemon.docker("rmi", "bb:one", "myrepo/bb:two")
    assert daemon.out("images", "-q", "--filter", "label=org.test=yes") == busybox[7:19]
    assert daemon.out("images", "-q", "--filter", "label=org.test=no") == ""
    assert daemon.out("images", "-q", "--filter", "dangling=true") == ""
    proc = daemon.docker("images", "--filter", "bogus=1", check=False)
    assert proc.returncode != 0 and b"invalid filter 'bogus'" in proc.stderr


def test_history(daemon, busybox):
    lines = daemon.out("history", "--no-trunc", "--format", "{{.ID}}|{{.Comment}}|{{.Size}}", "busybox").splitlines()
    assert len(lines) == 1
    image_id, comment, size = lines[0].split("|")
    assert image_id == busybox
    assert comment == "from the test"
    assert size.endswith("MB")


def test_tag_and_rmi(daemon, busybox):
    daemon.docker("tag", "busybox", "localhost:5000/team/tool:v1")
    daemon.docker("tag", busybox, "other")
    info = daemon.inspect("localhost:5000/team/tool:v1")
    assert info["Id"] == busybox
    assert sorted(info["RepoTags"]) == ["busybox:latest", "localhost:5000/team/tool:v1", "other:latest"]
    # By id with several names: refused unless forced.
    proc = daemon.docker("rmi", busybox[7:19], check=False)
    assert proc.returncode != 0 and b"must be forced" in proc.stderr
    assert daemon.out("rmi", "localhost:5000/team/tool:v1") == "Untagged: localhost:5000/team/tool:v1"
    assert daemon.out("rmi", "other") == "Untagged: other:latest"
    out = daemon.out("rmi", "busybox").splitlines()
    assert out == ["Untagged: busybox:latest", f"Deleted: {busybox}"]
    assert daemon.out("images", "-q") == ""
    proc = daemon.docker("rmi", "busybox", check=False)
    assert proc.returncode != 0 and b"No such image: busybox" in proc.stderr


def test_a_tag_named_like_the_digest_algorithm_is_refused(daemon, busybox, busybox_tar):
    """`sha256:abc` would read as an image id: dockerd refuses such a name
    (it was taken, and `rmi sha256:abc` then removed the image by name)."""
    for args in (["tag", "busybox", "sha256:abc"], ["tag", "busybox", "sha256"],
                 ["import", str(busybox_tar), "sha256:abc"]):
        proc = daemon.docker(*args, check=False)
        assert proc.returncode != 0, args
        assert b"refusing to create an ambiguous tag using digest algorithm as name" in proc.stderr, proc.stderr
    assert daemon.inspect("busybox")["RepoTags"] == ["busybox:latest"]
    assert daemon.out("images", "-aq", "--no-trunc") == busybox
    daemon.docker("tag", "busybox", "sha256x:abc")
    daemon.docker("rmi", "sha256x:abc")


def test_rmi_by_id_of_an_image_a_container_uses(daemon, busybox):
    """As dockerd: by id, an image a running container uses is never removed,
    not even forced ("cannot be forced"); one a stopped container uses needs
    force ("must be forced"). Forced rmi -f of a running container's image by
    id used to untag it and succeed."""
    short = busybox[7:19]
    cid = daemon.out("run", "-d", "busybox", "sleep", "100")
    try:
        for args in (["rmi", short], ["rmi", "-f", short]):
            proc = daemon.docker(*args, check=False)
            assert proc.returncode != 0
            assert (f"conflict: unable to delete {short} (cannot be forced) - image is being used by running container {cid[:12]}"
                    in proc.stderr.decode()), proc.stderr
        assert daemon.inspect("busybox")["RepoTags"] == ["busybox:latest"]
        daemon.docker("stop", "-t", "0", cid)
        proc = daemon.docker("rmi", short, check=False)
        assert proc.returncode != 0
        assert (f"conflict: unable to delete {short} (must be forced) - image is being used by stopped container {cid[:12]}"
                in proc.stderr.decode()), proc.stderr
        assert daemon.inspect("busybox")["RepoTags"] == ["busybox:latest"]
    finally:
        daemon.docker("rm", "-f", cid)


def test_ps_shows_the_image_id_once_its_name_means_another_image(daemon, busybox, busybox_tar):
    """`ps` IMAGE: the name given while it still names the container's image,
    else the image's id (a stale name was shown)."""
    daemon.docker("tag", "busybox", "moving:1")
    cid = daemon.out("create", "moving:1", "true")
    try:
        image = lambda: daemon.out("ps", "-a", "--filter", f"id={cid}", "--format", "{{.Image}}")
        assert image() == "moving:1"
        daemon.docker("rmi", "moving:1")
        assert image() == busybox[7:19]
        other = daemon.out("import", str(busybox_tar), "moving:1").splitlines()[-1]
        assert other != busybox and image() == busybox[7:19]
        daemon.docker("tag", "busybox", "moving:1")
        assert image() == "moving:1"
    finally:
        daemon.docker("rm", "-f", cid)
        daemon.docker("rmi", "-f", "moving:1", check=False)


def test_prune_removes_dangling_images(daemon, busybox, busybox_tar):
    # Importing again under the same name leaves the first image dangling.
    second = daemon.out("import", "--change", 'CMD ["echo"]', str(busybox_tar), "busybox:latest").splitlines()[-1]
    assert second != busybox
    assert daemon.out("images", "-q", "--no-trunc", "--filter", "dangling=true") == busybox
    out = daemon.out("image", "prune", "-f")
    assert f"deleted: {busybox}" in out
    assert "Total reclaimed space" in out
    assert daemon.out("images", "-q", "--no-trunc") == second
    # Nothing dangling: nothing deleted.
    assert "deleted:" not in daemon.out("image", "prune", "-f")
    # --all takes unused tagged images too.
    assert f"deleted: {second}" in daemon.out("image", "prune", "-a", "-f")
    assert daemon.out("images", "-q") == ""


def test_save_and_load_round_trip(daemon, busybox, tmp_path):
    archive = tmp_path / "busybox.tar"
    daemon.docker("save", "-o", str(archive), "busybox")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
        repositories = json.load(tar.extractfile("repositories"))
    assert {"manifest.json", "repositories", "index.json", "oci-layout", f"blobs/sha256/{busybox[7:]}"} <= names
    assert manifest[0]["RepoTags"] == ["busybox:latest"]
    assert manifest[0]["Config"] == f"blobs/sha256/{busybox[7:]}"
    assert repositories == {"busybox": {"latest": busybox[7:]}}
    # The same archive through stdout.
    streamed = daemon.docker("save", "busybox").stdout
    assert len(streamed) == archive.stat().st_size

    daemon.docker("rmi", "busybox")
    assert daemon.out("images", "-q") == ""
    assert daemon.out("load", "-i", str(archive)) == "Loaded image: busybox:latest"
    assert daemon.inspect("busybox")["Id"] == busybox
    # Loading again over stdin is idempotent.
    assert daemon.out("load", input=archive.read_bytes()) == "Loaded image: busybox:latest"
    assert daemon.out("images", "-q", "--no-trunc") == busybox


def _docker_argv(daemon, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_CONFIG"] = str(daemon.docker_config)
    return ["docker", "-H", f"unix://{daemon.sock}", *args], env


def test_save_piped_into_load_and_export_into_import(daemon, busybox):
    """`docker save | docker load` and `docker export | docker import -`: the
    load reads its upload while the save still streams from the store (it
    held the store while it waited for its body: the pipe hung, 7 times in 8)."""
    daemon.docker("tag", "busybox", "piped:1")
    save, env = _docker_argv(daemon, "save", "piped:1")
    load, _ = _docker_argv(daemon, "load")
    pipe = subprocess.run(f"{shlex.join(save)} | {shlex.join(load)}", shell=True, env=env,
                          capture_output=True, timeout=60)
    assert pipe.returncode == 0, pipe.stderr
    assert pipe.stdout.decode().strip() == "Loaded image: piped:1"
    cid = daemon.out("create", "busybox", "true")
    export, _ = _docker_argv(daemon, "export", cid)
    into, _ = _docker_argv(daemon, "import", "-", "exported:1")
    pipe = subprocess.run(f"{shlex.join(export)} | {shlex.join(into)}", shell=True, env=env,
                          capture_output=True, timeout=60)
    assert pipe.returncode == 0, pipe.stderr
    assert daemon.inspect("exported:1")["RootFS"]["Layers"]
    daemon.docker("rm", cid)


@pytest.mark.parametrize("endpoint", ["/images/load", "/images/create?fromSrc=-&repo=slow&tag=1"])
def test_a_slow_upload_does_not_hold_the_image_store(daemon, busybox, busybox_tar, endpoint):
    """While a load or an import waits for the rest of its body, other image
    requests are answered; the upload then completes."""
    body = busybox_tar.read_bytes() if "fromSrc" in endpoint else daemon.docker("save", "busybox").stdout
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(60)
    sock.connect(str(daemon.sock))
    try:
        sock.sendall(f"POST {endpoint} HTTP/1.1\r\nHost: skiff\r\nContent-Type: application/x-tar\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:4096])
        time.sleep(0.5)
        started = time.monotonic()
        listing = daemon.docker("images", "-q", timeout=20)
        assert listing.returncode == 0
        assert time.monotonic() - started < 10
        assert daemon.docker("image", "inspect", "busybox", timeout=20).returncode == 0
        sock.sendall(body[4096:])
        reply = b""
        while b"0\r\n\r\n" not in reply:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    assert b"errorDetail" not in reply, reply
    if "fromSrc" in endpoint:
        assert daemon.inspect("slow:1")["Id"].startswith("sha256:")


def test_save_errors_before_streaming(daemon, busybox, tmp_path):
    proc = daemon.docker("save", "-o", str(tmp_path / "x.tar"), "busybox", "nosuch:1", check=False)
    assert proc.returncode != 0 and b"No such image: nosuch:1" in proc.stderr


def test_bad_tarball_leaves_the_store_unchanged(daemon, busybox, tmp_path):
    data = daemon.data
    before = sorted(p.relative_to(data).as_posix() for p in (data / "content").rglob("*"))
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tar:
        payload = b'[{"Config":"blobs/sha256/' + b"0" * 64 + b'","RepoTags":["bad:1"],"Layers":[]}]'
        info = tarfile.TarInfo("manifest.json")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    proc = daemon.docker("load", "-i", str(bad), check=False)
    assert proc.returncode != 0
    assert proc.stderr.strip()
    garbage = daemon.docker("load", input=b"this is not a tar archive" * 100, check=False)
    assert garbage.returncode != 0
    after = sorted(p.relative_to(data).as_posix() for p in (data / "content").rglob("*"))
    assert after == before
    assert daemon.out("images", "-q", "--no-trunc") == busybox
    assert daemon.request("GET", "/_ping")[0] == 200


def test_pull_from_nowhere_and_url_import_are_errors(daemon):
    proc = daemon.docker("pull", "127.0.0.1:9/alpine", check=False)
    assert proc.returncode != 0 and b"Error response from daemon" in proc.stderr
    proc = daemon.docker("import", "http://127.0.0.1:9/rootfs.tar", "x", check=False)
    assert proc.returncode != 0


def test_docker_py_images(daemon, busybox, tmp_path):
    client = daemon.client()
    images = client.images.list()
    assert [i.id for i in images] == [busybox]
    image = client.images.get("busybox:latest")
    assert image.id == busybox
    assert image.tags == ["busybox:latest"]
    assert image.labels == {"org.test": "yes"}
    assert image.history()[0]["Id"] == busybox
    assert image.tag("py/copy", "v2")
    assert sorted(client.images.get(busybox).tags) == ["busybox:latest", "py/copy:v2"]
    client.images.remove("py/copy:v2")
    assert client.images.get(busybox).tags == ["busybox:latest"]

    archive = b"".join(image.save(named=True))
    client.images.remove("busybox:latest")
    assert client.images.list() == []
    loaded = client.images.load(archive)
    assert [i.id for i in loaded] == [busybox]
    assert client.images.get("busybox").tags == ["busybox:latest"]

    docker = pytest.importorskip("docker")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("nosuch")
    pruned = client.images.prune()
    assert pruned["SpaceReclaimed"] == 0
