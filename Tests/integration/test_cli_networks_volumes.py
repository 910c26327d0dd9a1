"""Network, volume and port commands: skiff's output next to docker's against the same
daemon.

Everything here needs the daemon's /networks and /volumes endpoints (and `port` a
container with published ports on a user-defined network).  Debian's dockerd has them
(SKIFF_TEST_DOCKERD=1, or SKIFF_TEST_HOST at any docker daemon); against a daemon
without them (skiffd until it grows them) the tests skip, so they run unchanged once it
does.  Objects are named skiffcli-nv-<pid>-..., labelled skiffcli.nv=<pid>, and removed
after each test; subnets are taken from 10.213.0.0/16.
"""
from __future__ import annotations

import json
import os
import re

import pytest

from clitest import IMAGE, Result, assert_same, daemon, docker, docker_words, side_by_side, skiff  # noqa: F401
from skiffd import UnixHTTPConnection

PID = os.getpid()
LABEL = f"skiffcli.nv={PID}"


def _api_version(docker) -> tuple[int, int]:
    out = docker.ok("version", "--format", "{{.Server.APIVersion}}").strip()
    major, minor = out.split(".")
    return int(major), int(minor)


def _swarm_status_unknown(daemon, docker) -> bool:
    """Whether docker cannot tell the daemon is no swarm manager: API 1.42 or newer (older
    ones hide the cluster options anyway) and no Swarm header on /_ping."""
    if _api_version(docker) < (1, 42) or not daemon.host.startswith("unix://"):
        return False
    conn = UnixHTTPConnection(daemon.host[len("unix://"):])
    try:
        conn.request("GET", "/_ping")
        return conn.getresponse().getheader("Swarm") is None
    finally:
        conn.close()


@pytest.fixture(scope="module")
def networks_api(docker):
    r = docker.run("network", "ls", "-q")
    if r.rc != 0:
        pytest.skip(f"the daemon has no network API yet: {r.err.strip()}")


@pytest.fixture(scope="module")
def volumes_api(docker):
    r = docker.run("volume", "ls", "-q")
    if r.rc != 0:
        pytest.skip(f"the daemon has no volume API yet: {r.err.strip()}")


class Made:
    """Networks, volumes and containers a test makes (by name), removed after it."""

    def __init__(self, docker):
        self.docker = docker
        self.containers: list[str] = []
        self.networks: list[str] = []
        self.volumes: list[str] = []
        self.count = 0

    def name(self, kind: str) -> str:
        self.count += 1
        return f"skiffcli-nv-{PID}-{kind}{self.count}"

    def network(self, *args: str, label: str | None = LABEL) -> str:
        name = self.name("n")
        self.networks.append(name)
        self.docker.ok("network", "create", *(["--label", label] if label else []), *args, name)
        return name

    def volume(self, *args: str, label: str | None = LABEL) -> str:
        name = self.name("v")
        self.volumes.append(name)
        self.docker.ok("volume", "create", *(["--label", label] if label else []), *args, name)
        return name

    def container(self, *args: str) -> str:
        """A created container."""
        name = self.name("c")
        self.containers.append(name)
        self.docker.ok("create", "--name", name, *args)
        return name

    def running(self, *args: str) -> str:
        """A running container (`sleep 300`): only running ones hold a network."""
        name = self.name("c")
        self.containers.append(name)
        self.docker.ok("run", "-d", "--name", name, *args, IMAGE, "sleep", "300")
        return name

    def cleanup(self):
        if self.containers:
            self.docker.run("rm", "-f", *self.containers)
        for n in self.networks:
            self.docker.run("network", "rm", n)
        if self.volumes:
            self.docker.run("volume", "rm", "-f", *self.volumes)


@pytest.fixture
def made(docker):
    m = Made(docker)
    yield m
    m.cleanup()


def compare(docker, skiff, *args: str, names: dict[str, str], **kw):
    """side_by_side with names replaced by placeholders before comparing."""
    assert_same(docker.run(*args, **kw), skiff.run(*args, **kw), names=names)


def both(made: Made, kind: str):
    """One name per client for objects each creates itself, and the placeholder map that
    makes their outputs comparable."""
    d, s = made.name(kind), made.name(kind)
    return d, s, {d: "<NAME>", s: "<NAME>"}


# --------------------------------------------------------------------------
# Help and usage (no daemon work)

