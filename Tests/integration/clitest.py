"""Helpers for the skiff CLI suite (test_cli_*.py): skiff and the docker CLI run
side by side against the same daemon, and their stdout, stderr and exit codes
compared.

The daemon is $SKIFF_TEST_HOST (e.g. unix:///run/skiff/skiff.sock for skiffd);
without it, Debian's dockerd is started for the session, isolated in a private
mount namespace (tmpfs /run and /var/tmp, an overlay on /etc) with its data,
exec root and socket in a temp dir, and an image busybox:latest imported from
scripts/make-busybox-image.sh.  Everything started is stopped and removed at
the end.  Tests skip cleanly when there is no daemon, no skiff binary or no
docker CLI.

skiff is $SKIFF_CLI, else <repo>/.build-cli/{release,debug}/skiff, else
<repo>/.build/{release,debug}/skiff.  Run as root:

    python3 -m pytest Tests/integration -k cli -q
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from skiffd import Skiffd, reap, skiffd_binary

REPO = Path(__file__).resolve().parents[2]
IMAGE = "busybox:latest"


def skiff_binary() -> str | None:
    env = os.environ.get("SKIFF_CLI")
    if env:
        return env if os.access(env, os.X_OK) else None
    # The newest build: a stale release binary must not shadow a fresh debug one.
    found = [p for build in (".build-cli", ".build") for conf in ("release", "debug")
             if (p := REPO / build / conf / "skiff").is_file() and os.access(p, os.X_OK)]
    return str(max(found, key=lambda p: p.stat().st_mtime)) if found else None


@dataclass
class Result:
    rc: int
    out: str
    err: str


class Cli:
    """One command line client (skiff or docker) pointed at the test daemon."""

    def __init__(self, name: str, binary: str, host: str):
        self.name = name
        self.binary = binary
        self.host = host

    def run(self, *args: str, input: str | bytes | None = None, timeout: float = 120,
            env: dict | None = None) -> Result:
        text = not isinstance(input, bytes)
        p = subprocess.run([self.binary, "-H", self.host, *args], input=input, capture_output=True,
                           text=text, timeout=timeout, env=env)
        out, err = (p.stdout, p.stderr) if text else (p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))
        return Result(p.returncode, out, err)

    def ok(self, *args: str, **kw) -> str:
        r = self.run(*args, **kw)
        assert r.rc == 0, f"{self.name} {' '.join(args)} failed ({r.rc}): {r.err}"
        return r.out


# --------------------------------------------------------------------------
# The daemon

class Daemon:
    def __init__(self, host: str, root: Path | None = None, proc: subprocess.Popen | None = None):
        self.host = host
        self.root = root
        self.proc = proc

    skiffd: "Skiffd | None" = None

    @property
    def is_dockerd(self) -> bool:
        return self.proc is not None

    @property
    def is_skiffd(self) -> bool:
        return self.skiffd is not None or "skiff" in self.host

    @staticmethod
    def start_skiffd() -> "Daemon":
        """skiffd (the product) on a temp root: the default daemon of the suite."""
        root = Path(tempfile.mkdtemp(prefix="skiff-cli-skiffd-", dir="/tmp"))
        d = Skiffd(root)
        d.start()
        daemon = Daemon(f"unix://{d.sock}")
        daemon.skiffd = d
        return daemon

    @staticmethod
    def start_dockerd() -> "Daemon":
        root = Path(tempfile.mkdtemp(prefix="skiff-cli-dockerd-", dir="/tmp"))
        (root / "ns" / "etc-up").mkdir(parents=True)
        (root / "ns" / "etc-work").mkdir(parents=True)
        sock = root / "docker.sock"
        setup = (
            "set -e; ip link set lo up; mount -t tmpfs none /run; mount -t tmpfs none /var/tmp; "
            f"mount -t overlay overlay -o lowerdir=/etc,upperdir={root}/ns/etc-up,workdir={root}/ns/etc-work /etc; "
            "mkdir -p /run/docker; exec \"$@\""
        )
        # Its own mount and network namespaces: user networks made in the tests
        # (bridges, iptables rules) never reach the host's.
        cmd = ["unshare", "-m", "-n", "--propagation", "private", "sh", "-c", setup, "sh",
               "dockerd", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
               "--pidfile", str(root / "pid"), "-H", f"unix://{sock}", "--bridge", "none",
               "--iptables=false", "--ip6tables=false", "--ip-masq=false", "--userland-proxy=false"]
        log = open(root / "log", "wb")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        daemon = Daemon(f"unix://{sock}", root, proc)
        for _ in range(300):
            if proc.poll() is not None:
                break
            if subprocess.run(["docker", "-H", daemon.host, "version"], capture_output=True).returncode == 0:
                return daemon
            time.sleep(0.1)
        text = (root / "log").read_text(errors="replace")[-2000:]
        daemon.stop()
        pytest.skip(f"dockerd did not start: {text}")

    def stop(self):
        if self.skiffd is not None:
            d = self.skiffd
            ids = d.docker("ps", "-aq", check=False).stdout.decode().split()
            if ids:
                d.docker("rm", "-f", *ids, check=False)
            d.stop()
            reap(d.root)
            shutil.rmtree(d.root, ignore_errors=True)
            self.skiffd = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self.proc = None
        if self.root is not None:
            subprocess.run(["umount", "-R", str(self.root / "data")], capture_output=True)
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


_daemon: Daemon | None = None


def shared_daemon(config) -> Daemon:
    """The session's daemon: $SKIFF_TEST_HOST, or an isolated dockerd started once."""
    global _daemon
    if _daemon is not None:
        return _daemon
    if os.geteuid() != 0:
        pytest.skip("the CLI suite needs root (it starts a daemon and runs containers)")
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed (it is the reference skiff is compared with)")
    host = os.environ.get("SKIFF_TEST_HOST")
    if host:
        _daemon = Daemon(host)
    elif os.environ.get("SKIFF_TEST_DOCKERD") != "1" and skiffd_binary():
        _daemon = Daemon.start_skiffd()
        config.add_cleanup(_stop_shared)
    else:
        if shutil.which("dockerd") is None:
            pytest.skip("no SKIFF_TEST_HOST and no dockerd to start")
        _daemon = Daemon.start_dockerd()
        config.add_cleanup(_stop_shared)
    docker = Cli("docker", "docker", _daemon.host)
    if docker.run("image", "inspect", IMAGE).rc != 0:
        tar = Path(tempfile.mkdtemp(prefix="skiff-cli-bb-", dir="/tmp")) / "busybox.tar"
        try:
            subprocess.run([str(REPO / "scripts" / "make-busybox-image.sh"), str(tar)], check=True, capture_output=True)
            docker.ok("import", "-c", 'CMD ["sh"]', str(tar), IMAGE)
        finally:
            shutil.rmtree(tar.parent, ignore_errors=True)
    return _daemon


