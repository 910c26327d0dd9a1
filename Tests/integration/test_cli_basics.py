"""skiff's version, info, help, flag and argument errors, against the docker CLI."""
from __future__ import annotations

import json

import pytest

from clitest import Cli, assert_same, daemon, docker, docker_words, side_by_side, skiff  # noqa: F401


def test_version_flag(skiff):
    r = skiff.run("--version")
    assert r.rc == 0 and r.out.startswith("skiff version ")
    assert skiff.run("-v").out == r.out


def test_version_server_part_is_docker_s(docker, skiff):
    d, s = docker.run("version"), skiff.run("version")
    assert s.rc == d.rc == 0
    assert s.out.startswith("Client:\n Version:")
    assert s.out[s.out.index("\nServer:"):] == d.out[d.out.index("\nServer:"):]


@pytest.mark.parametrize("fmt", [
    "{{.Server.Version}}", "{{json .Server}}", "{{.Server.APIVersion}}", "{{range .Server.Components}}{{.Name}} {{end}}",
])
def test_version_formats(docker, skiff, fmt):
    same_output(docker, skiff, "version", "--format", fmt)


def test_version_template_errors(docker, skiff):
    side_by_side(docker, skiff, "version", "--format", "{{.Nope")


def _sorted_runtimes(text: str) -> str:
    """docker prints the runtimes in Go map order (random); skiff sorts them."""
    return "\n".join(
        " Runtimes: " + " ".join(sorted(line.split()[1:])) if line.startswith(" Runtimes:") else line
        for line in text.split("\n"))


_MOMENTARY = ("  File Descriptors:", "  Goroutines:", "  System Time:", "  EventsListeners:")


def _steady(text: str) -> str:
    """Without the debug block's momentary figures (they change between two calls)."""
    return "\n".join(line for line in text.split("\n") if not line.startswith(_MOMENTARY))


def test_info_server_part_is_docker_s(docker, skiff):
    d, s = docker.run("info"), skiff.run("info")
    d.out, s.out = _steady(d.out), _steady(s.out)
    assert s.rc == d.rc == 0
    assert s.out[s.out.index("\nServer:"):] == _sorted_runtimes(d.out[d.out.index("\nServer:"):])


@pytest.mark.parametrize("fmt", ["{{.ServerVersion}}", "{{.Containers}} {{.Images}} {{.Driver}}", "{{json .Plugins}}"])
def test_info_formats(docker, skiff, fmt):
    same_output(docker, skiff, "info", "--format", fmt)


def same_output(docker, skiff, *args):
    """Side by side; JSON compared as values (docker prints Go's struct
    field order, skiff the daemon's order)."""
    if "json" not in args[-1]:
        return side_by_side(docker, skiff, *args)
    d, s = docker.run(*args), skiff.run(*args)
    assert s.rc == d.rc == 0
    assert json.loads(s.out) == json.loads(d.out)


@pytest.mark.parametrize("args", [
    ["run", "--foo", "busybox"], ["run", "-z", "busybox"], ["run", "--name"], ["run", "-e"],
    ["run", "--memory", "abc", "busybox"], ["run", "--cpus", "abc", "busybox"], ["run", "--rm=maybe", "busybox"],
    ["run", "-a", "nope", "busybox"], ["run", "--health-interval", "5", "busybox"], ["stop", "-t", "abc", "x"],
    ["ps", "--foo"], ["ps", "-x"], ["images", "--filter", "foo"], ["create", "--stop-timeout", "x", "busybox"],
    ["run"], ["rm"], ["logs"], ["logs", "a", "b"], ["ps", "extra"], ["tag", "a"], ["history"], ["exec", "x"],
    ["import"], ["import", "a", "b", "c"], ["load", "extra"], ["images", "a", "b"],
    ["nosuchcmd"], ["image", "nosuch"], ["container", "nosuch"],
    ["run", "--rm", "--restart", "always", "busybox"], ["run", "-d", "-a", "stdout", "busybox"],
    ["run", "--pull", "sometimes", "busybox"], ["run", "--no-healthcheck", "--health-cmd", "x", "busybox"],
    ["run", "--restart", "on-failure:x", "busybox"], ["run", "-p", "1.2.3:80", "busybox"],
    ["run", "--mount", "type=bind,target=/x,tmpfs-size=1", "busybox"], ["run", "--mount", "source=/x", "busybox"],
    ["run", "--mount", "type=bind,src=/x,dst=/y,bogus=1", "busybox"], ["run", "--mount", "readonly", "busybox"],
])
def test_argument_errors(docker, skiff, args):
    side_by_side(docker, skiff, *args)


def test_cannot_connect(docker, skiff):
    d = Cli("docker", "docker", "unix:///tmp/skiff-cli-nothing-here.sock").run("ps")
    s = Cli("skiff", skiff.binary, "unix:///tmp/skiff-cli-nothing-here.sock").run("ps")
    assert s.rc == d.rc == 1
    assert s.err == "Cannot connect to the skiff daemon at unix:///tmp/skiff-cli-nothing-here.sock. Is the skiff daemon running?\n"
    assert docker_words(d.err) == s.err


def test_help(skiff):
    r = skiff.run("ps", "--help")
    assert r.rc == 0 and r.out.startswith("Usage:  skiff ps [OPTIONS]\n\nList containers\n")
    assert "  -a, --all " in r.out and "--format string" in r.out
    assert skiff.run("container", "ls", "-h").out.startswith("Usage:  skiff container ls [OPTIONS]")
    assert "Usage:  skiff run [OPTIONS] IMAGE [COMMAND] [ARG...]" in skiff.run("run", "--help").out
    assert "Commands:" in skiff.run("image").err  # docker's ShowHelp writes to stderr
    assert "Commands:" in skiff.run("image", "--help").out
    assert skiff.run("help", "rm").out == skiff.run("rm", "--help").out
    root = skiff.run()
    assert root.rc == 0 and "Usage:  skiff [OPTIONS] COMMAND" in root.out


def test_tcp_host(docker, skiff, daemon):
    """skiff speaks to a daemon on tcp://host:port (here a relay to the test daemon's socket)."""
    import socket
    import threading
    if not daemon.host.startswith("unix://"):
        pytest.skip("the relay forwards to a unix socket")
    path = daemon.host[len("unix://"):]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]

    def pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def relay():
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(path)
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()

    threading.Thread(target=relay, daemon=True).start()
    try:
        tcp = Cli("skiff", skiff.binary, f"tcp://127.0.0.1:{port}")
        assert tcp.run("images", "-q").out == skiff.run("images", "-q").out
        r = tcp.run("run", "--rm", "-i", "--network", "none", "busybox", "cat", input="over tcp\n")
        assert (r.rc, r.out) == (0, "over tcp\n"), r
    finally:
        server.close()
