"""linux.seccomp: actions, errnoRet, argument filters and Docker's default profile."""
import json
import subprocess
from pathlib import Path

import pytest

import ocitest

ARCHES = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
# Docker's profile as the project's shared/ holds it: beside the repository
# (CI's layout), else the workplace copy.
DOCKER_PROFILE = next(
    (p for p in (ocitest.REPO.parent / "shared/reference/seccomp-default.json",
                 Path("/work/shared/reference/seccomp-default.json")) if p.exists()),
    ocitest.REPO.parent / "shared/reference/seccomp-default.json")
AF_INET = 2


def sh(script):
    return ["sh", "-c", script]


def seccomp(rules, default="SCMP_ACT_ALLOW", **extra):
    def mut(c):
        c["linux"]["seccomp"] = {"defaultAction": default, "architectures": ARCHES,
                                 "syscalls": rules, **extra}
    return mut


def deny_mkdir(errno=None, action="SCMP_ACT_ERRNO"):
    rule = {"names": ["mkdir", "mkdirat"], "action": action}
    if errno is not None:
        rule["errnoRet"] = errno
    return seccomp([rule])


@pytest.mark.parametrize("errno,message", [(1, "Operation not permitted"), (13, "Permission denied"),
                                           (None, "Operation not permitted")])
def test_errno_action(runtime, bundle, cid, errno, message):
    # Without errnoRet both runtimes return EPERM.
    r = runtime.run(bundle(["mkdir", "/tmp/x"], mutate=deny_mkdir(errno)), cid)
    assert r.rc == 1, r
    assert message in r.err, r
    assert "/tmp/x" in r.err


def test_filter_does_not_affect_other_syscalls(runtime, bundle, cid):
    b = bundle(sh("touch /tmp/f && ls /tmp && grep Seccomp: /proc/self/status"), mutate=deny_mkdir(1))
    r = runtime.run(b, cid)
    assert r.rc == 0, r
    assert r.out.split() == ["f", "Seccomp:", "2"], r


# Note: static busybox calls uname(2) at start-up (glibc's kernel version
# check), so uname is no good as a target for the kill actions: mkdir is.

def test_kill_process(runtime, bundle, cid):
    # The container's init dies of SIGSYS: `run` exits 128+31.
    b = bundle(["mkdir", "/tmp/x"], mutate=deny_mkdir(action="SCMP_ACT_KILL_PROCESS"))
    r = runtime.run(b, cid)
    assert (r.rc, r.out, r.err) == (159, "", ""), r
    assert not (b.rootfs / "tmp/x").exists()


def test_kill_process_in_child(runtime, bundle, cid):
    # mkdir is a NOFORK applet in busybox sh (it runs inside the shell
    # process), so force a child with a subshell: the shell survives and
    # sees 159.
    b = bundle(sh("(mkdir /tmp/x); echo status=$?"), mutate=deny_mkdir(action="SCMP_ACT_KILL_PROCESS"))
    r = runtime.run(b, cid)
    assert (r.rc, r.out.strip()) == (0, "status=159"), r


def test_kill_thread_action(runtime, bundle, cid):
    # SCMP_ACT_KILL (= kill thread); for a single-threaded process the same
    # outcome: SIGSYS.
    b = bundle(sh("(mkdir /tmp/x); echo status=$?"), mutate=deny_mkdir(action="SCMP_ACT_KILL"))
    r = runtime.run(b, cid)
    assert (r.rc, r.out.strip()) == (0, "status=159"), r


def test_trap_and_log_actions(runtime, bundle, cid):
    # SCMP_ACT_TRAP sends SIGSYS (same 159 for a process without a handler);
    # SCMP_ACT_LOG lets the call through.
    b = bundle(sh("(mkdir /tmp/x); echo trap=$?"), mutate=deny_mkdir(action="SCMP_ACT_TRAP"))
    r = runtime.run(b, cid)
    assert (r.rc, r.out.strip()) == (0, "trap=159"), r
    b = bundle(sh("mkdir /tmp/x && echo log-ok"), mutate=deny_mkdir(action="SCMP_ACT_LOG"))
    r = runtime.run(b, ocitest.new_id())
    assert (r.rc, r.out.strip()) == (0, "log-ok"), r


