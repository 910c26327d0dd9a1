"""`skiff build` against `DOCKER_BUILDKIT=0 docker build` (docker CLI 28's legacy builder
client), both on the same daemon: output, exit codes, flags, the request each sends (its
query and its context tar, recorded by a proxy in front of the daemon) and the images built.

The daemon must implement POST /build (the classic builder): run with SKIFF_TEST_DOCKERD=1
(an isolated dockerd) or SKIFF_TEST_HOST; against a daemon that answers 404 the tests skip.

    SKIFF_TEST_DOCKERD=1 python3 -m pytest Tests/integration/test_cli_build.py -q

Where docker itself varies, the comparison is loosened and says why: a context with a
Dockerfile added from outside it (docker's tar of it ends early, at a random point: its size
differs, and a daemon that checks tars refuses it), the order of a failing RUN's stdout and
stderr (the daemon's), and the random name given to such a Dockerfile.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

from clitest import IMAGE, Cli, Result, daemon, docker, docker_words, normalize, skiff  # noqa: F401

# docker's notice when DOCKER_BUILDKIT=0 (skiff has no BuildKit, and prints none).
_DEPRECATED = re.compile(r"DEPRECATED: The legacy builder is deprecated.*?environment-variable\.\n\n", re.S)
_SENDING = re.compile(r"Sending build context to Docker daemon +[\d.]+[kMG]?B")


# --------------------------------------------------------------------------
# Running both clients

@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    """The legacy builder for docker, and a config dir of the test's own (no proxies or
    credentials from the host's config become build args or headers)."""
    config = tmp_path_factory.mktemp("docker-config")
    return {**os.environ, "DOCKER_BUILDKIT": "0", "DOCKER_CONFIG": str(config)}


@pytest.fixture(scope="module")
def builder(docker, skiff, env, tmp_path_factory):
    """Skips the module when the daemon has no POST /build."""
    ctx = tmp_path_factory.mktemp("probe")
    (ctx / "Dockerfile").write_text(f"FROM {IMAGE}\n")
    r = docker.run("build", "-q", str(ctx), env=env)
    if r.rc != 0 and re.search(r"404|page not found|not implemented|Not Found", r.err, re.I):
        pytest.skip(f"the daemon has no POST /build: {r.err.strip()}")
    return True