@pytest.mark.parametrize("args", [
    ["network", "--help"], ["network", "create", "--help"], ["network", "ls", "--help"], ["network", "list", "--help"],
    ["network", "inspect", "--help"], ["network", "rm", "--help"], ["network", "remove", "--help"],
    ["network", "prune", "--help"], ["network", "connect", "--help"], ["network", "disconnect", "--help"],
    ["volume", "--help"], ["volume", "create", "--help"], ["volume", "ls", "--help"], ["volume", "inspect", "--help"],
    ["volume", "rm", "--help"], ["port", "--help"], ["container", "port", "--help"], ["help", "network", "ls"],
    ["network"], ["volume"], ["network", "bogus"], ["volume", "bogus"],
])
def test_help(docker, skiff, daemon, args):
    swarm_only = [["volume", "--help"], ["volume"], ["volume", "create", "--help"], ["volume", "ls", "--help"]]
    if args in swarm_only and _swarm_status_unknown(daemon, docker):
        pytest.xfail("the daemon's /_ping sends no Swarm header, so docker shows the swarm-manager-only "
                     "cluster volume flags and `volume update` (newer dockerd sends \"Swarm: inactive\")")
    d = docker.run(*args)
    assert_same(Result(d.rc, docker_words(d.out), d.err), skiff.run(*args))


def test_volume_prune_help(docker, skiff):
    # docker hides --all (API 1.42) from older daemons.
    d, s = docker.run("volume", "prune", "--help"), skiff.run("volume", "prune", "--help")
    d.out = docker_words(d.out)
    if _api_version(docker) < (1, 42):
        s.out = "".join(line for line in s.out.splitlines(keepends=True) if "--all" not in line)
    assert_same(d, s)


def test_top_level_help_lists_the_commands(skiff):
    out = skiff.ok("--help")
    assert re.search(r"^  network     Manage networks$", out, re.M)
    assert re.search(r"^  volume      Manage volumes$", out, re.M)
    assert re.search(r"^  port        List port mappings or a specific mapping for the container$", out, re.M)


@pytest.mark.parametrize("args", [
    ["network", "create"], ["network", "create", "a", "b"], ["network", "rm"], ["network", "inspect"],
    ["network", "connect", "x"], ["network", "disconnect", "x", "y", "z"], ["network", "ls", "x"],
    ["network", "prune", "x"], ["network", "ls", "-f", "name"], ["network", "create", "--label", "a b=c", "x"],
    ["network", "create", "--label", "=c", "x"], ["network", "create", "--subnet", 'a"b', "x"],
    ["network", "connect", "--link", "a:b:c", "x", "y"], ["network", "connect", "--link", "", "x", "y"],
    ["network", "connect", "--alias", '"a"b', "x", "y"], ["network", "create", "--bogus", "x"],
    ["volume", "create", "a", "b"], ["volume", "rm"], ["volume", "inspect"], ["volume", "ls", "x"],
    ["volume", "prune", "--filter", "x"], ["port"], ["port", "a", "b", "c"], ["container", "port"],
])
def test_usage_errors(docker, skiff, args):
    side_by_side(docker, skiff, *args)


# --------------------------------------------------------------------------
# Networks

def test_network_create_and_inspect(docker, skiff, made, networks_api):
    results = []
    for cli in (docker, skiff):
        name = made.name("n")
        made.networks.append(name)
        r = cli.run("network", "create", "--label", LABEL, "--label", "b=2", "--label", "flag",
                    "--subnet", "10.213.1.0/24", "--gateway", "10.213.1.1", "--ip-range", "10.213.1.128/25",
                    "--aux-address", "host1=10.213.1.5", "-o", "com.docker.network.bridge.name=br-nv" + cli.name[0],
                    "--ipam-opt", "x=y", "--internal", "--attachable", "--ipv6=false", name)
        assert re.fullmatch(r"[0-9a-f]{64}\n", r.out), r
        inspect = json.loads(docker.ok("network", "inspect", name))[0]
        assert inspect["Id"] == r.out.strip()
        for key in ("Id", "Created", "Name"):
            inspect.pop(key)
        inspect["Options"]["com.docker.network.bridge.name"] = "<BRIDGE>"
        results.append((r.rc, r.err, inspect))
        docker.ok("network", "rm", name)  # the next client needs the subnet
    assert results[0] == results[1]


