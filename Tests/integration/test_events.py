"""Events, disk usage and system prune against a real skiffd, through the real
docker CLI 28, skiff and docker-py: a scripted sequence of container, exec,
network, volume and image actions arrives in order with dockerd's types,
actions and attributes (replayed with --since/--until and streamed live),
filters narrow it as dockerd's do, `system df` figures add up (sizes, shared
layers, reference counts) and `system prune` removes exactly what it reports.
skiff and docker print the same for the same daemon."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
import urllib.parse

import pytest

from clitest import normalize, skiff_binary
from skiffd import busybox_tar, daemon  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def busybox(daemon, busybox_tar):
    daemon.out("import", "-c", "LABEL tier=base", str(busybox_tar), "busybox:latest")
    yield "busybox"


class Client:
    """docker or skiff, pointed at the test daemon."""

    def __init__(self, name: str, daemon):
        self.name = name
        self.daemon = daemon
        if name == "docker":
            self.argv = ["docker", "-H", f"unix://{daemon.sock}"]
        else:
            binary = skiff_binary()
            if binary is None:
                pytest.skip("skiff not built (set SKIFF_CLI)")
            self.argv = [binary, "-H", f"unix://{daemon.sock}"]

    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env["DOCKER_CONFIG"] = str(self.daemon.docker_config)
        return env

    def run(self, *args: str, check: bool = True, input: str | None = None, timeout: float = 120):
        p = subprocess.run([*self.argv, *args], capture_output=True, text=True, input=input, env=self.env, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"{self.name} {' '.join(args)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
        return p

    def out(self, *args: str, **kw) -> str:
        return self.run(*args, **kw).stdout.strip()

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([*self.argv, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)

    def events(self, since: float, until: float, *filters: str) -> list[dict]:
        args = ["events", "--since", f"{since:.9f}", "--until", f"{until:.9f}", "--format", "{{json .}}"]
        for f in filters:
            args += ["--filter", f]
        return [json.loads(line) for line in self.out(*args).splitlines()]


@pytest.fixture(params=["docker", "skiff"])
def cli(request, daemon) -> Client:
    return Client(request.param, daemon)


@pytest.fixture
def both(daemon) -> tuple[Client, Client]:
    return Client("docker", daemon), Client("skiff", daemon)


def now() -> float:
    return time.time()


def settle() -> float:
    """A moment after what was just done (events recorded as a request ends are in)."""
    time.sleep(0.2)
    return time.time()


def pick(events: list[dict], **match) -> list[dict]:
    def ok(e):
        for key, value in match.items():
            if key == "id" and e["Actor"]["ID"] != value:
                return False
            if key == "type" and e["Type"] != value:
                return False
            if key == "action" and e["Action"] != value:
                return False
        return True
    return [e for e in events if ok(e)]


def index(events: list[dict], type_: str, action: str, actor: str) -> int:
    for i, e in enumerate(events):
        if e["Type"] == type_ and e["Action"] == action and e["Actor"]["ID"] == actor:
            return i
    raise AssertionError(f"no {type_} {action} {actor} in:\n" + "\n".join(f"{e['Type']} {e['Action']} {e['Actor']['ID']}" for e in events))


# ---------------------------------------------------------------- the scripted sequence

def test_a_scripted_sequence_arrives_in_order(daemon, busybox, cli):
    tag = f"ev-{cli.name}"
    net, net2, vol, name = f"{tag}-n1", f"{tag}-n2", f"{tag}-v", f"{tag}-c"
    t0 = now()
    net_id = cli.out("network", "create", net)
    cli.out("volume", "create", vol)
    cid = cli.out("create", "--name", name, "--label", "app=web", "-v", f"{vol}:/data", "--network", net,
                  "busybox", "sleep", "100")
    cli.out("start", name)
    cli.out("exec", name, "true")
    assert cli.run("exec", name, "sh", "-c", "exit 3", check=False).returncode == 3
    net2_id = cli.out("network", "create", net2)
    cli.out("network", "connect", net2, name)
    cli.out("network", "disconnect", net2, name)
    cli.out("stop", "-t", "1", name)
    cli.out("rm", name)
    cli.out("volume", "rm", vol)
    cli.out("tag", "busybox", f"{tag}:v1")
    cli.out("rmi", f"{tag}:v1")
    cli.out("network", "rm", net, net2)
    t1 = settle()
    image_id = json.loads(daemon.out("image", "inspect", "busybox"))[0]["Id"]

    ours = {net_id, net2_id, vol, cid, image_id}
    events = [e for e in cli.events(t0, t1) if e["Actor"]["ID"] in ours]
    assert [e["timeNano"] for e in events] == sorted(e["timeNano"] for e in events)
    for e in events:
        assert e["scope"] == "local" and e["time"] == e["timeNano"] // 1_000_000_000

    container = pick(events, type="container")
    actions = [e["Action"] for e in container]
    assert actions == ["create", "start", "exec_create: true ", "exec_start: true ", "exec_die",
                       "exec_create: sh -c exit 3", "exec_start: sh -c exit 3", "exec_die",
                       "kill", "die", "stop", "destroy"], actions
    for e in container:
        attrs = e["Actor"]["Attributes"]
        # dockerd's attributes: image as asked for, name, the labels (the image's too).
        assert attrs["image"] == "busybox" and attrs["name"] == name
        assert attrs["app"] == "web" and attrs["tier"] == "base"
        assert e["status"] == e["Action"] and e["id"] == cid and e["from"] == "busybox"
    execs = [e["Actor"]["Attributes"] for e in container if e["Action"].startswith("exec_")]
    assert execs[0]["execID"] == execs[1]["execID"] == execs[2]["execID"] != execs[3]["execID"]
    assert execs[2]["exitCode"] == "0" and execs[5]["exitCode"] == "3"
    assert container[8]["Actor"]["Attributes"]["signal"] == "15"
    assert container[9]["Actor"]["Attributes"]["exitCode"] == "137"
    assert int(container[9]["Actor"]["Attributes"]["execDuration"]) >= 0

    assert [(e["Action"], e["Actor"]["Attributes"].get("container")) for e in pick(events, id=net_id)] == [
        ("create", None), ("connect", cid), ("disconnect", cid), ("destroy", None)]
    assert [(e["Action"], e["Actor"]["Attributes"].get("container")) for e in pick(events, id=net2_id)] == [
        ("create", None), ("connect", cid), ("disconnect", cid), ("destroy", None)]
    for e in pick(events, type="network"):
        assert e["Actor"]["Attributes"]["type"] == "bridge" and e["Actor"]["Attributes"]["name"] in (net, net2)
        assert "status" not in e and "id" not in e and "from" not in e

    volume = pick(events, id=vol)
    assert [e["Action"] for e in volume] == ["create", "mount", "unmount", "destroy"]
    assert volume[1]["Actor"]["Attributes"] == {"container": cid, "destination": "/data", "driver": "local",
                                               "propagation": "", "read/write": "true"}
    assert volume[2]["Actor"]["Attributes"] == {"container": cid, "driver": "local"}
    assert volume[0]["Actor"]["Attributes"] == {"driver": "local"}

    image = pick(events, type="image")
    assert [(e["Action"], e["Actor"]["Attributes"]["name"]) for e in image] == [("tag", f"{tag}:v1"), ("untag", image_id)]
    assert all(e["Actor"]["Attributes"]["tier"] == "base" and e["status"] == e["Action"] and e["id"] == image_id for e in image)

    # Across objects, in dockerd's order: the network and volume are up before the
    # container starts, and down after it dies, before `stop` returns.
    start, die, stop = (index(events, "container", a, cid) for a in ("start", "die", "stop"))
    assert index(events, "network", "connect", net_id) < start and index(events, "volume", "mount", vol) < start
    assert die < index(events, "volume", "unmount", vol) < stop
    assert die < index(events, "network", "disconnect", net_id) < stop


def test_docker_and_skiff_print_the_same_events(daemon, busybox, both):
    docker, skiff = both
    t0 = now()
    docker.out("run", "--rm", "--name", "ev-same", "--label", "z=1", "--label", "a=2", "busybox", "true")
    docker.out("volume", "create", "--label", "k=v", "ev-same-v")
    docker.out("volume", "rm", "ev-same-v")
    t1 = settle()
    for args in ([], ["--format", "{{json .}}"], ["--format", "json"], ["--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Time}}"],
                 ["--filter", "type=volume"]):
        d = docker.run("events", "--since", f"{t0:.9f}", "--until", f"{t1:.9f}", *args)
        s = skiff.run("events", "--since", f"{t0:.9f}", "--until", f"{t1:.9f}", *args)
        assert (s.returncode, s.stdout) == (d.returncode, d.stdout)
        assert d.stdout.strip()
    # The plain form: time, type, action, id, sorted attributes.
    line = [l for l in skiff.out("events", "--since", f"{t0:.9f}", "--until", f"{t1:.9f}").splitlines() if " container create " in l][0]
    stamp, rest = line.split(" ", 1)
    assert len(stamp) == len("2006-01-02T15:04:05.000000000Z") or stamp[-6] in "+-"
    assert rest.endswith("(a=2, image=busybox, name=ev-same, tier=base, z=1)")


# ---------------------------------------------------------------- streaming

class Stream:
    """An `events` process read line by line in a thread."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, done, timeout: float = 20) -> list[dict]:
        """Events until `done(events)` holds."""
        seen: list[dict] = []
        deadline = time.monotonic() + timeout
        while not done(seen):
            left = deadline - time.monotonic()
            assert left > 0, f"timed out; saw {[(e['Type'], e['Action']) for e in seen]}"
            try:
                seen.append(json.loads(self.lines.get(timeout=left)))
            except queue.Empty:
                pass
        return seen

    def close(self):
        self.proc.kill()
        self.proc.wait()