def run(cli: Cli, *args: str, env: dict, input: bytes | str | None = None, cwd: Path | None = None) -> Result:
    """`cli -H HOST args...` in `cwd`, stdin from `input` (empty when None)."""
    data = input.encode() if isinstance(input, str) else (input or b"")
    p = subprocess.run([cli.binary, "-H", cli.host, *args], input=data, capture_output=True, env=env,
                       cwd=cwd, timeout=180)
    return Result(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


def cleaned(r: Result, *, is_docker: bool, loose_size: bool = False, names: dict[str, str] | None = None) -> Result:
    out, err = r.out, r.err
    if is_docker:
        # skiff words docker's messages with its own name, but keeps the upload's line as
        # docker prints it (on stdout it is the same text; with -q it goes to stderr).
        err = docker_words(_DEPRECATED.sub("", err, count=1)).replace(
            "Sending build context to skiff daemon", "Sending build context to Docker daemon")
        # Daemon messages are shown as they come, docker's name in them included.
        err = err.replace("'skiff login'", "'docker login'")

    def norm(text: str) -> str:
        text = re.sub(r"\.dockerfile\.[0-9a-f]{20}", ".dockerfile.<RANDOM>", text)
        if loose_size:
            text = _SENDING.sub("Sending build context to Docker daemon <SIZE>", text)
        return normalize(text, names=names)
    return Result(r.rc, norm(out), norm(err))


def compare(d: Result, s: Result, *, loose_size: bool = False, names: dict[str, str] | None = None):
    dc, sc = cleaned(d, is_docker=True, loose_size=loose_size, names=names), cleaned(s, is_docker=False, loose_size=loose_size, names=names)
    assert sc.rc == dc.rc, f"exit codes differ: docker {d.rc}, skiff {s.rc}\ndocker: {d.err}\nskiff: {s.err}"
    assert sc.out == dc.out
    assert sc.err == dc.err


def both(docker: Cli, skiff: Cli, *args: str, env: dict, loose_size: bool = False, **kw) -> tuple[Result, Result]:
    d = run(docker, *args, env=env, **kw)
    s = run(skiff, *args, env=env, **kw)
    compare(d, s, loose_size=loose_size)
    return d, s


@pytest.fixture(autouse=True)
def leaves_nothing(request, docker):
    """Removes the containers and images a test made (failed builds leave containers)."""
    if "builder" not in request.fixturenames:
        yield
        return
    before_c = set(docker.ok("ps", "-aq", "--no-trunc").split())
    before_i = set(docker.ok("images", "-aq", "--no-trunc").split())
    yield
    made_c = set(docker.ok("ps", "-aq", "--no-trunc").split()) - before_c
    if made_c:
        docker.run("rm", "-f", *made_c)
    tags = [t for t in docker.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split() if t.startswith("skiffbuild")]
    if tags:
        docker.run("rmi", "-f", *tags)
    for _ in range(3):  # children first: a parent with children is refused
        made_i = set(docker.ok("images", "-aq", "--no-trunc").split()) - before_i
        if not made_i:
            break
        docker.run("rmi", "-f", *made_i)


def tag(cli: Cli, name: str) -> str:
    return f"skiffbuild-{name}-{cli.name}:t"


def image_id(docker: Cli, ref: str) -> str:
    return docker.ok("image", "inspect", "-f", "{{.Id}}", ref).strip()


def in_image(docker: Cli, ref: str, *cmd: str) -> str:
    return docker.ok("run", "--rm", "--network", "none", ref, *cmd)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


# --------------------------------------------------------------------------
# Builds

DOCKERFILE = f"""FROM {IMAGE}
LABEL stage=test
ENV GREETING=hello
COPY a.txt /a.txt
RUN cat /a.txt > /b.txt
WORKDIR /w
CMD ["cat", "/b.txt"]
"""


def test_build_output_and_image_match_docker(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "a.txt": "from the context\n"})
    results = {}
    for cli in (docker, skiff):
        results[cli.name] = run(cli, "build", "--no-cache", "-t", tag(cli, "basic"), str(ctx), env=env)
    compare(results["docker"], results["skiff"], names={tag(docker, "basic"): "<TAG>", tag(skiff, "basic"): "<TAG>"})
    out = results["skiff"].out
    assert out.startswith("Sending build context to Docker daemon  3.072kB\r\r\nStep 1/7 : FROM busybox:latest\n")
    assert out.endswith(f"Successfully tagged {tag(skiff, 'basic')}\n")
    for cli in (docker, skiff):
        assert in_image(docker, tag(cli, "basic")) == "from the context\n"
    fmt = "{{json .Config.Labels}} {{json .Config.Env}} {{.Config.WorkingDir}} {{json .Config.Cmd}}"
    assert docker.ok("image", "inspect", "-f", fmt, tag(skiff, "basic")) == docker.ok("image", "inspect", "-f", fmt, tag(docker, "basic"))


def test_image_build_is_build(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"Dockerfile": f"FROM {IMAGE}\nRUN true\n"})
    both(docker, skiff, "image", "build", "--no-cache", str(ctx), env=env)


def test_cached_steps_show_as_docker_shows_them(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "a.txt": f"cache {os.getpid()}\n"})
    run(docker, "build", str(ctx), env=env)
    d = run(docker, "build", str(ctx), env=env)
    s = run(skiff, "build", str(ctx), env=env)
    compare(d, s)
    assert s.out.count(" ---> Using cache\n") == 6


def test_quiet_prints_only_the_image_id(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "a.txt": "q\n"})
    for cli in (docker, skiff):
        r = run(cli, "build", "-q", "--no-cache", "-t", tag(cli, "quiet"), str(ctx), env=env)
        assert r.rc == 0 and cleaned(r, is_docker=cli is docker).err == ""
        assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", r.out)
        assert r.out.strip() == image_id(docker, tag(cli, "quiet"))