def test_network_create_defaults(docker, skiff, made, networks_api):
    d, s, names = both(made, "n")
    made.networks += [d, s]
    assert_same(docker.run("network", "create", d), skiff.run("network", "create", s), names=names)
    views = [json.loads(docker.ok("network", "inspect", "-f", "{{json .}}", n)) for n in (d, s)]
    for v in views:
        for key in ("Id", "Created", "Name", "IPAM"):  # the daemon picks each its own subnet
            v.pop(key)
    assert views[0] == views[1]


@pytest.mark.parametrize("args", [
    ["--gateway", "10.213.0.1"], ["--subnet", "10.213.0.0/16", "--subnet", "10.213.1.0/24"],
    ["--subnet", "10.213.2.0/24", "--subnet", "bogus"], ["--subnet", "10.213.2.0/24", "--ip-range", "10.213.3.0/24"],
    ["--subnet", "10.213.2.0/24", "--ip-range", "bogus"], ["--subnet", "10.213.2.0/24", "--gateway", "bogus"],
    ["--subnet", "10.213.2.0/24", "--aux-address", "a=10.213.3.1"], ["--subnet", "bogus"],
    ["--subnet", "10.213.2.0/24,10.213.4.0/24", "--gateway", "10.213.2.1,10.213.2.2"],
    ["--subnet", "10.213.2.0/24", "--ip-range", "10.213.2.0/26,10.213.2.64/26", "--subnet", "10.213.5.0/24"],
    ["-d", "nosuchdriver"], ["--ipam-driver", "nosuchipam"],
])
def test_network_create_errors(docker, skiff, made, networks_api, args):
    name = made.name("n")
    made.networks.append(name)
    side_by_side(docker, skiff, "network", "create", *args, name)


def test_network_create_duplicate_name(docker, skiff, made, networks_api):
    name = made.network()
    side_by_side(docker, skiff, "network", "create", name)


TIER = f"skiffcli.tier{PID}=web"
TIER_COLUMN = f'{{{{.Label "skiffcli.tier{PID}"}}}}'


@pytest.fixture
def listed(made, networks_api):
    """Two networks to list, one label each (docker joins several in Go's random map order)."""
    return made.network(), made.network("--internal", label=TIER)


@pytest.mark.parametrize("args", [
    [], ["-q"], ["--no-trunc"], ["--format", "json"], ["--format", "raw"], ["--format", "raw", "-q"],
    ["--format", "table"], ["-q", "--format", "{{.Name}}"],
    ["--format", "table {{.Name}}\\t{{.Labels}}\\t" + TIER_COLUMN + "\\t{{.Internal}}\\t{{.IPv6}}\\t{{.CreatedAt}}"],
    ["--format", "{{.ID}} {{.Name}} {{.Driver}} {{.Scope}}"], ["--format", "{{.Nope}}"], ["--format", "{{.ID"],
    ["-f", f"label={LABEL}"], ["--filter", f"label={TIER}"], ["-f", "driver=bridge", "-f", f"label={LABEL}"],
    ["-f", "type=custom", "-f", f"label={LABEL}", "--format", "{{.Name}}"], ["-f", "type=builtin"],
    ["-f", "name=skiffcli-nv"], ["-f", "bogus=1"], ["-f", "type=bogus"], ["-f", "dangling=true", "-f", f"label={LABEL}"],
])
def test_network_listing(docker, skiff, listed, args):
    side_by_side(docker, skiff, "network", "ls", *args)


def test_network_listing_by_id(docker, skiff, listed):
    net_id = docker.ok("network", "inspect", "-f", "{{.Id}}", listed[0]).strip()
    side_by_side(docker, skiff, "network", "list", "-f", f"id={net_id[:12]}", "--no-trunc")


@pytest.mark.parametrize("template", [
    None, "json", "{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}}", "{{.Created}}", "{{.IPAM}}", "{{.IPAM.Config}}",
    "{{json .IPAM}}", "{{.ConfigFrom}}", "{{.Labels}}", "{{index .Labels \"skiffcli.nv\"}}", "{{.Containers}}",
    "{{range $k, $v := .Options}}{{$k}}={{$v}};{{end}}", "{{.Foo}}", "{{.Name",
])
def test_network_inspect(docker, skiff, listed, template):
    fmt = [] if template is None else ["--format", template]
    side_by_side(docker, skiff, "network", "inspect", *fmt, listed[0])