def test_errno_default_action_with_allow_list(runtime, bundle, cid):
    # An allow-list: everything busybox `sh -c true`-like needs, default
    # errno.  An unlisted syscall (mkdir) gets the default errno.
    allow = ["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64",
             "mprotect", "mmap", "munmap", "read", "write", "close", "exit", "exit_group", "getuid",
             "geteuid", "getpid", "getppid", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "uname",
             "fstat", "newfstatat", "stat", "lstat", "statx", "ioctl", "fcntl", "openat", "open",
             "getcwd", "readlink", "futex", "wait4", "clone", "vfork", "fork", "dup2", "dup3",
             "access", "faccessat", "faccessat2", "capget", "capset", "prctl", "setgroups", "setuid",
             "setgid", "setresuid", "setresgid", "getdents64", "lseek", "sched_getaffinity", "getrandom",
             "sigaltstack", "chdir", "fchdir", "getgid", "getegid", "poll", "ppoll", "pipe2", "pipe",
             "clock_gettime", "gettimeofday", "nanosleep", "clock_nanosleep", "setpgid", "getpgid",
             "getpgrp", "kill", "tgkill", "pselect6", "select", "getxattr", "umask", "setsid", "sysinfo",
             "statfs", "fstatfs", "close_range", "epoll_wait", "epoll_ctl", "epoll_pwait", "write",
             "writev", "readv", "pread64", "madvise", "mremap", "getgroups", "getresuid", "getresgid",
             "fchown", "fchmod", "seccomp", "getrlimit", "setrlimit", "membarrier", "exit", "gettid"]
    b = bundle(sh("echo alive; mkdir /tmp/x"),
               mutate=seccomp([{"names": sorted(set(allow)), "action": "SCMP_ACT_ALLOW"}],
                              default="SCMP_ACT_ERRNO", defaultErrnoRet=38))
    r = runtime.run(b, cid)
    assert r.out.strip() == "alive", r
    assert r.rc == 1 and "Function not implemented" in r.err, r


def test_argument_filter(runtime, bundle, cid):
    # socket(AF_INET, ...) denied, other domains allowed: nc (AF_INET) fails
    # in socket(), `ip link` (AF_NETLINK) and nc to ::1 (AF_INET6, refused
    # at connect) get past socket().
    rule = {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
            "args": [{"index": 0, "value": AF_INET, "op": "SCMP_CMP_EQ"}]}
    b = bundle(sh("nc 127.0.0.1 1; echo inet=$?; ip -o link | wc -l; nc ::1 1; echo inet6=$?"),
               mutate=seccomp([rule]))
    r = runtime.run(b, cid)
    assert r.rc == 0, r
    assert r.out.split() == ["inet=1", "1", "inet6=1"], r
    assert "nc: socket: Operation not permitted" in r.err, r
    assert "Connection refused" in r.err, r