def _stop_shared():
    global _daemon
    if _daemon is not None:
        _daemon.stop()
        _daemon = None


@pytest.fixture(scope="session")
def daemon(request) -> Daemon:
    return shared_daemon(request.config)


@pytest.fixture(scope="session")
def skiff(daemon) -> Cli:
    b = skiff_binary()
    if b is None:
        pytest.skip("skiff not built: set SKIFF_CLI or `swift build --scratch-path .build-cli --product skiff`")
    return Cli("skiff", b, daemon.host)


@pytest.fixture(scope="session")
def docker(daemon) -> Cli:
    return Cli("docker", "docker", daemon.host)


@pytest.fixture(params=["docker", "skiff"])
def each(request, docker, skiff) -> Cli:
    """Runs a test once with each client (for behaviour checked the same way for both)."""
    return docker if request.param == "docker" else skiff


@pytest.fixture
def names(docker):
    """Container names unique to the test; every container named here is removed after."""
    made: list[str] = []

    def make(prefix: str = "c") -> str:
        name = f"skiffcli-{prefix}-{os.getpid()}-{len(made)}-{time.monotonic_ns() % 100000}"
        made.append(name)
        return name

    yield make
    if made:
        docker.run("rm", "-f", *made)


# --------------------------------------------------------------------------
# Comparing outputs

