"""Pull, push and login through skiffd against Debian's docker-registry
(distribution 2.8), run inside the test daemon's network namespace on a
loopback port (plain HTTP, as Docker allows for loopback registries): with
the real docker CLI, the skiff CLI and docker-py; anonymous, with htpasswd
basic auth, with a bearer-token front (a tiny python token server and proxy),
against a broken registry stub serving a layer whose digest is wrong; over TLS
with a CA (and a client certificate) made with openssl in Docker's certs.d
layout (skiffd --certs-dir in the test's root); with a fake credential helper
(credsStore / credHelpers) on PATH; and through a flaky proxy that answers 503
once and drops a layer download mid-body (retries, Range resume). skiffd runs
with a small SKIFF_REGISTRY_CHUNK_SIZE so layer pushes go up in chunks."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from clitest import skiff_binary
from skiffd import Skiffd, busybox_tar, running_daemon, skiff_registry  # noqa: F401  (fixtures)

REGISTRY = "/usr/bin/docker-registry"
HERE = Path(__file__).resolve().parent


def _port() -> int:
    return random.SystemRandom().randint(20000, 40000)  # not the per-test seeded generator


CHUNK_SIZE = 256 << 10


class CertsSkiffd(Skiffd):
    """skiffd with its certs.d in the test's root, and small upload chunks."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.certs_dir = root / "certs.d"
        self.certs_dir.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        cmd = super().command()
        i = cmd.index("nsenter") + 2
        return cmd[:i] + ["env", f"SKIFF_REGISTRY_CHUNK_SIZE={CHUNK_SIZE}"] + cmd[i:] + ["--certs-dir", str(self.certs_dir)]


@pytest.fixture(scope="module")
def daemon():
    """The skiffd fixture of skiffd.py, with --certs-dir under its temp root."""
    yield from running_daemon(CertsSkiffd)


class Registry:
    """docker-registry serving a temp dir on 127.0.0.1:PORT inside the daemon's netns
    (or on `ip` with TLS: `tls` = (cert, key[, clientca]))."""

    def __init__(self, daemon, htpasswd: str | None = None, ip: str = "127.0.0.1", tls: tuple | None = None):
        self.daemon = daemon
        self.dir = Path(tempfile.mkdtemp(prefix="skiff-reg-", dir="/tmp"))
        self.port = _port()
        self.host = f"{ip}:{self.port}"
        self.tls = tls
        auth = ""
        if htpasswd:
            (self.dir / "htpasswd").write_text(htpasswd)
            auth = f"auth:\n  htpasswd:\n    realm: skiff-test\n    path: {self.dir / 'htpasswd'}\n"
        tls_conf = ""
        if tls:
            tls_conf = f"  tls:\n    certificate: {tls[0]}\n    key: {tls[1]}\n"
            if len(tls) > 2:
                tls_conf += f"    clientcas:\n      - {tls[2]}\n"
        (self.dir / "config.yml").write_text(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
            f"    rootdirectory: {self.dir / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.host}\n" + tls_conf + auth)
        self.log = open(self.dir / "registry.log", "wb")
        self.proc = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{daemon.netns}", REGISTRY, "serve", str(self.dir / "config.yml")],
            stdout=self.log, stderr=self.log)
        self._wait()

    def _wait(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.dir / "registry.log").read_text())
            if self.tls:  # any TLS answer (even a refused handshake) means it listens
                p = self.daemon.netexec("curl", "-sk", "-o", "/dev/null", f"https://{self.host}/v2/", check=False)
                if p.returncode in (0, 35, 56):
                    return
            else:
                p = self.daemon.netexec("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                        f"http://{self.host}/v2/", check=False)
                if p.stdout.decode() in ("200", "401"):
                    return
            time.sleep(0.1)
        raise RuntimeError("registry did not start")

    def curl(self, path: str, *args: str) -> bytes:
        return self.daemon.netexec("curl", "-sf", *args, f"http://{self.host}{path}").stdout

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _htpasswd(user: str, password: str) -> str:
    return subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True).stdout.decode()


@pytest.fixture(scope="module")
def tools():
    if not os.path.exists(REGISTRY) or not shutil.which("htpasswd"):
        pytest.skip("docker-registry / htpasswd not installed (scripts/deps.sh)")


@pytest.fixture(scope="module")
def registry(daemon, tools):
    r = Registry(daemon)
    yield r
    r.close()


