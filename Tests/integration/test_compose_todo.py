"""examples/todo with `skiff compose` and with Debian's docker-compose 1.29,
each against the same test skiffd (every test runs once per client).

    python3 -m pytest Tests/integration/test_compose_todo.py -q

`compose -p todo up -d --build` builds both images (`FROM
debian:bookworm`, packages from Debian's mirror) and starts them; the tests
then use the web application's JSON API, check that the database was healthy
before the web service started, that `down` keeps the named volume's data
and `down -v` removes it, and that both services stop at once on `stop`.

The daemon is the `daemon` fixture of skiffd.py (its own data root, socket
and network namespace).  debian:bookworm is imported from
$SKIFF_DEBIAN_TAR, else /var/cache/skiff-bench/debian.tar, else made by
scripts/make-debian-image.sh (debootstrap: slow).

apt in the build containers reaches Debian's mirror through a forwarder
pair, as the daemon's namespace has no route out: socat in the host's
namespace listens on a unix socket in the test's temp dir and connects to
$SKIFF_TEST_MIRROR (default deb.debian.org:80); a second socat inside the
daemon's namespace listens on PROXY_ADDR:3142 (an address put on that
namespace's lo) and connects to the unix socket.  A plain TCP forward to an
HTTP server works as an HTTP proxy for http:// URLs (the request line has the
absolute URL), so an override file passes `http_proxy=http://PROXY_ADDR:3142`
as a build argument (one of Docker's predefined proxy arguments: no ARG
needed, and not kept in the image).  SKIFF_TEST_MIRROR may as well be an
HTTP proxy or an apt cache (apt-cacher-ng's host:3142).  The published port is on the
namespace's 127.0.0.1: HTTP requests are made with curl inside it.

docker-compose builds with the docker CLI (its default,
COMPOSE_DOCKER_CLI_BUILD=1), DOCKER_BUILDKIT=0: the classic builder's
POST /build.

Everything is removed at the end (`down -v --rmi all`, then the daemon
fixture's clean-up); the forwarders are stopped.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from clitest import skiff_binary
from skiffd import REPO, daemon  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

EXAMPLE = REPO / "examples" / "todo"
PROJECT = "todo"
PROXY_ADDR = "198.18.0.1"     # benchmarking range (RFC 2544): nobody's network
PROXY_PORT = 3142
WEB = "http://127.0.0.1:8080"
DEBIAN_TAR = Path(os.environ.get("SKIFF_DEBIAN_TAR", "/var/cache/skiff-bench/debian.tar"))
MIRROR = os.environ.get("SKIFF_TEST_MIRROR", "deb.debian.org:80")
TIMINGS: dict[str, float] = {}


# --------------------------------------------------------------------------
# Fixtures

@pytest.fixture(scope="module")
def workdir():
    for tool in ("docker-compose", "socat", "curl"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (scripts/deps.sh)")
    d = Path(tempfile.mkdtemp(prefix="skiff-todo-", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def debian_image(daemon, workdir):
    tar = DEBIAN_TAR
    if not tar.is_file():
        tar = workdir / "debian.tar"
        subprocess.run([str(REPO / "scripts" / "make-debian-image.sh"), str(tar)], check=True,
                       capture_output=True, timeout=1800)
    daemon.docker("import", str(tar), "debian:bookworm", timeout=600)
    return "debian:bookworm"


@pytest.fixture(scope="module")
def mirror(daemon, workdir):
    """The forwarder pair; yields the build args that use it."""
    sock = workdir / "mirror.sock"
    daemon.netexec("ip", "addr", "add", f"{PROXY_ADDR}/32", "dev", "lo")
    procs = []
    try:
        procs.append(subprocess.Popen(
            ["socat", f"UNIX-LISTEN:{sock},fork,mode=600", f"TCP:{MIRROR}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True))
        wait_for(lambda: sock.exists(), "the host's forwarder's socket")
        procs.append(subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{daemon.netns}", "socat",
             f"TCP-LISTEN:{PROXY_PORT},bind={PROXY_ADDR},fork,reuseaddr", f"UNIX-CONNECT:{sock}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True))
        proxy = f"http://{PROXY_ADDR}:{PROXY_PORT}"
        wait_for(lambda: daemon.netexec("curl", "-s", "-o", "/dev/null", "-m", "10", "-x", proxy,
                                        "http://deb.debian.org/debian/dists/bookworm/Release",
                                        check=False).returncode == 0,
                 f"Debian's mirror through {proxy}", timeout=30)
        yield {"http_proxy": proxy}
    finally:
        for p in procs:
            # Each socat leads its own session: its forked children go with it.
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


class Compose:
    """`skiff compose` or docker-compose, `-p todo -f examples/todo/compose.yaml -f OVERRIDE`,
    against the test daemon."""

    def __init__(self, daemon, override: Path, kind: str):
        self.daemon = daemon
        self.override = override
        self.kind = kind
        # docker-compose 1.29 names images and containers with "_", compose v2 with "-".
        self.sep = "_" if kind == "docker-compose" else "-"
        if kind == "docker-compose":
            self.argv = ["docker-compose"]
        else:
            binary = skiff_binary()
            if not binary or not os.access(Path(binary).parent / "skiff-compose", os.X_OK):
                pytest.skip("skiff and skiff-compose not built (`swift build`)")
            self.argv = [binary, "-H", f"unix://{daemon.sock}", "compose"]
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("DOCKER_", "COMPOSE_")) and k != "WEB_PORT"}
        self.env.update(DOCKER_HOST=f"unix://{daemon.sock}", DOCKER_CONFIG=str(daemon.docker_config),
                        DOCKER_BUILDKIT="0")

    def run(self, *args: str, check: bool = True, timeout: float = 300, env: dict | None = None):
        cmd = [*self.argv, "-p", PROJECT, "-f", str(EXAMPLE / "compose.yaml"),
               "-f", str(self.override), *args]
        p = subprocess.run(cmd, cwd=EXAMPLE, capture_output=True, text=True, timeout=timeout,
                           env={**self.env, **(env or {})})
        if check and p.returncode != 0:
            raise AssertionError(f"{self.kind} {' '.join(args)} exited {p.returncode}:\n"
                                 f"{p.stdout[-4000:]}{p.stderr[-4000:]}")
        return p

    def timed(self, name: str, *args: str, **kw):
        start = time.monotonic()
        p = self.run(*args, **kw)
        TIMINGS[f"{self.kind} {name}"] = time.monotonic() - start
        return p

    def up(self):
        self.timed("up -d", "up", "-d")
        wait_for_web(self.daemon)

    def container(self, service: str) -> dict:
        ids = self.run("ps", "-a", "-q", service).stdout.split()
        assert len(ids) == 1, f"{service}: {ids}"
        return json.loads(self.daemon.out("inspect", ids[0]))[0]


@pytest.fixture(scope="module", params=["skiff", "docker-compose"])
def compose(request, daemon, debian_image, mirror, workdir):
    """The example up (built first) with one client; down -v afterwards. The images
    stay for the next client: its build takes every step from the cache."""
    override = workdir / "compose.test.yaml"
    args = "".join(f"        {k}: {v}\n" for k, v in mirror.items())
    override.write_text("services:\n" + "".join(
        f"  {service}:\n    build:\n      args:\n{args}" for service in ("web", "db")))
    c = Compose(daemon, override, request.param)
    try:
        c.timed("up -d --build", "up", "-d", "--build", timeout=1800)
        wait_for_web(daemon)
        yield c
    finally:
        c.run("down", "-v", "--remove-orphans", check=False)
        print("\ntimings: " + ", ".join(f"{k} {v:.1f}s" for k, v in TIMINGS.items()))


# --------------------------------------------------------------------------
# Helpers

def wait_for(predicate, what: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def http(daemon, method: str, path: str, body=None, raw: str | None = None) -> tuple[int, object]:
    """(status, decoded JSON body or text) of one request to the web service,
    made inside the daemon's namespace."""
    cmd = ["curl", "-s", "-m", "10", "-X", method, "-o", "-", "-w", "\n%{http_code}", WEB + path]
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    if data is not None:
        cmd += ["-H", "Content-Type: application/json", "--data-binary", data]
    p = daemon.netexec(*cmd, check=False, timeout=30)
    if p.returncode != 0:
        return 0, p.stderr.decode(errors="replace")
    text, _, status = p.stdout.decode().rpartition("\n")
    try:
        return int(status), json.loads(text) if text else None
    except ValueError:
        return int(status), text


