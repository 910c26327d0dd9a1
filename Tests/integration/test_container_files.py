"""A container's files through the real docker CLI 28, the skiff CLI and
docker-py, against skiffd: `cp` both ways (bytes, trees with modes, owners
and links, running and stopped containers, volumes and binds, docker's path
rules and errors, stdin/stdout tars), `diff`, `commit` (the image runs with
the changes and has the --change config), `export`, `rename` (DNS follows the
new name), a hostile image whose symlinks (`etc -> /`, `escape ->
../../../..`, absolute links to a host directory) never let a copy read or
write the host, and bad input."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import tarfile
import time
import urllib.parse
from pathlib import Path

import pytest

from clitest import skiff_binary
from skiffd import busybox_tar, daemon  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def busybox(daemon, busybox_tar):
    daemon.out("import", "-c", 'CMD ["sh"]', str(busybox_tar), "busybox:latest")
    yield "busybox"


@pytest.fixture(params=["docker", "skiff"])
def cli(request, daemon):
    """The client under test: the real docker CLI or skiff, against the test daemon."""
    if request.param == "docker":
        binary = "docker"
    else:
        binary = skiff_binary()
        if not binary:
            pytest.skip("the skiff CLI is not built (set SKIFF_CLI)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_CONFIG"] = str(daemon.docker_config)

    def run(*args, input: bytes | None = None, check: bool = True, cwd=None) -> subprocess.CompletedProcess:
        p = subprocess.run([binary, "-H", f"unix://{daemon.sock}", *args], input=input, capture_output=True,
                           env=env, timeout=120, cwd=cwd)
        if check and p.returncode != 0:
            raise AssertionError(f"{request.param} {' '.join(args)} exited {p.returncode}: {p.stderr.decode()}")
        return p

    run.name = request.param
    return run


def err(p: subprocess.CompletedProcess) -> str:
    return p.stderr.decode().strip()


@pytest.fixture(autouse=True)
def no_leftovers(daemon):
    """Every test removes its containers; the roots of stopped containers are not left mounted."""
    yield
    ids = daemon.out("ps", "-aq").split()
    if ids:
        daemon.docker("rm", "-f", "-v", *ids, check=False)
    time.sleep(0.1)
    rootfs = [line.split()[4] for line in open("/proc/self/mountinfo") if str(daemon.data) in line]
    assert rootfs == []


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inside(daemon, container: str, script: str) -> str:
    return daemon.out("exec", "-u", "0", container, "sh", "-c", script)


def listing(daemon, container: str, path: str) -> dict[str, str]:
    """`path` in the container, recursively: relative name -> 'mode uid:gid type [target]'."""
    out = inside(daemon, container, f"cd {path} && find . | sort | while read f; do "
                                    f"echo \"$f $(stat -c '%a %u:%g %F' \"$f\") $(readlink \"$f\")\"; done")
    return {line.split(" ", 1)[0]: line.split(" ", 1)[1].strip() for line in out.splitlines()}


def local_tree(root: Path, owners: bool = True) -> dict[str, str]:
    """The same shape for a local directory."""
    out = {}
    for path in sorted([root, *root.rglob("*")]):
        st = os.lstat(path)
        kind = ("directory" if stat.S_ISDIR(st.st_mode) else "symbolic link" if stat.S_ISLNK(st.st_mode)
                else "regular empty file" if st.st_size == 0 else "regular file")
        name = "." if path == root else "./" + str(path.relative_to(root))
        target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else ""
        owner = f"{st.st_uid}:{st.st_gid}" if owners else ""
        out[name] = f"{stat.S_IMODE(st.st_mode):o} {owner} {kind} {target}".replace("  ", " ").strip()
    return out


def make_tree(root: Path) -> Path:
    """A directory with modes, owners, symlinks (relative, absolute, dangling), a hard link,
    an empty directory, a setuid file and a file of random bytes."""
    d = root / "tree"
    (d / "sub" / "deeper").mkdir(parents=True)
    (d / "empty").mkdir()
    (d / "a.txt").write_text("alpha\n")
    (d / "sub" / "b.bin").write_bytes(os.urandom(100_000))
    (d / "sub" / "deeper" / "c").write_text("gamma\n")
    (d / "tool").write_text("#!/bin/sh\necho tool\n")
    os.chmod(d / "tool", 0o4755)
    os.chmod(d / "sub", 0o751)
    os.chmod(d / "sub" / "deeper" / "c", 0o600)
    os.symlink("a.txt", d / "rel-link")
    os.symlink("/etc/passwd", d / "abs-link")
    os.symlink("missing", d / "dangling")
    os.link(d / "a.txt", d / "hard")
    for path in [d, *d.rglob("*")]:
        os.lchown(path, 1234, 5678)
    os.chmod(d / "tool", 0o4755)  # chown clears setuid
    return d


# ================================================================ cp: bytes both ways

def test_cp_file_bytes_both_ways(cli, daemon, busybox, tmp_path):
    """A 3 MB file of random bytes goes in and comes back out unchanged (sha256), into a
    running container, as a new name and into an existing directory."""
    data = os.urandom(3 << 20)
    (tmp_path / "blob").write_bytes(data)
    c = f"cp-bytes-{cli.name}"
    daemon.docker("run", "-d", "--name", c, busybox, "sleep", "1000")
    cli("cp", str(tmp_path / "blob"), f"{c}:/tmp/renamed")
    cli("cp", str(tmp_path / "blob"), f"{c}:/tmp")
    sums = inside(daemon, c, "sha256sum /tmp/renamed /tmp/blob").split()
    assert sums[0] == sums[2] == sha256(data)
    cli("cp", f"{c}:/tmp/renamed", str(tmp_path / "back"))
    assert sha256((tmp_path / "back").read_bytes()) == sha256(data)
    (tmp_path / "into").mkdir()
    cli("cp", f"{c}:/tmp/blob", str(tmp_path / "into"))
    assert sha256((tmp_path / "into" / "blob").read_bytes()) == sha256(data)
    # Not a terminal: no progress and no summary (docker prints them only on a terminal).
    p = cli("cp", str(tmp_path / "blob"), f"{c}:/tmp/again")
    assert p.stdout == b"" and p.stderr == b""


def test_cp_directory_tree_with_modes_owners_and_links(cli, daemon, busybox, tmp_path):
    """A tree keeps modes, setuid, owners (the archive's, as dockerd), symlinks and the
    hard link; `-a` gives everything the container user's ids; back out, the tree is the same
    (owned by whoever copies, as docker does)."""
    tree = make_tree(tmp_path)
    c = f"cp-tree-{cli.name}"
    daemon.docker("run", "-d", "--name", c, "--user", "4321:8765", busybox, "sleep", "1000")
    cli("cp", str(tree), f"{c}:/tmp/copy")
    inner = listing(daemon, c, "/tmp/copy")
    assert inner == local_tree(tree), inner
    assert inside(daemon, c, "stat -c %i /tmp/copy/a.txt /tmp/copy/hard | uniq | wc -l") == "1"
    assert inside(daemon, c, "cat /tmp/copy/sub/deeper/c") == "gamma"

    cli("cp", "-a", str(tree), f"{c}:/tmp/owned")
    owners = {v.split()[1] for v in listing(daemon, c, "/tmp/owned").values()}
    assert owners == {"4321:8765"}

    cli("cp", f"{c}:/tmp/copy", str(tmp_path / "back"))
    back = local_tree(tmp_path / "back", owners=False)
    assert back == local_tree(tree, owners=False)
    assert (tmp_path / "back" / "sub" / "b.bin").read_bytes() == (tree / "sub" / "b.bin").read_bytes()
    assert os.lstat(tmp_path / "back" / "a.txt").st_ino == os.lstat(tmp_path / "back" / "hard").st_ino
    assert os.lstat(tmp_path / "back" / "a.txt").st_uid == os.getuid()


def test_cp_to_and_from_stopped_containers(cli, daemon, busybox, tmp_path):
    """A created and an exited container take copies and give them back; their roots are
    mounted only for the copy; started, they see the files."""
    (tmp_path / "f").write_text("for a stopped container\n")
    created, exited = f"cp-created-{cli.name}", f"cp-exited-{cli.name}"
    daemon.docker("create", "--name", created, busybox, "cat", "/tmp/f")
    daemon.docker("run", "--name", exited, busybox, "sh", "-c", "echo made-while-running > /made")
    for c in (created, exited):
        cli("cp", str(tmp_path / "f"), f"{c}:/tmp/f")
        cli("cp", f"{c}:/tmp/f", str(tmp_path / f"back-{c}"))
        assert (tmp_path / f"back-{c}").read_text() == "for a stopped container\n"
    cli("cp", f"{exited}:/made", str(tmp_path / "made"))
    assert (tmp_path / "made").read_text() == "made-while-running\n"
    exited_id = daemon.out("inspect", "-f", "{{.Id}}", exited)
    assert [line for line in open("/proc/self/mountinfo") if exited_id in line] == []
    daemon.docker("start", "-a", created)
    assert daemon.out("logs", created) == "for a stopped container"


# ================================================================ cp: docker's path rules

def test_cp_path_rules(cli, daemon, busybox, tmp_path):
    """`dir` copies the directory, `dir/.` its contents; a missing destination takes the
    source's name; an existing directory receives it; symlinks are copied as links unless
    -L; a container symlink to a directory is a valid destination."""
    src = tmp_path / "src"
    (src / "inner").mkdir(parents=True)
    (src / "inner" / "x").write_text("x\n")
    (src / "top").write_text("top\n")
    os.symlink("top", src / "link")
    c = f"cp-rules-{cli.name}"
    daemon.docker("run", "-d", "--name", c, busybox, "sh", "-c", "mkdir /dst /real && ln -s /real /linkdir && sleep 1000")
    time.sleep(0.3)
    cli("cp", str(src), f"{c}:/dst")               # exists: into it
    cli("cp", str(src) + "/.", f"{c}:/contents")   # contents, to a new directory
    cli("cp", str(src), f"{c}:/newname")           # missing: takes the name
    cli("cp", str(src / "link"), f"{c}:/dst/")     # the link itself
    cli("cp", "-L", str(src / "link"), f"{c}:/followed")
    cli("cp", str(src / "top"), f"{c}:/linkdir")   # through a symlink to a directory
    out = inside(daemon, c, "ls /dst/src; ls /contents; ls /newname; readlink /dst/link; cat /followed; ls /real")
    assert out.split() == ["inner", "link", "top", "inner", "link", "top", "inner", "link", "top", "top", "top", "top"]

    cli("cp", f"{c}:/dst/src/.", str(tmp_path / "dot"))
    assert sorted(os.listdir(tmp_path / "dot")) == ["inner", "link", "top"]
    cli("cp", f"{c}:/dst/link", str(tmp_path / "asis"))
    assert os.readlink(tmp_path / "asis") == "top"
    cli("cp", "-L", f"{c}:/dst/src/link", str(tmp_path / "deref"))
    assert (tmp_path / "deref").read_text() == "top\n"
    cli("cp", f"{c}:/linkdir/", str(tmp_path / "via-link"))
    assert os.listdir(tmp_path / "via-link") == ["top"]


@pytest.mark.parametrize("args,message", [
    (["{c}:/nope", "{tmp}/x"], "Error response from daemon: Could not find the file /nope in container {c}"),
    (["{tmp}/file", "{c}:/nope/x"], "Error response from daemon: Could not find the file /nope in container {c}"),
    (["{tmp}/file", "{c}:/nope/dir/"], "no such directory"),
    (["{tmp}/file", "{c}:/etc/passwd/x"], "Error response from daemon: extraction point is not a directory"),
    (["{c}:/etc/passwd/", "{tmp}/x"], "Error response from daemon: lstat /etc/passwd/: not a directory"),
    (["{tmp}/dir", "{c}:/etc/passwd"], "cannot copy directory"),
    (["{c}:/etc", "{tmp}/file"], "cannot copy directory"),
    (["{c}:/etc/passwd", "{tmp}/nodir/x"], 'invalid output path: directory "{tmp}/nodir" does not exist'),
    (["{c}:/etc/passwd", "{tmp}/file/x"], "stat {tmp}/file/x: not a directory"),
    (["{c}:/etc/passwd", "{tmp}/newdir/"], "no such directory"),
    (["{tmp}/missing", "{c}:/tmp"], "lstat {tmp}/missing: no such file or directory"),
    (["{c}:/a", "other:/b"], "copying between containers is not supported"),
    (["a", "b"], "must specify at least one container source"),
    (["nosuch:/x", "."], "Error response from daemon: No such container: nosuch"),
    (["", "x"], "source can not be empty"),
    (["x", ""], "destination can not be empty"),
    (["-", "{c}:/etc/passwd"], 'destination "{c}:/etc/passwd" must be a directory'),
    (["{c}:", "{tmp}/x"], "Error response from daemon: bad parameter: pathcannot be empty"),
])
def test_cp_errors(cli, daemon, busybox, tmp_path, args, message):
    """docker's wording and exit status 1 for each bad copy, the same from both clients."""
    c = f"cp-errors-{cli.name}"
    daemon.docker("create", "--name", c, busybox, "true")
    (tmp_path / "file").write_text("f\n")
    (tmp_path / "dir").mkdir()
    fill = {"c": c, "tmp": str(tmp_path)}
    p = cli("cp", *[a.format(**fill) for a in args], input=b"", check=False)
    assert p.returncode == 1
    # (The docker CLI logs its own tar writer's complaints before some of these.)
    assert err(p).splitlines()[-1] == message.format(**fill)


def test_cp_tar_streams(cli, daemon, busybox, tmp_path):
    """`-` as the destination streams the daemon's tar; `-` as the source extracts one
    (gzip-compressed too) into a directory."""
    c = f"cp-stream-{cli.name}"
    daemon.docker("run", "-d", "--name", c, busybox, "sleep", "1000")
    out = cli("cp", f"{c}:/etc/passwd", "-").stdout
    with tarfile.open(fileobj=io.BytesIO(out)) as t:
        assert t.getnames() == ["passwd"]
        assert t.extractfile("passwd").read().startswith(b"root:")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        info = tarfile.TarInfo("streamed/hello")
        info.size = 6
        t.addfile(info, io.BytesIO(b"hello\n"))
    cli("cp", "-", f"{c}:/tmp", input=buf.getvalue())
    assert inside(daemon, c, "cat /tmp/streamed/hello") == "hello"


# ================================================================ cp: volumes and binds

def test_cp_sees_volumes_and_binds(cli, daemon, busybox, tmp_path):
    """As docker cp: a copy into a volume or a bind lands in it (also through a symlink in the
    container), read-only mounts and a read-only root refuse, a volume's files come out."""
    bind = tmp_path / "bind"
    bind.mkdir()
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "kept").write_text("read-only\n")
    (tmp_path / "f").write_text("payload\n")
    c = f"cp-vol-{cli.name}"
    vol = f"cpvol-{cli.name}"
    daemon.docker("run", "-d", "--name", c, "-v", f"{vol}:/data", "-v", f"{bind}:/bind", "-v", f"{ro}:/ro:ro",
                  busybox, "sh", "-c", "ln -s /data /tmp/to-data && echo in-volume > /data/v && sleep 1000")
    time.sleep(0.3)
    cli("cp", str(tmp_path / "f"), f"{c}:/data/copied")
    cli("cp", str(tmp_path / "f"), f"{c}:/tmp/to-data/via-link")
    cli("cp", str(tmp_path / "f"), f"{c}:/bind/copied")
    volume = Path(json.loads(daemon.out("volume", "inspect", vol))[0]["Mountpoint"])
    assert (volume / "copied").read_text() == "payload\n"
    assert (volume / "via-link").read_text() == "payload\n"
    assert (bind / "copied").read_text() == "payload\n"
    p = cli("cp", str(tmp_path / "f"), f"{c}:/ro/", check=False)
    assert (p.returncode, err(p)) == (1, "Error response from daemon: mounted volume is marked read-only")
    assert sorted(os.listdir(ro)) == ["kept"]
    cli("cp", f"{c}:/data/v", str(tmp_path / "v"))
    assert (tmp_path / "v").read_text() == "in-volume\n"
    cli("cp", f"{c}:/ro/kept", str(tmp_path / "kept"))
    assert (tmp_path / "kept").read_text() == "read-only\n"
    # The container's own files at /etc/hosts etc. are what it sees there.
    with tarfile.open(fileobj=io.BytesIO(cli("cp", f"{c}:/etc/hostname", "-").stdout)) as t:
        assert t.extractfile("hostname").read().decode() == inside(daemon, c, "cat /etc/hostname") + "\n"
    daemon.docker("stop", "-t", "0", c)
    cli("cp", str(tmp_path / "f"), f"{c}:/data/while-stopped")
    assert (volume / "while-stopped").read_text() == "payload\n"

    r = f"cp-readonly-{cli.name}"
    daemon.docker("create", "--name", r, "--read-only", busybox, "true")
    p = cli("cp", str(tmp_path / "f"), f"{r}:/tmp/", check=False)
    assert (p.returncode, err(p)) == (1, "Error response from daemon: container rootfs is marked read-only")
    daemon.docker("rm", "-f", "-v", c, r)
    daemon.docker("volume", "rm", vol)


