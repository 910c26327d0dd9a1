"""Networks end to end: skiffd in a network namespace of the test's own
(its bridges, veths and nftables table never touch the host's network),
given an uplink to the host so containers reach the outside world.

"The host" in these tests is that namespace: curl runs there through
`daemon.netexec`. The uplink's far end (the real host) plays "another
machine" reaching published ports from outside."""
from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import time

import pytest

from clis import cli, out, unique  # noqa: F401  (cli is a fixture)
from skiffd import daemon, busybox_tar  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("image")


@pytest.fixture(scope="module")
def image(daemon, busybox_tar):
    daemon.docker("import", str(busybox_tar), "busybox:latest")


@pytest.fixture(scope="module")
def uplink(daemon):
    """A veth from the host into the daemon's namespace (10.253.N.0/30),
    masqueraded on the host by an nftables table of the test's own."""
    tag = hashlib.sha256(daemon.netns.encode()).hexdigest()[:6]
    n = int(tag, 16) % 250 + 1
    host_if, ns_if, table = f"skup{tag}", f"skdn{tag}", f"skifftest_{tag}"
    host_ip, ns_ip = f"10.253.{n}.1", f"10.253.{n}.2"
    run = lambda *c: subprocess.run(c, check=True, capture_output=True)
    run("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
    try:
        run("ip", "link", "set", ns_if, "netns", daemon.netns)
        run("ip", "addr", "add", f"{host_ip}/30", "dev", host_if)
        run("ip", "link", "set", host_if, "up")
        run("ip", "-n", daemon.netns, "addr", "add", f"{ns_ip}/30", "dev", ns_if)
        run("ip", "-n", daemon.netns, "link", "set", ns_if, "up")
        run("ip", "-n", daemon.netns, "route", "add", "default", "via", host_ip)
        subprocess.run(["nft", "-f", "-"], check=True, capture_output=True, input=(
            f"table ip {table} {{\n chain post {{\n type nat hook postrouting priority 100;\n"
            f" ip saddr 10.253.{n}.0/30 oifname != \"{host_if}\" masquerade\n }}\n}}\n").encode())
        # The daemon's namespace resolves names as the host does.
        yield {"host_ip": host_ip, "ns_ip": ns_ip}
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["nft", "delete", "table", "ip", table], capture_output=True)


def ns_links(daemon) -> list[str]:
    text = daemon.netexec("ip", "-o", "link").stdout.decode()
    return [line.split(":")[1].strip().split("@")[0] for line in text.splitlines()]


def settled_veths(daemon, expected: int, timeout: float = 5.0) -> list[str]:
    """The daemon's veths once there are `expected` of them: a stopped
    container's veths go in the background, moments after it stops."""
    deadline = time.monotonic() + timeout
    while True:
        veths = [l for l in ns_links(daemon) if l.startswith("veth")]
        if len(veths) == expected or time.monotonic() > deadline:
            return veths
        time.sleep(0.05)


def wait_http(daemon, url: str, expect: int = 200, tries: int = 50) -> str:
    last = ""
    for _ in range(tries):
        proc = daemon.netexec("curl", "-s", "-m", "2", "-w", "\n%{http_code}", url, check=False)
        text = proc.stdout.decode()
        last = text
        if text.rsplit("\n", 1)[-1] == str(expect):
            return text.rsplit("\n", 1)[0].strip()
        time.sleep(0.1)
    raise AssertionError(f"{url}: no {expect} answer (last: {last!r})")


def wget(url: str, seconds: int = 3) -> list[str]:
    """busybox wget with a deadline (its own -T crashes; PID 1 would ignore timeout's TERM)."""
    return ["sh", "-c", f"timeout {seconds} wget -q -O - {url}; exit $?"]