def test_argument_filter_masked_eq(runtime, bundle, cid):
    # personality(PER_LINUX32 = 8) denied via SCMP_CMP_MASKED_EQ on the low
    # byte; linux64 = personality(0) allowed.
    rule = {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
            "args": [{"index": 0, "value": 8, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]}
    r = runtime.run(bundle(sh("linux32 true; echo a=$?; linux64 true; echo b=$?"), mutate=seccomp([rule])), cid)
    assert r.out.split() == ["a=1", "b=0"], r
    assert "Operation not permitted" in r.err, r


def test_seccomp_applies_to_exec(runtime, bundle, cid):
    b = bundle(["sleep", "100"], mutate=deny_mkdir(13))
    assert runtime.run(b, cid, detach=True).rc == 0
    r = runtime.exec(cid, "mkdir", "/tmp/y")
    assert r.rc == 1 and "Permission denied" in r.err, r


# -- Docker's default profile, converted by skiff-runtime -------------------

def converted_profile(skiff, caps):
    argv = [skiff, "convert-seccomp"]
    for c in caps:
        argv += ["--cap", c]
    argv.append(str(DOCKER_PROFILE))
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, f"{' '.join(argv)} failed ({p.returncode}): {p.stderr}"
    doc = json.loads(p.stdout)
    if "linux" in doc:
        doc = doc["linux"]["seccomp"]
    elif "seccomp" in doc:
        doc = doc["seccomp"]
    assert "defaultAction" in doc and doc.get("syscalls"), doc
    return doc


@pytest.mark.needs_skiff
def test_docker_default_profile(runtime, bundle, cid, skiff_for_tools):
    prof = converted_profile(skiff_for_tools, ocitest.DEFAULT_CAPS)

    def mut(c):
        c["linux"]["seccomp"] = prof
    r = runtime.run(bundle(sh("echo $$; true && echo true-ok; grep Seccomp: /proc/self/status"), mutate=mut), cid)
    assert r.rc == 0, r
    assert r.out.split() == ["1", "true-ok", "Seccomp:", "2"], r
    # CLONE_NEWNET needs CAP_SYS_ADMIN, and the profile filters unshare(2) too.
    r = runtime.run(bundle(["unshare", "-n", "true"], mutate=mut), ocitest.new_id())
    assert r.rc != 0 and "Operation not permitted" in r.err, r
    r = runtime.run(bundle(["mount", "-t", "tmpfs", "none", "/mnt"], mutate=mut), ocitest.new_id())
    assert r.rc != 0, r
    # ordinary things still work: sockets, fork/exec, files
    r = runtime.run(bundle(sh("ip -o link | wc -l; mkdir /tmp/d && echo mkdir-ok; (sleep 0; echo sub-ok)"),
                           mutate=mut), ocitest.new_id())
    assert (r.rc, r.out.split()) == (0, ["1", "mkdir-ok", "sub-ok"]), r


@pytest.mark.needs_skiff
def test_docker_default_profile_with_sys_admin(runtime, bundle, cid, skiff_for_tools):
    # With CAP_SYS_ADMIN in both the profile conversion and the process's
    # capabilities, the includes.caps rules open unshare/mount.
    caps = ocitest.DEFAULT_CAPS + ["CAP_SYS_ADMIN"]
    prof = converted_profile(skiff_for_tools, caps)

    def mut(c):
        c["linux"]["seccomp"] = prof
        for s in ("bounding", "effective", "permitted"):
            c["process"]["capabilities"][s] = list(caps)
    r = runtime.run(bundle(sh("unshare -n true && echo unshare-ok; mount -t tmpfs none /mnt && echo mount-ok"),
                           mutate=mut), cid)
    assert (r.rc, r.out.split()) == (0, ["unshare-ok", "mount-ok"]), r


@pytest.mark.needs_skiff
def test_docker_default_profile_same_as_reference(runtime, reference, bundle, skiff_for_tools):
    # Exit codes and messages of a few denied and allowed calls match crun's.
    prof = converted_profile(skiff_for_tools, ocitest.DEFAULT_CAPS)

    def mut(c):
        c["linux"]["seccomp"] = prof
    script = ("unshare -n true; echo $?; unshare -m true; echo $?; linux32 true; echo $?; "
              "nc 127.0.0.1 1; echo $?; ping -c1 -W1 127.0.0.1 >/dev/null; echo $?")
    res = {}
    for rt in (runtime, reference):
        r = rt.run(bundle(sh(script), mutate=mut), ocitest.new_id())
        res[rt.name] = (r.rc, r.out, r.err)
    assert res[runtime.name] == res[reference.name]