def test_iidfile(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "a.txt": "iid\n"})
    failing = write(tmp_path / "failing", {"Dockerfile": f"FROM {IMAGE}\nRUN exit 7\n"})
    for cli in (docker, skiff):
        plain, quiet = tmp_path / f"{cli.name}.iid", tmp_path / f"{cli.name}-q.iid"
        assert run(cli, "build", "--iidfile", str(plain), "-t", tag(cli, "iid"), str(ctx), env=env).rc == 0
        assert plain.read_text() == image_id(docker, tag(cli, "iid"))
        # With -q the id is what the daemon printed, newline included (docker's quirk).
        assert run(cli, "build", "-q", "--iidfile", str(quiet), str(ctx), env=env).rc == 0
        assert quiet.read_text() == image_id(docker, tag(cli, "iid")) + "\n"
        # A failed build leaves no stale file behind.
        assert run(cli, "build", "--iidfile", str(plain), str(failing), env=env).rc == 7
        assert not plain.exists()
    both(docker, skiff, "build", "--iidfile", str(tmp_path / "nodir" / "iid"), str(ctx), env=env)


def test_build_args_and_labels(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"Dockerfile": f"FROM {IMAGE}\nARG A\nARG FOO\nARG EMPTY\nRUN echo \"[$A] [$FOO] [$EMPTY]\" > /args\n"})
    env = {**env, "FOO": "from env", "EMPTY": ""}
    env.pop("UNSET", None)
    args = ["--no-cache", "--build-arg", "A=1", "--build-arg", "FOO", "--build-arg", "EMPTY", "--build-arg", "UNSET",
            "--label", "l1=v", "--label", "l2"]
    results = {cli.name: run(cli, "build", *args, "-t", tag(cli, "args"), str(ctx), env=env) for cli in (docker, skiff)}
    compare(results["docker"], results["skiff"], names={tag(docker, "args"): "<TAG>", tag(skiff, "args"): "<TAG>"})
    for cli in (docker, skiff):
        assert in_image(docker, tag(cli, "args"), "cat", "/args") == "[1] [from env] []\n"
        labels = json.loads(docker.ok("image", "inspect", "-f", "{{json .Config.Labels}}", tag(cli, "args")))
        assert labels == {"l1": "v", "l2": ""}


def test_target_stage(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"Dockerfile": f"FROM {IMAGE} AS first\nRUN echo one > /stage\n"
                                                 f"FROM {IMAGE}\nRUN echo two > /stage\n"})
    for cli in (docker, skiff):
        assert run(cli, "build", "--target", "first", "-t", tag(cli, "target"), str(ctx), env=env).rc == 0
        assert in_image(docker, tag(cli, "target"), "cat", "/stage") == "one\n"
    both(docker, skiff, "build", "--no-cache", "--target", "first", str(ctx), env=env)
    both(docker, skiff, "build", "--target", "nosuchstage", str(ctx), env=env)
    both(docker, skiff, "build", "-q", "--target", "nosuchstage", str(ctx), env=env)


# --------------------------------------------------------------------------
# The context

IGNORED_TREE = {
    "Dockerfile": f"FROM {IMAGE}\nCOPY . /c/\nRUN cd /c && find . | sort\n",
    ".dockerignore": "# comment\n*.log\n!keep.log\ndir\n!dir/sub\n**/tmp\nother\n!*/keep\nDockerfile\n",
    "a.log": "", "keep.log": "", "dir/x": "", "dir/sub/y": "", "src/tmp/z": "", "src/main": "", "tmp/w": "",
    "other/keep": "", "top": "",
}