# ================================================================ cp: a hostile image

@pytest.fixture(scope="module")
def hostile(daemon, busybox_tar, tmp_path_factory):
    """busybox whose /etc is a symlink to /, with `escape -> ../../../..`, `up -> ..`,
    `canary -> <a host directory>` (absolute), `magic -> /proc/self/root`, and a directory
    `box` holding `out -> /` ; the host directory holds a secret the copies must never see."""
    canary = tmp_path_factory.mktemp("canary")
    (canary / "secret").write_text("HOST SECRET\n")
    out = tmp_path_factory.mktemp("hostile") / "hostile.tar"
    with tarfile.open(busybox_tar) as src, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as dst:
        for member in src.getmembers():
            name = member.name.lstrip("./")
            if name == "etc" or name.startswith("etc/"):
                continue
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)

        def link(name, target, kind=tarfile.SYMTYPE):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            dst.addfile(info)
        link("etc", "/")
        link("escape", "../../../..")
        link("up", "..")
        link("canary", str(canary))
        link("magic", "/proc/self/root")
        box = tarfile.TarInfo("box")
        box.type, box.mode = tarfile.DIRTYPE, 0o755
        dst.addfile(box)
        link("box/out", "/")
    daemon.out("import", "-c", 'CMD ["sh"]', str(out), "hostile:latest")
    return canary


