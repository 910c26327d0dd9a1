"""`skiff-registry serve` driven by real clients: skopeo, podman and curl.

Each test gets a registry of its own: `skiff-registry serve --port 0` on
127.0.0.1 with a fresh temporary root (killed and removed afterwards).  The
image pushed is busybox (scripts/make-busybox-image.sh) laid out as an OCI
image layout by this file; podman runs with --root/--runroot in a temporary
directory, so the host's podman storage is never touched, and both run in
a private mount namespace where /run and /var/lib/containers are the test's.

skiff-registry is $SKIFF_REGISTRY, else the newest <repo>/.build*/{release,debug}/skiff-registry.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def registry_binary() -> str | None:
    env = os.environ.get("SKIFF_REGISTRY")
    if env:
        return env
    found = [p for p in REPO.glob(".build*/*/skiff-registry") if p.is_file() and os.access(p, os.X_OK)]
    return str(max(found, key=lambda p: p.stat().st_mtime)) if found else None


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    def __init__(self, root: Path):
        self.root = root
        binary = registry_binary()
        if not binary:
            pytest.skip("skiff-registry not built (swift build --product skiff-registry) and $SKIFF_REGISTRY unset")
        self.log = open(root.parent / "registry.log", "wb")
        self.proc = subprocess.Popen([binary, "serve", "--root", str(root), "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        assert line.startswith("listening on "), f"registry did not start: {line!r}"
        self.host = line.split()[-1]
        self.url = f"http://{self.host}"

    def stop(self):
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def curl(self, method: str, path: str, *args, data: bytes | None = None, headers: dict | None = None):
        """(status, headers (lowercase names, last value), body) of one request."""
        cmd = ["curl", "-sS", "-X", method, "-D", "-", "-o", "-", "--max-time", "30"]
        if method == "HEAD":
            cmd = ["curl", "-sS", "-I", "-D", "-", "-o", "/dev/null", "--max-time", "30"]
        for k, v in (headers or {}).items():
            cmd += ["-H", f"{k}: {v}"]
        if data is not None:
            cmd += ["--data-binary", "@-", "-H", "Expect:"]
            if not any(k.lower() == "content-type" for k in (headers or {})):
                cmd += ["-H", "Content-Type: application/octet-stream"]
        cmd += list(args) + [self.url + path]
        out = subprocess.run(cmd, input=data, capture_output=True, check=True).stdout
        head, _, body = out.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return status, hdrs, body

    def files(self, sub: str) -> list[str]:
        base = self.root / sub
        return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()) if base.exists() else []


@pytest.fixture
def registry(tmp_path):
    r = Registry(tmp_path / "root")
    yield r
    r.stop()


# --------------------------------------------------------------------------
# An OCI image layout of busybox (and a two-platform index of it)

@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("busybox") / "busybox.tar"
    subprocess.run([str(REPO / "scripts/make-busybox-image.sh"), str(out)], check=True, capture_output=True)
    return out


def write_blob(layout: Path, data: bytes) -> dict:
    digest = sha256(data)
    path = layout / "blobs" / "sha256" / digest[7:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": digest, "size": len(data)}


def make_layout(dest: Path, rootfs_tar: Path, platforms=(("amd64", None),), index_all=False) -> Path:
    """An OCI layout whose index.json names one manifest per platform
    (tag "latest" on the first), or, with index_all, one image index of them."""
    dest.mkdir(parents=True)
    (dest / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    raw = rootfs_tar.read_bytes()
    layer = write_blob(dest, gzip.compress(raw, mtime=0))
    manifests = []
    for arch, variant in platforms:
        config = {"architecture": arch, "os": "linux", "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
                  "rootfs": {"type": "layers", "diff_ids": [sha256(raw)]}}
        if variant:
            config["variant"] = variant
        c = write_blob(dest, json.dumps(config).encode())
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **c},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}]}
        m = write_blob(dest, json.dumps(manifest).encode())
        platform = {"architecture": arch, "os": "linux"}
        if variant:
            platform["variant"] = variant
        manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **m, "platform": platform})
    if index_all:
        inner = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
        i = write_blob(dest, json.dumps(inner).encode())
        top = [{"mediaType": "application/vnd.oci.image.index.v1+json", **i,
                "annotations": {"org.opencontainers.image.ref.name": "latest"}}]
    else:
        top = [dict(manifests[0], annotations={"org.opencontainers.image.ref.name": "latest"})]
    (dest / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": top}))
    return dest


def layout_manifest(layout: Path) -> dict:
    digest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    return json.loads((layout / "blobs" / "sha256" / digest[7:]).read_text())


def isolated(argv: list[str], scratch: Path) -> list[str]:
    """argv in a private mount namespace: skopeo and podman write to fixed
    host paths (containers/image's blob-info cache in /var/lib/containers/cache,
    podman's /run/libpod and /run/containers), here the test's own."""
    var = scratch / "var-lib-containers"
    var.mkdir(exist_ok=True)
    target = "/var/lib/containers" if os.path.isdir("/var/lib/containers") else "/var/lib"
    script = 'mount -t tmpfs tmpfs /run && mount --bind "$1" "$2" && shift 2 && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, "sh", str(var), target, *argv]


def skopeo(scratch: Path, *args, check=True):
    result = subprocess.run(isolated(["skopeo", *args], scratch), capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"skopeo {' '.join(args)}: exit {result.returncode}: {result.stderr}")
    return result


# --------------------------------------------------------------------------
# skopeo

def test_skopeo_copy_inspect_list_tags_and_back(registry, busybox_tar, tmp_path):
    layout = make_layout(tmp_path / "oci", busybox_tar)
    ref = f"docker://{registry.host}/library/busybox"
    skopeo(tmp_path, "copy", "--dest-tls-verify=false", f"oci:{layout}:latest", ref + ":latest")
    skopeo(tmp_path, "copy", "--src-tls-verify=false", "--dest-tls-verify=false", ref + ":latest", ref + ":1.36")
    info = json.loads(skopeo(tmp_path, "inspect", "--tls-verify=false", ref + ":latest").stdout)
    assert info["Architecture"] == "amd64"
    assert info["Layers"] == [layout_manifest(layout)["layers"][0]["digest"]]
    tags = json.loads(skopeo(tmp_path, "list-tags", "--tls-verify=false", ref).stdout)
    assert tags["Tags"] == ["1.36", "latest"]
    # Back into a layout: the same manifest, byte for byte.
    back = tmp_path / "back"
    skopeo(tmp_path, "copy", "--src-tls-verify=false", ref + ":1.36", f"oci:{back}:x")
    pushed = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    pulled = json.loads((back / "index.json").read_text())["manifests"][0]["digest"]
    assert pulled == pushed
    # Blobs are shared on disk: one layer file whatever the tags.
    assert len(registry.files("blobs")) == 3
    assert registry.files("ingest") == []


def test_skopeo_docker_media_types(registry, busybox_tar, tmp_path):
    layout = make_layout(tmp_path / "oci", busybox_tar)
    ref = f"docker://{registry.host}/d/busybox:v2s2"
    skopeo(tmp_path, "copy", "--dest-tls-verify=false", "--format", "v2s2", f"oci:{layout}:latest", ref)
    raw = skopeo(tmp_path, "inspect", "--raw", "--tls-verify=false", ref).stdout
    assert json.loads(raw)["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    status, hdrs, body = registry.curl("GET", "/v2/d/busybox/manifests/v2s2")
    assert status == 200
    assert hdrs["content-type"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert hdrs["docker-content-digest"] == sha256(body)
    # A docker-archive (`docker save`'s format) as the source.
    archive = tmp_path / "busybox-archive.tar"
    skopeo(tmp_path, "copy", f"oci:{layout}:latest", f"docker-archive:{archive}:busybox:latest")
    skopeo(tmp_path, "copy", "--dest-tls-verify=false", f"docker-archive:{archive}", f"docker://{registry.host}/d/archive:1")
    info = json.loads(skopeo(tmp_path, "inspect", "--tls-verify=false", f"docker://{registry.host}/d/archive:1").stdout)
    # (the archive holds the layer uncompressed: its digest is the config's diff id)
    assert len(info["Layers"]) == 1 and info["Architecture"] == "amd64"


def test_skopeo_multi_platform_index(registry, busybox_tar, tmp_path):
    layout = make_layout(tmp_path / "oci", busybox_tar, platforms=(("amd64", None), ("arm64", "v8")), index_all=True)
    ref = f"docker://{registry.host}/multi:latest"
    skopeo(tmp_path, "copy", "--all", "--dest-tls-verify=false", f"oci:{layout}:latest", ref)
    raw = json.loads(skopeo(tmp_path, "inspect", "--raw", "--tls-verify=false", ref).stdout)
    assert raw["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert sorted(m["platform"]["architecture"] for m in raw["manifests"]) == ["amd64", "arm64"]
    arm = json.loads(skopeo(tmp_path, "inspect", "--tls-verify=false", "--override-arch", "arm64", ref).stdout)
    assert arm["Architecture"] == "arm64"
    # An index whose manifests are not in the repository is refused.
    status, _, body = registry.curl("PUT", "/v2/other/manifests/x", data=json.dumps(raw).encode(),
                                    headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
    assert status == 400 and b"MANIFEST_BLOB_UNKNOWN" in body


# --------------------------------------------------------------------------
# podman (its own storage in the test's temporary directory)

def test_podman_push_pull(registry, busybox_tar, tmp_path):
    if not shutil.which("podman"):
        pytest.skip("podman not installed")
    layout = make_layout(tmp_path / "oci", busybox_tar)
    # podman refuses a runroot longer than 50 characters: a short one of its own.
    runroot = tempfile.mkdtemp(prefix="skiff-pm-")
    storage = ["--root", str(tmp_path / "podman-root"), "--runroot", runroot,
               "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none"]

    def podman(*args, check=True):
        env = dict(os.environ, CONTAINERS_CONF=str(tmp_path / "containers.conf"),
                   REGISTRIES_CONFIG_PATH=str(tmp_path / "registries.conf"))
        result = subprocess.run(isolated(["podman", *storage, *args], tmp_path), capture_output=True, text=True,
                                timeout=300, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)}: exit {result.returncode}: {result.stderr}")
        return result

    (tmp_path / "containers.conf").write_text("")
    (tmp_path / "registries.conf").write_text("")
    try:
        podman("pull", f"oci:{layout}:latest")
        image_id = podman("images", "-q").stdout.split()[0]
        image_id_full = podman("images", "-q", "--no-trunc").stdout.split()[0].removeprefix("sha256:")
        assert "sha256:" + image_id_full == layout_manifest(layout)["config"]["digest"]
        podman("tag", image_id, f"{registry.host}/p/busybox:pushed")
        podman("push", "--tls-verify=false", f"{registry.host}/p/busybox:pushed")
        podman("rmi", "-a", "-f")
        podman("pull", "--tls-verify=false", f"{registry.host}/p/busybox:pushed")
        images = podman("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        assert f"{registry.host}/p/busybox:pushed" in images
        # The same image (its id is its config's digest) came back.
        assert podman("images", "-q", "--no-trunc").stdout.split()[0].removeprefix("sha256:") == image_id_full
    finally:
        podman("rmi", "-a", "-f", check=False)
        for path in (tmp_path / "podman-root", Path(runroot)):
            subprocess.run(["umount", "-R", str(path)], capture_output=True)
            shutil.rmtree(path, ignore_errors=True)
    status, _, body = registry.curl("GET", "/v2/_catalog")
    assert json.loads(body) == {"repositories": ["p/busybox"]}


# --------------------------------------------------------------------------
# The protocol's edge cases, with curl

def test_base_and_errors(registry):
    status, hdrs, body = registry.curl("GET", "/v2/")
    assert status == 200 and hdrs["docker-distribution-api-version"] == "registry/2.0"
    status, _, body = registry.curl("GET", "/v2/Bad_Name/tags/list")
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "NAME_INVALID"
    status, _, body = registry.curl("GET", "/v2/nothing/tags/list")
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "NAME_UNKNOWN"
    status, _, body = registry.curl("GET", "/v2/nothing/manifests/latest")
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    status, _, body = registry.curl("GET", "/v2/nothing/blobs/" + sha256(b"x"))
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "BLOB_UNKNOWN"
    status, _, body = registry.curl("GET", "/v2/nothing/blobs/sha256:abc")
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "DIGEST_INVALID"
    status, _, body = registry.curl("PATCH", "/v2/a/blobs/uploads/no-such-upload", data=b"x")
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "BLOB_UPLOAD_UNKNOWN"


def test_monolithic_upload_head_get_range_delete(registry):
    blob = os.urandom(300_000)
    digest = sha256(blob)
    status, hdrs, _ = registry.curl("POST", f"/v2/m/blobs/uploads/?digest={digest}", data=blob)
    assert status == 201
    assert hdrs["location"] == f"/v2/m/blobs/{digest}" and hdrs["docker-content-digest"] == digest
    status, hdrs, _ = registry.curl("HEAD", f"/v2/m/blobs/{digest}")
    assert status == 200 and hdrs["content-length"] == str(len(blob)) and hdrs["docker-content-digest"] == digest
    status, hdrs, body = registry.curl("GET", f"/v2/m/blobs/{digest}")
    assert status == 200 and body == blob
    status, hdrs, body = registry.curl("GET", f"/v2/m/blobs/{digest}", headers={"Range": "bytes=1000-1999"})
    assert status == 206 and body == blob[1000:2000]
    assert hdrs["content-range"] == f"bytes 1000-1999/{len(blob)}"
    status, hdrs, body = registry.curl("GET", f"/v2/m/blobs/{digest}", headers={"Range": "bytes=299990-"})
    assert status == 206 and body == blob[299990:]
    status, _, _ = registry.curl("GET", f"/v2/m/blobs/{digest}", headers={"Range": "bytes=400000-"})
    assert status == 416
    # Another repository does not see it.
    status, _, _ = registry.curl("HEAD", f"/v2/other/blobs/{digest}")
    assert status == 404
    status, _, _ = registry.curl("DELETE", f"/v2/m/blobs/{digest}")
    assert status == 202
    status, _, _ = registry.curl("HEAD", f"/v2/m/blobs/{digest}")
    assert status == 404


def test_chunked_upload_status_and_mount(registry):
    blob = os.urandom(3 * 1024 * 1024 + 17)
    digest = sha256(blob)
    status, hdrs, _ = registry.curl("POST", "/v2/c/blobs/uploads/")
    assert status == 202 and hdrs["docker-upload-uuid"] and hdrs["range"] == "0-0"
    location = hdrs["location"]
    chunks = [blob[i:i + 1024 * 1024] for i in range(0, len(blob), 1024 * 1024)]
    offset = 0
    for chunk in chunks[:-1]:
        status, hdrs, _ = registry.curl("PATCH", location, data=chunk,
                                        headers={"Content-Range": f"{offset}-{offset + len(chunk) - 1}"})
        assert status == 202, hdrs
        offset += len(chunk)
        assert hdrs["range"] == f"0-{offset - 1}"
        location = hdrs["location"]
    status, hdrs, _ = registry.curl("GET", location)
    assert status == 204 and hdrs["range"] == f"0-{offset - 1}"
    # A chunk out of order is refused.
    status, _, _ = registry.curl("PATCH", location, data=b"zz", headers={"Content-Range": "5-6"})
    assert status == 416
    # Nothing is a blob before the PUT.
    assert registry.files("blobs") == []
    status, hdrs, _ = registry.curl("PUT", f"{location}?digest={digest}", data=chunks[-1])
    assert status == 201 and hdrs["docker-content-digest"] == digest
    status, _, body = registry.curl("GET", f"/v2/c/blobs/{digest}")
    assert body == blob
    # Mount into another repository: 201 without any upload.
    status, hdrs, _ = registry.curl("POST", f"/v2/d/blobs/uploads/?mount={digest}&from=c")
    assert status == 201 and hdrs["location"] == f"/v2/d/blobs/{digest}"
    # Mount from a repository without it: an upload session starts instead.
    status, hdrs, _ = registry.curl("POST", f"/v2/e/blobs/uploads/?mount={digest}&from=nowhere")
    assert status == 202 and "/blobs/uploads/" in hdrs["location"]
    assert registry.files("blobs") == ["sha256/" + digest[7:]]


def test_digest_mismatch_and_cancel_store_nothing(registry):
    blob = b"the real content"
    wrong = sha256(b"something else")
    status, _, body = registry.curl("POST", f"/v2/x/blobs/uploads/?digest={wrong}", data=blob)
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "DIGEST_INVALID"
    status, hdrs, _ = registry.curl("POST", "/v2/x/blobs/uploads/")
    location = hdrs["location"]
    registry.curl("PATCH", location, data=blob)
    status, _, body = registry.curl("PUT", f"{location}?digest={wrong}")
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "DIGEST_INVALID"
    status, hdrs, _ = registry.curl("POST", "/v2/x/blobs/uploads/")
    location = hdrs["location"]
    registry.curl("PATCH", location, data=blob)
    status, _, _ = registry.curl("DELETE", location)
    assert status == 204
    status, _, body = registry.curl("GET", location)
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "BLOB_UPLOAD_UNKNOWN"
    status, _, _ = registry.curl("HEAD", f"/v2/x/blobs/{sha256(blob)}")
    assert status == 404
    assert registry.files("blobs") == [] and registry.files("ingest") == [] and registry.files("repositories") == []


def push_config(registry, repo) -> dict:
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    d = sha256(config)
    status, _, _ = registry.curl("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data=config)
    assert status == 201
    return {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d, "size": len(config)}


def test_manifests(registry):
    oci = "application/vnd.oci.image.manifest.v1+json"
    missing = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(b"nope"), "size": 4}
    config = push_config(registry, "m")
    bad = json.dumps({"schemaVersion": 2, "mediaType": oci, "config": config, "layers": [missing]}).encode()
    status, _, body = registry.curl("PUT", "/v2/m/manifests/v1", data=bad, headers={"Content-Type": oci})
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
    status, _, body = registry.curl("PUT", "/v2/m/manifests/v1", data=b"{nope", headers={"Content-Type": oci})
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "MANIFEST_INVALID"
    status, _, body = registry.curl("PUT", "/v2/m/manifests/v1", data=b"x" * (4 * 1024 * 1024 + 1), headers={"Content-Type": oci})
    assert status == 413 and json.loads(body)["errors"][0]["code"] == "MANIFEST_INVALID"
    good = json.dumps({"schemaVersion": 2, "mediaType": oci, "config": config, "layers": []}).encode()
    status, _, body = registry.curl("PUT", "/v2/m/manifests/-bad", data=good, headers={"Content-Type": oci})
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "TAG_INVALID"
    status, _, body = registry.curl("PUT", f"/v2/m/manifests/{sha256(b'other')}", data=good, headers={"Content-Type": oci})
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "DIGEST_INVALID"
    digest = sha256(good)
    for tag in ["v1", "v2", "v3", "latest"]:
        status, hdrs, _ = registry.curl("PUT", f"/v2/m/manifests/{tag}", data=good, headers={"Content-Type": oci})
        assert status == 201 and hdrs["docker-content-digest"] == digest and hdrs["location"] == f"/v2/m/manifests/{digest}"
    for ref in ["v2", digest]:
        status, hdrs, body = registry.curl("GET", f"/v2/m/manifests/{ref}", headers={"Accept": oci})
        assert status == 200 and body == good and hdrs["content-type"] == oci and hdrs["docker-content-digest"] == digest
        status, hdrs, _ = registry.curl("HEAD", f"/v2/m/manifests/{ref}")
        assert status == 200 and hdrs["content-length"] == str(len(good))
    # Tags, paginated.
    status, hdrs, body = registry.curl("GET", "/v2/m/tags/list")
    assert json.loads(body) == {"name": "m", "tags": ["latest", "v1", "v2", "v3"]}
    status, hdrs, body = registry.curl("GET", "/v2/m/tags/list?n=2")
    assert json.loads(body)["tags"] == ["latest", "v1"]
    assert hdrs["link"] == '</v2/m/tags/list?n=2&last=v1>; rel="next"'
    status, hdrs, body = registry.curl("GET", "/v2/m/tags/list?n=2&last=v1")
    assert json.loads(body)["tags"] == ["v2", "v3"] and "link" not in hdrs
    # Deleting a tag keeps the manifest; deleting the manifest removes its tags.
    status, _, _ = registry.curl("DELETE", "/v2/m/manifests/v3")
    assert status == 202
    status, _, body = registry.curl("GET", "/v2/m/tags/list")
    assert json.loads(body)["tags"] == ["latest", "v1", "v2"]
    status, _, _ = registry.curl("DELETE", f"/v2/m/manifests/{digest}")
    assert status == 202
    status, _, body = registry.curl("GET", "/v2/m/manifests/v1")
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    status, _, body = registry.curl("GET", "/v2/m/tags/list")
    assert json.loads(body)["tags"] == []


def test_catalog_pagination(registry):
    oci = "application/vnd.oci.image.manifest.v1+json"
    names = ["a", "b/c", "b/d", "e"]
    for name in names:
        config = push_config(registry, name)
        good = json.dumps({"schemaVersion": 2, "mediaType": oci, "config": config, "layers": []}).encode()
        assert registry.curl("PUT", f"/v2/{name}/manifests/t", data=good, headers={"Content-Type": oci})[0] == 201
    status, _, body = registry.curl("GET", "/v2/_catalog")
    assert json.loads(body) == {"repositories": names}
    status, hdrs, body = registry.curl("GET", "/v2/_catalog?n=3")
    assert json.loads(body)["repositories"] == ["a", "b/c", "b/d"]
    assert hdrs["link"] == '</v2/_catalog?n=3&last=b/d>; rel="next"'
    status, hdrs, body = registry.curl("GET", "/v2/_catalog?n=3&last=b/d")
    assert json.loads(body)["repositories"] == ["e"]


def test_invalid_names(registry):
    for name in ["UPPER", "a..b", "-a", "a/_b", "a%20b"]:
        status, _, body = registry.curl("POST", f"/v2/{name}/blobs/uploads/")
        assert status == 400 and json.loads(body)["errors"][0]["code"] == "NAME_INVALID", name


def test_referrers(registry):
    oci = "application/vnd.oci.image.manifest.v1+json"
    config = push_config(registry, "r")
    image = json.dumps({"schemaVersion": 2, "mediaType": oci, "config": config, "layers": []}).encode()
    assert registry.curl("PUT", "/v2/r/manifests/v1", data=image, headers={"Content-Type": oci})[0] == 201
    empty = b"{}"
    assert registry.curl("POST", f"/v2/r/blobs/uploads/?digest={sha256(empty)}", data=empty)[0] == 201
    subject = {"mediaType": oci, "digest": sha256(image), "size": len(image)}
    sbom = json.dumps({"schemaVersion": 2, "mediaType": oci, "artifactType": "application/vnd.example.sbom",
                       "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(empty), "size": 2},
                       "layers": [], "subject": subject, "annotations": {"k": "v"}}).encode()
    status, hdrs, _ = registry.curl("PUT", f"/v2/r/manifests/{sha256(sbom)}", data=sbom, headers={"Content-Type": oci})
    assert status == 201 and hdrs["oci-subject"] == sha256(image)
    status, hdrs, body = registry.curl("GET", f"/v2/r/referrers/{sha256(image)}")
    assert status == 200 and hdrs["content-type"] == "application/vnd.oci.image.index.v1+json"
    index = json.loads(body)
    assert index["manifests"] == [{"mediaType": oci, "digest": sha256(sbom), "size": len(sbom),
                                   "artifactType": "application/vnd.example.sbom", "annotations": {"k": "v"}}]
    status, hdrs, body = registry.curl("GET", f"/v2/r/referrers/{sha256(image)}?artifactType=other")
    assert json.loads(body)["manifests"] == [] and hdrs["oci-filters-applied"] == "artifactType"
    status, _, body = registry.curl("GET", f"/v2/r/referrers/{sha256(b'none')}")
    assert status == 200 and json.loads(body)["manifests"] == []


def test_gc_removes_only_unreferenced_blobs(registry):
    oci = "application/vnd.oci.image.manifest.v1+json"
    config = push_config(registry, "g")
    layer = os.urandom(1000)
    assert registry.curl("POST", f"/v2/g/blobs/uploads/?digest={sha256(layer)}", data=layer)[0] == 201
    image = json.dumps({"schemaVersion": 2, "mediaType": oci, "config": config, "layers": [
        {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(layer), "size": len(layer)}]}).encode()
    assert registry.curl("PUT", "/v2/g/manifests/v1", data=image, headers={"Content-Type": oci})[0] == 201
    orphan = os.urandom(500)
    assert registry.curl("POST", f"/v2/g/blobs/uploads/?digest={sha256(orphan)}", data=orphan)[0] == 201
    registry.stop()
    binary = registry_binary()
    dry = subprocess.run([binary, "gc", "--root", str(registry.root), "--dry-run"], capture_output=True, text=True, check=True)
    assert f"would remove {sha256(orphan)}" in dry.stdout
    assert len(registry.files("blobs")) == 4
    out = subprocess.run([binary, "gc", "--root", str(registry.root)], capture_output=True, text=True, check=True)
    assert f"removed {sha256(orphan)}" in out.stdout and "1 blobs" in out.stdout
    kept = {"sha256/" + d[7:] for d in (config["digest"], sha256(layer), sha256(image))}
    assert set(registry.files("blobs")) == kept
    assert "sha256/" + sha256(orphan)[7:] not in "".join(registry.files("repositories"))


def send_partial(registry, method: str, path: str, declared: int, sent: bytes):
    """A request whose body is cut short: the client goes away mid-upload."""
    host, port = registry.host.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: {registry.host}\r\nContent-Length: {declared}\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + sent)
        time.sleep(0.2)


def test_interrupted_uploads_store_nothing(registry):
    blob = os.urandom(100_000)
    digest = sha256(blob)
    send_partial(registry, "POST", f"/v2/i/blobs/uploads/?digest={digest}", len(blob), blob[:50_000])
    status, hdrs, _ = registry.curl("POST", "/v2/i/blobs/uploads/")
    location = hdrs["location"]
    send_partial(registry, "PATCH", location, len(blob), blob[:50_000])
    deadline = time.time() + 5
    while time.time() < deadline and registry.curl("GET", location)[0] != 404:
        time.sleep(0.1)
    status, _, body = registry.curl("GET", location)
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "BLOB_UPLOAD_UNKNOWN"
    assert registry.curl("HEAD", f"/v2/i/blobs/{digest}")[0] == 404
    assert registry.files("blobs") == [] and registry.files("ingest") == [] and registry.files("repositories") == []


def test_skiff_registry_serve_through_the_cli(tmp_path):
    binary = registry_binary()
    skiff = Path(binary).parent / "skiff" if binary else None
    if not skiff or not skiff.is_file():
        pytest.skip("skiff not built next to skiff-registry")
    proc = subprocess.Popen([str(skiff), "registry", "serve", "--root", str(tmp_path / "root"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("listening on 127.0.0.1:")
        out = subprocess.run(["curl", "-sS", "-i", f"http://{line.split()[-1]}/v2/"], capture_output=True, text=True).stdout
        assert "Docker-Distribution-API-Version: registry/2.0" in out
        # skiff exec'd the server: the process is skiff-registry now.
        assert Path(f"/proc/{proc.pid}/comm").read_text().strip() == "skiff-registry"
    finally:
        proc.terminate()
        proc.wait(10)