@pytest.fixture(scope="module")
def auth_registry(daemon, tools):
    r = Registry(daemon, htpasswd=_htpasswd("alice", "s3cret"))
    yield r
    r.close()


@pytest.fixture(scope="module")
def busybox(daemon, busybox_tar):
    out = daemon.out("import", "--change", 'CMD ["sh"]', str(busybox_tar), "bbsrc:latest")
    return out.splitlines()[-1]


def skiff(daemon, *args: str, check: bool = True, input: bytes | None = None, path: str | None = None):
    binary = skiff_binary()
    if binary is None:
        pytest.skip("skiff CLI not built")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_CONFIG"] = str(daemon.docker_config)
    if path:
        env["PATH"] = path + ":" + env.get("PATH", "/usr/bin:/bin")
    proc = subprocess.run([binary, "-H", f"unix://{daemon.sock}", *args], input=input,
                          capture_output=True, env=env, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"skiff {' '.join(args)} exited {proc.returncode}:\n"
                             f"{proc.stdout.decode(errors='replace')}{proc.stderr.decode(errors='replace')}")
    return proc


def _rmi(daemon, *names):
    for n in names:
        daemon.docker("rmi", "-f", n, check=False)


def test_docker_push_and_pull_round_trip(daemon, registry, busybox):
    name = f"{registry.host}/bb/docker"
    daemon.out("tag", "bbsrc:latest", name + ":1")
    push = daemon.docker("push", name + ":1").stdout.decode()
    assert f"The push refers to repository [{name}]" in push
    assert "Pushed" in push
    digest_line = [l for l in push.splitlines() if l.startswith("1: digest: sha256:")]
    assert digest_line, push
    digest = digest_line[0].split()[2]
    # The registry has it under that digest.
    tags = json.loads(registry.curl("/v2/bb/docker/tags/list"))
    assert tags["tags"] == ["1"]
    manifest = registry.curl("/v2/bb/docker/manifests/1", "-H",
                             "Accept: application/vnd.oci.image.manifest.v1+json, "
                             "application/vnd.docker.distribution.manifest.v2+json")
    assert "sha256:" + hashlib.sha256(manifest).hexdigest() == digest

    # Pushing again: every layer is already there.
    again = daemon.docker("push", name + ":1").stdout.decode()
    assert "Layer already exists" in again and "Pushed" not in again

    _rmi(daemon, name + ":1")
    pull = daemon.docker("pull", name + ":1").stdout.decode()
    assert "1: Pulling from bb/docker" in pull
    assert f"Digest: {digest}" in pull
    assert f"Status: Downloaded newer image for {name}:1" in pull
    assert pull.splitlines()[-1] == f"{name}:1"
    inspect = daemon.inspect(name + ":1")
    assert inspect["Id"] == busybox
    assert inspect["RepoDigests"] == [f"{name}@{digest}"]
    digests = daemon.out("images", "--digests", "--format", "{{.Repository}} {{.Digest}}")
    assert f"{name} {digest}" in digests.splitlines()
    # Pulling again: up to date, nothing downloaded.
    again = daemon.docker("pull", name + ":1").stdout.decode()
    assert f"Status: Image is up to date for {name}:1" in again
    # It runs.
    assert daemon.out("run", "--rm", name + ":1", "echo", "pulled") == "pulled"
    # Removing the repository's last tag removes its digest reference too (dockerd's rule);
    # the image stays for its other name.
    removed = daemon.out("rmi", name + ":1").splitlines()
    assert removed == [f"Untagged: {name}:1", f"Untagged: {name}@{digest}"]
    assert daemon.inspect(busybox)["RepoDigests"] == []


def test_pull_by_digest_and_layers_skipped(daemon, registry, busybox):
    name = f"{registry.host}/bb/digest"
    daemon.out("tag", "bbsrc:latest", name + ":latest")
    daemon.docker("push", name)
    digest = daemon.inspect(name)["RepoDigests"][0].split("@")[1]
    _rmi(daemon, name)
    # bbsrc still holds the layer: the pull skips it.
    pull = daemon.docker("pull", f"{name}@{digest}").stdout.decode()
    assert "Already exists" in pull, pull
    assert "Pulling fs layer" not in pull
    assert pull.splitlines()[-1] == f"{name}@{digest}"
    inspect = daemon.inspect(f"{name}@{digest}")
    assert f"{name}@{digest}" in inspect["RepoDigests"]
    assert inspect["RepoTags"] == [] or inspect["Id"] == busybox
    _rmi(daemon, f"{name}@{digest}")