def host_snapshot(canary: Path) -> dict:
    return {p.name: p.read_bytes() for p in canary.iterdir()}


@pytest.mark.parametrize("state", ["running", "created"])
def test_cp_hostile_links_stay_in_the_container(cli, daemon, hostile, tmp_path, state):
    """Copies to and from paths through `etc -> /`, `escape -> ../../../..`, `up -> ..` and an
    absolute link to a host directory resolve inside the container's root: the host directory
    (the canary) and the host's / are untouched, its secret never comes out."""
    canary = hostile
    before = host_snapshot(canary)
    c = f"cp-hostile-{state}-{cli.name}"
    if state == "running":
        daemon.docker("run", "-d", "--name", c, "hostile", "sleep", "1000")
    else:
        daemon.docker("create", "--name", c, "hostile", "sleep", "1000")
    payload = tmp_path / "pwned-by-cp"
    payload.write_text("pwned\n")
    targets = ["/etc/", "/escape/", "/up/up/", "/canary/", f"/escape{canary}/", "/box/out/", "/etc/etc/escape/tmp/",
               "/magic/"]
    for target in targets:
        cli("cp", str(payload), f"{c}:{target}", check=False)
    for source in ["/canary/secret", f"/escape{canary}/secret", f"/etc/..{canary}/secret", f"/up/up{canary}/secret",
                   f"/box/out{canary}/secret", f"/magic{canary}/secret"]:
        p = cli("cp", f"{c}:{source}", "-", check=False)
        assert b"HOST SECRET" not in p.stdout, source
    # A directory holding the links comes out with the links as links, nothing written elsewhere.
    (tmp_path / "out").mkdir()
    cli("cp", f"{c}:/box", str(tmp_path / "out"))
    assert os.readlink(tmp_path / "out" / "box" / "out") == "/"

    assert host_snapshot(canary) == before
    for name in ["/pwned-by-cp", "/tmp/pwned-by-cp"]:
        assert not os.path.exists(name)
    if state == "created":
        daemon.docker("start", c)
    # Inside, the copies are where the links lead in the container.
    assert inside(daemon, c, "test -f /pwned-by-cp && test -f /tmp/pwned-by-cp && echo both") == "both"