def test_dockerignored_files_are_not_sent(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", IGNORED_TREE)
    for cli in (docker, skiff):
        assert run(cli, "build", "-t", tag(cli, "ignore"), str(ctx), env=env).rc == 0
        # The Dockerfile and .dockerignore are sent (the daemon reads them) but not copied.
        listing = in_image(docker, tag(cli, "ignore"), "sh", "-c", "cd /c && find . | sort")
        assert listing.split() == [".", "./.dockerignore", "./dir", "./dir/sub", "./dir/sub/y", "./keep.log", "./src",
                                   "./src/main", "./top"]
    both(docker, skiff, "build", "--no-cache", str(ctx), env=env)


def test_bad_dockerignore(builder, docker, skiff, env, tmp_path):
    for i, pattern in enumerate(["[", "!", "a/["]):
        ctx = write(tmp_path / f"ctx{i}", {"Dockerfile": f"FROM {IMAGE}\n", ".dockerignore": pattern + "\n"})
        both(docker, skiff, "build", str(ctx), env=env)


def added(docker: Cli, skiff: Cli, *args: str, env: dict, rc: int = 0, **kw) -> Result:
    """A build whose Dockerfile docker adds to the context tar. docker's tar then ends early
    (its last entry unpadded, no end blocks, at a random point as the order of the two added
    entries is Go's map order): a daemon that checks tars refuses it, where skiff's is whole.
    Compared with docker's when the daemon took docker's; skiff's result is returned, its
    exit status checked against `rc`."""
    d = run(docker, *args, env=env, **kw)
    s = run(skiff, *args, env=env, **kw)
    if not (d.rc != 0 and re.search(r"truncated|unexpected EOF", d.err)):
        compare(d, s, loose_size=True)
    assert s.rc == rc, s.err
    return s


def test_dockerfile_outside_the_context(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"f": "data\n"})
    (tmp_path / "Df").write_text(f"FROM {IMAGE}\nCOPY . /ctx/\nRUN ls -A /ctx\n")
    s = added(docker, skiff, "build", "--no-cache", "-f", str(tmp_path / "Df"), str(ctx), env=env)
    assert s.out.endswith("\nf\n") or "\nf\n" in s.out
    # With a .dockerignore of its own, which gets the added name appended.
    (ctx / ".dockerignore").write_text("*.tmp\n")
    (ctx / "x.tmp").write_text("")
    s = added(docker, skiff, "build", "--no-cache", "-f", "Df", "ctx", env=env, cwd=tmp_path)
    assert "\n.dockerignore\nf\n" in s.out and ".dockerfile" not in s.out and "x.tmp" not in s.out


def test_dockerfile_path_is_relative_to_the_working_directory(builder, docker, skiff, env, tmp_path):
    write(tmp_path / "ctx", {"sub/Build.df": f"FROM {IMAGE}\nRUN echo sub\n", "dockerfile": f"FROM {IMAGE}\nRUN echo lower\n"})
    both(docker, skiff, "build", "--no-cache", "-f", "ctx/sub/Build.df", "ctx", env=env, cwd=tmp_path)
    both(docker, skiff, "build", "--no-cache", "ctx", env=env, cwd=tmp_path)  # `dockerfile` when there is no `Dockerfile`
    both(docker, skiff, "build", "-f", "sub/Build.df", "ctx", env=env, cwd=tmp_path)  # not found: relative to the cwd


def test_dockerfile_from_stdin_with_a_context(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"f": "data\n", "Dockerfile": "this one is not used\n"})
    text = f"FROM {IMAGE}\nCOPY . /ctx/\nRUN ls -A /ctx\n"
    s = added(docker, skiff, "build", "--no-cache", "-f", "-", str(ctx), env=env, input=text)
    assert "\nDockerfile\nf\n" in s.out
    added(docker, skiff, "build", "-f", "-", str(ctx), env=env, input="", rc=1)