def test_docker_run_pulls_a_missing_image(daemon, registry, busybox):
    name = f"{registry.host}/bb/run"
    daemon.out("tag", "bbsrc:latest", name)
    daemon.docker("push", name)
    _rmi(daemon, name)
    proc = daemon.docker("run", "--rm", name, "echo", "auto")
    assert proc.stdout.decode().strip() == "auto"
    assert f"Unable to find image '{name}:latest' locally" in proc.stderr.decode()
    _rmi(daemon, name)


def test_missing_image_and_repository(daemon, registry):
    proc = daemon.docker("pull", f"{registry.host}/nope/nothing:1", check=False)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "Error response from daemon" in err and "not found" in err and "manifest unknown" in err.lower() or \
        "name unknown" in err.lower(), err


def test_skiff_cli_pull_push(daemon, registry, busybox):
    name = f"{registry.host}/bb/skiff"
    daemon.out("tag", "bbsrc:latest", name + ":2")
    push = skiff(daemon, "push", name + ":2").stdout.decode()
    assert f"The push refers to repository [{name}]" in push and "2: digest: sha256:" in push
    _rmi(daemon, name + ":2")
    pull = skiff(daemon, "pull", name + ":2").stdout.decode()
    assert "Digest: sha256:" in pull and pull.splitlines()[-1] == f"{name}:2"
    out = skiff(daemon, "pull", name).stdout.decode() if False else ""
    proc = skiff(daemon, "pull", f"{registry.host}/nope/x:1", check=False)
    assert proc.returncode == 1 and b"Error response from daemon" in proc.stderr
    _rmi(daemon, name + ":2")


def test_docker_py_pull_push(daemon, registry, busybox):
    client = daemon.client()
    name = f"{registry.host}/bb/py"
    client.images.get("bbsrc:latest").tag(name, "3")
    lines = list(client.images.push(name, tag="3", stream=True, decode=True))
    assert any("aux" in l and l["aux"]["Tag"] == "3" for l in lines), lines
    assert not any("error" in l for l in lines)
    client.images.remove(name + ":3")
    image = client.images.pull(name, tag="3")
    assert image.id == busybox
    assert any(d.startswith(name + "@sha256:") for d in image.attrs["RepoDigests"])
    client.images.remove(name + ":3")


def test_basic_auth_login_push_pull(daemon, auth_registry, busybox):
    reg = auth_registry.host
    name = f"{reg}/private/bb"
    daemon.out("tag", "bbsrc:latest", name)
    # No credentials: refused.
    proc = daemon.docker("push", name, check=False)
    assert proc.returncode == 1 and b"unauthorized" in (proc.stdout + proc.stderr).lower()
    # A bad password: refused by POST /auth (docker and skiff).
    proc = daemon.docker("login", "-u", "alice", "-p", "wrong", reg, check=False)
    assert proc.returncode == 1 and b"401 Unauthorized" in proc.stderr, proc.stderr
    proc = skiff(daemon, "login", "-u", "alice", "-p", "wrong", reg, check=False)
    assert proc.returncode == 1 and b"401 Unauthorized" in proc.stderr, proc.stderr
    # skiff login writes docker's config.json; the docker CLI then uses it.
    proc = skiff(daemon, "login", "-u", "alice", "--password-stdin", reg, input=b"s3cret\n")
    assert proc.stdout.decode().strip() == "Login Succeeded"
    config = json.loads((daemon.docker_config / "config.json").read_text())
    assert base64.b64decode(config["auths"][reg]["auth"]) == b"alice:s3cret"
    push = daemon.docker("push", name).stdout.decode()
    assert "latest: digest: sha256:" in push
    _rmi(daemon, name)
    assert "Status: Downloaded newer image" in skiff(daemon, "pull", name).stdout.decode()
    _rmi(daemon, name)
    # docker-py with explicit credentials.
    client = daemon.client()
    image = client.images.pull(name, tag="latest", auth_config={"username": "alice", "password": "s3cret"})
    assert image.id == busybox
    _rmi(daemon, name)
    # logout: gone from config.json, pulls are refused again.
    assert skiff(daemon, "logout", reg).stdout.decode().strip() == f"Removing login credentials for {reg}"
    assert reg not in json.loads((daemon.docker_config / "config.json").read_text()).get("auths", {})
    assert skiff(daemon, "logout", reg).stdout.decode().strip() == f"Not logged in to {reg}"
    proc = daemon.docker("pull", name, check=False)
    assert proc.returncode == 1
    assert b"pull access denied for " + name.encode() in proc.stderr and b"unauthorized" in proc.stderr, proc.stderr
    # The docker CLI's own login goes through POST /auth too.
    proc = daemon.docker("login", "-u", "alice", "-p", "s3cret", reg)
    assert b"Login Succeeded" in proc.stdout
    daemon.docker("logout", reg)


