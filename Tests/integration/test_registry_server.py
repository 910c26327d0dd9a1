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
    def __init__(self, root: Path, *flags: str, cacert: Path | None = None):
        """flags: more `serve` flags (--htpasswd, --tls-cert, ...); with
        cacert, the server speaks TLS and curl trusts that CA."""
        self.root = root
        binary = registry_binary()
        if not binary:
            pytest.skip("skiff-registry not built (swift build --product skiff-registry) and $SKIFF_REGISTRY unset")
        self.log = open(root.parent / f"registry-{root.name}.log", "ab")
        self.proc = subprocess.Popen([binary, "serve", "--root", str(root), "--port", "0", *flags],
                                     stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        assert line.startswith("listening on "), f"registry did not start: {line!r}"
        self.host = line.split()[-1]
        self.curl_flags = ["--cacert", str(cacert)] if cacert else []
        self.url = f"{'https' if cacert else 'http'}://{self.host}"

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
        cmd += self.curl_flags
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
    # The access flags reach the server: a user is needed, and writes are refused.
    htpasswd = make_htpasswd(tmp_path / "htpasswd", USERS)
    proc = subprocess.Popen([str(skiff), "registry", "serve", "--root", str(tmp_path / "root"), "--port", "0",
                             "--htpasswd", str(htpasswd), "--read-only"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        address = proc.stdout.readline().decode().split()[-1]
        def status(*args):
            return subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", *args],
                                  capture_output=True, text=True).stdout
        assert status(f"http://{address}/v2/") == "401"
        assert status("-u", "bob:builder", f"http://{address}/v2/") == "200"
        assert status("-u", "bob:builder", "-X", "POST", f"http://{address}/v2/x/blobs/uploads/") == "405"
    finally:
        proc.terminate()
        proc.wait(10)


# --------------------------------------------------------------------------
# Access control: --htpasswd (bcrypt), --anonymous-pull, --read-only

def make_htpasswd(path: Path, users: dict[str, str]) -> Path:
    if not shutil.which("htpasswd"):
        pytest.skip("htpasswd not installed (apache2-utils)")
    lines = [subprocess.run(["htpasswd", "-Bbn", user, password], capture_output=True, text=True, check=True).stdout.strip()
             for user, password in users.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


USERS = {"alice": "wonder land:1", "bob": "builder"}


def assert_unauthorized(status, hdrs, body):
    assert status == 401
    assert hdrs["www-authenticate"] == 'Basic realm="skiff-registry"'
    assert json.loads(body)["errors"][0]["code"] == "UNAUTHORIZED"


@pytest.fixture
def auth_registry(tmp_path):
    r = Registry(tmp_path / "root", "--htpasswd", str(make_htpasswd(tmp_path / "htpasswd", USERS)))
    yield r
    r.stop()


def test_auth_curl(auth_registry, busybox_tar):
    r = auth_registry
    alice = ["-u", "alice:" + USERS["alice"]]
    assert_unauthorized(*r.curl("GET", "/v2/"))
    assert_unauthorized(*r.curl("GET", "/v2/", "-u", "alice:wrong"))
    assert_unauthorized(*r.curl("GET", "/v2/", "-u", "mallory:" + USERS["alice"]))
    assert_unauthorized(*r.curl("GET", "/v2/", "-H", "Authorization: Bearer abc"))
    assert_unauthorized(*r.curl("GET", "/v2/_catalog"))
    assert_unauthorized(*r.curl("GET", "/"))
    assert r.curl("GET", "/v2/", *alice)[0] == 200
    assert r.curl("GET", "/v2/", "-u", "bob:builder")[0] == 200
    # A write without credentials (with a body) stores nothing; the same with them works.
    data = b"hello auth"
    assert_unauthorized(*r.curl("POST", f"/v2/a/blobs/uploads/?digest={sha256(data)}", data=data))
    assert_unauthorized(*r.curl("POST", f"/v2/a/blobs/uploads/?digest={sha256(data)}", "-u", "alice:x", data=data))
    assert r.files("blobs") == [] and r.files("repositories") == []
    status, hdrs, _ = r.curl("POST", f"/v2/a/blobs/uploads/?digest={sha256(data)}", *alice, data=data)
    assert status == 201 and hdrs["docker-content-digest"] == sha256(data)
    assert_unauthorized(*r.curl("GET", f"/v2/a/blobs/{sha256(data)}"))
    assert_unauthorized(*r.curl("DELETE", f"/v2/a/blobs/{sha256(data)}"))
    status, _, body = r.curl("GET", f"/v2/a/blobs/{sha256(data)}", *alice)
    assert status == 200 and body == data
    assert r.curl("GET", "/", *alice)[0] == 200


def test_auth_skopeo_and_podman_with_creds(auth_registry, busybox_tar, tmp_path):
    r = auth_registry
    layout = make_layout(tmp_path / "oci", busybox_tar)
    ref = f"docker://{r.host}/secure/busybox:latest"
    creds = "alice:" + USERS["alice"]
    denied = skopeo(tmp_path, "copy", "--dest-tls-verify=false", f"oci:{layout}:latest", ref, check=False)
    assert denied.returncode != 0 and ("unauthorized" in denied.stderr.lower() or "401" in denied.stderr)
    wrong = skopeo(tmp_path, "copy", "--dest-tls-verify=false", "--dest-creds", "alice:nope", f"oci:{layout}:latest", ref,
                   check=False)
    assert wrong.returncode != 0
    assert r.files("blobs") == []
    skopeo(tmp_path, "copy", "--dest-tls-verify=false", "--dest-creds", creds, f"oci:{layout}:latest", ref)
    info = json.loads(skopeo(tmp_path, "inspect", "--tls-verify=false", "--creds", "bob:builder", ref).stdout)
    assert info["Layers"] == [layout_manifest(layout)["layers"][0]["digest"]]
    assert skopeo(tmp_path, "inspect", "--tls-verify=false", ref, check=False).returncode != 0
    tags = json.loads(skopeo(tmp_path, "list-tags", "--tls-verify=false", "--creds", creds, f"docker://{r.host}/secure/busybox").stdout)
    assert tags["Tags"] == ["latest"]
    # podman pulls and pushes back under another tag with --creds.
    if not shutil.which("podman"):
        return
    runroot = tempfile.mkdtemp(prefix="skiff-pm-")
    storage = ["--root", str(tmp_path / "podman-root"), "--runroot", runroot,
               "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none"]
    env = dict(os.environ, CONTAINERS_CONF=str(tmp_path / "containers.conf"),
               REGISTRIES_CONFIG_PATH=str(tmp_path / "registries.conf"), REGISTRY_AUTH_FILE=str(tmp_path / "auth.json"))
    (tmp_path / "containers.conf").write_text("")
    (tmp_path / "registries.conf").write_text("")
    (tmp_path / "auth.json").write_text('{"auths": {}}')

    def podman(*args, check=True):
        result = subprocess.run(isolated(["podman", *storage, *args], tmp_path), capture_output=True, text=True,
                                timeout=300, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)}: exit {result.returncode}: {result.stderr}")
        return result

    try:
        image = f"{r.host}/secure/busybox:latest"
        assert podman("pull", "--tls-verify=false", image, check=False).returncode != 0
        podman("pull", "--tls-verify=false", "--creds", creds, image)
        podman("tag", image, f"{r.host}/secure/busybox:again")
        assert podman("push", "--tls-verify=false", f"{r.host}/secure/busybox:again", check=False).returncode != 0
        podman("push", "--tls-verify=false", "--creds", "bob:builder", f"{r.host}/secure/busybox:again")
        # podman login (into the test's auth file), then a push with no --creds.
        assert podman("login", "--tls-verify=false", "-u", "bob", "-p", "wrong", r.host, check=False).returncode != 0
        podman("login", "--tls-verify=false", "-u", "bob", "-p", "builder", r.host)
        podman("tag", image, f"{r.host}/secure/busybox:login")
        podman("push", "--tls-verify=false", f"{r.host}/secure/busybox:login")
    finally:
        podman("rmi", "-a", "-f", check=False)
        for path in (tmp_path / "podman-root", Path(runroot)):
            subprocess.run(["umount", "-R", str(path)], capture_output=True)
            shutil.rmtree(path, ignore_errors=True)
    status, _, body = r.curl("GET", "/v2/secure/busybox/tags/list", "-u", creds)
    assert json.loads(body)["tags"] == ["again", "latest", "login"]


def test_anonymous_pull(busybox_tar, tmp_path):
    r = Registry(tmp_path / "root", "--htpasswd", str(make_htpasswd(tmp_path / "htpasswd", USERS)), "--anonymous-pull")
    try:
        layout = make_layout(tmp_path / "oci", busybox_tar)
        ref = f"docker://{r.host}/open/busybox:latest"
        denied = skopeo(tmp_path, "copy", "--dest-tls-verify=false", f"oci:{layout}:latest", ref, check=False)
        assert denied.returncode != 0
        skopeo(tmp_path, "copy", "--dest-tls-verify=false", "--dest-creds", "bob:builder", f"oci:{layout}:latest", ref)
        # Pulls need no credentials (skopeo sends empty ones after the /v2/ challenge)...
        info = json.loads(skopeo(tmp_path, "inspect", "--tls-verify=false", ref).stdout)
        assert info["Layers"] == [layout_manifest(layout)["layers"][0]["digest"]]
        skopeo(tmp_path, "copy", "--src-tls-verify=false", ref, f"oci:{tmp_path / 'back'}:x")
        status, _, body = r.curl("GET", "/v2/open/busybox/manifests/latest",
                                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        assert status == 200 and sha256(body) == json.loads((tmp_path / "back" / "index.json").read_text())["manifests"][0]["digest"]
        assert r.curl("HEAD", "/v2/open/busybox/manifests/latest")[0] == 200
        assert r.curl("GET", "/")[0] == 200
        # ...but /v2/ still challenges, wrong passwords are refused, and writes need credentials.
        assert_unauthorized(*r.curl("GET", "/v2/"))
        assert_unauthorized(*r.curl("GET", "/v2/open/busybox/tags/list", "-u", "alice:wrong"))
        assert_unauthorized(*r.curl("DELETE", "/v2/open/busybox/manifests/latest"))
        assert_unauthorized(*r.curl("POST", "/v2/open/busybox/blobs/uploads/", data=b""))
        assert r.curl("GET", "/v2/open/busybox/manifests/latest")[0] == 200
    finally:
        r.stop()


def test_read_only(busybox_tar, tmp_path):
    layout = make_layout(tmp_path / "oci", busybox_tar)
    root = tmp_path / "root"
    writable = Registry(root)
    try:
        skopeo(tmp_path, "copy", "--dest-tls-verify=false", f"oci:{layout}:latest", f"docker://{writable.host}/ro/busybox:1")
    finally:
        writable.stop()
    before = sorted(str(p) for p in root.rglob("*"))
    r = Registry(root, "--read-only")
    try:
        ref = f"docker://{r.host}/ro/busybox"
        assert json.loads(skopeo(tmp_path, "list-tags", "--tls-verify=false", ref).stdout)["Tags"] == ["1"]
        skopeo(tmp_path, "copy", "--src-tls-verify=false", ref + ":1", f"oci:{tmp_path / 'back'}:x")
        refused = skopeo(tmp_path, "copy", "--dest-tls-verify=false", f"oci:{layout}:latest", ref + ":2", check=False)
        assert refused.returncode != 0
        data = b"read only"
        digest = layout_manifest(layout)["config"]["digest"]
        for method, path, body in [("POST", f"/v2/ro/busybox/blobs/uploads/?digest={sha256(data)}", data),
                                   ("POST", "/v2/ro/busybox/blobs/uploads/", b""),
                                   ("PUT", "/v2/ro/busybox/manifests/2", b"{}"),
                                   ("DELETE", "/v2/ro/busybox/manifests/1", None),
                                   ("DELETE", f"/v2/ro/busybox/blobs/{digest}", None)]:
            status, _, answer = r.curl(method, path, data=body)
            assert status == 405, (method, path, status)
            assert json.loads(answer)["errors"][0]["code"] == "UNSUPPORTED"
        assert r.curl("GET", "/v2/ro/busybox/manifests/1",
                      headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})[0] == 200
        assert sorted(str(p) for p in root.rglob("*")) == before
    finally:
        r.stop()
    # With users too: credentials first (401 without), then the refusal.
    r = Registry(root, "--read-only", "--htpasswd", str(make_htpasswd(tmp_path / "htpasswd", USERS)))
    try:
        assert_unauthorized(*r.curl("DELETE", "/v2/ro/busybox/manifests/1"))
        status, _, body = r.curl("DELETE", "/v2/ro/busybox/manifests/1", "-u", "bob:builder")
        assert status == 405 and json.loads(body)["errors"][0]["code"] == "UNSUPPORTED"
        assert r.curl("GET", "/v2/ro/busybox/tags/list", "-u", "bob:builder")[0] == 200
    finally:
        r.stop()


# --------------------------------------------------------------------------
# TLS: --tls-cert/--tls-key, verified against a CA made here

def make_certificates(d: Path) -> Path:
    """A CA (ca.crt) and a server certificate it signed for 127.0.0.1 and
    localhost (server.crt, server.key) in d."""
    d.mkdir(parents=True, exist_ok=True)

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=skiff test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                                  "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "2", "-extfile", "server.ext")
    return d


def test_tls_with_auth(busybox_tar, tmp_path):
    pki = make_certificates(tmp_path / "pki")
    certs = tmp_path / "certs.d"  # skopeo's --cert-dir: the CA only
    certs.mkdir()
    shutil.copy(pki / "ca.crt", certs / "ca.crt")
    r = Registry(tmp_path / "root", "--tls-cert", str(pki / "server.crt"), "--tls-key", str(pki / "server.key"),
                 "--htpasswd", str(make_htpasswd(tmp_path / "htpasswd", USERS)), cacert=pki / "ca.crt")
    try:
        creds = "alice:" + USERS["alice"]
        status, hdrs, _ = r.curl("GET", "/v2/", "-u", creds)
        assert status == 200 and hdrs["docker-distribution-api-version"] == "registry/2.0"
        assert_unauthorized(*r.curl("GET", "/v2/"))
        port = r.host.rsplit(":", 1)[1]
        assert subprocess.run(["curl", "-sS", "--cacert", str(pki / "ca.crt"), "-u", creds, "-o", "/dev/null", "-w", "%{http_code}",
                               f"https://localhost:{port}/v2/"], capture_output=True, text=True).stdout == "200"
        # Not trusted without the CA; plain HTTP is not answered.
        untrusted = subprocess.run(["curl", "-sS", "-o", "/dev/null", f"https://{r.host}/v2/"], capture_output=True, text=True)
        assert untrusted.returncode == 60, untrusted.stderr
        plain = subprocess.run(["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", f"http://{r.host}/v2/"],
                               capture_output=True, text=True)
        assert plain.returncode != 0 or plain.stdout != "200"
        layout = make_layout(tmp_path / "oci", busybox_tar)
        ref = f"docker://{r.host}/tls/busybox:latest"
        no_ca = skopeo(tmp_path, "copy", "--dest-creds", creds, f"oci:{layout}:latest", ref, check=False)
        assert no_ca.returncode != 0 and ("x509" in no_ca.stderr or "certificate" in no_ca.stderr)
        skopeo(tmp_path, "copy", "--dest-cert-dir", str(certs), "--dest-creds", creds, f"oci:{layout}:latest", ref)
        info = json.loads(skopeo(tmp_path, "inspect", "--cert-dir", str(certs), "--creds", "bob:builder", ref).stdout)
        assert info["Layers"] == [layout_manifest(layout)["layers"][0]["digest"]]
        skopeo(tmp_path, "copy", "--src-cert-dir", str(certs), "--src-creds", creds, ref, f"oci:{tmp_path / 'back'}:x")
        pushed = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
        assert json.loads((tmp_path / "back" / "index.json").read_text())["manifests"][0]["digest"] == pushed
    finally:
        r.stop()


# --------------------------------------------------------------------------
# The hub page at /

def test_hub_page(registry, busybox_tar, tmp_path):
    from html.parser import HTMLParser

    r = registry
    status, hdrs, body = r.curl("GET", "/")
    assert status == 200 and hdrs["content-type"].startswith("text/html")
    assert b"No repositories yet" in body
    layout = make_layout(tmp_path / "oci", busybox_tar)
    multi = make_layout(tmp_path / "multi", busybox_tar, platforms=(("amd64", None), ("arm64", "v8")), index_all=True)
    skopeo(tmp_path, "copy", "--dest-tls-verify=false", f"oci:{layout}:latest", f"docker://{r.host}/library/busybox:latest")
    skopeo(tmp_path, "copy", "--dest-tls-verify=false", f"oci:{layout}:latest", f"docker://{r.host}/library/busybox:1.36")
    skopeo(tmp_path, "copy", "--all", "--dest-tls-verify=false", f"oci:{multi}:latest", f"docker://{r.host}/team/multi:v1")
    status, hdrs, body = r.curl("GET", "/")
    assert status == 200
    html = body.decode()

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.sections, self.cell, self.scripts = [], [], None, 0

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "script":
                self.scripts += 1
            if tag == "tr" and a.get("class") == "tag":
                self.rows.append({"section": self.sections[-1]})
            if tag == "td" and self.rows:
                self.cell = a.get("class")
                self.rows[-1][self.cell] = ""
                if "title" in a:
                    self.rows[-1]["bytes"] = int(a["title"].split()[0])
            if tag == "h2":
                self.sections.append("")
                self.cell = "h2"

        def handle_endtag(self, tag):
            if tag in ("td", "h2"):
                self.cell = None

        def handle_data(self, data):
            if self.cell == "h2":
                self.sections[-1] += data
            elif self.cell and self.rows:
                self.rows[-1][self.cell] += data

    parser = Rows()
    parser.feed(html)
    assert parser.scripts == 0
    assert parser.sections == ["library/busybox", "team/multi"]
    rows = {(row["section"], row["tag-name"].split(",")[0].strip()): row for row in parser.rows}
    manifest = layout_manifest(layout)
    single = manifest["config"]["size"] + sum(l["size"] for l in manifest["layers"])
    for tag in ("latest", "1.36"):
        row = next(v for (s, t), v in rows.items() if s == "library/busybox" and t.startswith(tag))
        _, mh, _ = r.curl("HEAD", f"/v2/library/busybox/manifests/{tag}",
                          headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        assert row["digest"] == mh["docker-content-digest"]
        assert row["bytes"] == single
        assert row["pull"] == f"docker pull {r.host}/library/busybox:{tag}"
    row = next(v for (s, t), v in rows.items() if s == "team/multi")
    assert row["tag-name"].startswith("v1") and "linux/amd64" in row["tag-name"] and "linux/arm64/v8" in row["tag-name"]
    _, mh, _ = r.curl("HEAD", "/v2/team/multi/manifests/v1", headers={"Accept": "application/vnd.oci.image.index.v1+json"})
    assert row["digest"] == mh["docker-content-digest"]
    # Both platforms' config and layers (the same layer twice here).
    blob = lambda digest: json.loads((multi / "blobs" / "sha256" / digest[7:]).read_text())
    children = [blob(m["digest"]) for m in layout_manifest(multi)["manifests"]]
    assert row["bytes"] == sum(c["config"]["size"] + sum(l["size"] for l in c["layers"]) for c in children)
    assert row["pull"] == f"docker pull {r.host}/team/multi:v1"
    # What the client sends is escaped.
    status, _, body = r.curl("GET", "/", headers={"Host": '<img src=x onerror="alert(1)">:5000'})
    assert status == 200 and b"<img" not in body and b"&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body
    assert r.curl("GET", "/ui")[0] == 200
    assert r.curl("POST", "/", data=b"")[0] == 405

    # Rendered by headless Chromium (its profile, HOME and /tmp in the test's directory, /run and /dev/shm private).
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium not installed (scripts/deps.sh)")
    home = tmp_path / "chromium-home"
    for sub in ("profile", "config", "cache"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    shot = tmp_path / "hub.png"
    # (a short TMPDIR of its own: chromium's singleton socket path must fit a sockaddr_un)
    short_tmp = tempfile.mkdtemp(prefix="skiff-cr-")
    env = dict(os.environ, HOME=str(home), TMPDIR=short_tmp, XDG_CONFIG_HOME=str(home / "config"),
               XDG_CACHE_HOME=str(home / "cache"))
    script = 'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /dev/shm && exec "$@"'
    cmd = ["unshare", "--mount", "sh", "-c", script, "sh",
           chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={home / 'profile'}",
           "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
           f"--screenshot={shot}", "--window-size=1200,800", f"{r.url}/"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(short_tmp, ignore_errors=True)
    assert shot.is_file(), f"no screenshot: {err.decode(errors='replace')[-2000:]}"
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 800) and len(png) > 5000, (width, height, len(png))
    print(f"\nhub page screenshot: {shot}")