def test_cp_into_a_hostile_symlinked_destination_is_contained(daemon, hostile, tmp_path):
    """The API directly: PUT to `/etc` (-> /) and HEAD/GET through `escape` stay inside."""
    canary = hostile
    c = "cp-hostile-api"
    daemon.docker("create", "--name", c, "hostile", "true")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("api-pwned")
        info.size = 3
        t.addfile(info, io.BytesIO(b"hi\n"))
        ln = tarfile.TarInfo("api-dir-link")
        ln.type, ln.linkname = tarfile.SYMTYPE, str(canary)
        t.addfile(ln)
        through = tarfile.TarInfo("api-dir-link/through-link")
        through.size = 3
        t.addfile(through, io.BytesIO(b"hi\n"))
    for path in ["/etc", f"/escape{canary}", "/canary"]:
        daemon.request("PUT", f"/containers/{c}/archive?path={urllib.parse.quote(path)}", body=buf.getvalue())
    status, headers, _ = daemon.request("HEAD", f"/containers/{c}/archive?path=/escape{canary}/secret")
    assert status == 404
    status, headers, _ = daemon.request("HEAD", f"/containers/{c}/archive?path=/canary")
    assert status == 200
    stat_json = json.loads(base64.b64decode(headers["X-Docker-Container-Path-Stat"]))
    assert stat_json["linkTarget"] == str(canary)  # resolved in the container's root (where it leads nowhere)
    assert sorted(p.name for p in canary.iterdir()) == ["secret"]
    assert not os.path.exists("/api-pwned")