def test_docker_cli_with_skiffs_own_registry(daemon, busybox, tmp_path):
    """The real docker CLI, through skiffd, against `skiff-registry serve --htpasswd
    --anonymous-pull`: writes need a login, pulls do not."""
    binary = skiff_binary()
    registry = Path(binary).parent / "skiff-registry" if binary else None
    if registry is None or not os.access(registry, os.X_OK) or not shutil.which("htpasswd"):
        pytest.skip("skiff-registry not built next to skiff, or no htpasswd")
    (tmp_path / "htpasswd").write_text(_htpasswd("bob", "builder"))
    with skiff_registry(registry, daemon.netns, tmp_path / "root",
                        "--htpasswd", str(tmp_path / "htpasswd"), "--anonymous-pull") as reg:
        name = f"{reg}/hub/bb:1"
        daemon.out("tag", "bbsrc:latest", name)
        refused = daemon.docker("push", name, check=False)
        assert refused.returncode == 1 and b"unauthorized" in (refused.stdout + refused.stderr).lower(), refused
        assert b"Login Succeeded" in daemon.docker("login", "-u", "bob", "-p", "builder", reg).stdout
        assert "1: digest: sha256:" in daemon.docker("push", name).stdout.decode()
        daemon.docker("logout", reg)
        _rmi(daemon, name)
        # Anonymous: the pull works, and the image is the one pushed; a push does not.
        pull = daemon.docker("pull", name).stdout.decode()
        assert "Status: Downloaded newer image" in pull, pull
        assert daemon.inspect(name)["Id"] == busybox
        assert daemon.out("run", "--rm", name, "echo", "from the hub") == "from the hub"
        refused = daemon.docker("push", name, check=False)
        assert refused.returncode == 1 and b"unauthorized" in (refused.stdout + refused.stderr).lower(), refused
        _rmi(daemon, name)


BROKEN_STUB = r'''
import hashlib, io, json, sys, tarfile
from http.server import BaseHTTPRequestHandler, HTTPServer
config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode()
def tar(name, data):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    return buf.getvalue()
layer_claimed = tar("a", b"the layer the manifest names")
layer_served = tar("b", b"something else entirely")
def d(b): return "sha256:" + hashlib.sha256(b).hexdigest()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d(layer_claimed), "size": len(layer_claimed)}]}).encode()
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, body, ctype="application/octet-stream"):
        self.send_response(200); self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_GET(self):
        p = self.path
        if p == "/v2/": return self.send(b"{}", "application/json")
        if "/manifests/" in p: return self.send(manifest, "application/vnd.oci.image.manifest.v1+json")
        if p.endswith(d(config)): return self.send(config)
        if "/blobs/" in p: return self.send(layer_served)
        self.send_response(404); self.end_headers()
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'''


def test_digest_mismatch_stores_nothing(daemon, tools):
    port = _port()
    proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{daemon.netns}", "python3", "-c", BROKEN_STUB, str(port)])
    try:
        time.sleep(0.5)
        before = sorted(os.listdir(daemon.data / "content" / "blobs" / "sha256"))
        pull = daemon.docker("pull", f"127.0.0.1:{port}/broken/img:1", check=False)
        assert pull.returncode == 1
        assert b"digest mismatch" in pull.stderr or b"digest mismatch" in pull.stdout, pull
        after = sorted(os.listdir(daemon.data / "content" / "blobs" / "sha256"))
        assert after == before
        assert os.listdir(daemon.data / "content" / "ingest") == []
        assert daemon.docker("image", "inspect", f"127.0.0.1:{port}/broken/img:1", check=False).returncode == 1
    finally:
        proc.terminate()
        proc.wait()


