"""Helpers for the OCI runtime integration suite.

Everything here is plain Python (no pytest): the OCI default config, bundle
making, a thin wrapper around a runtime's runc-style command line, and host
probes (cgroups, mounts, zombies) used to check that nothing leaks.

Also usable from the command line to write a bundle's config.json (used by
scripts/make-bundle.sh):

    python3 ocitest.py config BUNDLE_DIR [--readonly] [--terminal] [--rootfs PATH] -- ARGS...
"""
from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAKE_ROOTFS = REPO / "scripts" / "make-busybox-rootfs.sh"

# Every container of the suite nests its cgroup under CGROUP_PARENT, a path
# unique to this process (several test sessions may run at once on this
# machine; each only looks at, and cleans, its own subtree).  Relative, so
# that runc (and skiff) put it under the caller's own cgroup.  crun 1.8.1 on
# cgroup v1 resolves a relative cgroupsPath against the hierarchy ROOT
# instead (memory:/skiff-test/..., not memory:/process_api/<x>/skiff-test/...),
# so both places are checked for leftovers.
CGROUP_TOP = "skiff-test"
CGROUP_PARENT = f"{CGROUP_TOP}/s{os.getpid()}-{uuid.uuid4().hex[:6]}"


def new_cgroups_path() -> str:
    return f"{CGROUP_PARENT}/{uuid.uuid4().hex[:16]}"


DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

# Linux capability numbers (include/uapi/linux/capability.h), for CapEff & co.
CAP_NUMBERS = {
    "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3,
    "CAP_FSETID": 4, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8,
    "CAP_LINUX_IMMUTABLE": 9, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11,
    "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15,
    "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_CHROOT": 18, "CAP_SYS_PTRACE": 19,
    "CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21, "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23,
    "CAP_SYS_RESOURCE": 24, "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27,
    "CAP_LEASE": 28, "CAP_AUDIT_WRITE": 29, "CAP_AUDIT_CONTROL": 30, "CAP_SETFCAP": 31,
    "CAP_MAC_OVERRIDE": 32, "CAP_MAC_ADMIN": 33, "CAP_SYSLOG": 34, "CAP_WAKE_ALARM": 35,
    "CAP_BLOCK_SUSPEND": 36, "CAP_AUDIT_READ": 37, "CAP_PERFMON": 38, "CAP_BPF": 39,
    "CAP_CHECKPOINT_RESTORE": 40,
}


def cap_mask(caps) -> int:
    m = 0
    for c in caps:
        m |= 1 << CAP_NUMBERS[c]
    return m


DEFAULT_MASKED_PATHS = [
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
    "/proc/scsi", "/sys/devices/virtual/powercap",
]
DEFAULT_READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

DEFAULT_MOUNTS = [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
]

DEFAULT_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]


def default_config(args, *, hostname="skiff-it", cgroups_path=None, rootfs="rootfs",
                   readonly=False, terminal=False) -> dict:
    """The OCI default config (as `runc spec`/`crun spec` write it, plus a
    cgroup namespace), with terminal false and a read-write root by default."""
    caps = list(DEFAULT_CAPS)
    cfg = {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": terminal,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": list(DEFAULT_ENV),
            "cwd": "/",
            "capabilities": {
                "bounding": caps, "effective": list(caps), "permitted": list(caps),
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": str(rootfs), "readonly": readonly},
        "hostname": hostname,
        "mounts": copy.deepcopy(DEFAULT_MOUNTS),
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount", "cgroup")],
            "maskedPaths": list(DEFAULT_MASKED_PATHS),
            "readonlyPaths": list(DEFAULT_READONLY_PATHS),
        },
    }
    if cgroups_path:
        cfg["linux"]["cgroupsPath"] = cgroups_path
    return cfg


def new_id(prefix="it") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------
# Root filesystems and bundles

