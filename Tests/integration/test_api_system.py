"""skiffd's system endpoints through the docker CLI, docker-py and raw HTTP:
version, info, ping, version prefixes, errors, and the daemon's own life
(second instance refused, clean shutdown)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from skiffd import Skiffd, daemon, fresh_root  # noqa: F401  (fixtures)


def test_docker_version(daemon):
    out = json.loads(daemon.out("version", "--format", "{{json .}}"))
    server = out["Server"]
    assert server["ApiVersion"] == "1.47"
    assert server["MinAPIVersion"] == "1.24"
    assert server["Os"] == "linux"
    assert server["Arch"] in ("amd64", "arm64")
    assert server["KernelVersion"] == os.uname().release
    assert server["Components"][0]["Name"] == "Engine"
    # The CLI negotiated down to the server's version.
    assert out["Client"]["ApiVersion"] == "1.47"


def test_docker_info_prints_without_warnings(daemon):
    proc = daemon.docker("info")
    text = proc.stdout.decode()
    assert proc.stderr.decode().strip() == ""
    assert "Storage Driver: overlay2" in text
    assert "Default Runtime: skiff" in text
    assert "Cgroup Driver: cgroupfs" in text
    info = json.loads(daemon.out("info", "--format", "{{json .}}"))
    assert info["DockerRootDir"] == str(daemon.data)
    assert info["OSType"] == "linux"
    assert info["Architecture"] == os.uname().machine
    assert info["NCPU"] == os.cpu_count()
    assert info["MemTotal"] > 0
    assert info["CgroupVersion"] in ("1", "2")
    assert info["Runtimes"] == {"skiff": {"path": "skiff-runtime"}}
    assert info["SecurityOptions"] == ["name=seccomp,profile=builtin"]
    assert info["Containers"] == info["ContainersRunning"] + info["ContainersPaused"] + info["ContainersStopped"]
    assert info["Name"] == os.uname().nodename
    assert info["ID"]


def test_docker_py_version_and_info(daemon):
    client = daemon.client()
    assert client.ping()
    assert client.version()["ApiVersion"] == "1.47"
    info = client.info()
    assert info["Driver"] == "overlay2"
    assert info["DefaultRuntime"] == "skiff"


def test_ping_headers(daemon):
    for method in ("GET", "HEAD"):
        status, headers, body = daemon.request(method, "/_ping")
        assert status == 200
        assert headers["Api-Version"] == "1.47"
        assert headers["Ostype"] == "linux"
        assert headers["Builder-Version"] == "1"
        assert headers["Cache-Control"] == "no-cache, no-store, must-revalidate"
        assert headers["Pragma"] == "no-cache"
        assert body == (b"OK" if method == "GET" else b"")


def test_version_prefixes_and_errors(daemon):
    assert daemon.request("GET", "/v1.24/version")[0] == 200
    status, headers, body = daemon.request("GET", "/v1.99/version")
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"message": "client version 1.99 is too new. Maximum supported API version is 1.47"}
    status, _, body = daemon.request("GET", "/v1.47/no/such/route")
    assert (status, json.loads(body)) == (404, {"message": "page not found"})
    status, _, body = daemon.request("GET", "/images/json?filters=%7Bnot-json")
    assert status == 400 and "invalid filter" in json.loads(body)["message"]


def test_a_second_daemon_is_refused_and_shutdown_is_clean(fresh_root):
    first = Skiffd(fresh_root / "one")
    first.start()
    try:
        # Same socket and pid file: refused while the first one runs.
        second = subprocess.run(first.command(), capture_output=True, timeout=30)
        assert second.returncode != 0
        assert b"skiffd" in second.stderr or b"another daemon" in second.stderr
        assert first.request("GET", "/_ping")[0] == 200
        pid = int(first.pidfile.read_text())
        assert pid == first.proc.pid
    finally:
        first.proc.send_signal(signal.SIGTERM)
        assert first.proc.wait(timeout=15) == 0
    assert not os.path.exists(first.sock)
    assert not first.pidfile.exists()
    # A socket file left behind by a killed daemon does not stop the next one.
    again = Skiffd(fresh_root / "one")
    again.start()
    again.proc.send_signal(signal.SIGKILL)
    again.proc.wait()
    assert os.path.exists(again.sock)
    again.start()
    assert again.request("GET", "/_ping")[0] == 200
    again.stop()
    time.sleep(0.1)
    assert not os.path.exists(again.sock)


def test_a_bad_cgroup_parent_is_refused_before_anything_is_made(fresh_root):
    d = Skiffd(fresh_root / "bad")
    argv = [a if a != d.cgroup_parent else "a/../../escape" for a in d.command()[2:]]  # no nsenter
    proc = subprocess.run(argv, capture_output=True, timeout=30)
    assert proc.returncode == 64
    assert b'invalid cgroup parent "a/../../escape"' in proc.stderr
    assert not d.data.exists() and not d.run_dir.exists()