TOKEN_FRONT = r'''
import base64, http.client, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, upstream = int(sys.argv[1]), int(sys.argv[2])
realm = f"http://127.0.0.1:{port}/token"
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.path.startswith("/token"):
            auth = self.headers.get("Authorization", "")
            if not auth:
                return self.reply(200, b'{"token":"anon"}')
            if auth == "Basic " + base64.b64encode(b"alice:s3cret").decode():
                return self.reply(200, b'{"access_token":"good"}')
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}')
        token = self.headers.get("Authorization", "")
        ok = token == "Bearer good" or (token == "Bearer anon" and self.command in ("GET", "HEAD"))
        if not ok:
            challenge = f'Bearer realm="{realm}",service="token-test"'
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                              [("WWW-Authenticate", challenge), ("Content-Type", "application/json")])
        conn = http.client.HTTPConnection("127.0.0.1", upstream)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"): self.send_header(k, v)
        self.send_header("Content-Length", str(len(data) if self.command != "HEAD" else resp.getheader("Content-Length") or 0))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(data)
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
'''


def test_bearer_token_flow(daemon, registry, busybox):
    port = _port()
    proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{daemon.netns}", "python3", "-c", TOKEN_FRONT,
                             str(port), str(registry.port)])
    try:
        time.sleep(0.5)
        reg = f"127.0.0.1:{port}"
        name = f"{reg}/tok/bb"
        daemon.out("tag", "bbsrc:latest", name)
        # Anonymous token: pull only.
        proc_push = daemon.docker("push", name, check=False)
        assert proc_push.returncode == 1
        proc_login = skiff(daemon, "login", "-u", "alice", "-p", "nope", reg, check=False)
        assert proc_login.returncode == 1 and b"incorrect username or password" in proc_login.stderr, proc_login.stderr
        skiff(daemon, "login", "-u", "alice", "-p", "s3cret", reg)
        push = daemon.docker("push", name).stdout.decode()
        assert "latest: digest: sha256:" in push
        skiff(daemon, "logout", reg)
        _rmi(daemon, name)
        # An anonymous pull gets an anonymous token.
        pull = skiff(daemon, "pull", name).stdout.decode()
        assert "Status: Downloaded newer image" in pull
        _rmi(daemon, name)
    finally:
        proc.terminate()
        proc.wait()


# --- TLS: a CA made here, Docker's certs.d layout under skiffd's --certs-dir ---------------

def _openssl(*args: str, cwd: Path):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class PKI:
    """A CA, a server certificate for `ip`, and a client CA with a client certificate."""

    def __init__(self, ip: str):
        self.dir = Path(tempfile.mkdtemp(prefix="skiff-pki-", dir="/tmp"))
        d = self.dir
        for name in ("ca", "clientca"):
            _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=skiff test {name}",
                     "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=d)
        (d / "server.ext").write_text(f"subjectAltName=IP:{ip}\nextendedKeyUsage=serverAuth\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={ip}", "-keyout", "server.key",
                 "-out", "server.csr", cwd=d)
        _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "2", "-extfile", "server.ext", "-out", "server.crt", cwd=d)
        (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=skiff client", "-keyout", "client.key",
                 "-out", "client.csr", cwd=d)
        _openssl("x509", "-req", "-in", "client.csr", "-CA", "clientca.crt", "-CAkey", "clientca.key",
                 "-CAcreateserial", "-days", "2", "-extfile", "client.ext", "-out", "client.cert", cwd=d)


TLS_IP = "10.213.7.1"


@pytest.fixture(scope="module")
def pki(daemon, tools):
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    # A non-loopback address (loopback registries are plain HTTP) inside the daemon's netns.
    subprocess.run(["ip", "-n", daemon.netns, "addr", "add", f"{TLS_IP}/32", "dev", "lo"], check=True)
    p = PKI(TLS_IP)
    yield p
    shutil.rmtree(p.dir, ignore_errors=True)