def make_rootfs(dest) -> Path:
    out = subprocess.run([str(MAKE_ROOTFS), str(dest)], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


@dataclass
class Bundle:
    path: Path
    config: dict

    @property
    def rootfs(self) -> Path:
        p = Path(self.config["root"]["path"])
        return p if p.is_absolute() else self.path / p

    @property
    def cgroups_path(self) -> str | None:
        return self.config.get("linux", {}).get("cgroupsPath")

    def write(self) -> "Bundle":
        tmp = self.path / "config.json.tmp"
        tmp.write_text(json.dumps(self.config, indent=2))
        tmp.rename(self.path / "config.json")
        return self


def make_bundle(dir, cached_rootfs, args, *, mutate=None, **kw) -> Bundle:
    """A bundle at `dir`: rootfs is a hardlink copy (`cp -al`) of
    `cached_rootfs` (new files stay private; never write INTO existing files
    from a container, they are shared), config.json from default_config()."""
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    if not (dir / "rootfs").exists():
        subprocess.run(["cp", "-al", str(cached_rootfs), str(dir / "rootfs")], check=True)
    kw.setdefault("cgroups_path", new_cgroups_path())
    cfg = default_config(args, **kw)
    if mutate:
        mutate(cfg)
    return Bundle(dir, cfg).write()


# --------------------------------------------------------------------------
# Running a runtime

@dataclass(repr=False)
class Result:
    argv: list
    rc: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err

    def __str__(self):
        return f"$ {' '.join(map(str, self.argv))}\n-> rc={self.rc}\nstdout: {self.out!r}\nstderr: {self.err!r}"

    __repr__ = __str__


class Runtime:
    """One OCI runtime binary with its own --root state dir."""

    def __init__(self, name: str, binary: str, root: Path):
        self.name = name
        self.binary = binary
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.created: set[str] = set()   # ids to force-delete at teardown

    def __repr__(self):
        return f"Runtime({self.name})"

    def cmd(self, *args, timeout=30, input=None, stdin=None, cwd=None) -> Result:
        """Runs `<rt> --root R args...`.  Output goes to temp FILES, not
        pipes: a detached/created container inherits them, and a pipe would
        only see EOF when the container exits."""
        argv = [self.binary, "--root", str(self.root), *map(str, args)]
        with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
            if input is not None:
                p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=fo, stderr=fe, cwd=cwd)
                try:
                    p.communicate(input.encode() if isinstance(input, str) else input, timeout=timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    raise
            else:
                p = subprocess.Popen(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                     stdout=fo, stderr=fe, cwd=cwd)
                try:
                    p.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    raise
            fo.seek(0)
            fe.seek(0)
            return Result(argv, p.returncode, fo.read().decode(errors="replace"),
                          fe.read().decode(errors="replace"))

    # The OCI / runc verbs -------------------------------------------------
    def run(self, bundle, cid, *, detach=False, pid_file=None, timeout=60, **kw) -> Result:
        self.created.add(cid)
        a = ["run", "--bundle", str(_bpath(bundle))]
        if detach:
            a.append("--detach")
        if pid_file:
            a += ["--pid-file", str(pid_file)]
        return self.cmd(*a, cid, timeout=timeout, **kw)

    def create(self, bundle, cid, *, pid_file=None, console_socket=None, **kw) -> Result:
        self.created.add(cid)
        a = ["create", "--bundle", str(_bpath(bundle))]
        if pid_file:
            a += ["--pid-file", str(pid_file)]
        if console_socket:
            a += ["--console-socket", str(console_socket)]
        return self.cmd(*a, cid, **kw)

    def start(self, cid, **kw) -> Result:
        return self.cmd("start", cid, **kw)

    def state_result(self, cid) -> Result:
        return self.cmd("state", cid)

    def state(self, cid) -> dict:
        r = self.state_result(cid)
        assert r.rc == 0, str(r)
        return json.loads(r.out)

    def status(self, cid) -> str | None:
        r = self.state_result(cid)
        return json.loads(r.out)["status"] if r.rc == 0 else None

    def kill(self, cid, sig="TERM", *, all=False, **kw) -> Result:
        a = ["kill"] + (["--all"] if all else []) + [cid, str(sig)]
        return self.cmd(*a, **kw)

    def delete(self, cid, *, force=False, **kw) -> Result:
        a = ["delete"] + (["--force"] if force else []) + [cid]
        return self.cmd(*a, **kw)

    def exec(self, cid, *args, opts=(), **kw) -> Result:
        """`exec [opts...] ID args...` (options must precede the id)."""
        return self.cmd("exec", *opts, cid, *args, **kw)

    def pause(self, cid) -> Result:
        return self.cmd("pause", cid)

    def resume(self, cid) -> Result:
        return self.cmd("resume", cid)

    def ps(self, cid, fmt="json") -> Result:
        return self.cmd("ps", "--format", fmt, cid)

    def list(self, fmt="json") -> Result:
        return self.cmd("list", "--format", fmt)

    def wait_status(self, cid, want, timeout=10.0) -> str | None:
        end = time.monotonic() + timeout
        st = None
        while time.monotonic() < end:
            st = self.status(cid)
            if st == want:
                return st
            time.sleep(0.02)
        return st

    def cleanup(self):
        """Force-delete whatever this runtime still knows (test teardown)."""
        known = set()
        r = self.cmd("list", "-q")
        if r.rc == 0:
            known |= set(r.out.split())
        if self.root.is_dir():
            known |= {p.name for p in self.root.iterdir() if p.is_dir()}
        for cid in sorted(known | {c for c in self.created if (self.root / c).exists()}):
            self.delete(cid, force=True)
        self.created.clear()


# Module-level spellings of the verbs: run(runtime, bundle, id) etc.
def run(runtime: Runtime, bundle, cid, **kw) -> Result:
    return runtime.run(bundle, cid, **kw)


def create(runtime: Runtime, bundle, cid, **kw) -> Result:
    return runtime.create(bundle, cid, **kw)


def start(runtime: Runtime, cid, **kw) -> Result:
    return runtime.start(cid, **kw)


def state(runtime: Runtime, cid) -> dict:
    return runtime.state(cid)


def kill(runtime: Runtime, cid, sig="TERM", **kw) -> Result:
    return runtime.kill(cid, sig, **kw)


def delete(runtime: Runtime, cid, **kw) -> Result:
    return runtime.delete(cid, **kw)


def _bpath(bundle):
    return bundle.path if isinstance(bundle, Bundle) else Path(bundle)


# --------------------------------------------------------------------------
# Host probes

def v1_hierarchies() -> dict[str, Path]:
    """cgroup v1 hierarchies: {'memory': /sys/fs/cgroup/memory, ..., 'name=systemd': ...}
    plus the unified one as '' if mounted."""
    out = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        f = left.split()
        r = right.split()
        mnt = Path(_unescape(f[4]))
        if r[0] == "cgroup":
            opts = r[2].split(",")
            ctrls = [o for o in opts if o not in ("rw", "ro", "relatime", "nosuid", "nodev", "noexec", "xattr")
                     and not o.startswith("release_agent")]
            out[",".join(sorted(ctrls))] = mnt
        elif r[0] == "cgroup2":
            out[""] = mnt
    return out


def own_cgroups(pid="self") -> dict[str, str]:
    """/proc/PID/cgroup as {controllers: path} (v1 keys like 'memory',
    'cpu', 'name=systemd'; '' for the unified hierarchy)."""
    res = {}
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, ctrls, path = line.split(":", 2)
        res[",".join(sorted(ctrls.split(","))) if ctrls else ""] = path
    return res


def cgroup_dir_of(pid, controller: str) -> Path:
    """Host path of process `pid`'s cgroup in the hierarchy holding `controller`."""
    hier = v1_hierarchies()
    for key, path in own_cgroups(pid).items():
        if controller in key.split(","):
            return hier[key] / path.lstrip("/")
    raise KeyError(controller)


def candidate_cgroup_dirs(rel: str) -> list[Path]:
    """Every place a runtime might have made the cgroup `rel` (a relative
    cgroupsPath): under this process's own cgroup, and under each hierarchy's
    root (crun's choice on v1)."""
    hier = v1_hierarchies()
    mine = own_cgroups()
    dirs = []
    for key, mnt in hier.items():
        own = mine.get(key, "/")
        for base in {mnt / own.lstrip("/"), mnt}:
            dirs.append(base / rel)
    return sorted(set(dirs))


def existing_cgroup_dirs(rel: str) -> list[Path]:
    return [d for d in candidate_cgroup_dirs(rel) if d.exists()]


def rmdir_tree(d: Path):
    """rmdir a cgroup directory and the ones below it, deepest first; busy
    or non-empty ones stay."""
    for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        try:
            sub.rmdir()
        except OSError:
            pass
    try:
        d.rmdir()
    except OSError:
        pass


def remove_cgroup_dirs(rel: str):
    """rmdir leftovers (deepest first); ignores busy/non-empty ones."""
    for d in sorted(existing_cgroup_dirs(rel), key=lambda p: -len(p.parts)):
        rmdir_tree(d)


def _unescape(s: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mountpoints() -> list[str]:
    return [_unescape(line.split()[4]) for line in Path("/proc/self/mountinfo").read_text().splitlines()]


def mounts_under(path) -> list[str]:
    p = str(Path(path).resolve())
    return [m for m in mountpoints() if m == p or m.startswith(p + "/")]


def umount_under(path):
    """Lazily detach anything mounted under `path`, deepest first, so that a
    recursive delete can never walk into a leaked mount."""
    for m in sorted(set(mounts_under(path)), key=lambda s: -s.count("/")):
        subprocess.run(["umount", "-l", m], capture_output=True)


def zombie_children(ppid=None) -> list[int]:
    ppid = os.getpid() if ppid is None else ppid
    res = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        rest = stat.rpartition(")")[2].split()
        if rest[0] == "Z" and int(rest[1]) == ppid:
            res.append(int(d))
    return res


def open_fds() -> list[int]:
    return sorted(int(x) for x in os.listdir("/proc/self/fd"))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        st = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        return st != "Z"
    except OSError:
        return False


def exit_signal(rc: int) -> int | None:
    """The signal number encoded in a runtime's exit code: the runtimes exit
    with 128+SIG when the container's process died from SIG."""
    if rc < 0:
        return -rc
    if rc > 128:
        return rc - 128
    return None


SIGNALS = {s.name[3:]: int(s) for s in signal.Signals if not s.name.startswith("SIG_")}


# --------------------------------------------------------------------------
# Command-line use: write a config.json

def _main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="ocitest.py config")
    ap.add_argument("bundle")
    ap.add_argument("--rootfs", default="rootfs")
    ap.add_argument("--readonly", action="store_true")
    ap.add_argument("--terminal", action="store_true")
    ap.add_argument("--hostname", default="skiff-it")
    ap.add_argument("--cgroups-path", default=None,
                    help=f"default: {CGROUP_TOP}/<random>; 'none' for no cgroupsPath")
    ap.add_argument("args", nargs="*", default=["sh"])
    ns = ap.parse_args(argv)
    cg = ns.cgroups_path or f"{CGROUP_TOP}/{uuid.uuid4().hex}"
    cfg = default_config(ns.args or ["sh"], hostname=ns.hostname,
                         cgroups_path=None if cg == "none" else cg,
                         rootfs=ns.rootfs, readonly=ns.readonly, terminal=ns.terminal)
    Bundle(Path(ns.bundle), cfg).write()


if __name__ == "__main__":
    import sys
    if len(sys.argv) < 2 or sys.argv[1] != "config":
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    _main(sys.argv[2:])
