"""Integration suite: skiff-runtime against the reference OCI runtimes.

Every test takes the `runtime` fixture, parametrized over skiff, crun and runc,
and asserts the same observable outcome for all three.  Run as root:

    python3 -m pytest Tests/integration -q                      # all
    python3 -m pytest Tests/integration -k "crun or runc" -q    # references only
    python3 -m pytest Tests/integration -k skiff -m "not slow"  # skiff, quick

skiff-runtime is $SKIFF_RUNTIME, else <repo>/.build/release/skiff-runtime,
else <repo>/.build/debug/skiff-runtime (then the same under .build-it/); its
cases are skipped when none exists.
"""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import ocitest
from ocitest import REPO, Runtime

RUNTIMES = ["skiff", "crun", "runc"]
REFERENCE = "crun"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long loops (leak checks); deselect with -m 'not slow'")
    config.addinivalue_line("markers", "needs_skiff: uses a skiff-runtime subcommand (convert-seccomp) for every runtime")


def skiff_binary() -> str | None:
    env = os.environ.get("SKIFF_RUNTIME")
    if env:
        return env
    for build in (".build", ".build-it"):
        for conf in ("release", "debug"):
            p = REPO / build / conf / "skiff-runtime"
            if p.is_file() and os.access(p, os.X_OK):
                return str(p)
    return None


def runtime_binary(name: str) -> str | None:
    if name == "skiff":
        return skiff_binary()
    return shutil.which(name)


def _skip_reason(name: str) -> str:
    if name == "skiff":
        env = os.environ.get("SKIFF_RUNTIME")
        if env:
            return f"SKIFF_RUNTIME={env} is not an executable file"
        return ("skiff-runtime not built: set SKIFF_RUNTIME or build "
                "`swift build -c release --product skiff-runtime` "
                "(looked in .build/{release,debug} and .build-it/{release,debug})")
    return f"{name} not installed (apt-get install {name})"


def _binary_ok(name: str):
    b = runtime_binary(name)
    if not b or not (os.path.isfile(b) and os.access(b, os.X_OK)):
        pytest.skip(_skip_reason(name))
    return b


# --------------------------------------------------------------------------
# Session: root, the hugetlb workaround for crun, one cached rootfs

def _ensure_hugetlb_v1():
    """crun refuses this host's hybrid layout while hugetlb is only available
    in the (otherwise empty) cgroup2 tree; mounting it as a v1 hierarchy, as
    systemd does on a normal host, fixes that.  Idempotent."""
    unified = Path("/sys/fs/cgroup/unified/cgroup.controllers")
    hug = Path("/sys/fs/cgroup/hugetlb")
    if not unified.exists() or "hugetlb" not in unified.read_text().split():
        return
    if os.path.ismount(hug):
        return
    hug.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", str(hug)],
                       capture_output=True, text=True)
    if r.returncode != 0 and not os.path.ismount(hug):
        pytest.exit(f"cannot mount the hugetlb v1 hierarchy crun needs: {r.stderr}", returncode=3)


def _remove_stale_session_cgroups():
    """Empty cgroup parents of earlier sessions that were killed before
    their teardown (skiff-test/s<pid>-<rand> whose pid is gone).  rmdir only
    removes empty cgroups, so a live container is never affected."""
    import re
    for top in ocitest.candidate_cgroup_dirs(ocitest.CGROUP_TOP):
        if not top.is_dir():
            continue
        for d in top.iterdir():
            m = re.fullmatch(r"s(\d+)-[0-9a-f]+", d.name)
            if d.is_dir() and m and not os.path.exists(f"/proc/{m.group(1)}"):
                ocitest.rmdir_tree(d)


@pytest.fixture(scope="session")
def session_dir():
    if os.geteuid() != 0:
        pytest.skip("the runtime integration suite needs root")
    _ensure_hugetlb_v1()
    _remove_stale_session_cgroups()
    # Short paths: console sockets are limited to 108 bytes.
    d = Path(tempfile.mkdtemp(prefix="sit-", dir="/tmp"))
    yield d
    ocitest.umount_under(d)
    shutil.rmtree(d, ignore_errors=True)
    # The runtimes remove their leaf cgroups, not the parents: remove this
    # session's parent, and the shared top if no other session uses it.
    ocitest.remove_cgroup_dirs(ocitest.CGROUP_PARENT)
    for d in ocitest.candidate_cgroup_dirs(ocitest.CGROUP_TOP):
        try:
            d.rmdir()
        except OSError:
            pass


@pytest.fixture(scope="session")
def cached_rootfs(session_dir) -> Path:
    return ocitest.make_rootfs(session_dir / "rootfs-cache")


_counter = itertools.count()
_cgroups: dict[Path, list[str]] = {}


@pytest.fixture
def workdir(session_dir) -> Path:
    """A fresh, short, per-test directory (bundles, sockets, hook output)."""
    d = session_dir / f"t{next(_counter)}"
    d.mkdir()
    _cgroups[d] = []
    yield d
    # Torn down after `runtime` and `bundle` (both depend on workdir): the
    # containers are deleted by now; remove cgroups a failed test left.
    for rel in _cgroups.pop(d):
        ocitest.remove_cgroup_dirs(rel)
    ocitest.umount_under(d)
    shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# Runtimes and bundles

def _make_runtime(name: str, workdir: Path, tag="") -> Runtime:
    return Runtime(name, _binary_ok(name), workdir / f"{name}{tag}-root")


@pytest.fixture(params=RUNTIMES)
def runtime(request, workdir):
    """The runtime under test, with its own empty --root state dir."""
    rt = _make_runtime(request.param, workdir)
    yield rt
    rt.cleanup()


@pytest.fixture
def reference(workdir):
    """crun, the reference the other runtimes are compared with."""
    rt = _make_runtime(REFERENCE, workdir, tag="-ref")
    yield rt
    rt.cleanup()


@pytest.fixture
def bundle(workdir, cached_rootfs):
    """Factory: bundle(args, mutate=fn(cfg), readonly=..., terminal=..., hostname=...)."""
    n = itertools.count()

    def make(args=("true",), **kw) -> ocitest.Bundle:
        b = ocitest.make_bundle(workdir / f"b{next(n)}", cached_rootfs, list(args), **kw)
        if b.cgroups_path:
            _cgroups[workdir].append(b.cgroups_path)
        return b

    return make


@pytest.fixture
def cid():
    return ocitest.new_id()


@pytest.fixture(scope="session")
def skiff_for_tools():
    """The skiff-runtime binary, for its helper subcommands (convert-seccomp)."""
    b = skiff_binary()
    if not b or not os.path.isfile(b):
        pytest.fail(_skip_reason("skiff") + " -- this test needs `skiff-runtime convert-seccomp` "
                    "for every runtime", pytrace=False)
    return b