def subscribed(cli: Client, stream: Stream, tag: str):
    """Makes volume events until one comes through: the stream is live."""
    for i in range(100):
        cli.out("volume", "create", f"{tag}-probe{i}")
        cli.out("volume", "rm", f"{tag}-probe{i}")
        try:
            line = stream.lines.get(timeout=0.2)
            while True:
                if f"{tag}-probe" in line:
                    break
                line = stream.lines.get(timeout=1)
            return
        except queue.Empty:
            continue
    raise AssertionError("the event stream never went live")


def test_streaming_sees_what_happens_after_it_starts(daemon, busybox, cli):
    tag = f"evs-{cli.name}"
    stream = Stream(cli.popen("events", "--format", "{{json .}}"))
    try:
        subscribed(cli, stream, tag)
        cli.out("run", "--rm", "--name", tag, "busybox", "sh", "-c", "echo hi")
        seen = stream.until(lambda es: any(e["Type"] == "container" and e["Action"] == "destroy" for e in es))
        assert stream.proc.poll() is None, "the stream ended by itself"
    finally:
        stream.close()
    container = [e["Action"] for e in seen if e["Type"] == "container" and e["Actor"]["Attributes"].get("name") == tag]
    # docker run: create, attach (the CLI attaches before it starts), start; --rm: destroy after die.
    assert container == ["create", "attach", "start", "die", "destroy"], container
    die = [e for e in seen if e["Action"] == "die"][0]
    assert die["Actor"]["Attributes"]["exitCode"] == "0"
    # The daemon goes on after its client left.
    assert daemon.request("GET", "/_ping")[0] == 200