def _certs(daemon, host: str) -> Path:
    d = daemon.certs_dir / host
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def test_tls_registry_with_ca_in_certs_dir(daemon, pki, busybox):
    reg = Registry(daemon, ip=TLS_IP, tls=(str(pki.dir / "server.crt"), str(pki.dir / "server.key")))
    try:
        name = f"{reg.host}/tls/bb"
        daemon.out("tag", "bbsrc:latest", name + ":1")
        # No CA for it: verified against the system roots, refused with a clear error.
        proc = daemon.docker("push", name + ":1", check=False)
        out = (proc.stdout + proc.stderr).decode()
        assert proc.returncode == 1, out
        assert "x509: certificate signed by unknown authority" in out, out
        assert str(daemon.certs_dir / reg.host / "ca.crt") in out, out
        proc = daemon.docker("pull", name + ":1", check=False)
        assert proc.returncode == 1 and b"certificate signed by unknown authority" in proc.stderr, proc.stderr
        # The CA in certs.d/HOST:PORT/ca.crt: push and pull work (skiff CLI and docker).
        shutil.copy(pki.dir / "ca.crt", _certs(daemon, reg.host) / "ca.crt")
        push = skiff(daemon, "push", name + ":1").stdout.decode()
        assert "1: digest: sha256:" in push, push
        _rmi(daemon, name + ":1")
        pull = daemon.docker("pull", name + ":1").stdout.decode()
        assert "Status: Downloaded newer image" in pull, pull
        assert daemon.inspect(name + ":1")["Id"] == busybox
        _rmi(daemon, name + ":1")
        # The wrong CA (the client CA) is no better than none.
        shutil.copy(pki.dir / "clientca.crt", _certs(daemon, reg.host) / "ca.crt")
        proc = daemon.docker("pull", name + ":1", check=False)
        assert proc.returncode == 1 and b"certificate signed by unknown authority" in proc.stderr, proc.stderr
        # A client key without its certificate: docker's certs.d rule, reported.
        d = _certs(daemon, reg.host)
        shutil.copy(pki.dir / "ca.crt", d / "ca.crt")
        shutil.copy(pki.dir / "client.key", d / "client.key")
        proc = daemon.docker("pull", name + ":1", check=False)
        assert proc.returncode == 1 and b"missing client certificate client.cert for key client.key" in proc.stderr, \
            proc.stderr
    finally:
        shutil.rmtree(daemon.certs_dir / reg.host, ignore_errors=True)
        reg.close()


def test_tls_registry_requiring_a_client_certificate(daemon, pki, busybox):
    reg = Registry(daemon, ip=TLS_IP, tls=(str(pki.dir / "server.crt"), str(pki.dir / "server.key"),
                                           str(pki.dir / "clientca.crt")))
    try:
        name = f"{reg.host}/mtls/bb"
        daemon.out("tag", "bbsrc:latest", name)
        d = _certs(daemon, reg.host)
        shutil.copy(pki.dir / "ca.crt", d / "ca.crt")
        # The server is trusted but wants a client certificate.
        proc = daemon.docker("push", name, check=False)
        out = (proc.stdout + proc.stderr).decode()
        assert proc.returncode == 1, out
        assert f"requires a client certificate, put it in {d}/client.cert and client.key" in out, out
        # client.cert + client.key in certs.d: accepted.
        shutil.copy(pki.dir / "client.cert", d / "client.cert")
        shutil.copy(pki.dir / "client.key", d / "client.key")
        push = daemon.docker("push", name).stdout.decode()
        assert "latest: digest: sha256:" in push, push
        _rmi(daemon, name)
        pull = skiff(daemon, "pull", name).stdout.decode()
        assert "Status: Downloaded newer image" in pull, pull
        assert daemon.inspect(name)["Id"] == busybox
        _rmi(daemon, name)
    finally:
        shutil.rmtree(daemon.certs_dir / reg.host, ignore_errors=True)
        reg.close()


# --- credential helpers ----------------------------------------------------------------------

FAKE_HELPER = r"""#!/usr/bin/env python3
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
store = os.path.join(here, os.path.basename(sys.argv[0]) + ".json")
data = json.load(open(store)) if os.path.exists(store) else {}
action, text = sys.argv[1], sys.stdin.read()
with open(os.path.join(here, "calls.log"), "a") as log:
    log.write(f"{os.path.basename(sys.argv[0])} {action} {text.strip() if action != 'store' else json.loads(text)['ServerURL']}\n")
if action == "get":
    if text.strip() not in data:
        print("credentials not found in native keychain"); sys.exit(1)
    user, secret = data[text.strip()]
    print(json.dumps({"ServerURL": text.strip(), "Username": user, "Secret": secret}))
elif action == "store":
    obj = json.loads(text); data[obj["ServerURL"]] = [obj["Username"], obj["Secret"]]
elif action == "erase":
    if data.pop(text.strip(), None) is None:
        print("credentials not found in native keychain"); sys.exit(1)
json.dump(data, open(store, "w"))
"""


