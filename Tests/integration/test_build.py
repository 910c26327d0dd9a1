"""`docker build` with the classic builder (`DOCKER_BUILDKIT=0`, `POST /build`)
through the real docker CLI, against clitest's shared daemon: skiffd by
default, Debian's dockerd 20.10 with `SKIFF_TEST_DOCKERD=1` (the reference
every test here was validated against), any daemon with `SKIFF_TEST_HOST`:

    SKIFF_TEST_DOCKERD=1 python3 -m pytest Tests/integration/test_build.py -q -p no:cacheprovider
    python3 -m pytest Tests/integration/test_build.py -q -p no:cacheprovider   # skiffd

Every instruction is checked by running the built image (`docker run --rm`)
or reading `docker image inspect`, with exact expected values: files
(contents, owners, modes, symlinks, whiteouts), the config (env, cmd,
entrypoint, user, workdir, labels, ports, volumes, stop signal,
healthcheck, onbuild), multi-stage builds and `--target`, the layer cache
(what a change invalidates, `.dockerignore`, `--no-cache`, proxy args), the
classic output stream (`Step N/M :`, ` ---> Using cache`, `Successfully
built`, `-q`, `--iidfile`), failures (exit code, no container or mount
left), Dockerfile errors, and hostile contexts and archives (nothing read or
written outside the context and the image).

Where skiff is asked for more than the classic builder does, the test runs
the same Dockerfile on both daemons and asserts, on Docker's daemon, what the
classic builder really does (so the reference run stays meaningful and
nothing is skipped), and on skiffd, BuildKit's behaviour.  `classic` below is
"the daemon is not skiffd" (skiffd's /version says Platform.Name "skiff").  Those tests:

- RUN --mount=type=cache / type=bind: dockerd says `the --mount option
  requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ ...`.
- heredocs (`RUN <<EOF`, `COPY <<EOF /file`): the 20.10 parser has none; the
  body's first line is read as an instruction: `dockerfile parse error line
  3: unknown instruction: ECHO`.
- COPY/ADD --chmod: `the --chmod option requires BuildKit. ...`;
  COPY --link: `dockerfile parse error line 2: Unknown flag: link`.
- FROM --platform=$BUILDPLATFORM and the TARGETPLATFORM/BUILDPLATFORM/
  TARGETARCH args: the classic builder defines none of them (`ARG
  TARGETPLATFORM` in a stage is empty, and `FROM --platform=$BUILDPLATFORM`
  fails: `failed to parse platform : "" is an invalid component of "":
  platform specifier component must match "^[A-Za-z0-9_-]+$": invalid
  argument`); a literal `--platform=linux/<arch>` works on both.
- Unused stages: the classic builder runs every stage before the target, so
  a failing stage nothing depends on fails the build (exit code 7 here);
  skiff skips it as BuildKit does.
- A failed RUN leaves its container behind in the classic builder (it is
  only removed with --force-rm); the issue asks skiffd to leave none.

Classic-builder facts the tests rely on (both daemons must agree):
- A symlink given as a COPY/ADD source is followed, but inside the context:
  `leak -> /abs/path` copies `<context>/abs/path` (a regular file), or fails
  with "not found" when that does not exist; a symlink inside a copied
  directory stays a symlink.  `COPY ../x` fails: `COPY failed: forbidden
  path outside the build context: ../x ()` (BuildKit would resolve it inside
  the context; the test accepts either, never the file outside).
- ADD of a local tar whose names climb out (`../../..`), are absolute, or go
  through a link member: everything is extracted *inside* the destination
  (`..` stops at it, the link resolved in it); the build succeeds.
- A file given `--chown=NAME` alone gets the group of the same *name*
  (`--chown=user` → 1000:1000; a user without a same-named group fails:
  `can't find gid for group svc: no such group: svc`).
- An invalid JSON form (`CMD ["a",`) is not an error: it is taken as shell
  form.
- ENTRYPOINT over a base image with a CMD resets Cmd to null; HEALTHCHECK
  NONE keeps the parent's interval/timeout/retries beside Test ["NONE"]; an
  ARG declared again with another default takes the new default.
- Changing a predefined proxy arg's value (HTTP_PROXY...) does not
  invalidate the cache, and the value appears neither in Config.Env nor in
  the history.  (Its mere presence does: RUN's cache key becomes `|0
  /bin/sh -c ...`; not tested.)  A changed --build-arg invalidates the RUNs
  after its ARG, not the ARG and ENV steps themselves.
- The docker CLI's exit code is the failed RUN's exit code (3 for `exit 3`).
- `--iidfile` with `-q` holds the id and a newline (the CLI writes the
  streamed text); without `-q`, the id of the daemon's `{"aux":{"ID":...}}`
  message, no newline.
- Errors read `dockerfile parse error line N: ...` (BuildKit and skiff: `on
  line N`; the tests accept both), `Unknown flag: bogus` (BuildKit: lower
  case), `the Dockerfile (Dockerfile) cannot be empty`, `failed to parse
  Dockerfile: file with no instructions`, `no build stage in current
  context`, `failed to reach build target nosuch in Dockerfile` (BuildKit:
  `target stage "nosuch" could not be found`), `COPY failed: no source
  files were specified`, `Invalid signal: SIGBOGUS`, `Invalid
  containerPort: 99999`.
- Not checked: what a RUN writes into a VOLUME path after the VOLUME
  instruction (the classic builder discards it, BuildKit keeps it).

ADD of a URL is served by an HTTP server the test starts inside the
daemon's network namespace (dockerd and skiffd each run in their own; the
daemon itself downloads), so it needs no internet.

Built images are tagged skiff-build-test/NAME:pPID and removed, with every
image and container the module made, at the end.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from clitest import IMAGE, Cli, Result, daemon, docker  # noqa: F401  (fixtures)

BUILD_ENV = {**os.environ, "DOCKER_BUILDKIT": "0"}
REPO_PREFIX = "skiff-build-test"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HEX12 = r"[0-9a-f]{12}"


# --------------------------------------------------------------------------
# Contexts

@dataclass
class F:
    """A file in a context: content, mode, owner."""
    content: str | bytes = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


@dataclass
class L:
    """A symbolic link in a context."""
    target: str


@dataclass
class D:
    """A directory in a context."""
    mode: int = 0o755


def write_tree(root: Path, files: dict):
    for rel, spec in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, (str, bytes)):
            spec = F(spec)
        if isinstance(spec, L):
            if p.is_symlink() or p.exists():
                p.unlink()
            os.symlink(spec.target, p)
        elif isinstance(spec, D):
            p.mkdir(exist_ok=True)
            os.chmod(p, spec.mode)
        else:
            data = spec.content.encode() if isinstance(spec.content, str) else spec.content
            p.write_bytes(data)
            os.chown(p, spec.uid, spec.gid)
            os.chmod(p, spec.mode)


def tar_bytes(entries: list[tuple[str, str | bytes | L | D]], gz: bool = False) -> bytes:
    """A tar archive of the given entries, written as given (hostile names too)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w", format=tarfile.GNU_FORMAT) as t:
        for name, spec in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1_600_000_000
            if isinstance(spec, L):
                info.type, info.linkname = tarfile.SYMTYPE, spec.target
                t.addfile(info)
            elif isinstance(spec, D):
                info.type, info.mode = tarfile.DIRTYPE, spec.mode
                t.addfile(info)
            else:
                data = spec.encode() if isinstance(spec, str) else spec
                info.size, info.mode = len(data), 0o644
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# --------------------------------------------------------------------------
# Builds

@dataclass
class Step:
    number: int
    total: int
    instruction: str
    lines: list[str] = field(default_factory=list)

    @property
    def cached(self) -> bool:
        return " ---> Using cache" in self.lines

    @property
    def ran(self) -> bool:
        return any(re.fullmatch(rf" ---> Running in {HEX12}", line) for line in self.lines)


