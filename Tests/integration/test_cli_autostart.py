"""Auto-start: with no daemon on the default socket and no host chosen, skiff starts the
skiffd next to it (detached, its output in /run/skiff/skiffd.log) and waits for it.

Each case runs skiff in a private mount namespace with a tmpfs on /run, so the default
socket /run/skiff/skiff.sock is the test's own; the "skiffd" is a small fake daemon
answering /_ping and /version."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from clitest import skiff_binary

FAKE_DAEMON = textwrap.dedent('''\
    #!{python}
    import json, os, socketserver, sys
    from http.server import BaseHTTPRequestHandler
    marker = {marker!r}
    with open(marker, "w") as f:
        f.write(f"{{os.getpid()}} {{os.getsid(0)}} {{os.isatty(0)}}\\n")
    print("fake skiffd starting", flush=True)
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_GET(self):
            body = b"OK" if self.path == "/_ping" else json.dumps(
                {{"Version": "fake-1.0", "ApiVersion": "1.47", "MinAPIVersion": "1.24", "Components": []}}).encode()
            self.send_response(200)
            self.send_header("Api-Version", "1.47")
            self.send_header("Content-Type", "text/plain" if self.path == "/_ping" else "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    class Server(socketserver.UnixStreamServer):
        def get_request(self):
            request, _ = super().get_request()
            return request, ("local", 0)
    os.makedirs("/run/skiff", exist_ok=True)
    Server("/run/skiff/skiff.sock", Handler).serve_forever()
    ''')


@pytest.fixture
def install(tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("auto-start tests need root and unshare (a private /run)")
    binary = skiff_binary()
    if binary is None:
        pytest.skip("skiff not built")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(binary, bindir / "skiff")
    marker = tmp_path / "daemon-started"
    started: list[int] = []

    def run(*args: str, daemon: bool = True, env_extra: dict | None = None) -> subprocess.CompletedProcess:
        if daemon:
            script = bindir / "skiffd"
            script.write_text(FAKE_DAEMON.format(python=sys.executable, marker=str(marker)))
            script.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "SKIFF_HOST")}
        env["PATH"] = "/usr/bin:/bin"
        env.update(env_extra or {})
        inner = " ".join(f"'{a}'" for a in [str(bindir / "skiff"), *args])
        shell = f"mount -t tmpfs tmpfs /run && {inner}; rc=$?; cat /run/skiff/skiffd.log >&2 2>/dev/null; exit $rc"
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", shell],
                           capture_output=True, text=True, env=env, timeout=60)
        if marker.exists():
            started.append(int(marker.read_text().split()[0]))
        return p

    run.marker = marker
    yield run
    for pid in started:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_starts_the_daemon_next_to_skiff(install):
    t0 = time.monotonic()
    p = install("version", "--format", "{{.Server.Version}}")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "fake-1.0\n"
    assert "fake skiffd starting" in p.stderr  # its output went to /run/skiff/skiffd.log
    pid, sid, tty = install.marker.read_text().split()
    assert pid == sid, "skiffd runs in its own session"
    assert tty == "False", "skiffd's stdin is not the terminal"
    assert time.monotonic() - t0 < 10


def test_no_auto_start_for_a_chosen_host(install):
    p = install("-H", "unix:///run/skiff/skiff.sock", "version", "--format", "{{.Server.Version}}")
    assert p.returncode == 1
    assert "Cannot connect to the skiff daemon at unix:///run/skiff/skiff.sock. Is the skiff daemon running?" in p.stderr
    assert not install.marker.exists()
    p = install("version", env_extra={"SKIFF_HOST": "unix:///run/skiff/skiff.sock"})
    assert p.returncode == 1 and not install.marker.exists()


def test_missing_daemon_binary(install):
    p = install("ps", daemon=False)
    assert p.returncode == 1
    assert "Cannot connect to the skiff daemon at unix:///run/skiff/skiff.sock" in p.stderr
    assert "skiffd was not found" in p.stderr


def test_commands_that_need_no_daemon_never_start_it(install):
    for args in (["--version"], ["ps", "--help"], ["run", "--memory", "x", "busybox"], ["nosuchcommand"]):
        install(*args)
        assert not install.marker.exists(), args