def wait_for_web(daemon, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        status, body = http(daemon, "GET", "/api/todos")
        if status == 200:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the web service did not answer: {status} {body}")
        time.sleep(0.2)


def timestamp(text: str) -> datetime:
    """An RFC 3339 time with nanoseconds, as the API writes it."""
    head, _, frac = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(head).replace(
        microsecond=int((frac + "000000")[:6]), tzinfo=timezone.utc)


def logs(daemon, container: str) -> str:
    """stdout and stderr (PostgreSQL logs to stderr)."""
    p = daemon.docker("logs", container)
    return p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def todos(daemon) -> list:
    status, body = http(daemon, "GET", "/api/todos")
    assert status == 200, body
    return body


# --------------------------------------------------------------------------
# Tests

def test_up_builds_both_images_and_starts_db_healthy_before_web(compose, daemon):
    db, web = compose.container("db"), compose.container("web")
    for c, service in ((db, "db"), (web, "web")):
        assert c["State"]["Running"], c["State"]
        labels = c["Config"]["Labels"]
        assert labels["com.docker.compose.project"] == PROJECT
        assert labels["com.docker.compose.service"] == service
        assert c["Config"]["Image"] == f"{PROJECT}{compose.sep}{service}"
    # The proxy build argument is not kept in the images.
    for image in (f"todo{compose.sep}web", f"todo{compose.sep}db"):
        env = daemon.inspect(image)["Config"]["Env"] or []
        assert not [e for e in env if e.lower().startswith("http_proxy")], env

    health = db["State"]["Health"]
    assert health["Status"] == "healthy", health
    passed = [h for h in health["Log"] if h["ExitCode"] == 0]
    assert passed, health
    # web was started only once a check had passed (condition: service_healthy).
    assert timestamp(passed[0]["End"]) <= timestamp(web["State"]["StartedAt"]), (health, web["State"])
    assert timestamp(db["State"]["StartedAt"]) < timestamp(web["State"]["StartedAt"])
    # The compose file's health check, not the Dockerfile's.
    assert db["Config"]["Healthcheck"]["Interval"] == 1_000_000_000
    assert db["Config"]["Healthcheck"]["Test"][0] == "CMD-SHELL"

    # web's own health check (its Dockerfile's) passes once it serves.
    wait_for(lambda: compose.container("web")["State"]["Health"]["Status"] == "healthy",
             "web to become healthy", timeout=30)

    # Published on the (namespace's) loopback only.
    assert web["HostConfig"]["PortBindings"] == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}
    status, page = http(daemon, "GET", "/")
    assert status == 200 and "<title>Todo</title>" in page and "/api/todos" in page