# ================================================================ diff

def test_diff_lists_exactly_the_changes(cli, daemon, busybox):
    """A fresh container has no changes; then added files and directories (A), modified files
    and the directories holding changes (C), deleted files and what an opaque directory hides
    (D), as docker lists them."""
    c = f"diff-{cli.name}"
    daemon.docker("run", "-d", "--name", c, busybox, "sleep", "1000")
    assert cli("diff", c).stdout == b""
    inside(daemon, c, "echo x > /tmp/new && mkdir -p /added/deep && echo y > /added/deep/file"
                      " && echo extra >> /etc/passwd && rm /etc/group && chmod 700 /home"
                      " && rm -rf /usr && mkdir /usr && echo z > /usr/only")
    assert cli("diff", c).stdout.decode().splitlines() == [
        "A /added", "A /added/deep", "A /added/deep/file",
        "C /etc", "D /etc/group", "C /etc/passwd",
        "C /home",
        "C /tmp", "A /tmp/new",
        "C /usr", "D /usr/bin", "A /usr/only", "D /usr/sbin",
    ]
    p = cli("diff", "nosuch", check=False)
    assert (p.returncode, err(p)) == (1, "Error response from daemon: No such container: nosuch")


def test_diff_after_a_copy_and_through_the_api(daemon, busybox, tmp_path):
    """docker-py's `diff()` and the raw API: Kinds 0/1/2, `null` when nothing changed."""
    client = daemon.client()
    c = client.containers.run("busybox", "sleep 1000", detach=True, name="diff-api")
    status, _, body = daemon.request("GET", "/containers/diff-api/changes")
    assert (status, body.strip()) == (200, b"null")
    c.put_archive("/tmp", tarball({"copied": b"data"}))
    assert c.diff() == [{"Path": "/tmp", "Kind": 0}, {"Path": "/tmp/copied", "Kind": 1}]
    c.exec_run("rm /etc/passwd")
    assert {"Path": "/etc/passwd", "Kind": 2} in c.diff()
    c.remove(force=True)