@dataclass
class Build:
    """One `docker build`: what it printed and how it ended; `.image` asserts success."""
    docker: Cli
    args: tuple
    rc: int
    out: str
    err: str
    tag: str | None

    @property
    def log(self) -> str:
        return self.out + self.err

    def describe(self) -> str:
        return f"docker build {' '.join(self.args)} exited {self.rc}\n--- stdout:\n{self.out}--- stderr:\n{self.err}"

    @property
    def image(self) -> str:
        """The built image's full id (sha256:...); the build must have succeeded."""
        assert self.rc == 0, self.describe()
        ref = self.tag
        if ref is None:
            m = re.findall(rf"^Successfully built ({HEX12})$", self.out, re.M)
            assert m, f"no 'Successfully built <id>' line:\n{self.describe()}"
            ref = m[-1]
        return self.docker.ok("image", "inspect", "-f", "{{.Id}}", ref).strip()

    def failed(self, *needles: str, rc: int | None = None, pattern: str | None = None):
        """The build failed (exit code `rc` if given) and its output holds every needle."""
        assert self.rc != 0, f"the build was expected to fail:\n{self.describe()}"
        if rc is not None:
            assert self.rc == rc, f"expected exit code {rc}:\n{self.describe()}"
        for n in needles:
            assert n in self.log, f"{n!r} not in the build's output:\n{self.describe()}"
        if pattern is not None:
            assert re.search(pattern, self.log, re.I), f"/{pattern}/ not in the build's output:\n{self.describe()}"

    @property
    def steps(self) -> list[Step]:
        steps: list[Step] = []
        for line in self.out.splitlines():
            m = re.fullmatch(r"Step (\d+)/(\d+) : (.*)", line)
            if m:
                steps.append(Step(int(m[1]), int(m[2]), m[3]))
            elif steps:
                steps[-1].lines.append(line)
        return steps


class Builder:
    """Contexts in a temp dir, builds through the docker CLI with DOCKER_BUILDKIT=0, and
    the built images run and inspected."""

    def __init__(self, docker: Cli, root: Path, classic: bool):
        self.docker = docker
        self.root = root
        self.classic = classic
        self.n = 0

    def tag(self, name: str) -> str:
        return f"{REPO_PREFIX}/{name}:p{os.getpid()}"

    def context(self, files: dict | None = None, dockerfile: str | None = None, name: str = "ctx") -> Path:
        self.n += 1
        ctx = self.root / f"{self.n:03d}-{name}"
        ctx.mkdir()
        write_tree(ctx, files or {})
        if dockerfile is not None:
            (ctx / "Dockerfile").write_text(textwrap.dedent(dockerfile).lstrip("\n"))
        return ctx

    def build(self, ctx: Path, *flags: str, tag: str | None = None, input: str | None = None,
              timeout: float = 300) -> Build:
        args = [*flags]
        if tag is not None:
            args += ["-t", tag]
        args.append(str(ctx))
        r = self.docker.run("build", *args, input=input, env=BUILD_ENV, timeout=timeout)
        return Build(self.docker, ("build", *args), r.rc, r.out, r.err, tag)

    def make(self, name: str, dockerfile: str, files: dict | None = None, *flags: str) -> Build:
        """A context with `files` and `dockerfile`, built and tagged NAME."""
        return self.build(self.context(files, dockerfile, name=name), *flags, tag=self.tag(name))

    def run(self, image: str, *args: str, entrypoint: str | None = None, user: str | None = None) -> Result:
        opts = ["--rm", "--network", "none"]
        if entrypoint is not None:
            opts += ["--entrypoint", entrypoint]
        if user is not None:
            opts += ["-u", user]
        return self.docker.run("run", *opts, image, *args, timeout=120)

    def sh(self, image: str, script: str, user: str | None = "0") -> str:
        """A shell script's stdout in a new container of the image (entrypoint replaced)."""
        r = self.run(image, "-c", script, entrypoint="/bin/sh", user=user)
        assert r.rc == 0, f"docker run {image} sh -c {script!r} exited {r.rc}: {r.err}{r.out}"
        return r.out

    def probe(self, image: str, *paths: str) -> list[str]:
        """One line per path: `path -> target` for links, `path/ uid:gid mode [entries]` for
        directories, `path uid:gid mode content|with|bars` for files, `path absent`."""
        script = r'''
for f in "$@"; do
  if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"
  elif [ -d "$f" ]; then echo "$f/ $(stat -c '%u:%g %a' "$f") [$(ls -A "$f" | tr '\n' ' ' | sed 's/ $//')]"
  elif [ -e "$f" ]; then echo "$f $(stat -c '%u:%g %a' "$f") $(tr '\n' '|' < "$f")"
  else echo "$f absent"; fi
done'''
        r = self.run(image, "-c", script, "probe", *paths, entrypoint="/bin/sh", user="0")
        assert r.rc == 0, f"probe of {image} exited {r.rc}: {r.err}"
        return r.out.splitlines()

    def config(self, image: str) -> dict:
        return json.loads(self.docker.ok("image", "inspect", "-f", "{{json .Config}}", image))

    def inspect(self, image: str) -> dict:
        return json.loads(self.docker.ok("image", "inspect", image))[0]


@pytest.fixture(scope="module")
def classic(daemon, docker) -> bool:
    """The daemon is Docker's own (the classic builder), not skiffd: skiffd names itself in
    /version (Platform.Name "skiff").  (daemon.is_skiffd is not enough: it looks at the
    socket's path, and the dockerd clitest starts has "skiff" in it.)"""
    if daemon.is_dockerd:
        return True
    return docker.ok("version", "--format", "{{.Server.Platform.Name}}").strip() != "skiff"


@pytest.fixture(scope="module")
def b(daemon, docker, classic):
    root = Path(tempfile.mkdtemp(prefix="skiff-build-test-", dir="/tmp"))
    os.chmod(root, 0o755)
    before = set(docker.ok("images", "-aq", "--no-trunc").split())
    builder = Builder(docker, root, classic)
    yield builder
    # Everything this module made: tags first, then any image left (intermediate ones
    # of failed builds), newest first.
    ours = [line for line in docker.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split()
            if line.startswith(REPO_PREFIX + "/")]
    if ours:
        docker.run("rmi", "-f", *ours)
    for _ in range(5):
        left = [i for i in docker.ok("images", "-aq", "--no-trunc").split() if i not in before]
        if not left:
            break
        docker.run("rmi", "-f", *left)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_containers_left(docker):
    """Containers a test leaves (the classic builder keeps a failed RUN's) are removed."""
    before = set(docker.ok("ps", "-aq", "--no-trunc").split())
    yield
    left = [c for c in docker.ok("ps", "-aq", "--no-trunc").split() if c not in before]
    if left:
        docker.run("rm", "-f", *left)


def nonce() -> str:
    return uuid.uuid4().hex[:16]


def daemon_process(daemon, docker: Cli) -> tuple[int, list[Path]] | None:
    """The daemon's pid (the peer of its unix socket) and its root directories (its data root
    as `docker info` tells, and the temp root of a daemon this suite started); None for a
    daemon on TCP."""
    if not daemon.host.startswith("unix://"):
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(daemon.host[len("unix://"):])
        pid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[0]
    roots = [Path(docker.ok("info", "--format", "{{.DockerRootDir}}").strip())]
    if daemon.root is not None:
        roots.append(daemon.root)
    if daemon.skiffd is not None:
        roots.append(daemon.skiffd.root)
    return pid, roots


def mounts_under(pid: int, roots: list[Path]) -> list[str]:
    """Mount points under any of `roots` in the daemon's mount namespace."""
    out = []
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point == str(r) or point.startswith(str(r) + "/") for r in roots):
            out.append(point)
    return out


def parse_error(line: int) -> str:
    """The start of a Dockerfile error about line N: dockerd 20.10 writes `dockerfile parse
    error line N:`, BuildKit (and skiff) `dockerfile parse error on line N:`."""
    return rf"dockerfile parse error (on )?line {line}: "


# --------------------------------------------------------------------------
# Shared images (built once, on first use; a failed build fails the tests using it)

FEATURES = r"""
    ARG BASE=busybox
    ARG UNUSED_GLOBAL=g
    FROM ${BASE} AS first
    ARG BASE
    MAINTAINER Jane Doe <jane@example.com>
    LABEL org.example.one=1 org.example.two="two words" \
          org.example.escaped=a\ b
    LABEL "org.example.quoted"="q v" org.example.base=${BASE}
    EXPOSE 80 443/tcp 53/udp
    ENV A=1 B="two words" C=x\ y
    ENV D old syntax value
    ENV E=${A}-${B}-${UNSET:-dflt}-${A:+alt}-${UNSET:+never}-$A-\$A-$UNSET.
    ENV A=2 F=$A
    ENV DEST=/copied
    RUN mkdir /data && echo seeded > /data/seed
    WORKDIR /w
    WORKDIR rel
    WORKDIR $A/${UNSET:-sub}
    COPY a.txt $DEST/
    RUN pwd > /pwd.txt && echo "$E|$F|$BASE|$UNUSED_GLOBAL" > /env.txt
    RUN ["/bin/sh", "-c", "echo '$A' \"$A\" > /exec-form.txt"]
    VOLUME /data
    VOLUME ["/v1", "/v2"]
    STOPSIGNAL SIGUSR1
    HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=4 CMD wget -q localhost || exit 1
    CMD echo "cmd $A $(pwd)"
"""


@pytest.fixture(scope="module")
def features(b) -> Build:
    return b.make("features", FEATURES, {"a.txt": "alpha\n"})