@pytest.mark.parametrize("args", [
    ["nosuch"], ["-v", "NET"], ["NET", "nosuch", "NET2"], [""], ["-f", "{{.Name}}", "NET", "nosuch"], ["none", "host"],
    ["--verbose", "--format", "{{.Name}}", "NET"], ["  NET  "],
])
def test_network_inspect_references(docker, skiff, listed, args):
    args = [a.replace("NET2", listed[1]).replace("NET", listed[0]) for a in args]
    side_by_side(docker, skiff, "network", "inspect", *args)


def test_top_level_inspect_of_a_network(docker, skiff, listed):
    side_by_side(docker, skiff, "inspect", "-f", "{{.Name}} {{.Created}} {{.IPAM.Config}}", listed[0])
    side_by_side(docker, skiff, "inspect", "--type", "network", listed[0])


def test_network_rm(docker, skiff, made, networks_api):
    outs = []
    for cli in (docker, skiff):
        name = made.network()
        r = cli.run("network", "rm", "nosuch", name, "nosuch2")
        outs.append((r.rc, r.out.replace(name, "<NAME>"), r.err))
        assert docker.run("network", "inspect", name).rc == 1
    assert outs[0][0] == outs[1][0] == 1
    assert outs[1][1] == outs[0][1] == "<NAME>\n"
    assert outs[1][2] == docker_words(outs[0][2])
    for cli in (docker, skiff):
        name = made.network()
        r = cli.run("network", "remove", name)
        assert (r.rc, r.out, r.err) == (0, name + "\n", "")


@pytest.mark.parametrize("args", [["-f", "nosuch"], [""], ["-f", ""], ["-f", "nosuch", "x", "  "], ["none"], ["host", "-f"]])
def test_network_rm_errors(docker, skiff, networks_api, args):
    side_by_side(docker, skiff, "network", "rm", *args)


def test_network_rm_of_a_network_in_use(docker, skiff, made, networks_api):
    net = made.network()
    made.running("--network", net)
    side_by_side(docker, skiff, "network", "rm", net)


def test_network_connect_and_disconnect(docker, skiff, made, networks_api):
    base = made.network()
    net = made.network("--subnet", "10.213.7.0/24")
    peer = made.container("--network", base, IMAGE, "true")
    endpoints = []
    for i, cli in enumerate((docker, skiff)):
        c = made.container("--network", base, IMAGE, "true")
        r = cli.run("network", "connect", "--alias", "a1,a2", "--alias", "a3", "--ip", f"10.213.7.{50 + i}",
                    "--link", f"{peer}:db", "--driver-opt", "k=v", net, c)
        assert (r.rc, r.out, r.err) == (0, "", "")
        ep = json.loads(docker.ok("inspect", "-f", f"{{{{json (index .NetworkSettings.Networks \"{net}\")}}}}", c))
        endpoints.append({k: ep[k] for k in ("IPAMConfig", "Links", "DriverOpts")} | {"Aliases": ep["Aliases"][:3]})
        assert ep["IPAMConfig"]["IPv4Address"] == f"10.213.7.{50 + i}"
        # Connected twice: the daemon's error, as docker prints it.
        d2, s2 = docker.run("network", "connect", net, c), skiff.run("network", "connect", net, c)
        assert_same(d2, s2, names={c: "<C>"})
        r = cli.run("network", "disconnect", net, c)
        assert (r.rc, r.out, r.err) == (0, "", "")
    endpoints[1]["IPAMConfig"]["IPv4Address"] = endpoints[0]["IPAMConfig"]["IPv4Address"]
    assert endpoints[0] == endpoints[1]
    for args in (["disconnect", net, peer], ["disconnect", "-f", net, "nosuch"], ["connect", "nosuch", peer],
                 ["connect", net, "nosuch"], ["connect", "--driver-opt", "bad", net, peer], ["connect", "", ""],
                 ["connect", net, " "], ["disconnect", "", peer], ["connect", "--ip", "bogus", net, peer]):
        compare(docker, skiff, "network", *args, names={peer: "<C>"})