def test_credential_helpers(daemon, auth_registry, busybox, tmp_path):
    reg = auth_registry.host
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("fake", "other"):
        helper = bin_dir / f"docker-credential-{name}"
        helper.write_text(FAKE_HELPER)
        helper.chmod(0o755)
    config_path = daemon.docker_config / "config.json"
    saved = config_path.read_text() if config_path.exists() else None
    name = f"{reg}/helped/bb"
    daemon.out("tag", "bbsrc:latest", name)
    try:
        # credsStore: login stores in the helper, the file keeps an empty entry, no warning.
        config_path.write_text(json.dumps({"credsStore": "fake"}))
        proc = skiff(daemon, "login", "-u", "alice", "--password-stdin", reg, input=b"s3cret\n", path=str(bin_dir))
        assert proc.stdout.decode().strip() == "Login Succeeded"
        assert b"unencrypted" not in proc.stderr, proc.stderr
        assert json.loads((bin_dir / "docker-credential-fake.json").read_text()) == {reg: ["alice", "s3cret"]}
        config = json.loads(config_path.read_text())
        assert config["auths"] == {reg: {}} and config["credsStore"] == "fake"
        # push and pull: credentials from `docker-credential-fake get`.
        assert "latest: digest: sha256:" in skiff(daemon, "push", name, path=str(bin_dir)).stdout.decode()
        assert f"docker-credential-fake get {reg}" in (bin_dir / "calls.log").read_text()
        _rmi(daemon, name)
        assert "Status: Downloaded newer image" in skiff(daemon, "pull", name, path=str(bin_dir)).stdout.decode()
        _rmi(daemon, name)
        # credHelpers wins over credsStore for its registry.
        (bin_dir / "calls.log").unlink()
        config_path.write_text(json.dumps({"credsStore": "missing-helper", "credHelpers": {reg: "other"}}))
        proc = skiff(daemon, "pull", name, check=False, path=str(bin_dir))
        assert proc.returncode == 1  # `other` has nothing for it yet: anonymous, refused
        assert f"docker-credential-other get {reg}" in (bin_dir / "calls.log").read_text()
        skiff(daemon, "login", "-u", "alice", "-p", "s3cret", reg, path=str(bin_dir))
        assert "Status: Downloaded newer image" in skiff(daemon, "pull", name, path=str(bin_dir)).stdout.decode()
        _rmi(daemon, name)
        # logout erases from the helper and the file.
        assert skiff(daemon, "logout", reg, path=str(bin_dir)).stdout.decode().strip() == \
            f"Removing login credentials for {reg}"
        assert f"docker-credential-other erase {reg}" in (bin_dir / "calls.log").read_text()
        assert reg not in json.loads((bin_dir / "docker-credential-other.json").read_text())
        assert reg not in json.loads(config_path.read_text()).get("auths", {})
        assert skiff(daemon, "logout", reg, path=str(bin_dir)).stdout.decode().strip() == f"Not logged in to {reg}"
        # A helper that is not on PATH: an error naming it.
        config_path.write_text(json.dumps({"credsStore": "missing-helper"}))
        proc = skiff(daemon, "pull", name, check=False, path=str(bin_dir))
        assert proc.returncode == 1 and b"docker-credential-missing-helper" in proc.stderr, proc.stderr
    finally:
        if saved is None:
            config_path.unlink(missing_ok=True)
        else:
            config_path.write_text(saved)
        _rmi(daemon, name)


# --- robustness: 503s, a dropped layer download, chunked uploads ------------------------------