def httpd(cli, name: str, *args: str) -> None:
    """busybox httpd serving its own /etc (so /hostname names the container)."""
    cli("run", "-d", "--name", name, *args, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")


# MARK: - Default bridge


def test_default_bridge_gives_an_address_a_route_and_hosts_entry(daemon, cli):
    name = unique("plain")
    text = out(cli("run", "--name", name, "busybox", "sh", "-c",
                   "ip -o -4 addr show eth0; ip route; cat /etc/hosts; hostname"))
    info = json.loads(daemon.out("inspect", name))[0]
    addr = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/(\d+)", text)
    assert addr, text
    assert "default via " in text
    hostname = text.splitlines()[-1]
    assert f"{addr.group(1)}\t{hostname}" in text
    net = info["NetworkSettings"]["Networks"]["bridge"]
    assert net["NetworkID"] and net["IPAddress"] == ""          # stopped: no address held
    cli("rm", name)


def test_inspect_shows_the_address_while_running(daemon):
    name = unique("running")
    daemon.docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    try:
        info = json.loads(daemon.out("inspect", name))[0]["NetworkSettings"]
        assert info["IPAddress"].startswith("172.") or info["IPAddress"]
        assert info["Networks"]["bridge"]["IPAddress"] == info["IPAddress"]
        assert info["MacAddress"] == "02:42:" + ":".join(f"{int(b):02x}" for b in info["IPAddress"].split("."))
        assert info["Gateway"] and info["IPPrefixLen"] > 0
        assert info["SandboxKey"]
        ip = info["IPAddress"]
        daemon.netexec("busybox", "ping", "-c", "1", "-W", "2", ip)
    finally:
        daemon.docker("rm", "-f", name)


def test_stop_then_start_at_once_gets_a_working_network(daemon):
    """Regression: the engine settled a stopped container's network while a
    new start was already mounting its root (which it then unmounted)."""
    name = unique("again")
    daemon.docker("run", "-d", "--name", name, "-p", "18090:80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
    try:
        for _ in range(3):
            daemon.docker("stop", "-t", "0", name)
            daemon.docker("start", name)
            wait_http(daemon, "http://127.0.0.1:18090/hostname")
        daemon.docker("restart", "-t", "0", name)
        wait_http(daemon, "http://127.0.0.1:18090/hostname")
        assert len(settled_veths(daemon, 1)) == 1
    finally:
        daemon.docker("rm", "-f", name)


def test_the_gateway_keeps_its_address_as_containers_come_and_go(daemon):
    """Regression: bridges took the lowest port's MAC address, so a container
    joining or leaving could change the gateway's, and the others' ARP entries
    then pointed nowhere for half a minute (DNS and the way out lost). The
    bridge now has an address of its own, set at creation (addr_assign_type 3:
    NET_ADDR_SET)."""
    net = unique("arpnet")
    daemon.docker("network", "create", net)
    a, b = unique("arp-a"), unique("arp-b")
    try:
        daemon.docker("run", "-d", "--name", a, "--network", net, "busybox", "sleep", "1000")
        bridge = "br-" + json.loads(daemon.out("network", "inspect", net))[0]["Id"][:12]
        def mac():
            return daemon.netexec("ip", "-o", "link", "show", "dev", bridge).stdout.decode().split("link/ether ")[1].split()[0]
        first = mac()
        assigned = subprocess.run(["ip", "netns", "exec", daemon.netns, "cat", f"/sys/class/net/{bridge}/addr_assign_type"],
                                  capture_output=True, text=True)
        assert assigned.stdout.strip() == "3", assigned
        for _ in range(4):
            daemon.docker("run", "-d", "--name", b, "--network", net, "busybox", "sleep", "1000")
            assert mac() == first
            daemon.docker("restart", "-t", "0", b)
            assert mac() == first
            daemon.docker("rm", "-f", b)
            assert mac() == first
            assert "1 packets received" in daemon.out("exec", a, "ping", "-c", "1", "-W", "2",
                                                      json.loads(daemon.out("network", "inspect", net))[0]["IPAM"]["Config"][0]["Gateway"])
    finally:
        daemon.docker("rm", "-f", a, b, check=False)
        daemon.docker("network", "rm", net, check=False)


def test_a_bridge_left_with_other_addresses_is_put_right(daemon):
    """Regression: a bridge left from an earlier data root kept its old
    address, so containers got a gateway that did not exist."""
    daemon.docker("run", "--rm", "busybox", "true")          # the bridge exists
    gateway = json.loads(daemon.out("network", "inspect", "bridge"))[0]["IPAM"]["Config"][0]["Gateway"]
    prefix = json.loads(daemon.out("network", "inspect", "bridge"))[0]["IPAM"]["Config"][0]["Subnet"].split("/")[1]
    daemon.netexec("ip", "addr", "del", f"{gateway}/{prefix}", "dev", "skiff0")
    daemon.netexec("ip", "addr", "add", "10.99.0.1/24", "dev", "skiff0")
    text = daemon.out("run", "--rm", "busybox", "ping", "-c", "1", "-W", "2", gateway)
    assert "1 packets received" in text
    addrs = daemon.netexec("ip", "-o", "-4", "addr", "show", "skiff0").stdout.decode()
    assert f"{gateway}/{prefix}" in addrs and "10.99.0.1" not in addrs


# MARK: - Published ports


def test_published_port_answers_on_loopback_and_own_address(daemon, cli, uplink):
    name = unique("web")
    httpd(cli, name, "-p", "18080:80")
    try:
        assert wait_http(daemon, "http://127.0.0.1:18080/hostname") == out(cli("inspect", "-f", "{{.Config.Hostname}}", name))
        wait_http(daemon, f"http://{uplink['ns_ip']}:18080/hostname")
        # From another machine: the real host, over the uplink.
        proc = subprocess.run(["curl", "-s", "-m", "3", f"http://{uplink['ns_ip']}:18080/hostname"], capture_output=True)
        assert proc.returncode == 0 and proc.stdout.strip(), proc
        assert "0.0.0.0:18080->80/tcp" in out(cli("ps", "--filter", f"name={name}", "--format", "{{.Ports}}"))
        assert out(cli("port", name)) .splitlines()[0] == "80/tcp -> 0.0.0.0:18080"
    finally:
        cli("rm", "-f", name)


def test_port_on_loopback_only_is_not_published_elsewhere(daemon, cli, uplink):
    name = unique("local")
    httpd(cli, name, "-p", "127.0.0.1:18081:80")
    try:
        wait_http(daemon, "http://127.0.0.1:18081/hostname")
        proc = daemon.netexec("curl", "-s", "-m", "2", f"http://{uplink['ns_ip']}:18081/", check=False)
        assert proc.returncode != 0
        proc = subprocess.run(["curl", "-s", "-m", "2", f"http://{uplink['ns_ip']}:18081/"], capture_output=True)
        assert proc.returncode != 0
    finally:
        cli("rm", "-f", name)


def test_publish_all_picks_free_ports_and_port_lists_them(daemon, cli):
    name = unique("pall")
    cli("run", "-d", "--name", name, "--expose", "80", "-P", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
    try:
        line = out(cli("port", name, "80"))
        host_port = int(line.rsplit(":", 1)[1])
        assert 32768 <= host_port <= 60999
        wait_http(daemon, f"http://127.0.0.1:{host_port}/hostname")
    finally:
        cli("rm", "-f", name)


def test_a_removed_containers_veth_goes_even_while_its_namespace_is_held(daemon):
    """A process outside the container (here nsenter) that holds its network
    namespace keeps the namespace alive after the container is gone; its veth
    is deleted all the same, so the address the next container may get is on
    no other interface."""
    name = unique("held")
    daemon.docker("run", "-d", "--name", name, "busybox", "sleep", "1000")
    pid = int(daemon.out("inspect", "-f", "{{.State.Pid}}", name))
    namespace = os.readlink(f"/proc/{pid}/ns/net")
    holder = subprocess.Popen(["nsenter", f"--net=/proc/{pid}/ns/net", "sleep", "100"])
    try:
        for _ in range(50):
            if os.readlink(f"/proc/{holder.pid}/ns/net") == namespace:
                break
            time.sleep(0.05)
        held = lambda: subprocess.run(["nsenter", f"--net=/proc/{holder.pid}/ns/net", "ip", "-o", "link"],
                                      capture_output=True, text=True, check=True).stdout
        assert "eth0" in held()
        daemon.docker("rm", "-f", name)
        deadline = time.monotonic() + 5
        while "eth0" in held() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "eth0" not in held(), held()
    finally:
        holder.kill()
        holder.wait()


def test_a_taken_host_port_is_refused(daemon, cli):
    first, second = unique("p1"), unique("p2")
    httpd(cli, first, "-p", "18082:80")
    try:
        proc = cli("run", "-d", "--name", second, "-p", "18082:80", "busybox", "sleep", "5", check=False)
        assert proc.returncode != 0
        assert b"port is already allocated" in proc.stderr
        # The failed start leaves nothing behind: no veth, no namespace.
        assert out(cli("inspect", "-f", "{{.State.Status}}", second)) in ("created", "exited")
        assert len(settled_veths(daemon, 1)) == 1
    finally:
        cli("rm", "-f", first, second, check=False)


UDP_ECHO = r"""
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
int main(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5353)};
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;
    char buf[512];
    for (;;) {
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n > 0) { fwrite(buf, 1, n, stdout); fflush(stdout); }
    }
}
"""


@pytest.fixture(scope="module")
def udp_image(daemon, busybox_tar, tmp_path_factory):
    """busybox plus a static UDP listener (busybox has no UDP server)."""
    root = tmp_path_factory.mktemp("udp")
    (root / "udpecho.c").write_text(UDP_ECHO)
    subprocess.run(["gcc", "-static", "-O2", "-o", str(root / "udpecho"), str(root / "udpecho.c")], check=True)
    tar = root / "image.tar"
    subprocess.run(["cp", str(busybox_tar), str(tar)], check=True)
    subprocess.run(["tar", "-rf", str(tar), "-C", str(root), "./udpecho"], check=True)
    daemon.docker("import", str(tar), "udpecho:latest")
    return "udpecho:latest"


def test_udp_port_publishing(daemon, cli, udp_image):
    name = unique("udp")
    cli("run", "-d", "--name", name, "-p", "127.0.0.1:18053:5353/udp", udp_image, "/udpecho")
    try:
        for _ in range(30):
            daemon.netexec("python3", "-c",
                           "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                           "s.sendto(b'hello-udp\\n', ('127.0.0.1', 18053))")
            if b"hello-udp" in daemon.docker("logs", name).stdout:
                break
            time.sleep(0.2)
        assert b"hello-udp" in daemon.docker("logs", name).stdout
    finally:
        cli("rm", "-f", name)


def test_hairpin_a_container_reaches_published_ports_through_the_host(daemon, uplink):
    web = unique("hp")
    httpd(daemon.docker, web, "-p", "18083:80")
    try:
        wait_http(daemon, "http://127.0.0.1:18083/hostname")
        # Its own published port, through the host's address.
        text = daemon.out("exec", web, *wget(f"http://{uplink['ns_ip']}:18083/hostname", 3))
        assert text == daemon.out("inspect", "-f", "{{.Config.Hostname}}", web)
        # Another container on another network, the same way.
        other = daemon.out("run", "--rm", "busybox", *wget(f"http://{uplink['ns_ip']}:18083/hostname", 3))
        assert other == text
    finally:
        daemon.docker("rm", "-f", web)


# MARK: - User-defined networks


def test_user_network_names_aliases_and_isolation(daemon, cli):
    net, other = unique("app"), unique("other")
    cli("network", "create", net)
    cli("network", "create", other)
    web, client = unique("web"), unique("client")
    try:
        httpd(cli, web, "--network", net, "--network-alias", "frontend")
        for target in (web, "frontend", f"{web}.{net}"):
            text = out(cli("run", "--rm", "--network", net, "busybox", *wget(f"http://{target}/hostname", 3)))
            assert text == out(cli("inspect", "-f", "{{.Config.Hostname}}", web)), target
        ip = out(cli("inspect", "-f", f"{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}", web))
        # Another network reaches neither the name nor the address.
        proc = cli("run", "--rm", "--network", other, "busybox", *wget(f"http://{ip}/", 2), check=False)
        assert proc.returncode != 0
        proc = cli("run", "--rm", "--network", other, "busybox", "nslookup", web, check=False)
        assert ip.encode() not in proc.stdout
        # Nor does the default bridge.
        proc = cli("run", "--rm", "busybox", *wget(f"http://{ip}/", 2), check=False)
        assert proc.returncode != 0
        # Connected to both, a container reaches it.
        cli("run", "-d", "--name", client, "--network", other, "busybox", "sleep", "60")
        cli("network", "connect", "--alias", "second", net, client)
        text = out(cli("exec", client, *wget(f"http://{web}/hostname", 3)))
        assert text
        assert "eth1" in out(cli("exec", client, "ip", "-o", "link"))
        cli("network", "disconnect", net, client)
        proc = cli("exec", client, *wget(f"http://{ip}/", 2), check=False)
        assert proc.returncode != 0
    finally:
        cli("rm", "-f", web, client, check=False)
        cli("network", "rm", net, other, check=False)


def test_internal_network_has_no_route_out(daemon, uplink):
    net = unique("internal")
    daemon.docker("network", "create", "--internal", net)
    try:
        proc = daemon.docker("run", "--rm", "--network", net, "busybox", *wget(f"http://{uplink['host_ip']}:1/", 3), check=False)
        assert proc.returncode != 0
        assert b"unreachable" in proc.stderr or b"timed out" in proc.stderr or proc.returncode != 0
    finally:
        daemon.docker("network", "rm", net)


def test_containers_reach_the_outside_world(daemon, uplink):
    """NAT out: Debian's mirror (reachable from this machine) answers a container."""
    probe = subprocess.run(["curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                            "http://deb.debian.org/debian/"], capture_output=True)
    if probe.stdout != b"200":
        pytest.skip("deb.debian.org is not reachable from this machine")
    addr = socket.gethostbyname("deb.debian.org")
    text = daemon.out("run", "--rm", "--add-host", f"deb.debian.org:{addr}", "busybox", *wget("http://deb.debian.org/debian/dists/bookworm/Release", 10))
    assert "Codename: bookworm" in text
    # Names too: the host's resolvers are forwarded to from a user network's DNS.
    net = unique("dns")
    daemon.docker("network", "create", net)
    try:
        text = daemon.out("run", "--rm", "--network", net, "busybox", "nslookup", "deb.debian.org")
        assert addr in text
    finally:
        daemon.docker("network", "rm", net)


def test_forward_policy_drop_from_another_engine_does_not_cut_us_off(daemon, uplink):
    """dockerd sets iptables' FORWARD policy to DROP; our traffic still flows."""
    daemon.netexec("iptables", "-w", "-P", "FORWARD", "DROP")
    try:
        net = unique("fwd")
        daemon.docker("network", "create", net)   # a change makes skiffd re-check the policy
        try:
            daemon.docker("run", "--rm", "busybox", "ping", "-c", "1", "-W", "3", uplink["host_ip"])
        finally:
            daemon.docker("network", "rm", net)
        rules = daemon.netexec("iptables", "-w", "-S", "FORWARD").stdout.decode()
        assert "-P FORWARD DROP" in rules and "-j SKIFF-FORWARD" in rules
    finally:
        daemon.netexec("iptables", "-w", "-P", "FORWARD", "ACCEPT")


# MARK: - The network API and its errors


def test_network_lifecycle_and_errors(daemon):
    name = unique("life")
    net_id = daemon.out("network", "create", "--subnet", "10.77.0.0/24", "--gateway", "10.77.0.254",
                        "--label", "team=a", name)
    try:
        info = json.loads(daemon.out("network", "inspect", name))[0]
        assert info["Id"] == net_id and info["Driver"] == "bridge" and info["Labels"] == {"team": "a"}
        assert info["IPAM"]["Config"] == [{"Subnet": "10.77.0.0/24", "Gateway": "10.77.0.254"}]
        # Addresses come from the subnet, the gateway skipped; --ip picks one.
        c = unique("fixed")
        daemon.docker("run", "-d", "--name", c, "--network", name, "--ip", "10.77.0.77", "busybox", "sleep", "60")
        assert daemon.out("inspect", "-f", f"{{{{(index .NetworkSettings.Networks \"{name}\").IPAddress}}}}", c) == "10.77.0.77"
        assert json.loads(daemon.out("network", "inspect", name))[0]["Containers"]
        proc = daemon.docker("network", "rm", name, check=False)
        assert proc.returncode != 0 and b"has active endpoints" in proc.stderr
        daemon.docker("rm", "-f", c)
        # Errors, named.
        for args, text in [
            (("network", "create", name), b"already exists"),
            (("network", "create", "--subnet", "10.77.0.0/25", unique("x")), b"overlaps"),
            (("network", "create", "--subnet", "10.77.1.1/24", unique("x")), b"invalid subnet"),
            (("network", "create", "--subnet", "banana", unique("x")), b"invalid"),
            (("network", "create", "-d", "overlay", unique("x")), b"plugin"),
            (("network", "rm", "bridge"), b"pre-defined network"),
            (("network", "inspect", "no-such-net"), b"not found"),
            (("run", "--rm", "--network", "no-such-net", "busybox", "true"), b"not found"),
            (("run", "--rm", "-p", "99999:80", "busybox", "true"), b"invalid"),
        ]:
            proc = daemon.docker(*args, check=False)
            assert proc.returncode != 0, args
            assert text in proc.stderr.lower() or text in proc.stderr, (args, proc.stderr)
    finally:
        daemon.docker("network", "rm", name, check=False)
    assert name not in daemon.out("network", "ls", "--format", "{{.Name}}").split()


def test_prune_removes_unused_user_networks_only(daemon):
    used, unused = unique("used"), unique("unused")
    daemon.docker("network", "create", used)
    daemon.docker("network", "create", unused)
    c = unique("keeper")
    daemon.docker("run", "-d", "--name", c, "--network", used, "busybox", "sleep", "60")
    try:
        text = daemon.out("network", "prune", "-f")
        assert unused in text and used not in text
        names = daemon.out("network", "ls", "--format", "{{.Name}}").split()
        assert used in names and unused not in names and {"bridge", "host", "none"} <= set(names)
    finally:
        daemon.docker("rm", "-f", c)
        daemon.docker("network", "rm", used, check=False)


def test_host_none_and_container_modes(daemon):
    text = daemon.out("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link")
    assert "eth0" not in text and "lo" in text
    host_links = daemon.netexec("ip", "-o", "link").stdout.decode()
    text = daemon.out("run", "--rm", "--network", "host", "busybox", "ip", "-o", "link")
    assert len(text.splitlines()) == len(host_links.splitlines())
    owner = unique("owner")
    daemon.docker("run", "-d", "--name", owner, "busybox", "sleep", "60")
    try:
        ip = daemon.out("inspect", "-f", "{{.NetworkSettings.IPAddress}}", owner)
        text = daemon.out("run", "--rm", "--network", f"container:{owner}", "busybox", "ip", "-o", "-4", "addr")
        assert ip in text
    finally:
        daemon.docker("rm", "-f", owner)


def test_add_host_gateway_and_dns_options(daemon):
    text = daemon.out("run", "--rm", "--add-host", "outside:host-gateway", "--add-host", "db:10.1.2.3",
                      "--dns", "10.9.9.9", "busybox", "sh", "-c", "cat /etc/hosts /etc/resolv.conf; ip route")
    gateway = re.search(r"default via (\S+)", text).group(1)
    assert f"{gateway}\toutside" in text
    assert "10.1.2.3\tdb" in text
    assert "nameserver 10.9.9.9" in text


def test_dns_search_and_dns_options_reach_resolv_conf(daemon, cli):
    """--dns-search and --dns-option replace the host's search and options
    lines (they were dropped), on the default bridge, a user network and
    --network none; `--dns-search .` leaves no search line; inspect shows them."""
    net = unique("dnsopt")
    cli("network", "create", net)
    name = unique("dnsopt")
    try:
        for mode in ("bridge", net, "none"):
            text = out(cli("run", "--rm", "--network", mode, "--dns-search", "example.com", "--dns-search", "corp.test",
                           "--dns-option", "ndots:3", "--dns-option", "timeout:2", "busybox", "cat", "/etc/resolv.conf"))
            lines = text.splitlines()
            assert "search example.com corp.test" in lines, (mode, text)
            assert "options ndots:3 timeout:2" in lines, (mode, text)
            assert len([l for l in lines if l.startswith("search")]) == 1
            assert any(l.startswith("nameserver ") for l in lines), (mode, text)
        text = out(cli("run", "--rm", "--dns-search", ".", "busybox", "cat", "/etc/resolv.conf"))
        assert not [l for l in text.splitlines() if l.startswith("search")], text
        cli("create", "--name", name, "--dns-search", "example.com", "--dns-option", "ndots:3", "busybox", "true")
        host_config = json.loads(out(cli("inspect", name)))[0]["HostConfig"]
        assert host_config["DnsSearch"] == ["example.com"]
        assert host_config["DnsOptions"] == ["ndots:3"]
    finally:
        cli("rm", "-f", name, check=False)
        cli("network", "rm", net)


def test_port_53_taken_on_every_address_falls_back_to_the_hosts_resolvers(daemon):
    """Another DNS server on 0.0.0.0:53 (dnsmasq's default): the network still works."""
    holder = subprocess.Popen(["nsenter", f"--net=/run/netns/{daemon.netns}", "python3", "-c",
                               "import socket, time; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                               "s.bind(('0.0.0.0', 53)); print('bound', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE)
    net = unique("taken")
    try:
        assert holder.stdout.readline() == b"bound\n"
        daemon.docker("network", "create", net)
        text = daemon.out("run", "--rm", "--network", net, "busybox", "cat", "/etc/resolv.conf")
        gateway = json.loads(daemon.out("network", "inspect", net))[0]["IPAM"]["Config"][0]["Gateway"]
        assert f"nameserver {gateway}" not in text and "nameserver" in text
        assert "DNS server of network" in daemon.log.read_text()
    finally:
        holder.kill()
        holder.wait()
        daemon.docker("network", "rm", net, check=False)


def test_docker_py_networks_and_ports(daemon):
    client = daemon.client()
    net = client.networks.create(unique("py"), driver="bridge", labels={"made-by": "docker-py"})
    c = client.containers.run("busybox", ["httpd", "-f", "-p", "80", "-h", "/etc"], detach=True,
                              network=net.name, ports={"80/tcp": ("127.0.0.1", 18095)})
    try:
        c.reload()
        assert c.ports == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18095"}]}
        assert c.attrs["NetworkSettings"]["Networks"][net.name]["IPAddress"]
        wait_http(daemon, "http://127.0.0.1:18095/hostname")
        net.reload()
        assert c.id in net.attrs["Containers"] and net.attrs["Labels"] == {"made-by": "docker-py"}
        assert [n.name for n in client.networks.list(names=[net.name])] == [net.name]
    finally:
        c.remove(force=True)
        net.remove()


def test_daemon_restart_keeps_running_networks_and_cleans_the_rest(daemon):
    keep, gone = unique("keep"), unique("gone")
    httpd(daemon.docker, keep, "-p", "18096:80")
    daemon.docker("run", "-d", "--name", gone, "busybox", "sleep", "300")
    keep_ip = daemon.out("inspect", "-f", "{{.NetworkSettings.IPAddress}}", keep)
    gone_pid = int(daemon.out("inspect", "-f", "{{.State.Pid}}", gone))
    try:
        # The daemon dies; meanwhile one container exits (its monitor records it and goes).
        daemon.proc.kill()
        daemon.proc.wait()
        os.kill(gone_pid, 9)
        time.sleep(0.5)
        daemon.start()
        # The running one kept its address and its published port.
        assert daemon.out("inspect", "-f", "{{.NetworkSettings.IPAddress}}", keep) == keep_ip
        wait_http(daemon, "http://127.0.0.1:18096/hostname")
        # The dead one's veth and namespace are gone; a new container never gets the live address.
        for _ in range(50):
            if daemon.out("inspect", "-f", "{{.State.Status}}", gone) == "exited":
                break
            time.sleep(0.1)
        assert len(settled_veths(daemon, 1)) == 1
        fresh = daemon.out("run", "--rm", "busybox", "sh", "-c", "ip -o -4 addr show eth0")
        assert f" {keep_ip}/" not in fresh
    finally:
        daemon.docker("rm", "-f", keep, gone, check=False)


def test_ps_filters_by_published_and_exposed_port_network_and_name_pattern(daemon, cli):
    """`ps --filter publish|expose|network|name` as dockerd: a published
    container port (not the host's), an exposed one (published ones are
    exposed too), a network by name or id prefix, and a name by regular
    expression (with or without the leading slash). They were ignored (every
    container listed) or matched as substrings."""
    tag = unique("pf")
    web, lone, lonely, nettled = f"{tag}-web", f"{tag}-lab1", f"{tag}-lab12", f"{tag}-onnet"
    network = f"{tag}-net"
    cli("network", "create", network)
    net_id = out(cli("network", "inspect", "-f", "{{.Id}}", network))
    cli("run", "-d", "--name", web, "-p", "18180:80", "busybox", "sleep", "100")
    cli("run", "-d", "--name", lone, "--expose", "9999/udp", "busybox", "sleep", "100")
    cli("run", "-d", "--name", lonely, "--network", "none", "busybox", "sleep", "100")
    cli("run", "-d", "--name", nettled, "--network", network, "busybox", "sleep", "100")

    def names(*filters):
        args = ["ps", "--format", "{{.Names}}"]
        for f in filters:
            args += ["--filter", f]
        return sorted(n for n in out(cli(*args)).split() if n.startswith(tag))

    try:
        assert names("publish=80") == [web]
        assert names("publish=80/tcp") == [web]
        assert names("publish=79-81") == [web]
        assert names("publish=80/udp") == []
        assert names("publish=18180") == []
        assert names("expose=9999/udp") == [lone]
        assert names("expose=9999") == []
        assert names("expose=80") == [web]
        assert names("network=none") == [lonely]
        assert names(f"network={network}") == [nettled]
        assert names(f"network={net_id[:12]}") == [nettled]
        assert names("network=nosuchnet") == []
        assert names(f"name=^{lone}$") == [lone]
        assert names(f"name=^/{lone}$") == [lone]
        assert names(f"name={lone}") == [lone, lonely]
        assert names(f"name={tag}-lab1[0-9]") == [lonely]
        assert [n for n in out(cli("network", "ls", "--format", "{{.Name}}", "--filter", f"name=^{tag}")).split()] == [network]
        bad = cli("ps", "--filter", "publish=http", check=False)
        assert bad.returncode != 0 and b"publish=http" in bad.stderr
    finally:
        cli("rm", "-f", web, lone, lonely, nettled)
        cli("network", "rm", network)


# MARK: - Cleanup


def test_nothing_is_left_behind(daemon):
    """After every container and user network is gone: no veth, no
    namespace, no extra bridge, and our nftables table holds no port."""
    for cid in daemon.out("ps", "-aq").split():
        daemon.docker("rm", "-f", cid)
    for net in daemon.out("network", "ls", "--filter", "type=custom", "-q").split():
        daemon.docker("network", "rm", net)
    assert settled_veths(daemon, 0) == []
    links = ns_links(daemon)
    assert not [l for l in links if l.startswith("br-")], links
    assert os.listdir(daemon.run_dir / "netns") == []
    ruleset = daemon.netexec("nft", "list", "table", "ip", "skiff").stdout.decode()
    assert "elements" not in ruleset