_TIMES = re.compile(
    r"(Less than a second|About a minute|About an hour|\d+ (second|minute|hour|day|week|month|year)s?)( ago)?")


def normalize(text: str, *, names: dict[str, str] | None = None) -> str:
    """Output with what legitimately differs between two runs replaced: ids, relative
    times, timestamps, the client's own name, the given container names."""
    for real, placeholder in (names or {}).items():
        text = text.replace(real, placeholder)
    text = re.sub(r"\b[0-9a-f]{64}\b", "<ID>", text)
    text = re.sub(r"\b[0-9a-f]{12}\b", "<SHORTID>", text)
    text = _TIMES.sub("<TIME>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "<TIMESTAMP>", text)
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} [\w+-]+", "<DATE>", text)
    if "<TIME>" in text:
        # A relative time's length changes a table's column widths.
        text = re.sub(r" {2,}", "  ", text)
    return text


def docker_words(text: str) -> str:
    """docker's stderr with its own name replaced by skiff's (not inside host names such as
    registry-1.docker.io)."""
    text = text.replace("\n\nSRun '", "\n\nRun '")  # a typo in docker's RequiresMaxArgs message
    return re.sub(r"(?<![.\w-])[Dd]ocker(?![.\w-])", "skiff", text)


def assert_same(d: Result, s: Result, *, names: dict[str, str] | None = None, stderr: bool = True):
    assert s.rc == d.rc, f"exit codes differ: docker {d.rc}, skiff {s.rc}\ndocker: {d.err}\nskiff: {s.err}"
    assert normalize(s.out, names=names) == normalize(d.out, names=names)
    if stderr:
        assert normalize(s.err, names=names) == normalize(docker_words(d.err), names=names)


def side_by_side(docker: Cli, skiff: Cli, *args: str, **kw) -> tuple[Result, Result]:
    stderr = kw.pop("stderr", True)
    d = docker.run(*args, **kw)
    s = skiff.run(*args, **kw)
    assert_same(d, s, stderr=stderr)
    return d, s


# --------------------------------------------------------------------------
# Terminals

class PtySession:
    """A command on a new pseudo-terminal of the given size (its controlling terminal)."""

    def __init__(self, argv: list[str], rows: int = 30, cols: int = 100):
        import fcntl
        import pty
        import struct
        import termios
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(argv[0], argv)
        self._winsize(rows, cols)
        self.output = b""
        self.status: int | None = None

    def _winsize(self, rows: int, cols: int):
        import fcntl
        import struct
        import termios
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def resize(self, rows: int, cols: int):
        """Changes the window size; the kernel sends SIGWINCH to the foreground process group."""
        self._winsize(rows, cols)

    def send(self, text: str | bytes):
        os.write(self.fd, text.encode() if isinstance(text, str) else text)

    def _read(self, timeout: float) -> bool:
        import select
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            return False
        if not data:
            return False
        self.output += data
        return True

    def expect(self, pattern: str | bytes, timeout: float = 15) -> bool:
        want = pattern.encode() if isinstance(pattern, str) else pattern
        start = len(self.output)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if want in self.output[start:]:
                return True
            if not self._read(0.1):
                break
        return want in self.output[start:]

    def wait(self, timeout: float = 30) -> int | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                while self._read(0.05):
                    pass
                self.status = os.waitstatus_to_exitcode(status)
                break
            self._read(0.1)
        return self.status

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)