@pytest.fixture(scope="module")
def files_image(b) -> Build:
    files = {
        "a.txt": F("alpha\n", 0o644, 1234, 1234),
        "b.txt": "bravo\n",
        "c.md": "charlie\n",
        "exec.sh": F("#!/bin/sh\necho run\n", 0o751),
        "secret": F("s3cret\n", 0o600),
        "dir/one": "1\n",
        "dir/sub": D(0o700),
        "dir/sub/two": F("2\n", 0o640, 5, 6),
        "dir/link": L("one"),
        "arch.tar": tar_bytes([("t/", D()), ("t/x", "from tar\n"), ("t/l", L("x"))]),
        "arch.tar.gz": tar_bytes([("g/", D()), ("g/y", "from tgz\n")], gz=True),
    }
    return b.make("files", r"""
        FROM busybox
        COPY a.txt /file-noslash
        COPY a.txt /newdir/
        COPY a.txt b.txt /multi/
        COPY *.txt /wild/
        COPY dir /dircopy
        COPY dir/ /dircopy2/
        COPY dir/sub /subonly
        COPY exec.sh secret /modes/
        COPY a.txt /tmp
        COPY --chown=user:users a.txt /chown-names
        COPY --chown=1234:5678 a.txt /chown-numeric
        COPY --chown=user a.txt /chown-user
        COPY --chown=7 dir /chown-dir
        ADD arch.tar /untar/
        ADD arch.tar.gz /untgz
        ADD --chown=1000:1000 b.txt /add-chown
        ADD dir /adddir
        WORKDIR /wd
        COPY a.txt rel.txt
        RUN echo x > /gone && mkdir -p /gonedir/sub && echo y > /gonedir/sub/f \
            && mkdir /opaque && echo old > /opaque/old \
            && ln -s /etc/passwd /abslink && ln -s ../etc/hostname /rellink \
            && echo s > /setuid && chmod 4755 /setuid && mkdir -m 1770 /sticky
        RUN rm /gone && rm -r /gonedir && rm -rf /opaque && mkdir /opaque && echo new > /opaque/new \
            && rm /wd/rel.txt
    """, files)


# --------------------------------------------------------------------------
# FROM

def test_from_arg_alias_and_override(b):
    """ARG before FROM is used in FROM (default, then --build-arg), and needs `ARG NAME`
    in the stage to be seen there; AS names the stage."""
    base = b.make("marker-base", """
        FROM busybox
        RUN echo marker > /marker
    """)
    base_image = base.image
    dockerfile = """
        ARG BASE=busybox
        ARG NOT_REDECLARED=global
        FROM ${BASE} AS named
        ARG BASE
        RUN echo "base=$BASE not=$NOT_REDECLARED" > /from.txt
        FROM named
        RUN cat /from.txt > /final.txt
    """
    default = b.make("from-default", dockerfile)
    assert b.probe(default.image, "/from.txt", "/final.txt", "/marker") == [
        "/from.txt 0:0 644 base=busybox not=|",
        "/final.txt 0:0 644 base=busybox not=|",
        "/marker absent",
    ]
    over = b.make("from-override", dockerfile, None, "--build-arg", f"BASE={b.tag('marker-base')}")
    assert b.probe(over.image, "/from.txt", "/marker") == [
        f"/from.txt 0:0 644 base={b.tag('marker-base')} not=|",
        "/marker 0:0 644 marker|",
    ]
    # The overridden base is really the parent: its layers start the new image's.
    layers = b.inspect(over.image)["RootFS"]["Layers"]
    assert layers[:len(b.inspect(base_image)["RootFS"]["Layers"])] == b.inspect(base_image)["RootFS"]["Layers"]


def test_from_scratch(b):
    r = b.make("scratch", """
        FROM scratch
        COPY --from=busybox /bin/busybox /bin/busybox
        ENTRYPOINT ["/bin/busybox"]
        CMD ["echo", "from scratch"]
    """)
    image = r.image
    assert len(b.inspect(image)["RootFS"]["Layers"]) == 1
    out = b.run(image)
    assert (out.rc, out.out) == (0, "from scratch\n")
    out = b.run(image, "ls", "/bin")
    assert (out.rc, out.out) == (0, "busybox\n")
    cfg = b.config(image)
    assert (cfg["Entrypoint"], cfg["Cmd"]) == (["/bin/busybox"], ["echo", "from scratch"])


def test_from_platform_literal(b, docker):
    platform = docker.ok("image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", IMAGE).strip()
    r = b.make("platform", f"""
        FROM --platform={platform} busybox
        RUN echo platform-ok > /p
    """)
    assert b.probe(r.image, "/p") == ["/p 0:0 644 platform-ok|"]


def test_from_platform_buildplatform_args(b, docker, classic):
    """BuildKit defines BUILDPLATFORM (usable in FROM --platform) and, once declared in a
    stage, TARGETPLATFORM/TARGETOS/TARGETARCH; the classic builder defines none."""
    platform = docker.ok("image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", IMAGE).strip()
    os_, arch = platform.split("/")
    in_stage = b.make("platform-args", """
        FROM busybox
        ARG TARGETPLATFORM
        ARG BUILDPLATFORM
        ARG TARGETOS
        ARG TARGETARCH
        RUN echo "t=$TARGETPLATFORM b=$BUILDPLATFORM os=$TARGETOS arch=$TARGETARCH" > /p
    """)
    in_from = b.make("platform-from", """
        FROM --platform=$BUILDPLATFORM busybox
        RUN echo from-buildplatform > /p
    """)
    if classic:
        assert b.probe(in_stage.image, "/p") == ["/p 0:0 644 t= b= os= arch=|"]
        in_from.failed('failed to parse platform : "" is an invalid component of ""')
        return
    assert b.probe(in_stage.image, "/p") == [f"/p 0:0 644 t={platform} b={platform} os={os_} arch={arch}|"]
    assert b.probe(in_from.image, "/p") == ["/p 0:0 644 from-buildplatform|"]


# --------------------------------------------------------------------------
# RUN

def test_run_shell_and_exec_form(b, features):
    """Shell form runs under /bin/sh -c with the env; exec form is not substituted by the
    builder (the shell it runs expands at run time)."""
    assert b.probe(features.image, "/pwd.txt", "/exec-form.txt") == [
        "/pwd.txt 0:0 644 /w/rel/2/sub|",
        "/exec-form.txt 0:0 644 $A 2|",
    ]


class DaemonLeftovers:
    """Containers and mounts (under the daemon's root, in its mount namespace) that appear
    between `before` and `new`."""

    def __init__(self, daemon, docker: Cli):
        self.docker = docker
        self.proc = daemon_process(daemon, docker)
        self.containers = set(docker.ok("ps", "-aq", "--no-trunc").split())
        self.mounts = set(mounts_under(*self.proc)) if self.proc else set()

    def new_containers(self) -> list[str]:
        return [c for c in self.docker.ok("ps", "-aq", "--no-trunc").split() if c not in self.containers]

    def new_mounts(self) -> list[str]:
        if self.proc is None:
            pytest.skip("the daemon's mounts cannot be checked: it listens on TCP, not on a unix "
                        "socket whose peer is its pid; everything else in this test was checked")
        time.sleep(0.2)
        return sorted(set(mounts_under(*self.proc)) - self.mounts)


def test_run_failure_exit_code_and_output(b, docker, daemon, classic):
    """A failing RUN: docker exits with its code, the step's output (stdout and stderr) and
    docker's message are shown, nothing after it runs, no image is tagged, and (skiff) no
    container and no mount is left."""
    leftovers = DaemonLeftovers(daemon, docker)
    r = b.make("run-fails", """
        FROM busybox
        RUN echo step-two-ok
        RUN echo "about to fail" && echo "on stderr" >&2 && exit 3
        RUN echo never-reached
    """)
    r.failed("returned a non-zero code: 3", "about to fail", "on stderr", rc=3)
    assert "never-reached" not in r.log
    assert [s.instruction for s in r.steps] == [
        "FROM busybox", "RUN echo step-two-ok", 'RUN echo "about to fail" && echo "on stderr" >&2 && exit 3']
    assert "Successfully built" not in r.out
    assert docker.run("image", "inspect", b.tag("run-fails")).rc != 0
    left = leftovers.new_containers()
    if classic:
        # The classic builder keeps the failed step's container unless --force-rm.
        assert len(left) == 1, left
        state = docker.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", left[0]).strip()
        assert state == "exited 3"
        docker.ok("rm", left[0])
    else:
        assert left == [], f"containers left by a failed build: {left}"
    assert leftovers.new_mounts() == []