def test_the_json_api(compose, daemon):
    start = {t["id"] for t in todos(daemon)}
    status, milk = http(daemon, "POST", "/api/todos", {"title": "buy milk"})
    assert status == 201 and milk["title"] == "buy milk" and milk["done"] is False, milk
    status, bread = http(daemon, "POST", "/api/todos", {"title": "bake bread"})
    assert status == 201 and bread["id"] != milk["id"]
    listed = [t for t in todos(daemon) if t["id"] not in start]
    assert listed == [milk, bread]

    status, body = http(daemon, "PATCH", f"/api/todos/{milk['id']}", {"done": True})
    assert (status, body) == (200, {**milk, "done": True})
    status, body = http(daemon, "PATCH", f"/api/todos/{bread['id']}", {"title": "bake rye bread"})
    assert (status, body) == (200, {**bread, "title": "bake rye bread"})
    status, body = http(daemon, "GET", f"/api/todos/{bread['id']}")
    assert (status, body) == (200, {**bread, "title": "bake rye bread"})

    status, body = http(daemon, "DELETE", f"/api/todos/{milk['id']}")
    assert (status, body) == (204, None)
    assert [t["id"] for t in todos(daemon) if t["id"] not in start] == [bread["id"]]

    # Errors.
    assert http(daemon, "DELETE", f"/api/todos/{milk['id']}")[0] == 404
    assert http(daemon, "PATCH", f"/api/todos/{milk['id']}", {"done": True})[0] == 404
    assert http(daemon, "GET", "/api/todos/999999")[0] == 404
    assert http(daemon, "POST", "/api/todos", raw="{not json")[0] == 400
    assert http(daemon, "POST", "/api/todos", {})[0] == 400
    assert http(daemon, "POST", "/api/todos", {"title": "  "})[0] == 400
    assert http(daemon, "POST", "/api/todos", ["title"])[0] == 400
    assert http(daemon, "PATCH", f"/api/todos/{bread['id']}", {"done": "yes"})[0] == 400
    assert http(daemon, "PATCH", f"/api/todos/{bread['id']}", raw="nope")[0] == 400
    assert http(daemon, "GET", "/nowhere")[0] == 404
    assert http(daemon, "GET", "/healthz") == (200, {"status": "ok"})
    http(daemon, "DELETE", f"/api/todos/{bread['id']}")