def test_context_tar_from_stdin(builder, docker, skiff, env, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, text in {"sub/Df": f"FROM {IMAGE}\nCOPY . /c/\nRUN find /c | sort\n", "f": "data\n"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(text)
            t.addfile(info, io.BytesIO(text.encode()))
    tar = buf.getvalue()
    both(docker, skiff, "build", "--no-cache", "-f", "sub/Df", "-", env=env, input=tar)
    both(docker, skiff, "build", "--no-cache", "-f", "sub/Df", "-", env=env, input=gzip.compress(tar))
    both(docker, skiff, "build", "-", env=env, input=tar)  # no Dockerfile in it


def test_dockerfile_alone_on_stdin(builder, docker, skiff, env):
    text = f"FROM {IMAGE}\nCOPY . /c/\nRUN ls -A /c\n"
    both(docker, skiff, "build", "--no-cache", "-", env=env, input=text)
    both(docker, skiff, "build", "-f", "Dockerfile", "-", env=env, input=text)
    both(docker, skiff, "build", "-f", "-", "-", env=env, input=text)


# --------------------------------------------------------------------------
# Failures

def test_a_failing_run_exits_with_its_code(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"Dockerfile": f"FROM {IMAGE}\nRUN echo before; exit 3\n"})
    d, s = both(docker, skiff, "build", str(ctx), env=env)
    assert s.rc == 3 and s.err == "The command '/bin/sh -c echo before; exit 3' returned a non-zero code: 3\n"
    # With -q, everything shown so far goes to stderr before the error.
    d, s = both(docker, skiff, "build", "-q", str(ctx), env=env)
    assert s.out == "" and s.err.startswith("Sending build context to Docker daemon  2.048kB\r\r\n")
    # A RUN writing to both streams: the daemon interleaves them as it reads them.
    ctx2 = write(tmp_path / "ctx2", {"Dockerfile": f"FROM {IMAGE}\nRUN echo out; echo err >&2; exit 300\n"})
    d, s = run(docker, "build", str(ctx2), env=env), run(skiff, "build", str(ctx2), env=env)
    assert d.rc == s.rc == 300 % 256  # the shell's status
    def lines(r: Result, is_docker: bool) -> list[str]:  # stderr's color codes go wherever its text lands
        return sorted(line for line in re.sub(r"\x1b\[\d+m", "", cleaned(r, is_docker=is_docker).out).split("\n") if line)
    assert lines(s, False) == lines(d, True)


@pytest.mark.parametrize("dockerfile", [
    f"FROM {IMAGE}\nRUNN x\n",                 # parse error: an error response, not a message
    "FROM nosuchimage-skiffbuild:never\n",   # the pull fails: an error message in the stream
    f"FROM {IMAGE}\nCOPY missing /x\n",
    "",
])
def test_daemon_errors(builder, docker, skiff, env, tmp_path, dockerfile):
    ctx = write(tmp_path / "ctx", {"Dockerfile": dockerfile})
    both(docker, skiff, "build", str(ctx), env=env)
    both(docker, skiff, "build", "-q", str(ctx), env=env)


@pytest.mark.parametrize("args", [
    [], ["a", "b"], ["-t", "Bad:Name", "."], ["-t", "x@sha256:aaaa", "."], ["-t", "", "."],
    ["--ulimit", "x", "."], ["--ulimit", "nofile=2:1", "."], ["--add-host", "bad", "."], ["--add-host", "h:notip", "."],
    ["--build-arg", "=x", "."], ["--label", "=x", "."], ["-m", "1x", "."], ["-c", "x", "."], ["--bogus", "."],
    ["-f", "-", "-"], ["/nonexistent-skiffbuild"], ["-f", "nope", "."], ["Dockerfile"], ["--squash", "."],
])
def test_usage_and_preparation_errors(builder, docker, skiff, env, tmp_path, args):
    write(tmp_path, {"Dockerfile": f"FROM {IMAGE}\n"})
    both(docker, skiff, "build", *args, env=env, cwd=tmp_path, input=f"FROM {IMAGE}\n")


def test_help_is_dockers(builder, docker, skiff, env):
    d, s = run(docker, "build", "--help", env=env), run(skiff, "build", "--help", env=env)
    assert s.rc == d.rc == 0
    # skiff has no `builder` management command.
    expected = d.out.replace("docker", "skiff").replace(", skiff builder build", "")
    assert s.out == expected
    assert run(skiff, "image", "build", "--help", env=env).out == expected.replace("Usage:  skiff build", "Usage:  skiff image build")


def test_remote_contexts_are_refused(builder, skiff, env):
    for url in ("git://example.invalid/repo.git", "https://example.invalid/repo.git#main", "http://example.invalid/ctx.tar"):
        r = run(skiff, "build", url, env=env)
        assert r.rc == 1 and r.out == ""
        assert r.err.startswith("unable to prepare context: remote build contexts (") and "not supported by skiff" in r.err


# --------------------------------------------------------------------------
# The request, as sent

@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?")[0]

    @property
    def query(self) -> list[tuple[str, str]]:
        return sorted(urllib.parse.parse_qsl(self.target.partition("?")[2], keep_blank_values=True))


class Recorder:
    """A unix socket in front of the daemon's that keeps every request a client sends
    (bodies de-chunked) and passes everything through."""

    def __init__(self, upstream: str, directory: Path):
        self.upstream = upstream
        self.path = directory / "recorder.sock"
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._server = socket.socket(socket.AF_UNIX)
        self._server.bind(str(self.path))
        self._server.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def host(self) -> str:
        return f"unix://{self.path}"

    def close(self):
        self._server.close()

    def _accept(self):
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            up = socket.socket(socket.AF_UNIX)
            up.connect(self.upstream)
            sent = bytearray()
            t = threading.Thread(target=self._pipe, args=(client, up, sent), daemon=True)
            back = threading.Thread(target=self._pipe, args=(up, client, None), daemon=True)
            with self._lock:
                self._threads += [t, back]
            t.start()
            back.start()

    def _pipe(self, a: socket.socket, b: socket.socket, keep: bytearray | None):
        try:
            while data := a.recv(1 << 16):
                if keep is not None:
                    keep += data
                b.sendall(data)
        except OSError:
            pass
        finally:
            try:
                b.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            if keep is not None:
                parsed = list(_parse_requests(bytes(keep)))
                with self._lock:
                    self.requests += parsed

    def builds(self) -> list[Request]:
        """The POST /build requests of clients that have finished."""
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(timeout=10)
        with self._lock:
            found = [r for r in self.requests if r.method == "POST" and r.path.endswith("/build")]
            self.requests.clear()
            return found


def _parse_requests(data: bytes):
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            return
        lines = head.decode(errors="replace").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    _, _, rest = rest.partition(b"\r\n")
                    break
                body += rest[:size]
                rest = rest[size + 2:]
        else:
            n = int(headers.get("content-length", "0"))
            body, rest = rest[:n], rest[n:]
        yield Request(method, target, headers, body)
        data = rest


@pytest.fixture
def recorder(daemon, tmp_path):
    if not daemon.host.startswith("unix://"):
        pytest.skip("the recording proxy needs the daemon on a unix socket")
    r = Recorder(daemon.host[len("unix://"):], tmp_path)
    yield r
    r.close()


def members(tar: bytes) -> list[tuple]:
    """Every entry of a tar stream with what go-archive sets (no PAX header layout)."""
    out = []
    with tarfile.open(fileobj=io.BytesIO(tar), mode="r:*") as t:
        for m in t:
            data = t.extractfile(m).read() if m.isreg() else b""
            out.append((m.name, m.type, oct(m.mode), m.uid, m.gid, m.uname, m.gname, m.mtime, m.linkname,
                        m.devmajor, m.devminor, data))
    return out


def recorded(rec: Recorder, cli: Cli, *args: str, env: dict, **kw) -> tuple[Result, Request]:
    r = run(Cli(cli.name, cli.binary, rec.host), *args, env=env, **kw)
    builds = rec.builds()
    assert len(builds) == 1, f"{cli.name} sent {len(builds)} build requests: {r.err}"
    return r, builds[0]


def test_query_matches_docker(builder, docker, skiff, env, recorder, tmp_path):
    ctx = write(tmp_path / "ctx", {"Dockerfile": f"FROM {IMAGE}\n"})
    env = {**env, "FOO": "from env"}
    args = ["build", "-q", "-t", "skiffbuild-x1", "-t", "skiffbuild-x2:v", "--build-arg", "A=1", "--build-arg", "FOO",
            "--build-arg", "UNSET", "--build-arg", "H=<&>", "--label", "l1=v", "--label", "l2", "--target", "nosuchstage",
            "--no-cache", "--network", "host", "--pull", "--rm=false", "--force-rm", "--cache-from", "a,b",
            "--cache-from", "c", "--shm-size", "64m", "-m", "128m", "--memory-swap", "-1", "--cpu-shares", "5",
            "--cpu-quota", "1000", "--cpu-period", "20000", "--cpuset-cpus", "0", "--cgroup-parent", "skiffbuild",
            "--isolation", "default", "--add-host", "h:1.2.3.4", "--add-host", "k=[::1]", "--ulimit", "nofile=10:20",
            "--ulimit", "nproc=50", "--ulimit", "nofile=100:200", "--platform", "Linux", "-f", "Dockerfile", str(ctx)]
    d, dreq = recorded(recorder, docker, *args, env=env, cwd=ctx)
    s, sreq = recorded(recorder, skiff, *args, env=env, cwd=ctx)
    compare(d, s)

    def loose(q):  # docker sends its ulimits in Go map order
        return [(k, sorted(json.loads(v), key=lambda u: u["Name"]) if k == "ulimits" else v) for k, v in q]
    assert sreq.path == dreq.path
    assert loose(sreq.query) == loose(dreq.query)
    for header in ("content-type", "x-registry-config", "transfer-encoding"):
        assert sreq.headers.get(header) == dreq.headers.get(header)
    assert dict(sreq.query)["buildargs"] == '{"A":"1","FOO":"from env","H":"\\u003c\\u0026\\u003e","UNSET":null}'
    # The defaults: nothing but the Dockerfile and the builder version.
    _, dreq = recorded(recorder, docker, "build", "--target", "nosuchstage", str(ctx), env=env)
    _, sreq = recorded(recorder, skiff, "build", "--target", "nosuchstage", str(ctx), env=env)
    assert sreq.query == dreq.query == [("dockerfile", "Dockerfile"), ("target", "nosuchstage"), ("version", "1")]


def test_context_tar_matches_docker(builder, docker, skiff, env, recorder, tmp_path):
    ctx = write(tmp_path / "ctx", {**IGNORED_TREE, "Dockerfile": f"FROM {IMAGE}\n", "b/c": "see\n", "e/keep": "",
                                   "e/skip": ""})
    (ctx / ".dockerignore").write_text(IGNORED_TREE[".dockerignore"] + "e/skip\n")
    (ctx / "setuid").write_text("s")
    os.chmod(ctx / "setuid", 0o4755)
    os.chmod(ctx / "b", 0o750)
    os.chown(ctx / "b" / "c", 1000, 1000)
    os.link(ctx / "setuid", ctx / "hardlink")
    os.symlink("c", ctx / "b" / "d")
    os.symlink("/nonexistent", ctx / "dangling")
    os.mkfifo(ctx / "fifo")
    (ctx / "empty").mkdir()
    long = ctx / ("x" * 60) / ("y" * 60)
    long.mkdir(parents=True)
    (long / "z").write_text("deep")
    (ctx / ("n" * 120)).write_text("long name")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(ctx / "sock"))  # left out by both
    os.utime(ctx / "b" / "c", (1_600_000_000.5, 1_600_000_000.5))
    try:
        for extra in ([], ["--compress"]):
            d, dreq = recorded(recorder, docker, "build", *extra, str(ctx), env=env)
            s, sreq = recorded(recorder, skiff, "build", *extra, str(ctx), env=env)
            # Sizes differ by a block here: skiff writes a PAX header for the long directory
            # name, where Go's tar splits it into ustar's prefix and name.
            compare(d, s, loose_size=True)
            assert members(sreq.body) == members(dreq.body)
    finally:
        sock.close()
    names = [m[0] for m in members(sreq.body)]
    assert "sock" not in names and "a.log" not in names and "e/skip" not in names and "e/keep" in names


