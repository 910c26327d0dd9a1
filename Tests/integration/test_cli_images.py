"""Image commands: listing, history, inspect, tag/rmi, save/load, import, prune."""
from __future__ import annotations

import os
import pty
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from clitest import IMAGE, REPO, assert_same, daemon, docker, each, normalize, side_by_side, skiff  # noqa: F401


@pytest.mark.parametrize("args", [
    ["images"], ["images", "-a"], ["images", "-q"], ["images", "--digests"], ["images", "--no-trunc"],
    ["images", "busybox"], ["images", "nosuchrepo"], ["image", "ls"], ["image", "list", "-q"],
    ["images", "--filter", "reference=busybox"], ["images", "--filter", "dangling=true"],
    ["images", "--filter", "bogus=1"], ["images", "--format", "json"], ["images", "--format", "table"],
    ["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}"],
    ["images", "--format", "table {{.Repository}}\\t{{.Tag}}\\t{{.CreatedSince}}\\t{{.Containers}}"],
    ["images", "--format", "raw"], ["images", "--format", "{{.Nope}}"], ["images", "--format", "{{.ID"],
    ["images", "-q", "--format", "{{.Repository}}"],
])
def test_image_listing(docker, skiff, args):
    side_by_side(docker, skiff, *args)


@pytest.mark.parametrize("args", [
    ["history", IMAGE], ["history", "--no-trunc", IMAGE], ["history", "-q", IMAGE], ["history", "-H=false", IMAGE],
    ["history", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}", IMAGE], ["history", "--format", "json", IMAGE],
    ["image", "history", IMAGE], ["history", "nosuchimage"],
])
def test_history(docker, skiff, args):
    side_by_side(docker, skiff, *args)


@pytest.mark.parametrize("args", [
    ["image", "inspect", IMAGE], ["image", "inspect", "--format", "{{.Id}} {{.Os}}/{{.Architecture}}", IMAGE],
    ["image", "inspect", "-f", "{{json .Config}}", IMAGE], ["image", "inspect", "-f", "{{.Config.Cmd}}", IMAGE],
    ["image", "inspect", "--format", "json", IMAGE], ["image", "inspect", "nosuchimage"],
    ["image", "inspect", IMAGE, "nosuchimage"], ["inspect", IMAGE], ["inspect", "--type", "image", IMAGE],
    ["image", "inspect", "-f", "{{range .RootFS.Layers}}{{.}}{{end}}", IMAGE],
    ["image", "inspect", "-f", "{{.Missing}}", IMAGE], ["inspect", "--type", "bogus", IMAGE],
])
def test_image_inspect(docker, skiff, args):
    side_by_side(docker, skiff, *args)


def test_tag_and_rmi(each, docker):
    tag = f"skiffcli/tagged-{each.name}:v{os.getpid()}"
    try:
        assert each.run("tag", IMAGE, tag).rc == 0
        out = docker.ok("images", "--format", "{{.Repository}}:{{.Tag}}")
        assert tag in out.split()
        r = each.run("rmi", tag)
        assert r.rc == 0 and r.out == f"Untagged: {tag}\n"
    finally:
        docker.run("rmi", tag)


@pytest.mark.parametrize("args", [
    ["tag", IMAGE, "Bad:Name"], ["tag", IMAGE, "x@sha256:" + "a" * 64], ["tag", "nosuchimage", "x:y"],
    ["rmi", "nosuchimage"], ["rmi", "-f", "nosuchimage"], ["rmi", "nosuchimage", "othermissing"],
])
def test_tag_and_rmi_errors(docker, skiff, args):
    side_by_side(docker, skiff, *args)


def test_rmi_output_matches(docker, skiff):
    outs = []
    for cli in (docker, skiff):
        tag = f"skiffcli/rmi-{cli.name}:t"
        docker.ok("tag", IMAGE, tag)
        r = cli.run("rmi", tag)
        outs.append((r.rc, r.out.replace(tag, "<TAG>"), r.err))
    assert outs[0] == outs[1] == (0, "Untagged: <TAG>\n", "")


