"""A skiffd under test: its own data root, exec root and socket in a temp
dir, driven with the real docker CLI and docker-py.  Nothing outside that dir
is touched (the docker CLI's config dir is inside it too).

skiffd is $SKIFFD, else <repo>/.build-api/debug/skiffd, else
<repo>/.build/{debug,release}/skiffd; the tests skip without one, or without
the docker CLI.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def skiffd_binary() -> str | None:
    env = os.environ.get("SKIFFD")
    if env:
        return env
    for build, conf in ((".build-api", "debug"), (".build", "debug"), (".build", "release")):
        p = REPO / build / conf / "skiffd"
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return None


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over the daemon's unix socket (for raw requests)."""

    def __init__(self, path: str, timeout: float = 30):
        super().__init__("skiff", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def netns_name(root: Path) -> str:
    """The network namespace a test daemon on `root` runs in: its bridges,
    veths and nftables table never touch the host's network."""
    return "skiffd-" + hashlib.sha256(str(root).encode()).hexdigest()[:10]


class Skiffd:
    def __init__(self, root: Path):
        self.root = root
        self.netns = netns_name(root)
        self.sock = str(root / "skiff.sock")
        self.data = root / "data"
        self.run_dir = root / "run"
        self.pidfile = self.run_dir / "skiffd.pid"
        self.log = root / "skiffd.log"
        self.proc: subprocess.Popen | None = None
        self.docker_config = root / "docker-config"
        self.docker_config.mkdir(parents=True, exist_ok=True)
        # Its containers' cgroups go under a parent of its own, removed by `reap`.
        self.cgroup_parent = cgroup_parent_name(root)

    def command(self) -> list[str]:
        binary = skiffd_binary()
        assert binary
        return ["nsenter", f"--net=/run/netns/{self.netns}",
                binary, "-H", f"unix://{self.sock}", "--data-root", str(self.data),
                "--exec-root", str(self.run_dir), "--group", "skiff-test-no-such-group",
                "--cgroup-parent", self.cgroup_parent, "--debug"]

    def start(self):
        if not os.path.exists(f"/run/netns/{self.netns}"):
            subprocess.run(["ip", "netns", "add", self.netns], check=True)
            subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"skiffd exited {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if self.request("GET", "/_ping")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"skiffd did not answer:\n{self.log.read_text()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, headers, body bytes) of one raw request."""
        conn = UnixHTTPConnection(self.sock)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def docker(self, *args: str, check: bool = True, input: bytes | None = None, timeout: float = 120):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env["DOCKER_CONFIG"] = str(self.docker_config)
        proc = subprocess.run(["docker", "-H", f"unix://{self.sock}", *args], input=input,
                              capture_output=True, env=env, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} exited {proc.returncode}:\n"
                                 f"{proc.stdout.decode(errors='replace')}{proc.stderr.decode(errors='replace')}")
        return proc

    def out(self, *args: str, **kw) -> str:
        return self.docker(*args, **kw).stdout.decode().strip()

    def netexec(self, *cmd: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        """`cmd` in the daemon's network namespace (the test's view of "the host")."""
        proc = subprocess.run(["nsenter", f"--net=/run/netns/{self.netns}", *cmd], capture_output=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n"
                                 f"{proc.stdout.decode(errors='replace')}{proc.stderr.decode(errors='replace')}")
        return proc

    def inspect(self, name: str) -> dict:
        return json.loads(self.out("image", "inspect", name))[0]

    def client(self):
        docker = pytest.importorskip("docker")
        return docker.DockerClient(base_url="unix://" + self.sock, timeout=120)


def _require_tools():
    if not skiffd_binary():
        pytest.skip("skiffd not built: `swift build --product skiffd` (or set SKIFFD)")
    if not shutil.which("docker"):
        pytest.skip("the docker CLI is not installed")


@pytest.fixture(scope="module")
def daemon():
    """One skiffd per test module, on a fresh temp root (removed afterwards)."""
    yield from running_daemon(Skiffd)


def running_daemon(kind=Skiffd):
    """A started daemon of class `kind` on a fresh temp root, for a fixture to yield from;
    afterwards its containers, the daemon, what it left and the root are removed."""
    _require_tools()
    root = Path(tempfile.mkdtemp(prefix="skiffd-", dir="/tmp"))
    d = kind(root)
    try:
        d.start()
        yield d
    finally:
        if d.proc and d.proc.poll() is None:
            ids = d.docker("ps", "-aq", check=False).stdout.decode().split()
            if ids:
                d.docker("rm", "-f", *ids, check=False)
        d.stop()
        reap(root)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def skiff_registry(binary: Path, netns: str, root: Path, *args: str):
    """`skiff-registry serve --port 0` (plus `args`) in the network namespace `netns`,
    storing under `root`; yields the HOST:PORT it listens on, and stops it afterwards."""
    proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{netns}", str(binary), "serve",
                             "--root", str(root), "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("listening on "), line
        yield line.split()[-1]
    finally:
        proc.terminate()
        proc.wait(10)


def cgroup_parent_name(root: Path) -> str:
    """The cgroup parent of the daemon on `root` (under the test's own cgroup)."""
    return "skiff-test-" + root.name


def remove_cgroups(name: str):
    """Every cgroup directory called `name` in any hierarchy, with its (empty) children."""
    found = subprocess.run(["find", "/sys/fs/cgroup", "-maxdepth", "6", "-type", "d", "-name", name],
                           capture_output=True, text=True).stdout.split()
    for top in found:
        subprocess.run(["find", top, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"], capture_output=True)


def reap(root: Path):
    """Whatever a failed test left under `root`: monitors (and with them
    their containers), mounts, and its daemon's cgroup parent."""
    subprocess.run(["pkill", "-9", "-f", f"skiff-monitor {root}"], check=False)
    # Containers whose monitor is gone run on as orphans: their pids are in status.json.
    for status in root.glob("data/containers/*/status.json"):
        try:
            pid = json.loads(status.read_text()).get("pid", 0)
            if pid > 0:
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
    time.sleep(0.2)
    for line in reversed(open("/proc/mounts").read().splitlines()):
        target = line.split()[1]
        if target.startswith(str(root)):
            subprocess.run(["umount", "-l", target], check=False)
    subprocess.run(["ip", "netns", "del", netns_name(root)], check=False, capture_output=True)
    remove_cgroups(cgroup_parent_name(root))


@pytest.fixture(scope="module")
def fresh_root():
    """A temp root for tests that start their own daemons."""
    _require_tools()
    root = Path(tempfile.mkdtemp(prefix="skiffd-", dir="/tmp"))
    try:
        yield root
    finally:
        for child in root.iterdir():
            reap(child)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def busybox_tar():
    """busybox's root filesystem as a plain tar (scripts/make-busybox-image.sh)."""
    root = Path(tempfile.mkdtemp(prefix="skiffd-bb-", dir="/tmp"))
    try:
        out = root / "busybox.tar"
        subprocess.run([str(REPO / "scripts" / "make-busybox-image.sh"), str(out)], check=True,
                       capture_output=True)
        yield out
    finally:
        shutil.rmtree(root, ignore_errors=True)