def tarball(files: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# ================================================================ commit

def test_commit_runs_with_the_changes_and_the_config(cli, daemon, busybox):
    """The committed image has the container's changes (added, modified, deleted), its
    configuration with the --change instructions over it, -m and -a, a history entry with the
    container's command; a container from it runs with all of that."""
    c = f"commit-{cli.name}"
    tag = f"committed-{cli.name}:v1"
    daemon.docker("run", "-d", "--name", c, "-e", "FROM_RUN=1", "--label", "from=run", busybox,
                  "sh", "-c", "echo built > /built && rm /etc/group && sleep 1000")
    time.sleep(0.3)
    p = cli("commit", "-m", "the message", "-a", "Ann Author <ann@example.com>",
            "-c", "ENV ADDED=yes", "-c", 'CMD ["sh", "-c", "cat /built; ls /etc/group 2>&1; echo $ADDED $FROM_RUN; pwd; id -u"]',
            "-c", "WORKDIR /tmp", "-c", "USER 1:2", "-c", "EXPOSE 8080/udp", "-c", "LABEL committed=true",
            "-c", "STOPSIGNAL SIGINT", "-c", "VOLUME /vol", "-c", "ONBUILD RUN true",
            "-c", "HEALTHCHECK --interval=7s --retries=4 CMD true",
            c, tag)
    image_id = p.stdout.decode().strip()
    assert image_id.startswith("sha256:") and len(image_id) == 71
    info = json.loads(daemon.out("image", "inspect", tag))[0]
    assert info["Id"] == image_id
    config = info["Config"]
    assert config["Env"] == ["FROM_RUN=1", "ADDED=yes"]
    assert config["WorkingDir"] == "/tmp" and config["User"] == "1:2" and config["StopSignal"] == "SIGINT"
    assert config["ExposedPorts"] == {"8080/udp": {}} and config["Volumes"] == {"/vol": {}}
    assert config["Labels"] == {"from": "run", "committed": "true"}
    assert config["OnBuild"] == ["RUN true"]
    assert config["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 7_000_000_000, "Retries": 4}
    assert info["Comment"] == "the message" and info["Author"] == "Ann Author <ann@example.com>"
    base = json.loads(daemon.out("image", "inspect", "busybox"))[0]
    assert info["Parent"] == base["Id"]
    assert len(info["RootFS"]["Layers"]) == len(base["RootFS"]["Layers"]) + 1
    history = json.loads(daemon.docker("history", "--no-trunc", "--format", "{{json .}}", tag).stdout.decode().splitlines()[0])
    assert history["CreatedBy"] == "sh -c echo built > /built && rm /etc/group && sleep 1000"
    assert history["Comment"] == "the message"
    out = daemon.out("run", "--rm", tag).splitlines()
    assert out[0] == "built"
    assert "No such file" in out[1]
    assert out[2:] == ["yes 1", "/tmp", "1"]


def test_commit_without_changes_adds_no_layer(cli, daemon, busybox):
    """A container that changed nothing commits to an image with the same layers (the history
    entry is an empty layer); --pause=false on a running container works too."""
    c = f"commit-empty-{cli.name}"
    daemon.docker("run", "-d", "--name", c, busybox, "sleep", "1000")
    image = cli("commit", "--pause=false", c).stdout.decode().strip()
    info = json.loads(daemon.out("image", "inspect", image))[0]
    base = json.loads(daemon.out("image", "inspect", "busybox"))[0]
    assert info["RootFS"]["Layers"] == base["RootFS"]["Layers"]
    assert info["RepoTags"] == []
    assert daemon.docker("rmi", image).returncode == 0


@pytest.mark.parametrize("args,message", [
    (["-c", "RUN true"], "Error response from daemon: run is not a valid change command"),
    (["-c", "FROM busybox"], "Error response from daemon: from is not a valid change command"),
    (["-c", "HEALTHCHECK --interval=1ns CMD true"], 'Error response from daemon: Interval "interval" cannot be less than 1ms'),
])
def test_commit_errors(cli, daemon, busybox, args, message):
    c = f"commit-errors-{cli.name}"
    daemon.docker("create", "--name", c, busybox, "true")
    p = cli("commit", *args, c, check=False)
    assert (p.returncode, err(p)) == (1, message)
    p = cli("commit", c, "Bad:tag", check=False)
    assert p.returncode == 1 and "must be lowercase" in err(p)
    p = cli("commit", "nosuch", check=False)
    assert (p.returncode, err(p)) == (1, "Error response from daemon: No such container: nosuch")


def test_commit_with_docker_py(daemon, busybox):
    """docker-py's commit with a config body: its fields over the container's."""
    client = daemon.client()
    c = client.containers.run("busybox", "sh -c 'echo py > /py; sleep 1000'", detach=True, name="commit-py")
    time.sleep(0.3)
    image = c.commit(repository="pycommit", tag="t", message="from py", conf={"Cmd": ["cat", "/py"], "Env": ["PY=1"]})
    assert image.attrs["Config"]["Cmd"] == ["cat", "/py"]
    assert "PY=1" in image.attrs["Config"]["Env"]
    assert client.containers.run("pycommit:t", remove=True) == b"py\n"
    c.remove(force=True)


# ================================================================ export

def test_export_equals_the_containers_files(cli, daemon, busybox, tmp_path):
    """The exported tar holds the container's files — every regular file with the bytes the
    container reads — without its volumes or the contents of /proc, /sys and /dev."""
    c = f"export-{cli.name}"
    daemon.docker("run", "-d", "--name", c, "-v", "/anonymous", busybox, "sh", "-c",
                  "echo exported > /tmp/e && rm /etc/group && echo hidden > /anonymous/v && sleep 1000")
    time.sleep(0.3)
    out = tmp_path / "export.tar"
    cli("export", "-o", str(out), c)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with tarfile.open(out) as t:
        members = {m.name.rstrip("/"): m for m in t.getmembers()}
        files = {name: sha256(t.extractfile(m).read()) for name, m in members.items() if m.isfile()}
    assert "tmp/e" in files and "etc/group" not in members and "anonymous/v" not in members
    for special in ("proc", "sys", "dev"):
        assert not any(name.startswith(special + "/") for name in members), special
    sums = inside(daemon, c, "find / -xdev -type f | xargs sha256sum")
    seen = {line.split()[1].lstrip("/"): line.split()[0] for line in sums.splitlines()}
    # The container sees its own hosts, hostname and resolv.conf there (bind mounts); the
    # export has what its root holds below them, as dockerd's does.
    for mounted in ("etc/hosts", "etc/hostname", "etc/resolv.conf"):
        files.pop(mounted, None)
        seen.pop(mounted, None)
    assert seen == files
    p = cli("export", c, check=False)
    assert p.returncode == 0 and p.stdout[:512] != b"\0" * 512
    p = cli("export", "nosuch", check=False)
    assert (p.returncode, err(p)) == (1, "Error response from daemon: No such container: nosuch")


def test_export_a_stopped_container_with_docker_py(daemon, busybox):
    client = daemon.client()
    c = client.containers.run("busybox", "sh -c 'echo gone > /stopped'", detach=True, name="export-py")
    c.wait()
    data = b"".join(c.export())
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        assert t.extractfile("stopped").read() == b"gone\n"
    c.remove()


# ================================================================ rename

def test_rename(cli, daemon, busybox):
    """The new name is the container's; on a user network its DNS name follows; docker's
    errors for a taken name, the same name, an invalid name, an empty one."""
    net = f"renamenet-{cli.name}"
    old, new, other = f"ren-old-{cli.name}", f"ren-new-{cli.name}", f"ren-other-{cli.name}"
    daemon.docker("network", "create", net)
    try:
        daemon.docker("run", "-d", "--name", old, "--network", net, busybox, "sleep", "1000")
        daemon.docker("run", "-d", "--name", other, "--network", net, busybox, "sleep", "1000")
        assert cli("rename", old, new).returncode == 0
        assert daemon.out("inspect", "-f", "{{.Name}}", new) == "/" + new
        assert daemon.docker("inspect", old, check=False).returncode == 1
        assert resolves(daemon, other, new)
        assert daemon.docker("exec", other, "nslookup", old, check=False).returncode != 0
        cid = daemon.out("inspect", "-f", "{{.Id}}", other)
        p = cli("rename", new, other, check=False)
        assert (p.returncode, err(p)) == (1, "Error response from daemon: Error when allocating new name: Conflict. "
                                             f'The container name "/{other}" is already in use by container "{cid}". '
                                             "You have to remove (or rename) that container to be able to reuse that name.\n"
                                             f"Error: failed to rename container named {new}")
        p = cli("rename", new, new, check=False)
        assert err(p).splitlines()[0] == "Error response from daemon: Renaming a container with the same name as its current name"
        p = cli("rename", new, "bad!", check=False)
        assert err(p).splitlines()[0] == ("Error response from daemon: Error when allocating new name: Invalid container name "
                                          "(/bad!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        p = cli("rename", new, " ", check=False)
        assert (p.returncode, err(p)) == (1, "Error: Neither old nor new names may be empty")
        daemon.docker("restart", "-t", "0", new)
        assert resolves(daemon, other, new)
    finally:
        daemon.docker("rm", "-f", old, new, other, check=False)
        daemon.docker("network", "rm", net, check=False)


def resolves(daemon, client: str, name: str) -> bool:
    """Whether `name` resolves from the container `client` (a few tries: the first answer
    for a container that just started may be late)."""
    for _ in range(10):
        if daemon.docker("exec", client, "nslookup", name, check=False).returncode == 0:
            return True
        time.sleep(0.5)
    return False


# ================================================================ bad input (API)

def test_archive_bad_input(daemon, busybox):
    """dockerd's statuses and messages: no path, a missing path, a bad tar, an unknown container."""
    daemon.docker("create", "--name", "bad-input", busybox, "true")
    status, _, body = daemon.request("GET", "/containers/bad-input/archive")
    assert (status, json.loads(body)["message"]) == (400, "bad parameter: pathcannot be empty")
    status, _, body = daemon.request("GET", "/containers/bad-input/archive?path=/missing")
    assert (status, json.loads(body)["message"]) == (404, "Could not find the file /missing in container bad-input")
    status, headers, _ = daemon.request("HEAD", "/containers/bad-input/archive?path=/missing")
    assert status == 404 and "X-Docker-Container-Path-Stat" not in headers
    status, _, body = daemon.request("PUT", "/containers/bad-input/archive?path=/tmp", body=b"this is not a tar" * 100)
    assert status == 400, body
    truncated = tarball({"big": b"x" * 10000})[:1024]
    status, _, body = daemon.request("PUT", "/containers/bad-input/archive?path=/tmp", body=truncated)
    assert status == 400, body
    escaping = io.BytesIO()
    with tarfile.open(fileobj=escaping, mode="w") as t:
        info = tarfile.TarInfo("../../outside")
        t.addfile(info, io.BytesIO(b""))
    status, _, body = daemon.request("PUT", "/containers/bad-input/archive?path=/tmp", body=escaping.getvalue())
    assert status == 400 and b"is outside of" in body
    status, _, body = daemon.request("PUT", "/containers/nosuch/archive?path=/tmp", body=tarball({"a": b"a"}))
    assert (status, json.loads(body)["message"]) == (404, "No such container: nosuch")
    status, _, body = daemon.request("POST", "/containers/bad-input/rename")
    assert (status, json.loads(body)["message"]) == (400, "Neither old nor new names may be empty")
    status, _, body = daemon.request("POST", "/commit?container=bad-input&repo=ok&tag=b@d")
    assert (status, json.loads(body)["message"]) == (400, "invalid tag format")
    status, _, body = daemon.request("GET", "/containers/nosuch/changes")
    assert status == 404
    # The container is still usable.
    status, _, _ = daemon.request("PUT", "/containers/bad-input/archive?path=/tmp", body=tarball({"ok": b"ok"}))
    assert status == 200


def test_archive_with_docker_py(daemon, busybox):
    """docker-py's get_archive/put_archive: bytes equal both ways, the stat it reports."""
    client = daemon.client()
    c = client.containers.run("busybox", "sleep 1000", detach=True, name="archive-py")
    data = os.urandom(200_000)
    assert c.put_archive("/tmp", tarball({"py.bin": data}))
    stream, st = c.get_archive("/tmp/py.bin")
    assert st["name"] == "py.bin" and st["size"] == len(data) and st["mode"] == 0o644
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as t:
        assert t.extractfile("py.bin").read() == data
    _, st = c.get_archive("/bin")
    assert st["mode"] & (1 << 31)
    # The archive of /bin is left unread (docker-py keeps the connection): removing the
    # container is not held up for long.
    started = time.monotonic()
    c.remove(force=True)
    assert time.monotonic() - started < 30