def test_run_failure_force_rm_leaves_nothing(b, docker, daemon):
    """With --force-rm (both builders) no container and no mount is left by a failed build."""
    leftovers = DaemonLeftovers(daemon, docker)
    ctx = b.context({"a.txt": "alpha\n"}, """
        FROM busybox
        COPY a.txt /a.txt
        RUN echo partial > /partial && exit 42
    """, name="force-rm")
    r = b.build(ctx, "--force-rm", tag=b.tag("force-rm"))
    r.failed("returned a non-zero code: 42", rc=42)
    assert leftovers.new_containers() == []
    assert docker.run("image", "inspect", b.tag("force-rm")).rc != 0
    assert leftovers.new_mounts() == []


def test_client_going_away_stops_the_build(b, docker, daemon, classic):
    """A client that disconnects during a RUN stops the build: the step's container is gone
    within seconds, not when the command ends (skiffd notices with a keep-alive write each
    second). The classic builder is not held to this."""
    if classic:
        pytest.skip("skiffd's behaviour: dockerd's classic builder runs the step to its end")
    leftovers = DaemonLeftovers(daemon, docker)
    ctx = b.context({}, """
        FROM busybox
        RUN echo started; sleep 60; echo never
    """, name="cancel")
    client = subprocess.Popen([docker.binary, "-H", docker.host, "build", "--no-cache", str(ctx)], env=BUILD_ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output = b""
        deadline = time.monotonic() + 60
        while b"started" not in output and time.monotonic() < deadline:
            output += client.stdout.read1(4096)
        assert b"started" in output, output.decode(errors="replace")
        assert leftovers.new_containers() != []
    finally:
        client.kill()
        client.wait()
    deadline = time.monotonic() + 10
    while leftovers.new_containers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert leftovers.new_containers() == []
    assert leftovers.new_mounts() == []


def test_run_heredoc(b, classic):
    r = b.make("heredoc", """
        FROM busybox
        ARG NAME=world
        RUN <<EOF
        echo one > /h1
        echo "two $NAME" >> /h1
        EOF
        RUN cat <<EOF > /h2
        piped $NAME
        EOF
        COPY <<EOF /greeting
        hello $NAME
        EOF
        COPY <<"EOF" /literal
        hello $NAME
        EOF
    """)
    if classic:
        r.failed(pattern=parse_error(4) + "unknown instruction: ECHO")
        return
    assert b.probe(r.image, "/h1", "/h2", "/greeting", "/literal") == [
        "/h1 0:0 644 one|two world|",
        "/h2 0:0 644 piped world|",
        "/greeting 0:0 644 hello world|",
        "/literal 0:0 644 hello $NAME|",
    ]


def test_run_mount_cache(b, classic):
    """A cache mount persists across builds and is not part of the image."""
    cache_id = f"skiff-build-test-{nonce()}"
    ctx = b.context({}, f"""
        FROM busybox
        ARG RUNNO
        RUN --mount=type=cache,id={cache_id},target=/cache \\
            (cat /cache/runs 2>/dev/null || echo none) > /seen.txt && echo "$RUNNO" >> /cache/runs
    """, name="mount-cache")
    first = b.build(ctx, "--build-arg", "RUNNO=1", tag=b.tag("mount-cache-1"))
    if classic:
        first.failed("the --mount option requires BuildKit")
        return
    second = b.build(ctx, "--build-arg", "RUNNO=2", tag=b.tag("mount-cache-2"))
    assert b.probe(first.image, "/seen.txt", "/cache/runs") == ["/seen.txt 0:0 644 none|", "/cache/runs absent"]
    assert b.probe(second.image, "/seen.txt", "/cache/runs") == ["/seen.txt 0:0 644 1|", "/cache/runs absent"]


def test_run_mount_bind(b, classic):
    """A bind mount of the context (source `.` by default, read-only) is readable in RUN and
    is not in the image."""
    r = b.make("mount-bind", """
        FROM busybox
        RUN --mount=type=bind,target=/ctx \\
            cat /ctx/a.txt > /bound.txt && (touch /ctx/new 2>/dev/null && echo writable || echo read-only) >> /bound.txt
        RUN --mount=type=bind,source=sub,target=/s cat /s/inner > /inner.txt
    """, {"a.txt": "alpha\n", "sub/inner": "inner\n"})
    if classic:
        r.failed("the --mount option requires BuildKit")
        return
    assert b.probe(r.image, "/bound.txt", "/inner.txt", "/ctx/a.txt", "/ctx/new", "/s/inner") == [
        "/bound.txt 0:0 644 alpha|read-only|",
        "/inner.txt 0:0 644 inner|",
        "/ctx/a.txt absent",
        "/ctx/new absent",
        "/s/inner absent",
    ]


# --------------------------------------------------------------------------
# CMD, ENTRYPOINT

def test_cmd_shell_form(b, features):
    image = features.image
    assert b.config(image)["Cmd"] == ["/bin/sh", "-c", 'echo "cmd $A $(pwd)"']
    r = b.run(image)
    assert (r.rc, r.out) == (0, "cmd 2 /w/rel/2/sub\n")


def test_entrypoint_exec_form_with_cmd(b):
    r = b.make("ep-exec", """
        FROM busybox
        ENTRYPOINT ["echo", "ep"]
        CMD ["default", "args"]
        HEALTHCHECK CMD ["true"]
    """)
    image = r.image
    cfg = b.config(image)
    assert (cfg["Entrypoint"], cfg["Cmd"]) == (["echo", "ep"], ["default", "args"])
    assert cfg["Healthcheck"] == {"Test": ["CMD", "true"]}
    assert b.run(image).out == "ep default args\n"
    assert b.run(image, "given").out == "ep given\n"


def test_entrypoint_shell_form_ignores_cmd(b):
    """A shell-form ENTRYPOINT ignores CMD and run arguments; ENTRYPOINT over a base with a
    CMD (busybox: ["sh"]) resets Cmd."""
    r = b.make("ep-shell", """
        FROM busybox
        ENTRYPOINT echo shell-ep
    """)
    image = r.image
    cfg = b.config(image)
    assert (cfg["Entrypoint"], cfg.get("Cmd")) == (["/bin/sh", "-c", "echo shell-ep"], None)
    assert b.run(image).out == "shell-ep\n"
    assert b.run(image, "ignored", "args").out == "shell-ep\n"
    with_cmd = b.make("ep-shell-cmd", f"""
        FROM {b.tag('ep-shell')}
        CMD ["also-ignored"]
    """)
    assert b.run(with_cmd.image).out == "shell-ep\n"


# --------------------------------------------------------------------------
# Metadata: LABEL, EXPOSE, ENV, MAINTAINER, VOLUME, STOPSIGNAL, HEALTHCHECK, WORKDIR

def test_config_from_metadata_instructions(b, features):
    image = features.image
    info = b.inspect(image)
    cfg = info["Config"]
    assert info["Author"] == "Jane Doe <jane@example.com>"
    assert cfg["Labels"] == {
        "org.example.one": "1", "org.example.two": "two words", "org.example.escaped": "a b",
        "org.example.quoted": "q v", "org.example.base": "busybox",
    }
    assert cfg["ExposedPorts"] == {"80/tcp": {}, "443/tcp": {}, "53/udp": {}}
    assert cfg["Volumes"] == {"/data": {}, "/v1": {}, "/v2": {}}
    assert cfg["StopSignal"] == "SIGUSR1"
    assert cfg["Healthcheck"] == {
        "Test": ["CMD-SHELL", "wget -q localhost || exit 1"],
        "Interval": 5_000_000_000, "Timeout": 3_000_000_000, "StartPeriod": 2_000_000_000, "Retries": 4,
    }
    assert cfg["WorkingDir"] == "/w/rel/2/sub"
    assert cfg.get("Entrypoint") is None
    assert cfg.get("User", "") == ""
    assert cfg.get("OnBuild") is None


def test_env_both_syntaxes_and_substitution(b, features):
    """ENV key=value and `ENV key value`; ${VAR:-default} ${VAR:+alt} $VAR \\$VAR; within one
    ENV the old values are substituted (F=$A sees A=1); later instructions see the env
    (WORKDIR, COPY destination, RUN)."""
    image = features.image
    assert b.config(image)["Env"] == [
        DEFAULT_PATH, "A=2", "B=two words", "C=x y", "D=old syntax value",
        "E=1-two words-dflt-alt--1-$A-.", "F=1", "DEST=/copied",
    ]
    assert b.probe(image, "/env.txt", "/copied/a.txt") == [
        "/env.txt 0:0 644 1-two words-dflt-alt--1-$A-.|1|busybox||",
        "/copied/a.txt 0:0 644 alpha|",
    ]
    r = b.run(image, "-c", 'echo "$A|$B|$C|$D|$F"', entrypoint="/bin/sh")
    assert r.out == "2|two words|x y|old syntax value|1\n"


def test_workdir_relative_created_and_expanded(b, features):
    image = features.image
    assert b.probe(image, "/w", "/w/rel", "/w/rel/2", "/w/rel/2/sub") == [
        "/w/ 0:0 755 [rel]", "/w/rel/ 0:0 755 [2]", "/w/rel/2/ 0:0 755 [sub]", "/w/rel/2/sub/ 0:0 755 []",
    ]
    r = b.run(image, "-c", "pwd", entrypoint="/bin/sh")
    assert r.out == "/w/rel/2/sub\n"


def test_user_name_and_uid_gid(b):
    r = b.make("user", """
        FROM busybox
        RUN id -u > /as-root && touch /root-made
        USER user
        RUN echo "$(id -u):$(id -g)" > /tmp/as-user && touch /tmp/user-made
        USER 1234:5678
        RUN echo "$(id -u):$(id -g)" > /tmp/as-numeric && touch /tmp/numeric-made
        USER user:users
    """)
    image = r.image
    assert b.config(image)["User"] == "user:users"
    assert b.probe(image, "/as-root", "/root-made", "/tmp/as-user", "/tmp/user-made",
                   "/tmp/as-numeric", "/tmp/numeric-made") == [
        "/as-root 0:0 644 0|", "/root-made 0:0 644 ",
        "/tmp/as-user 1000:1000 644 1000:1000|", "/tmp/user-made 1000:1000 644 ",
        "/tmp/as-numeric 1234:5678 644 1234:5678|", "/tmp/numeric-made 1234:5678 644 ",
    ]
    run = b.run(image, "-c", 'echo "$(id -u):$(id -g)"', entrypoint="/bin/sh")
    assert run.out == "1000:100\n"


def test_volume_keeps_what_was_there_before(b, features):
    """VOLUME: a new container's anonymous volume starts with the image's content.  (What a
    RUN writes there *after* VOLUME differs: the classic builder discards it, BuildKit keeps
    it; not checked.)"""
    assert b.probe(features.image, "/data/seed", "/v1") == ["/data/seed 0:0 644 seeded|", "/v1/ 0:0 755 []"]


def test_healthcheck_none(b, features):
    features.image  # the base must have been built
    r = b.make("hc-none", f"""
        FROM {b.tag('features')}
        HEALTHCHECK NONE
    """)
    # (The classic builder keeps the parent's interval/timeout/retries beside it.)
    assert b.config(r.image)["Healthcheck"]["Test"] == ["NONE"]


def test_shell_instruction(b):
    """SHELL changes the shell of shell-form RUN and CMD."""
    r = b.make("shell", r"""
        FROM busybox
        RUN printf '#!/bin/sh\necho "myshell: $*" >> /shell.log\nexec /bin/sh "$@"\n' > /myshell \
            && chmod 755 /myshell
        SHELL ["/myshell", "-c"]
        RUN echo via-run > /ran.txt
        CMD echo cmd-ran
    """)
    image = r.image
    assert b.config(image)["Cmd"] == ["/myshell", "-c", "echo cmd-ran"]
    assert b.run(image).out == "cmd-ran\n"
    assert b.probe(image, "/shell.log", "/ran.txt") == [
        "/shell.log 0:0 644 myshell: -c echo via-run > /ran.txt|",
        "/ran.txt 0:0 644 via-run|",
    ]


def test_onbuild_triggers(b):
    """ONBUILD instructions are stored, not run; they run (COPY from the child's context)
    when the image is a base, and are not inherited further."""
    parent = b.make("onbuild-parent", """
        FROM busybox
        ONBUILD RUN echo "trigger ran" > /onbuild.txt
        ONBUILD COPY child.txt /child.txt
        RUN test ! -e /onbuild.txt
    """, {"child.txt": "parent's copy\n"})
    assert b.config(parent.image)["OnBuild"] == ['RUN echo "trigger ran" > /onbuild.txt', "COPY child.txt /child.txt"]
    assert b.probe(parent.image, "/onbuild.txt", "/child.txt") == ["/onbuild.txt absent", "/child.txt absent"]
    child = b.make("onbuild-child", f"""
        FROM {b.tag('onbuild-parent')}
        RUN cat /onbuild.txt /child.txt > /seen.txt
    """, {"child.txt": "from the child's context\n"})
    assert b.probe(child.image, "/seen.txt") == ["/seen.txt 0:0 644 trigger ran|from the child's context|"]
    assert not b.config(child.image).get("OnBuild")
    # No child.txt in this context: an inherited ONBUILD COPY would fail the build.
    grandchild = b.make("onbuild-grandchild", f"""
        FROM {b.tag('onbuild-child')}
        RUN rm /onbuild.txt
    """)
    assert b.probe(grandchild.image, "/onbuild.txt", "/seen.txt") == [
        "/onbuild.txt absent", "/seen.txt 0:0 644 trigger ran|from the child's context|"]


def test_arg_default_override_scope_and_proxy(b, docker):
    """ARG defaults, --build-arg overrides, a global ARG is empty in a stage that does not
    declare it, args are in RUN's env but not in the image's, and the predefined proxy args
    reach RUN without being recorded in the config or the history."""
    r = b.make("args", """
        ARG GLOBAL=g-default
        ARG SCOPED=s-default
        FROM busybox
        ARG GLOBAL
        ARG LOCAL=l-default
        ARG OVERRIDDEN=o-default
        ARG NODEFAULT
        ENV FROMARG=$LOCAL
        ARG LOCAL=second-default
        RUN echo "global=$GLOBAL scoped=$SCOPED local=$LOCAL over=$OVERRIDDEN nodef=$NODEFAULT proxy=$HTTP_PROXY env=$FROMARG" > /args.txt
    """, None, "--build-arg", "OVERRIDDEN=from-cli", "--build-arg", "HTTP_PROXY=http://proxy.invalid:3128")
    image = r.image
    assert b.probe(image, "/args.txt") == [
        "/args.txt 0:0 644 global=g-default scoped= local=second-default over=from-cli nodef= "
        "proxy=http://proxy.invalid:3128 env=l-default|"]
    assert b.config(image)["Env"] == [DEFAULT_PATH, "FROMARG=l-default"]
    history = docker.ok("history", "--no-trunc", "--format", "{{.CreatedBy}}", image)
    assert "proxy.invalid" not in history
    assert "OVERRIDDEN=from-cli" in history


def test_escape_directive_and_continuations(b):
    r = b.make("escape", r"""
        # escape=`
        FROM busybox
        ENV P=C:\dir\file
        LABEL win="C:\path"
        RUN printf '%s\n' "$P" one `
            two > /esc.txt
    """)
    image = r.image
    assert b.config(image)["Env"] == [DEFAULT_PATH, "P=C:\\dir\\file"]
    assert b.config(image)["Labels"] == {"win": "C:\\path"}
    assert b.probe(image, "/esc.txt") == ["/esc.txt 0:0 644 C:\\dir\\file|one|two|"]
    cont = b.make("continuation", r"""
        FROM busybox
        RUN echo a \
        # a comment inside the continuation is dropped
            b \

            c > /cont.txt
        LABEL x=1 \
              y=2
    """)
    assert b.probe(cont.image, "/cont.txt") == ["/cont.txt 0:0 644 a b c|"]
    assert b.config(cont.image)["Labels"] == {"x": "1", "y": "2"}


# --------------------------------------------------------------------------
# COPY and ADD: files, owners, modes, links, whiteouts

def test_copy_destination_rules(b, files_image):
    image = files_image.image
    assert b.probe(image, "/file-noslash", "/newdir", "/newdir/a.txt", "/multi", "/wild",
                   "/tmp/a.txt", "/wd/rel.txt") == [
        "/file-noslash 0:0 644 alpha|",          # no slash, absent: the file itself
        "/newdir/ 0:0 755 [a.txt]",              # trailing slash: a directory made for it
        "/newdir/a.txt 0:0 644 alpha|",
        "/multi/ 0:0 755 [a.txt b.txt]",
        "/wild/ 0:0 755 [a.txt b.txt]",          # *.txt: not c.md
        "/tmp/a.txt 0:0 644 alpha|",             # an existing directory, no slash: into it
        "/wd/rel.txt absent",                    # relative to WORKDIR, removed later
    ]


def test_copy_directory_contents_not_the_directory(b, files_image):
    image = files_image.image
    assert b.probe(image, "/dircopy", "/dircopy/link", "/dircopy/sub", "/dircopy/sub/two",
                   "/dircopy2", "/subonly", "/adddir", "/dircopy/dir") == [
        "/dircopy/ 0:0 755 [link one sub]",
        "/dircopy/link -> one",
        "/dircopy/sub/ 0:0 700 [two]",           # modes kept, owners reset to root
        "/dircopy/sub/two 0:0 640 2|",
        "/dircopy2/ 0:0 755 [link one sub]",
        "/subonly/ 0:0 755 [two]",
        "/adddir/ 0:0 755 [link one sub]",
        "/dircopy/dir absent",
    ]


def test_copy_modes_and_owners(b, files_image):
    image = files_image.image
    assert b.probe(image, "/modes/exec.sh", "/modes/secret", "/file-noslash", "/chown-names",
                   "/chown-numeric", "/chown-user", "/chown-dir", "/chown-dir/sub/two", "/add-chown") == [
        "/modes/exec.sh 0:0 751 #!/bin/sh|echo run|",
        "/modes/secret 0:0 600 s3cret|",
        "/file-noslash 0:0 644 alpha|",          # the context file is 1234:1234: reset to root
        "/chown-names 1000:100 644 alpha|",      # user:users from the image's passwd/group
        "/chown-numeric 1234:5678 644 alpha|",
        "/chown-user 1000:1000 644 alpha|",      # a name alone: the group of the same name
        "/chown-dir/ 7:7 755 [link one sub]",
        "/chown-dir/sub/two 7:7 640 2|",
        "/add-chown 1000:1000 644 bravo|",
    ]


def test_add_local_archives_are_extracted(b, files_image):
    image = files_image.image
    assert b.probe(image, "/untar", "/untar/t/x", "/untar/t/l", "/untgz", "/untgz/g/y", "/arch.tar") == [
        "/untar/ 0:0 755 [t]",
        "/untar/t/x 0:0 644 from tar|",
        "/untar/t/l -> x",
        "/untgz/ 0:0 755 [g]",
        "/untgz/g/y 0:0 644 from tgz|",
        "/arch.tar absent",
    ]


def test_run_changes_links_and_whiteouts(b, files_image):
    """Files a later RUN deletes are absent (whiteouts); a directory removed and made again
    holds only the new entries (opaque); links and special modes survive."""
    image = files_image.image
    assert b.probe(image, "/gone", "/gonedir", "/opaque", "/abslink", "/rellink", "/setuid", "/sticky") == [
        "/gone absent", "/gonedir absent", "/opaque/ 0:0 755 [new]",
        "/abslink -> /etc/passwd", "/rellink -> ../etc/hostname",
        "/setuid 0:0 4755 s|", "/sticky/ 0:0 1770 []",
    ]


def test_copy_chmod_and_link(b, classic):
    """--chmod (COPY and ADD) and --link are BuildKit's."""
    chmod = b.make("chmod", """
        FROM busybox
        COPY --chmod=600 a.txt /a600
        COPY --chmod=0755 dir /d755
        ADD --chmod=640 a.txt /add640
    """, {"a.txt": "alpha\n", "dir/f": F("f\n", 0o600)})
    link = b.make("link", """
        FROM busybox
        COPY --link a.txt /linked/
        COPY --link --chown=1000:1000 a.txt /linked-owned
    """, {"a.txt": "alpha\n"})
    if classic:
        chmod.failed("the --chmod option requires BuildKit")
        link.failed(pattern=parse_error(2) + "unknown flag: link")
        return
    assert b.probe(chmod.image, "/a600", "/d755/f", "/add640") == [
        "/a600 0:0 600 alpha|", "/d755/f 0:0 755 f|", "/add640 0:0 640 alpha|"]
    assert b.probe(link.image, "/linked/a.txt", "/linked-owned") == [
        "/linked/a.txt 0:0 644 alpha|", "/linked-owned 1000:1000 644 alpha|"]


# A tiny HTTP server for ADD <url>, run in the daemon's network namespace (the daemon
# downloads the file itself, from its own namespace).
SERVER = r"""
import http.server, socketserver, sys, os
os.chdir(sys.argv[1])
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""


@pytest.fixture
def http_server(daemon, docker, b):
    root = b.context({
        "payload.txt": "downloaded\n",
        "bundle.tar": tar_bytes([("inner.txt", "not extracted\n")]),
    }, name="www")
    for name in ("payload.txt", "bundle.tar"):
        os.utime(root / name, (1_500_000_000, 1_500_000_000))
    proc = daemon_process(daemon, docker)
    argv = [sys.executable, "-c", SERVER, str(root)]
    if proc is not None:
        argv = ["nsenter", f"--net=/proc/{proc[0]}/ns/net", *argv]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        yield f"http://127.0.0.1:{port}", root
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_add_url(b, http_server):
    """ADD <url>: the file as served, mode 600, its mtime from Last-Modified, never
    extracted; a destination ending in / takes the URL's file name."""
    url, root = http_server
    r = b.make("add-url", f"""
        FROM busybox
        ADD {url}/payload.txt /dl/
        ADD {url}/payload.txt /named.txt
        ADD {url}/bundle.tar /bundle/
    """)
    image = r.image
    assert b.probe(image, "/dl", "/dl/payload.txt", "/named.txt", "/bundle") == [
        "/dl/ 0:0 755 [payload.txt]",
        "/dl/payload.txt 0:0 600 downloaded|",
        "/named.txt 0:0 600 downloaded|",
        "/bundle/ 0:0 755 [bundle.tar]",
    ]
    size = (root / "bundle.tar").stat().st_size
    assert b.sh(image, "stat -c '%Y %s' /named.txt /bundle/bundle.tar") == f"1500000000 11\n1500000000 {size}\n"


def test_add_url_checksum(b, http_server, classic):
    """ADD --checksum (BuildKit's): the download must hash to it, else the build fails and
    nothing is tagged. The classic builder does not know the flag."""
    url, root = http_server
    good = "sha256:" + hashlib.sha256(b"downloaded\n").hexdigest()
    bad = "sha256:" + "0" * 64
    ok = b.make("add-checksum", f"""
        FROM busybox
        ADD --checksum={good} {url}/payload.txt /checked.txt
    """)
    wrong = b.make("add-checksum-bad", f"""
        FROM busybox
        ADD --checksum={bad} {url}/payload.txt /checked.txt
    """)
    if classic:
        ok.failed("checksum", rc=1)
        return
    assert b.probe(ok.image, "/checked.txt") == ["/checked.txt 0:0 600 downloaded|"]
    wrong.failed("digest mismatch", rc=1)
    assert b.docker.run("image", "inspect", b.tag("add-checksum-bad")).rc != 0


# --------------------------------------------------------------------------
# Multi-stage

def test_copy_from_stage_index_and_image(b):
    r = b.make("multistage", """
        FROM busybox AS builder
        RUN echo built-in-stage0 > /artifact && mkdir -p /out/sub && echo deep > /out/sub/f
        FROM busybox AS second
        RUN echo second > /second
        FROM busybox
        COPY --from=builder /artifact /from-name
        COPY --from=1 /second /from-index
        COPY --from=busybox /bin/busybox /from-image
        COPY --from=builder /out /out-contents
        COPY --from=0 --chown=1000:100 /artifact /owned
    """)
    image = r.image
    assert b.probe(image, "/from-name", "/from-index", "/out-contents", "/out-contents/sub/f",
                   "/owned", "/artifact", "/second") == [
        "/from-name 0:0 644 built-in-stage0|",
        "/from-index 0:0 644 second|",
        "/out-contents/ 0:0 755 [sub]",
        "/out-contents/sub/f 0:0 644 deep|",
        "/owned 1000:100 644 built-in-stage0|",
        "/artifact absent",
        "/second absent",
    ]
    assert b.sh(image, "cmp /from-image /bin/busybox && echo same") == "same\n"


def test_target_stops_at_the_stage(b):
    r = b.make("target", """
        FROM busybox AS a
        RUN echo a > /a
        FROM a AS b
        RUN echo b > /b
        FROM b AS c
        RUN echo stage-c-ran && exit 9
    """, None, "--target", "b")
    image = r.image
    assert "stage-c-ran" not in r.log
    assert "FROM b AS c" not in r.out
    assert b.probe(image, "/a", "/b") == ["/a 0:0 644 a|", "/b 0:0 644 b|"]
    bad = b.make("target-bad", "FROM busybox AS a\nRUN true\n", None, "--target", "nosuch")
    # dockerd: "failed to reach build target nosuch in Dockerfile"; BuildKit: target stage "nosuch" could not be found
    bad.failed(pattern=r'failed to reach build target nosuch|target stage "?nosuch"? could not be found', rc=1)


def test_unused_stage_is_skipped(b, classic):
    """BuildKit (and skiff) build only the stages the target needs; the classic builder
    runs every stage before it."""
    r = b.make("unused-stage", """
        FROM busybox AS unused
        RUN echo unused-stage-ran && exit 7
        FROM busybox AS used
        RUN echo used > /used
        FROM busybox
        COPY --from=used /used /used
    """)
    if classic:
        r.failed("unused-stage-ran", "returned a non-zero code: 7", rc=7)
        return
    assert "unused-stage-ran" not in r.log
    assert b.probe(r.image, "/used") == ["/used 0:0 644 used|"]


# --------------------------------------------------------------------------
# The layer cache

CACHED = """
    FROM busybox
    LABEL nonce={nonce}
    RUN echo before-copy > /before
    COPY a.txt /a.txt
    RUN cat /a.txt > /after-copy
    ARG V=1
    ENV X=x
    RUN echo "v=$V" > /v
    CMD ["cat", "/v"]
"""


def cache_flags(build: Build) -> list[bool]:
    """Whether each step after FROM came from the cache."""
    return [s.cached for s in build.steps[1:]]


@pytest.fixture
def cache_ctx(b):
    return b.context({"a.txt": "one\n", "ignored.txt": "x\n", ".dockerignore": "ignored.txt\n"},
                     CACHED.format(nonce=nonce()), name="cache")


def test_cache_identical_rebuild(b, cache_ctx):
    first = b.build(cache_ctx, tag=b.tag("cache"))
    image = first.image
    assert cache_flags(first) == [False] * 8
    again = b.build(cache_ctx, tag=b.tag("cache"))
    assert again.image == image
    assert cache_flags(again) == [True] * 8, again.describe()
    assert not any(s.ran for s in again.steps), again.describe()


def test_cache_changed_file_invalidates_from_copy(b, cache_ctx):
    first = b.build(cache_ctx, tag=b.tag("cache-file"))
    image = first.image
    (cache_ctx / "a.txt").write_text("two\n")
    second = b.build(cache_ctx, tag=b.tag("cache-file"))
    assert second.image != image
    # LABEL, RUN cached; COPY and everything after rebuilt.
    assert cache_flags(second) == [True, True, False, False, False, False, False, False], second.describe()
    assert b.probe(second.image, "/after-copy") == ["/after-copy 0:0 644 two|"]


def test_cache_build_arg_invalidates_run_after_it(b, cache_ctx):
    first = b.build(cache_ctx, tag=b.tag("cache-arg"))
    image = first.image
    same = b.build(cache_ctx, "--build-arg", "V=1", tag=b.tag("cache-arg"))
    assert same.image == image, "an arg given its default value must not invalidate"
    second = b.build(cache_ctx, "--build-arg", "V=2", tag=b.tag("cache-arg"))
    # Steps up to ARG and ENV come from the cache; the RUN that sees V, and after it, not.
    assert cache_flags(second) == [True, True, True, True, True, True, False, False], second.describe()
    assert b.run(second.image).out == "v=2\n"
    # A predefined proxy arg's value is left out of the cache key.  (In the classic builder
    # its mere presence is not: RUN's key becomes "|0 /bin/sh -c ..." instead of
    # "/bin/sh -c ...", so only a change of its value is checked here.)
    proxy = b.build(cache_ctx, "--build-arg", "V=2", "--build-arg", "HTTP_PROXY=http://proxy.invalid:1",
                    tag=b.tag("cache-arg"))
    image = proxy.image
    other = b.build(cache_ctx, "--build-arg", "V=2", "--build-arg", "HTTP_PROXY=http://other.invalid:2",
                    tag=b.tag("cache-arg"))
    assert other.image == image
    assert cache_flags(other) == [True] * 8, other.describe()


def test_cache_changed_instruction(b, cache_ctx):
    first = b.build(cache_ctx, tag=b.tag("cache-instr"))
    first.image
    df = cache_ctx / "Dockerfile"
    df.write_text(df.read_text().replace("ENV X=x", "ENV X=changed"))
    second = b.build(cache_ctx, tag=b.tag("cache-instr"))
    assert cache_flags(second) == [True, True, True, True, True, False, False, False], second.describe()
    assert "X=changed" in b.config(second.image)["Env"]


def test_cache_dockerignored_file_does_not_invalidate(b, cache_ctx):
    df = cache_ctx / "Dockerfile"
    df.write_text(df.read_text() + "COPY . /ctx/\n")
    first = b.build(cache_ctx, tag=b.tag("cache-ignore"))
    image = first.image
    assert b.sh(image, "ls -A /ctx") == ".dockerignore\nDockerfile\na.txt\n"
    (cache_ctx / "ignored.txt").write_text("changed, but ignored\n")
    second = b.build(cache_ctx, tag=b.tag("cache-ignore"))
    assert second.image == image
    assert cache_flags(second) == [True] * 9, second.describe()


def test_no_cache_rebuilds_everything(b, cache_ctx):
    first = b.build(cache_ctx, tag=b.tag("cache-none"))
    image = first.image
    second = b.build(cache_ctx, "--no-cache", tag=b.tag("cache-none"))
    assert second.image != image
    assert cache_flags(second) == [False] * 8, second.describe()
    runs = [s for s in second.steps if s.instruction.startswith("RUN ")]
    assert len(runs) == 3 and all(s.ran for s in runs), second.describe()


# --------------------------------------------------------------------------
# The output stream

def test_classic_output_stream(b, docker):
    tag = b.tag("stream")
    ctx = b.context({"a.txt": "alpha\n"}, f"""
        FROM busybox
        LABEL nonce={nonce()}
        RUN echo out-of-run
        COPY a.txt /a.txt
        CMD ["sh"]
    """, name="stream")
    r = b.build(ctx, "-t", f"{REPO_PREFIX}/stream-second", tag=tag)
    image = r.image
    busybox_id = docker.ok("image", "inspect", "-f", "{{.Id}}", IMAGE).strip()
    lines = r.out.splitlines()
    assert [s.instruction for s in r.steps] == [
        "FROM busybox", r.steps[1].instruction, "RUN echo out-of-run", "COPY a.txt /a.txt", 'CMD ["sh"]']
    assert [f"{s.number}/{s.total}" for s in r.steps] == ["1/5", "2/5", "3/5", "4/5", "5/5"]
    assert r.steps[0].lines == [f" ---> {busybox_id[7:19]}"]
    run = r.steps[2].lines
    assert re.fullmatch(rf" ---> Running in {HEX12}", run[0]), run
    assert "out-of-run" in run
    for step in r.steps[1:]:
        lines_of_step = [line for line in step.lines if not line.startswith("Successfully ")]
        assert re.fullmatch(rf" ---> {HEX12}", lines_of_step[-1]), step.lines
    assert lines[-3] == f"Successfully built {image[7:19]}", r.out
    assert sorted(lines[-2:]) == sorted([f"Successfully tagged {REPO_PREFIX}/stream-second:latest",
                                         f"Successfully tagged {tag}"]), r.out
    again = b.build(ctx, tag=tag)
    for step in again.steps[1:]:
        assert step.lines[0] == " ---> Using cache", step.lines
        assert re.fullmatch(rf" ---> {HEX12}", step.lines[1]), step.lines


def test_quiet_and_iidfile(b):
    ctx = b.context({}, f"""
        FROM busybox
        LABEL nonce={nonce()}
        RUN echo quiet-run-output
    """, name="quiet")
    iid = b.root / "iidfile"
    r = b.build(ctx, "-q", "--iidfile", str(iid), tag=b.tag("quiet"))
    image = r.image
    assert r.out == image + "\n"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", image)
    assert "quiet-run-output" not in r.log
    # With -q the CLI writes the streamed text (the id and a newline); without, the id of
    # the daemon's {"aux":{"ID":...}} message, as is.
    assert iid.read_text() == image + "\n"
    iid2 = b.root / "iidfile2"
    r = b.build(ctx, "--iidfile", str(iid2), tag=b.tag("quiet"))
    assert r.image == image
    assert iid2.read_text() == image


def test_dockerfile_from_stdin_and_other_name(b):
    ctx = b.context({"a.txt": "alpha\n", "build/Other.dockerfile": "FROM busybox\nCOPY a.txt /other\n"},
                    name="dockerfile-name")
    r = b.build(ctx, "-f", str(ctx / "build/Other.dockerfile"), tag=b.tag("other-name"))
    assert b.probe(r.image, "/other") == ["/other 0:0 644 alpha|"]
    r = b.build(ctx, "-f", "-", input="FROM busybox\nCOPY a.txt /stdin\n", tag=b.tag("stdin"))
    assert b.probe(r.image, "/stdin") == ["/stdin 0:0 644 alpha|"]


# --------------------------------------------------------------------------
# Errors in the Dockerfile

@pytest.mark.parametrize("dockerfile,pattern", [
    ("FROM busybox\nRUN true\nFOO bar\n", parse_error(3) + "unknown instruction: FOO"),
    ("FROM busybox\nENV\n", parse_error(2) + "ENV requires at least one argument"),
    ("FROM\n", parse_error(1) + "FROM requires either one or three arguments"),
    ("FROM busybox\nCOPY --bogus=1 a /b\n", parse_error(2) + "unknown flag: bogus"),
    ("FROM busybox\nUSER\n", parse_error(2) + "USER requires exactly one argument"),
    ("FROM busybox\nCOPY onlyone\n", parse_error(2) + "COPY requires at least two arguments, but only one was provided"),
    ("FROM busybox AS 1bad\n", parse_error(1) + r'invalid name for build stage: "1bad", name can\'t start with a number'),
    ("RUN echo no from\n", "no build stage in current context"),
    ("# only a comment\n", "file with no instructions"),
    ("", "cannot be empty"),
], ids=["unknown-instruction", "env-empty", "from-empty", "bad-flag", "user-empty", "copy-one-arg",
        "bad-stage-name", "missing-from", "no-instructions", "empty-file"])
def test_dockerfile_errors(b, dockerfile, pattern):
    ctx = b.context({"a": "a\n"}, name="syntax")
    (ctx / "Dockerfile").write_text(dockerfile)
    r = b.build(ctx, tag=b.tag("syntax"))
    r.failed(pattern=pattern, rc=1)
    assert "Successfully built" not in r.out


@pytest.mark.parametrize("instruction,needles", [
    ("COPY a b /notdir", ["When using COPY with more than one source file, the destination must be a directory and end with a /"]),
    ("COPY nothere /x", ["not found"]),
    ("STOPSIGNAL SIGBOGUS", ["SIGBOGUS"]),
    ("EXPOSE 99999", ["99999"]),
    ("COPY x*.none /x/", []),
], ids=["multi-source-file-dest", "missing-source", "bad-signal", "bad-port", "wildcard-no-match"])
def test_instruction_errors(b, instruction, needles):
    r = b.make("instr-error", f"FROM busybox\n{instruction}\n", {"a": "a\n", "b": "b\n"})
    pattern = "no source files were specified|not found" if "x*.none" in instruction else None
    r.failed(*needles, rc=1, pattern=pattern)


def test_invalid_json_is_shell_form(b):
    """A JSON form that does not parse is taken as shell form (both builders)."""
    r = b.make("badjson", 'FROM busybox\nCMD ["echo", \n')
    assert b.config(r.image)["Cmd"] == ["/bin/sh", "-c", '["echo",']


# --------------------------------------------------------------------------
# Hostile contexts and archives

@pytest.fixture
def hostile(b):
    """A canary outside the context (a host directory with a secret), links to it in the
    context, and the same absolute paths mirrored inside the context."""
    b.n += 1
    host = b.root / f"host-canary-{b.n}"
    (host / "d").mkdir(parents=True)
    (host / "secret").write_text("HOST-SECRET-CANARY\n")
    (host / "d" / "f").write_text("HOST-DIR-CANARY\n")
    mirror = str(host).lstrip("/")
    ctx = b.context({
        "real": "inside\n",
        "leak": L(str(host / "secret")),
        "chain": L("leak"),
        "chain2": L(str("/" / Path(mirror) / "abs-chain")),
        f"{mirror}/abs-chain": L("/leak"),
        "dlink": L(str(host / "d")),
        "rootlink": L("/"),
        "up": L("../../../../../../.."),
        f"{mirror}/secret": "IN-CONTEXT-MIRROR\n",
        f"{mirror}/d/f": "IN-CONTEXT-DIR\n",
    }, name="hostile")
    return ctx, host


def test_symlinks_in_context_resolve_inside_it(b, hostile):
    ctx, host = hostile
    (ctx / "Dockerfile").write_text(textwrap.dedent("""
        FROM busybox
        COPY leak /leak
        COPY chain /chain
        COPY chain2 /chain2
        COPY dlink/ /d/
        COPY dlink /d2
        COPY rootlink/ /r/
        COPY . /ctx/
        ADD leak /addleak
    """).lstrip())
    r = b.build(ctx, tag=b.tag("hostile-links"))
    image = r.image
    assert "CANARY" not in r.log
    assert b.probe(image, "/leak", "/chain", "/chain2", "/d", "/d/f", "/d2/f", "/ctx/leak", "/ctx/dlink",
                   "/ctx/rootlink", "/ctx/up", "/addleak") == [
        "/leak 0:0 644 IN-CONTEXT-MIRROR|",
        "/chain 0:0 644 IN-CONTEXT-MIRROR|",
        "/chain2 0:0 644 IN-CONTEXT-MIRROR|",
        "/d/ 0:0 755 [f]",
        "/d/f 0:0 644 IN-CONTEXT-DIR|",
        "/d2/f 0:0 644 IN-CONTEXT-DIR|",
        f"/ctx/leak -> {host}/secret",           # inside a copied directory: the link itself
        f"/ctx/dlink -> {host}/d",
        "/ctx/rootlink -> /",
        "/ctx/up -> ../../../../../../..",
        "/addleak 0:0 644 IN-CONTEXT-MIRROR|",
    ]
    # rootlink/ is the context's root, not the host's.
    listing = b.sh(image, "ls -A /r").split()
    assert "Dockerfile" in listing and "real" in listing and "etc" not in listing and "proc" not in listing
    assert "CANARY" not in b.sh(image, f"cat /r/{str(host).lstrip('/')}/secret /ctx/{str(host).lstrip('/')}/secret")


def test_symlink_source_outside_and_missing(b, hostile):
    """Links whose in-context resolution does not exist: an error, never the host's file."""
    ctx, host = hostile
    shutil.rmtree(ctx / str(host).lstrip("/"))
    for i, inst in enumerate(["COPY leak /leak", "COPY dlink/ /d/", "COPY up/etc/passwd /p",
                              f"COPY rootlink{host}/secret /s"]):
        (ctx / "Dockerfile").write_text(f"FROM busybox\n{inst}\n")
        r = b.build(ctx, tag=b.tag(f"hostile-missing-{i}"))
        r.failed(pattern="not found|no such file", rc=1)
        assert "CANARY" not in r.log


def test_copy_parent_path(b, hostile):
    """`COPY ../x`: refused (classic) or resolved inside the context (BuildKit); never the
    file outside."""
    ctx, host = hostile
    (ctx.parent / "outside.txt").write_text("OUTSIDE-CANARY\n")
    (ctx / "outside.txt").write_text("in context\n")
    (ctx / "Dockerfile").write_text("FROM busybox\nCOPY ../outside.txt /x\n")
    r = b.build(ctx, tag=b.tag("parent-path"))
    assert "CANARY" not in r.log
    if r.rc != 0:
        r.failed("forbidden path outside the build context: ../outside.txt", rc=1)
    else:
        assert b.probe(r.image, "/x") == ["/x 0:0 644 in context|"]


def test_destination_symlink_stays_in_the_image(b, hostile):
    """A link in the image pointing at a host path: COPY/ADD through it write in the image."""
    ctx, host = hostile
    target = host.parent / f"{host.name}-target"
    target.mkdir()
    (ctx / "Dockerfile").write_text(textwrap.dedent(f"""
        FROM busybox
        RUN ln -s {target} /evil && ln -s / /evilroot
        COPY real /evil/pwned
        COPY real /evilroot{target}/pwned2
        ADD real /evil/added
    """).lstrip())
    r = b.build(ctx, tag=b.tag("dest-link"))
    image = r.image
    assert list(target.iterdir()) == []
    assert b.sh(image, f"ls -A {target}") == "added\npwned\npwned2\n"


def test_hostile_tar_in_add(b):
    """ADD of a local archive with `..` names, absolute names and a link followed by a file
    through it: everything lands inside the image."""
    target = b.root / "tar-target"
    target.mkdir()
    evil = tar_bytes([
        ("../../../../../../../.." + str(target) + "/dotdot", "dotdot\n"),
        (str(target) + "/absolute", "absolute\n"),
        ("escape", L(str(target))),
        ("escape/through-link", "through link\n"),
        ("ok", "ok\n"),
    ])
    r = b.make("hostile-tar", """
        FROM busybox
        ADD evil.tar /x/
    """, {"evil.tar": evil})
    assert list(target.iterdir()) == []
    image = r.image
    # Every name is taken inside the destination: `..` stops at it, absolute names and the
    # link are resolved in it.
    found = b.sh(image, "find / -xdev \\( -name dotdot -o -name absolute -o -name through-link \\) | sort")
    inner = f"/x{target}"
    assert found.splitlines() == [f"{inner}/absolute", f"{inner}/dotdot", f"{inner}/through-link"]
    assert b.probe(image, "/x/ok", "/x/escape", f"{inner}/through-link") == [
        "/x/ok 0:0 644 ok|", f"/x/escape -> {target}", f"{inner}/through-link 0:0 644 through link|"]