def test_context_size_line_matches_docker(builder, docker, skiff, env, tmp_path):
    ctx = write(tmp_path / "ctx", {"Dockerfile": f"FROM {IMAGE}\n", "a": "x" * 5000, "d/b": "y" * 700})
    d, s = both(docker, skiff, "build", str(ctx), env=env)
    assert s.out.startswith("Sending build context to Docker daemon  9.728kB\r\r\n")


def test_added_dockerfile_is_in_the_request(builder, docker, skiff, env, recorder, tmp_path):
    ctx = write(tmp_path / "ctx", {"f": "data\n", ".dockerignore": "*.tmp"})
    (tmp_path / "Df").write_text(f"FROM {IMAGE}\n")
    _, dreq = recorded(recorder, docker, "build", "-f", str(tmp_path / "Df"), str(ctx), env=env)
    _, sreq = recorded(recorder, skiff, "build", "-f", str(tmp_path / "Df"), str(ctx), env=env)
    name = dict(sreq.query)["dockerfile"]
    assert re.fullmatch(r"\.dockerfile\.[0-9a-f]{20}", name) and re.fullmatch(r"\.dockerfile\.[0-9a-f]{20}", dict(dreq.query)["dockerfile"])
    with tarfile.open(fileobj=io.BytesIO(sreq.body)) as t:
        assert sorted(t.getnames()) == sorted([".dockerignore", "f", name])
        assert t.extractfile(".dockerignore").read().decode() == f"*.tmp\n{name}\n"
        assert t.extractfile(name).read().decode() == f"FROM {IMAGE}\n"
        assert oct(t.getmember(name).mode) == "0o600"