def test_a_stream_with_a_future_until_ends_by_itself(daemon, busybox, cli):
    tag = f"evu-{cli.name}"
    until = now() + 3
    proc = cli.popen("events", "--until", f"{until:.9f}", "--filter", f"volume={tag}", "--format", "{{.Action}} {{.Actor.ID}}")
    try:
        time.sleep(1)
        cli.out("volume", "create", tag)
        cli.out("volume", "rm", tag)
        out, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert out.splitlines() == [f"create {tag}", f"destroy {tag}"]
    assert now() >= until


def test_docker_py_events(daemon, busybox):
    client = daemon.client()
    t0 = int(now()) - 1
    client.volumes.create("evpy-a", labels={"x": "1"})
    client.volumes.get("evpy-a").remove()
    t1 = settle()
    past = list(client.events(since=t0, until=int(t1) + 1, decode=True, filters={"volume": "evpy-a"}))
    assert [(e["Type"], e["Action"], e["Actor"]["ID"]) for e in past] == [("volume", "create", "evpy-a"), ("volume", "destroy", "evpy-a")]

    # The subscription is made before the response's head comes back: nothing after it is missed.
    live = client.events(decode=True, filters={"type": "container", "event": ["start", "die"]})
    got: list[dict] = []
    reader = threading.Thread(target=lambda: got.extend(e for _, e in zip(range(2), live)), daemon=True)
    reader.start()
    client.containers.run("busybox", ["true"], remove=True, name="evpy-run")
    reader.join(timeout=20)
    live.close()
    assert [(e["Action"], e["Actor"]["Attributes"]["name"]) for e in got] == [("start", "evpy-run"), ("die", "evpy-run")]