FLAKY_PROXY = r"""
import http.client, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, upstream, log_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
done = set()
def once(what):
    with lock:
        if what in done: return False
        done.add(what); return True
def log(line):
    with lock, open(log_path, "a") as f: f.write(line + "\n")
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        log(f"{self.command} {self.path} range={self.headers.get('Range', '')} len={length}")
        kind = "manifest" if "/manifests/" in self.path else "blob" if "/blobs/sha256:" in self.path else \
            "upload" if "/blobs/uploads/" in self.path and self.command == "POST" else ""
        if kind and once(f"503 {self.command} {kind}"):
            log(f"-> 503 {self.command} {kind}")
            self.send_response(503); self.send_header("Content-Length", "0"); self.end_headers(); return
        conn = http.client.HTTPConnection("127.0.0.1", upstream)
        conn.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"): self.send_header(k, v)
        self.send_header("Content-Length", resp.getheader("Content-Length") or str(len(data)))
        self.end_headers()
        if self.command == "HEAD": return
        if self.command == "GET" and resp.status == 200 and len(data) > 100000 and once("drop " + self.path):
            log(f"-> dropped {self.path} after {len(data) // 3} of {len(data)}")
            self.wfile.write(data[: len(data) // 3]); self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(data)
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
"""


def test_retries_resume_and_chunked_upload(daemon, registry, busybox, tmp_path):
    port = _port()
    log = tmp_path / "proxy.log"
    log.write_text("")
    proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{daemon.netns}", "python3", "-c", FLAKY_PROXY,
                             str(port), str(registry.port), str(log)])
    try:
        time.sleep(0.5)
        name = f"127.0.0.1:{port}/flaky/bb"
        daemon.out("tag", "bbsrc:latest", name)
        # Push: the upload's first POST answers 503 (retried); the layer goes up in chunks.
        push = daemon.docker("push", name).stdout.decode()
        assert "latest: digest: sha256:" in push, push
        lines = log.read_text().splitlines()
        assert "-> 503 POST upload" in lines, lines
        patches = [l for l in lines if l.startswith("PATCH ")]
        assert len(patches) >= 2 and all(f"len={CHUNK_SIZE}" in l for l in patches[:-1]), patches
        # Pull: the manifest and a blob answer 503 once, the layer's body is cut after a third.
        _rmi(daemon, busybox)  # every name of it: the layer must come again
        log.write_text("")
        pull = daemon.docker("pull", name)
        out = pull.stdout.decode()
        assert "Status: Downloaded newer image" in out, out
        lines = log.read_text().splitlines()
        assert "-> 503 GET manifest" in lines and "-> 503 GET blob" in lines, lines
        dropped = [l for l in lines if l.startswith("-> dropped")]
        assert dropped, lines
        cut = int(dropped[0].split(" after ")[1].split(" of ")[0])
        # Resumed from what had arrived (at most what was sent before the cut).
        resumed = [int(l.split("range=bytes=")[1].split("-")[0]) for l in lines if "range=bytes=" in l]
        assert resumed and 0 < resumed[0] <= cut, lines
        # Digests verified: the pulled image is the one pushed.
        assert daemon.inspect(name)["Id"] == busybox
        daemon.out("tag", name, "bbsrc:latest")
        assert daemon.out("run", "--rm", name, "echo", "resumed") == "resumed"
        _rmi(daemon, name)
    finally:
        proc.terminate()
        proc.wait()


def test_skiff_pull_push_progress_on_a_terminal(daemon, registry, busybox):
    binary = skiff_binary()
    if binary is None or not shutil.which("script"):
        pytest.skip("skiff CLI or script(1) missing")
    name = f"{registry.host}/bb/tty"
    daemon.out("tag", "bbsrc:latest", name)

    def on_tty(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env["DOCKER_CONFIG"] = str(daemon.docker_config)
        command = " ".join([binary, "-H", f"unix://{daemon.sock}", *args])
        proc = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, env=env, timeout=120)
        assert proc.returncode == 0, proc
        return proc.stdout.decode(errors="replace")

    push = on_tty("push", name)
    assert "\x1b[2K" in push and "latest: digest: sha256:" in push, push
    assert "Pushed" in push or "Mounted from" in push or "Layer already exists" in push, push
    _rmi(daemon, busybox)  # the layer must be downloaded again
    pull = on_tty("pull", name)
    # Layer lines rewritten in place (cursor up/down), with docker's bar while downloading.
    assert "\x1b[2K" in pull and "\x1b[1A" in pull, pull
    assert "Downloading [" in pull and "Pull complete" in pull, pull
    assert pull.replace("\r", "").rstrip("\n").splitlines()[-1] == name + ":latest", pull
    daemon.out("tag", name, "bbsrc:latest")
    _rmi(daemon, name)