def test_down_keeps_the_volume_and_down_v_removes_it(compose, daemon):
    status, kept = http(daemon, "POST", "/api/todos", {"title": "survive a restart"})
    assert status == 201
    before = todos(daemon)

    compose.timed("down", "down")
    assert daemon.out("ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}") == ""
    assert "todo_todo-data" in daemon.out("volume", "ls", "-q").split()
    compose.up()
    assert todos(daemon) == before

    compose.timed("down -v", "down", "-v")
    assert "todo_todo-data" not in daemon.out("volume", "ls", "-q").split()
    compose.up()
    assert todos(daemon) == []
    # A fresh cluster: the database was initialised again.
    db = compose.container("db")
    assert "initialising the cluster" in logs(daemon, db["Id"])


def test_stop_is_prompt_and_clean(compose, daemon):
    """web exits on SIGTERM and PostgreSQL on its stop signal (SIGINT, a
    fast shutdown) at once, with status 0, not at the 10 s timeout's SIGKILL."""
    assert compose.container("db")["Config"]["StopSignal"] == "SIGINT"
    start = time.monotonic()
    compose.run("stop")
    took = time.monotonic() - start
    for service in ("web", "db"):
        state = compose.container(service)["State"]
        assert not state["Running"] and state["ExitCode"] == 0, (service, state)
    assert took < 8, f"{compose.kind} stop took {took:.1f}s"
    db_logs = logs(daemon, compose.container("db")["Id"])
    assert "received fast shutdown request" in db_logs and "database system is shut down" in db_logs
    compose.run("start")
    wait_for_web(daemon)


def test_up_recreates_a_changed_service(compose, daemon):
    """A changed service is recreated and answers again; the other is left
    running.  docker-compose 1.29 renames the old container, creates the new
    one and copies its volumes over, reading the image's ContainerConfig
    (API 1.44: dockerd >= 26 leaves it out from 1.45 on, which 1.29 cannot
    cope with at any daemon)."""
    before = compose.container("web")["Id"]
    db = compose.container("db")["Id"]
    p = compose.run("up", "-d", "--force-recreate", "--no-deps", "web", check=False,
                    env={"COMPOSE_API_VERSION": "1.44"})
    assert p.returncode == 0, p.stderr[-3000:]
    wait_for_web(daemon)
    assert compose.container("web")["Id"] != before
    assert compose.container("db")["Id"] == db
    # An unchanged file recreates nothing.
    compose.run("up", "-d")
    assert compose.container("db")["Id"] == db