def test_save_and_load_round_trip(docker, skiff, tmp_path):
    tag = f"skiffcli/saved:{os.getpid()}"
    docker.ok("tag", IMAGE, tag)
    try:
        skiff_tar, docker_tar = tmp_path / "s.tar", tmp_path / "d.tar"
        assert skiff.run("save", "-o", str(skiff_tar), tag).rc == 0
        assert docker.run("save", "-o", str(docker_tar), tag).rc == 0
        with tarfile.open(skiff_tar) as a, tarfile.open(docker_tar) as b:
            assert sorted(a.getnames()) == sorted(b.getnames())
        # To stdout, as bytes.
        p = subprocess.run([skiff.binary, "-H", skiff.host, "save", tag], capture_output=True)
        assert p.returncode == 0 and p.stdout == skiff_tar.read_bytes()
        docker.ok("rmi", tag)
        d, s = docker.run("load", "-i", str(skiff_tar)), None
        assert d.rc == 0
        docker.ok("rmi", tag)
        s = skiff.run("load", "-i", str(docker_tar))
        assert_same(d, s)
        assert s.out == f"Loaded image: {tag}\n"
        docker.ok("rmi", tag)
        with open(docker_tar, "rb") as f:
            s = subprocess.run([skiff.binary, "-H", skiff.host, "load"], stdin=f, capture_output=True, text=True)
        assert s.returncode == 0 and s.stdout == f"Loaded image: {tag}\n"
        q = skiff.run("load", "-q", "-i", str(docker_tar))
        assert q.rc == 0
    finally:
        docker.run("rmi", tag)


def test_save_refuses_a_terminal(skiff):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(skiff.binary, [skiff.binary, "-H", skiff.host, "save", IMAGE])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1
    assert b"cowardly refusing to save to a terminal. Use the -o flag or redirect" in out


@pytest.mark.parametrize("args", [["save", "nosuchimage"], ["load", "-i", "/nonexistent.tar"], ["save", "-o", "/nonexistent/dir/x.tar", IMAGE]])
def test_save_and_load_errors(docker, skiff, args):
    side_by_side(docker, skiff, *args)


@pytest.fixture(scope="module")
def rootfs_tar(tmp_path_factory) -> Path:
    tar = tmp_path_factory.mktemp("rootfs") / "busybox.tar"
    subprocess.run([str(REPO / "scripts" / "make-busybox-image.sh"), str(tar)], check=True, capture_output=True)
    return tar


def test_import_file_and_stdin(each, docker, rootfs_tar):
    tag = f"skiffcli/imported-{each.name}:{os.getpid()}"
    try:
        r = each.run("import", "-c", 'CMD ["echo", "imported"]', "-c", "ENV A=1", "-m", "by the suite", str(rootfs_tar), tag)
        assert r.rc == 0 and normalize(r.out) == "sha256:<ID>\n"
        assert docker.ok("run", "--rm", "--network", "none", tag) == "imported\n"
        assert docker.ok("image", "inspect", "-f", "{{.Config.Env}}|{{.Comment}}", tag) == "[A=1]|by the suite\n"
        docker.ok("rmi", tag)
        with open(rootfs_tar, "rb") as f:
            r = each.run("import", "-", tag, input=f.read())
        assert r.rc == 0 and normalize(r.out) == "sha256:<ID>\n"
    finally:
        docker.run("rmi", tag)


@pytest.mark.parametrize("args", [["import", "/nonexistent.tar"], ["import", "/etc/hostname", "Bad:Ref"]])
def test_import_errors(docker, skiff, args):
    side_by_side(docker, skiff, *args)


def test_image_prune(docker, skiff):
    for cli in (docker, skiff):
        r = cli.run("image", "prune", "-f", "--filter", "label=skiffcli.nothing=1")
        assert r.rc == 0 and r.out == "Total reclaimed space: 0B\n", r
    # Answering no is a cancellation: docker exits 0 and prints nothing more.
    r = subprocess.run([skiff.binary, "-H", skiff.host, "image", "prune"], input="n\n", capture_output=True, text=True)
    assert r.returncode == 0
    assert r.stdout == "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
    assert r.stderr == ""