# ---------------------------------------------------------------- filters

def test_filters_narrow_as_dockerd(daemon, busybox, both):
    docker, skiff = both
    t0 = now()
    a = docker.out("run", "-d", "--name", "evf-a", "--label", "role=db", "busybox", "sleep", "100")
    docker.out("run", "--name", "evf-b", "--label", "role=web", "busybox", "true")
    b = json.loads(docker.out("inspect", "evf-b"))[0]["Id"]
    docker.out("volume", "create", "evf-v")
    net = docker.out("network", "create", "evf-n")
    docker.out("rm", "-f", "evf-a", "evf-b")
    docker.out("volume", "rm", "evf-v")
    docker.out("network", "rm", "evf-n")
    t1 = settle()

    def events(*filters):
        d = docker.events(t0, t1, *filters)
        assert skiff.events(t0, t1, *filters) == d
        return [(e["Type"], e["Action"], e["Actor"]["ID"]) for e in d]

    assert set(t for t, _, _ in events("type=volume")) == {"volume"}
    assert events("volume=evf-v") == [("volume", "create", "evf-v"), ("volume", "destroy", "evf-v")]
    assert events("network=evf-n") == [("network", "create", net), ("network", "destroy", net)]
    assert events("container=evf-a", "event=start") == [("container", "start", a)]
    # Values of one key: any of them; keys together: all of them.
    assert events("container=evf-a", "container=evf-b", "event=create") == [("container", "create", a), ("container", "create", b)]
    assert events("type=container", "event=die") == [("container", "die", b), ("container", "die", a)]
    assert events("label=role=web", "event=destroy") == [("container", "destroy", b)]
    assert [i for _, _, i in events("label=role", "event=create")] == [a, b]
    # A container by id prefix; containers by their image.
    assert events(f"container={a[:8]}", "event=destroy") == [("container", "destroy", a)]
    assert {i for _, _, i in events("image=busybox", "type=container")} == {a, b}
    assert events("scope=swarm") == []
    assert events("event=no-such-event") == []


def test_event_query_errors(daemon, busybox):
    status, _, body = daemon.request("GET", "/events?since=yesterday")
    assert status == 400 and b"since" in body
    status, _, body = daemon.request("GET", "/events?since=20&until=10")
    assert status == 400 and json.loads(body)["message"] == "`since` time (20) cannot be after `until` time (10)"
    status, _, body = daemon.request("GET", "/events?filters=" + urllib.parse.quote("{bad"))
    assert status == 400
    # RFC 3339 works as well as Unix seconds.
    t0 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now() - 1))
    daemon.out("volume", "create", "evq-v")
    daemon.out("volume", "rm", "evq-v")
    until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now() + 1))
    time.sleep(1.2)
    status, headers, body = daemon.request(
        "GET", "/events?" + urllib.parse.urlencode({"since": t0, "until": until, "filters": json.dumps({"volume": ["evq-v"]})}))
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert [json.loads(l)["Action"] for l in body.decode().splitlines()] == ["create", "destroy"]