def test_network_prune(docker, skiff, made, networks_api):
    label = f"skiffcli.prune={PID}"
    outs = []
    for cli in (docker, skiff):
        a, b = made.network("--label", label), made.network("--label", label)
        keep = made.network("--label", label)
        made.running("--network", keep)
        r = cli.run("network", "prune", "-f", "--filter", f"label={label}")
        assert r.rc == 0, r
        lines = r.out.splitlines()
        assert lines[0] == "Deleted Networks:" and sorted(lines[1:3]) == sorted([a, b]) and lines[3:] == [""]
        outs.append((r.out.replace(a, "<N>").replace(b, "<N>"), r.err))
    assert outs[0] == outs[1]
    side_by_side(docker, skiff, "network", "prune", "-f", "--filter", f"label={label}")
    side_by_side(docker, skiff, "network", "prune", "--filter", f"label={label}", input="n\n")
    side_by_side(docker, skiff, "network", "prune", "-f", "--filter", "bogus=1")


# --------------------------------------------------------------------------
# Volumes

def test_volume_create_and_inspect(docker, skiff, made, volumes_api):
    d, s, names = both(made, "v")
    made.volumes += [d, s]
    args = ["--label", LABEL, "--label", "b=2", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m"]
    assert_same(docker.run("volume", "create", *args, d), skiff.run("volume", "create", *args, s), names=names)
    for fmt in ([], ["--format", "json"], ["-f", "{{.Name}} {{.Driver}} {{.Labels}} {{.Options}} {{.Scope}}"],
                ["-f", "{{json .}}"], ["-f", "{{.UsageData}}|{{.Status}}|{{.Mountpoint}}"], ["-f", "{{.Foo}}"],
                ["-f", "{{.Name"]):
        assert_same(docker.run("volume", "inspect", *fmt, d), skiff.run("volume", "inspect", *fmt, s), names=names)
    side_by_side(docker, skiff, "volume", "inspect", d, "nosuch", "", s)
    side_by_side(docker, skiff, "inspect", "--type", "volume", d)
    side_by_side(docker, skiff, "inspect", "-f", "{{.Name}} {{.Labels}}", d)


def test_volume_create_anonymous_and_by_flag(docker, skiff, made, volumes_api):
    for cli in (docker, skiff):
        r = cli.run("volume", "create", "--label", LABEL)
        assert r.rc == 0 and re.fullmatch(r"[0-9a-f]{64}\n", r.out), r
        made.volumes.append(r.out.strip())
        name = made.name("v")
        made.volumes.append(name)
        r = cli.run("volume", "create", "--name", name)
        assert (r.rc, r.out, r.err) == (0, name + "\n", "")
    side_by_side(docker, skiff, "volume", "create", "--name", "a", "b")
    side_by_side(docker, skiff, "volume", "create", "--label", "a b=c")
    side_by_side(docker, skiff, "volume", "create", "-d", "nosuchdriver", made.name("v"))
    name = made.volume()
    side_by_side(docker, skiff, "volume", "create", name)  # an existing name: its name again


def test_volume_cluster_options(docker, skiff, made, volumes_api):
    # API < 1.42: docker refuses the flags; newer daemons refuse what is no swarm manager.
    name = made.name("v")
    made.volumes.append(name)
    side_by_side(docker, skiff, "volume", "create", "--group", "g", "--scope", "multi", name)
    side_by_side(docker, skiff, "volume", "ls", "--cluster")


@pytest.fixture
def volumes(made, volumes_api):
    """Volumes to list, one label each (docker joins several in Go's random map order)."""
    return made.volume(label=TIER), made.volume(), made.volume("-o", "type=tmpfs", "-o", "device=tmpfs")


@pytest.mark.parametrize("args", [
    [], ["-q"], ["--format", "json"], ["--format", "raw"], ["--format", "raw", "-q"], ["-q", "--format", "{{.Driver}}"],
    ["--format", "table {{.Name}}\\t{{.Labels}}\\t" + TIER_COLUMN + "\\t{{.Links}}\\t{{.Size}}\\t{{.Mountpoint}}"],
    ["--format", "table {{.Group}}\\t{{.Availability}}\\t{{.Status}}\\t{{.Name}}"], ["--format", "{{.Nope}}"],
    ["-f", f"label={LABEL}"], ["--filter", f"label={TIER}"], ["-f", "driver=local", "-f", f"label={LABEL}"],
    ["-f", "name=skiffcli-nv"], ["-f", "dangling=true", "-f", f"label={LABEL}"], ["-f", "dangling=bogus"],
    ["-f", "bogus=1"], ["list", "-q"],
])
def test_volume_listing(docker, skiff, volumes, args):
    cmd = ["volume", *args] if args[:1] == ["list"] else ["volume", "ls", *args]
    side_by_side(docker, skiff, *cmd)


def test_volume_rm(docker, skiff, made, volumes_api):
    outs = []
    for cli in (docker, skiff):
        name = made.volume()
        r = cli.run("volume", "rm", "nosuch", name, "")
        outs.append((r.rc, r.out.replace(name, "<NAME>"), r.err))
    assert outs[0] == outs[1] and outs[0][1] == "<NAME>\n"
    for cli in (docker, skiff):
        name = made.volume()
        c = made.container("-v", f"{name}:/data", IMAGE, "true")
        compare(docker, skiff, "volume", "rm", name, names={c: "<C>", name: "<V>"})
        docker.ok("rm", c)
        r = cli.run("volume", "remove", "-f", name, "nosuch")  # the daemon forgives a missing one
        assert (r.rc, r.out, r.err) == (0, name + "\nnosuch\n", "")


def test_volume_prune(docker, skiff, made, volumes_api):
    label = f"skiffcli.vprune={PID}"
    outs = []
    for cli in (docker, skiff):
        a = made.volume("--label", label)
        used = made.volume("--label", label)
        made.container("-v", f"{used}:/data", IMAGE, "true")
        anon = docker.ok("volume", "create", "--label", label).strip()
        made.volumes.append(anon)
        # Named volumes go only with --all (or on daemons older than API 1.42).
        args = ["--all"] if _api_version(docker) >= (1, 42) else []
        r = cli.run("volume", "prune", "-f", *args, "--filter", f"label={label}")
        assert r.rc == 0, r
        lines = r.out.splitlines()
        assert lines[0] == "Deleted Volumes:" and sorted(lines[1:3]) == sorted([a, anon]), r.out
        assert lines[3:] == ["", "Total reclaimed space: 0B"], r.out
        outs.append((r.out.replace(a, "<V>").replace(anon, "<V>"), r.err))
    assert outs[0] == outs[1]
    for args in (["-f", "--filter", f"label={label}"], ["--filter", f"label={label}"], ["-a", "--filter", f"label={label}"],
                 ["-f", "--filter", "bogus=1"], ["-f", "-a", "--filter", "all=1"]):
        side_by_side(docker, skiff, "volume", "prune", *args, input="n\n")


# --------------------------------------------------------------------------
# port

@pytest.fixture
def published(docker, made, networks_api):
    net = made.network()
    name = made.name("c")
    made.containers.append(name)
    r = docker.run("run", "-d", "--name", name, "--network", net, "-p", "38080:80", "-p", "127.0.0.1:38090-38091:9000-9001/udp",
                   "-p", "53/udp", "-p", "127.0.0.1::443", "--expose", "99", IMAGE, "sleep", "300")
    if r.rc != 0:
        pytest.skip(f"the daemon cannot publish ports here: {r.err.strip()}")
    return name


@pytest.mark.parametrize("args", [
    [], ["80"], ["80/tcp"], ["9000/udp"], ["9001/udp"], ["53/udp"], ["443"], ["53"], ["81"], ["81/tcp"], ["99"],
    ["abc"], ["70000/tcp"], ["99999999999999999999"], ["+80"], ["80/"], ["/tcp"], ["080"], ["80/sctp"],
])
def test_port(docker, skiff, published, args):
    side_by_side(docker, skiff, "port", published, *args)
    side_by_side(docker, skiff, "container", "port", published, *args)


def test_port_of_containers_without_ports(docker, skiff, made):
    c = made.container("--network", "none", IMAGE, "true")
    side_by_side(docker, skiff, "port", c)
    side_by_side(docker, skiff, "port", c, "80")
    side_by_side(docker, skiff, "port", "nosuch")
    side_by_side(docker, skiff, "port", "")


def test_port_lines(skiff, published):
    out = skiff.ok("port", published)
    assert "80/tcp -> 0.0.0.0:38080\n" in out and "9001/udp -> 127.0.0.1:38091\n" in out
    assert out.index("9000/udp") < out.index("9001/udp")
    assert skiff.ok("port", published, "443").startswith("127.0.0.1:")