def test_health_status_and_oom_events(daemon, busybox):
    t0 = now()
    daemon.docker("run", "-d", "--name", "evh", "--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "100")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if json.loads(daemon.out("inspect", "evh"))[0]["State"]["Health"]["Status"] == "healthy":
            break
        time.sleep(0.1)
    daemon.docker("run", "--name", "evo", "--memory", "16m", "busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M",
                  "count=1", check=False)
    daemon.docker("rm", "-f", "evh", "evo")
    t1 = settle()
    events = Client("docker", daemon).events(t0, t1, "type=container")
    health = [e for e in events if e["Actor"]["Attributes"]["name"] == "evh" and e["Action"].startswith("health_status")]
    assert [e["Action"] for e in health] == ["health_status: healthy"]
    oom = [e["Action"] for e in events if e["Actor"]["Attributes"]["name"] == "evo"]
    assert oom.index("oom") < oom.index("die")
    assert Client("docker", daemon).events(t0, t1, "event=health_status") == health


def test_image_events(daemon, busybox, busybox_tar, tmp_path):
    t0 = now()
    iid = daemon.out("import", "-c", "LABEL q=1", str(busybox_tar), "evimg:one")
    daemon.docker("save", "evimg:one", "-o", str(tmp_path / "s.tar"))
    daemon.docker("rmi", "evimg:one")
    daemon.docker("load", "-i", str(tmp_path / "s.tar"))
    dangling = daemon.out("import", "-c", "LABEL q=2", str(busybox_tar))
    status, _, body = daemon.request("POST", "/images/prune")
    assert status == 200
    daemon.docker("rmi", "evimg:one")
    t1 = settle()
    events = Client("docker", daemon).events(t0, t1, "type=image")
    seen = [(e["Action"], e["Actor"]["ID"], e["Actor"]["Attributes"].get("name"), e["Actor"]["Attributes"].get("q"))
            for e in events]
    # dockerd's names: the new tag for `tag`, else the image id; labels while the image exists.
    assert seen == [
        ("tag", iid, "evimg:one", "1"), ("import", iid, iid, "1"), ("save", iid, iid, "1"),
        ("untag", iid, iid, "1"), ("delete", iid, iid, None), ("load", iid, iid, "1"),
        ("import", dangling, dangling, "2"), ("delete", dangling, dangling, None), ("prune", "", None, None),
        ("untag", iid, iid, "1"), ("delete", iid, iid, None)]
    assert events[8]["Actor"]["Attributes"] == {"reclaimed": str(json.loads(body)["SpaceReclaimed"])}
    assert all(e["status"] == e["Action"] and e.get("id", "") == e["Actor"]["ID"] and "from" not in e for e in events)


def test_commit_events(daemon, busybox):
    """`docker commit` as dockerd records it: the new image's `tag`, then the
    container's `commit` with the comment, the image id and the name given
    (there were none)."""
    cid = daemon.out("create", "--name", "evcommit", "busybox", "true")
    try:
        t0 = now()
        iid = daemon.out("commit", "-m", "a note", "evcommit", "evcom:one")
        t1 = settle()
        events = Client("docker", daemon).events(t0, t1)
        assert [(e["Type"], e["Action"]) for e in events] == [("image", "tag"), ("container", "commit")]
        tag, commit = events
        assert tag["Actor"]["ID"] == iid and tag["Actor"]["Attributes"]["name"] == "evcom:one"
        assert tag["Actor"]["Attributes"]["tier"] == "base"
        assert commit["Actor"]["ID"] == cid
        attributes = commit["Actor"]["Attributes"]
        assert (attributes["comment"], attributes["imageID"], attributes["imageRef"], attributes["name"]) == \
            ("a note", iid, "evcom:one", "evcommit")
    finally:
        daemon.docker("rm", "-f", "evcommit")
        daemon.docker("rmi", "evcom:one", check=False)


# ---------------------------------------------------------------- system df

def test_system_df_adds_up(daemon, busybox, busybox_tar, both):
    docker, skiff = both
    # A second image over the same layer: the layer is shared, and counted once.
    copy = docker.out("import", "-c", "LABEL copy=1", str(busybox_tar), "evdf-copy:latest").removeprefix("sha256:")
    docker.out("volume", "create", "evdf-used")
    docker.out("volume", "create", "evdf-idle")
    docker.out("run", "--name", "evdf-stopped", "-v", "evdf-used:/d", "busybox", "sh", "-c",
               "dd if=/dev/zero of=/d/f bs=1k count=100 2>/dev/null; dd if=/dev/zero of=/x bs=1k count=50 2>/dev/null")
    docker.out("run", "-d", "--name", "evdf-running", "evdf-copy", "sleep", "100")
    try:
        status, _, body = daemon.request("GET", "/system/df")
        assert status == 200
        df = json.loads(body)
        images = {i["Id"]: i for i in df["Images"]}
        base = images[json.loads(docker.out("image", "inspect", "busybox"))[0]["Id"]]
        other = images["sha256:" + copy]
        assert base["Size"] > 0 and base["Size"] == other["Size"]
        assert base["SharedSize"] == base["Size"] and other["SharedSize"] == other["Size"]
        assert base["Containers"] >= 1 and other["Containers"] == 1
        # Every image here stands on busybox's one layer.
        assert df["LayersSize"] == base["Size"]

        containers = {c["Names"][0]: c for c in df["Containers"]}
        stopped, running = containers["/evdf-stopped"], containers["/evdf-running"]
        assert 50 * 1024 <= stopped["SizeRw"] < 60 * 1024
        assert stopped["SizeRootFs"] == stopped["SizeRw"] + base["Size"]
        assert running["SizeRw"] < 4096 and running["State"] == "running"

        volumes = {v["Name"]: v for v in df["Volumes"]}
        assert volumes["evdf-used"]["UsageData"] == {"Size": 100 * 1024, "RefCount": 1}
        assert volumes["evdf-idle"]["UsageData"] == {"Size": 0, "RefCount": 0}
        assert df["BuildCache"] == []
        # Only what is asked for.
        only = json.loads(daemon.request("GET", "/system/df?type=volume")[2])
        assert only["Images"] is None and only["Containers"] is None and len(only["Volumes"]) == len(df["Volumes"])

        for args in (["system", "df"], ["system", "df", "-v"], ["system", "df", "--format", "{{json .}}"],
                     ["system", "df", "--format", "raw"], ["system", "df", "-v", "--format", "{{json .}}"],
                     ["system", "df", "--format", "{{.Type}}: {{.Reclaimable}}"]):
            d, s = docker.run(*args), skiff.run(*args)
            assert s.returncode == d.returncode == 0
            assert normalize(s.stdout) == normalize(d.stdout), args
        summary = {json.loads(l)["Type"]: json.loads(l) for l in skiff.out("system", "df", "--format", "{{json .}}").splitlines()}
        assert summary["Local Volumes"]["Active"] == str(sum(1 for v in df["Volumes"] if v["UsageData"]["RefCount"] > 0))
        assert summary["Build Cache"]["Size"] == "0B"
    finally:
        docker.run("rm", "-f", "evdf-stopped", "evdf-running", check=False)
        docker.run("volume", "rm", "evdf-used", "evdf-idle", check=False)
        docker.run("rmi", "evdf-copy", check=False)


# ---------------------------------------------------------------- system prune

def prune_fixture(cli: Client, busybox_tar, tag: str) -> dict:
    """A stopped container holding an anonymous volume (left when it goes), an unused
    network, a dangling image, and what must stay: a running container, its image, a
    named volume."""
    kept = cli.out("run", "-d", "--name", f"{tag}-up", "-v", f"{tag}-named:/n", "busybox", "sleep", "100")
    stopped = cli.out("create", "--name", f"{tag}-down", "-v", "/anon", "busybox", "true")
    cli.out("start", "-a", f"{tag}-down")
    anon = json.loads(cli.out("inspect", f"{tag}-down"))[0]["Mounts"][0]["Name"]
    net = cli.out("network", "create", f"{tag}-net")
    dangling = cli.out("import", "-c", f"LABEL prune={tag}", str(busybox_tar))
    return {"kept": kept, "stopped": stopped, "anon": anon, "net": net, "dangling": dangling}


def test_system_prune_removes_what_it_says(daemon, busybox, busybox_tar, both):
    docker, skiff = both
    results = {}
    for cli in (skiff, docker):
        tag = f"evp-{cli.name}"
        made = prune_fixture(cli, busybox_tar, tag)
        t0 = now()
        p = cli.run("system", "prune", "-f", "--volumes")
        t1 = settle()
        results[cli.name] = (p, made)
        out = p.stdout
        assert f"Deleted Containers:\n{made['stopped']}\n" in out
        assert f"Deleted Networks:\n{tag}-net\n" in out
        assert f"Deleted Volumes:\n{made['anon']}\n" in out
        assert f"Deleted Images:\ndeleted: {made['dangling']}\n" in out
        assert out.rstrip().splitlines()[-1].startswith("Total reclaimed space: ")
        # Gone, and nothing else.
        assert cli.run("inspect", made["stopped"], check=False).returncode != 0
        assert cli.run("network", "inspect", f"{tag}-net", check=False).returncode != 0
        assert cli.run("volume", "inspect", made["anon"], check=False).returncode != 0
        assert cli.run("image", "inspect", made["dangling"], check=False).returncode != 0
        assert json.loads(cli.out("inspect", made["kept"]))[0]["State"]["Running"]
        cli.out("volume", "inspect", f"{tag}-named")
        cli.out("image", "inspect", "busybox")
        # Each removal was an event, then each prune.
        seen = [(e["Type"], e["Action"]) for e in cli.events(t0, t1)]
        for event in [("container", "destroy"), ("container", "prune"), ("network", "destroy"), ("network", "prune"),
                      ("volume", "destroy"), ("volume", "prune"), ("image", "delete"), ("image", "prune")]:
            assert event in seen, event
        cli.out("rm", "-f", f"{tag}-up")
        cli.out("volume", "rm", f"{tag}-named")

    (s, made_s), (d, made_d) = results["skiff"], results["docker"]
    names = {v: f"<{k}>" for k, v in made_s.items()} | {v: f"<{k}>" for k, v in made_d.items()}
    names |= {"evp-skiff": "<tag>", "evp-docker": "<tag>"}
    assert normalize(s.stdout, names=names) == normalize(d.stdout, names=names)


def test_system_prune_asks_first(daemon, busybox, both):
    docker, skiff = both
    docker.out("create", "--name", "evp-ask", "busybox", "true")
    try:
        for args in (["system", "prune"], ["system", "prune", "-a", "--volumes", "--filter", "label=x", "--filter", "label!=y"]):
            d = docker.run(*args, input="n\n")
            s = skiff.run(*args, input="n\n")
            assert (s.returncode, s.stdout, s.stderr) == (d.returncode, d.stdout, d.stderr) == (0, d.stdout, "")
            assert d.stdout.startswith("WARNING! This will remove:\n  - all stopped containers\n")
        assert docker.run("inspect", "evp-ask").returncode == 0
        d = docker.run("system", "prune", "--volumes", "--filter", "until=1h", check=False)
        s = skiff.run("system", "prune", "--volumes", "--filter", "until=1h", check=False)
        assert (s.returncode, s.stderr) == (d.returncode, d.stderr) and d.returncode != 0
    finally:
        docker.run("rm", "-f", "evp-ask", check=False)
