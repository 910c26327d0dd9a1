"""create / start / state / kill / delete, run --detach, exec, pause/resume,
ps, list, --pid-file and hooks.

Measured differences between crun 1.8.1 and runc 1.1.5 (asserted only where
they agree; skiff follows runc's command line):
- `state`: runc prints ociVersion "1.0.2-dev", "rootfs" as an absolute path,
  "owner": "" and no trailing newline; crun ociVersion "1.0.0", "rootfs" as
  written in config.json ("rootfs"), "owner": "root", "systemd-scope": "".
- `ps ID` (table): runc runs the host's `ps -ef` and filters it (the init of
  a created container shows as "runc init"); crun prints "PID" and one pid a
  line.  `ps --format json` is a JSON array of host pids in both.
- `list --format json`: runc's objects carry ociVersion and rootfs too;
  crun's only id, pid, status, bundle, created, owner.  `list` (table)
  header: runc "ID", crun "NAME".
- Messages: deleting a running container: runc `cannot delete container X
  that is not stopped: running`, crun ``the container `X` is not in `created`
  or `stopped` state``.  Unknown id: runc `container does not exist`, crun
  ``error opening file `ROOT/X/status`: No such file or directory``.
"""
import json
import os
import re
import time

import pytest

import ocitest


def sh(script):
    return ["sh", "-c", script]


# PID 1 of a pid namespace ignores signals it has no handler for, so a plain
# `sleep` as init would survive SIGTERM: trap it.
TERMABLE = sh("trap 'exit 0' TERM; sleep 1000 & wait")


def test_create_start_kill_delete(runtime, bundle, cid, workdir):
    b = bundle(TERMABLE)
    r = runtime.create(b, cid)
    assert (r.rc, r.out) == (0, ""), r
    st = runtime.state(cid)
    assert st["status"] == "created"
    assert st["id"] == cid
    assert st["bundle"] == str(b.path)
    assert isinstance(st["pid"], int) and st["pid"] > 0
    assert ocitest.pid_alive(st["pid"])
    assert st["ociVersion"] and "created" in st
    pid = st["pid"]

    r = runtime.start(cid)
    assert (r.rc, r.out) == (0, ""), r
    assert runtime.wait_status(cid, "running") == "running"
    assert runtime.state(cid)["pid"] == pid

    r = runtime.kill(cid, "TERM")
    assert r.rc == 0, r
    assert runtime.wait_status(cid, "stopped") == "stopped"
    assert not ocitest.pid_alive(pid)

    r = runtime.delete(cid)
    assert r.rc == 0, r
    r = runtime.state_result(cid)
    assert r.rc != 0, r
    assert not (runtime.root / cid).exists()
    assert not ocitest.existing_cgroup_dirs(b.cgroups_path)


def test_state_of_created_container_has_init_waiting(runtime, bundle, cid):
    # Between create and start the user process must not have run yet.
    b = bundle(sh("touch /started; sleep 100"))
    assert runtime.create(b, cid).rc == 0
    time.sleep(0.3)
    assert not (b.rootfs / "started").exists()
    assert runtime.start(cid).rc == 0
    deadline = time.time() + 5
    while not (b.rootfs / "started").exists() and time.time() < deadline:
        time.sleep(0.02)
    assert (b.rootfs / "started").exists()


def test_start_twice_fails(runtime, bundle, cid):
    assert runtime.create(bundle(["sleep", "100"]), cid).rc == 0
    assert runtime.start(cid).rc == 0
    r = runtime.start(cid)
    assert r.rc != 0, r


def test_stopped_after_exit(runtime, bundle, cid):
    assert runtime.create(bundle(["true"]), cid).rc == 0
    assert runtime.start(cid).rc == 0
    assert runtime.wait_status(cid, "stopped") == "stopped"
    assert runtime.delete(cid).rc == 0


def test_delete_running_needs_force(runtime, bundle, cid):
    b = bundle(["sleep", "100"])
    assert runtime.run(b, cid, detach=True).rc == 0
    pid = runtime.state(cid)["pid"]
    r = runtime.delete(cid)
    assert r.rc != 0, r
    assert re.search(r"not stopped|running|state", r.err), r
    assert runtime.status(cid) == "running"
    r = runtime.delete(cid, force=True)
    assert r.rc == 0, r
    assert runtime.state_result(cid).rc != 0
    assert not ocitest.pid_alive(pid)
    assert not ocitest.existing_cgroup_dirs(b.cgroups_path)


def test_delete_force_created(runtime, bundle, cid):
    b = bundle(["sleep", "100"])
    assert runtime.create(b, cid).rc == 0
    pid = runtime.state(cid)["pid"]
    assert runtime.delete(cid, force=True).rc == 0
    assert runtime.state_result(cid).rc != 0
    time.sleep(0.1)
    assert not ocitest.pid_alive(pid)
    assert not ocitest.existing_cgroup_dirs(b.cgroups_path)


def test_delete_unknown_fails(runtime, cid):
    r = runtime.delete(cid)
    assert r.rc != 0, r
    r = runtime.state_result(cid)
    assert r.rc != 0, r
    assert re.search(r"does not exist|No such file", r.err), r


def test_run_detach(runtime, bundle, cid):
    t0 = time.monotonic()
    r = runtime.run(bundle(["sleep", "100"]), cid, detach=True)
    assert (r.rc, r.out) == (0, ""), r
    assert time.monotonic() - t0 < 10
    st = runtime.state(cid)
    assert st["status"] == "running"
    assert ocitest.pid_alive(st["pid"])


def test_run_exit_code(runtime, bundle, cid):
    r = runtime.run(bundle(sh("exit 42")), cid)
    assert r.rc == 42, r
    # `run` deletes the container when it exits
    assert runtime.state_result(cid).rc != 0


def test_run_exit_by_signal(runtime, bundle, cid):
    # A child killed by a signal: the shell reports 128+N as usual.
    r = runtime.run(bundle(sh("sh -c 'kill -SEGV $$'; echo $?")), cid)
    assert (r.rc, r.out.strip()) == (0, "139"), r
    # PID 1 signalling itself: the kernel ignores signals without a handler
    # for a namespace's init, so it survives.
    r = runtime.run(bundle(sh("kill -SEGV $$; echo survived")), ocitest.new_id())
    assert (r.rc, r.out.strip()) == (0, "survived"), r


def test_run_reports_init_killed_from_outside(runtime, bundle, cid):
    # `run` in the foreground exits 128+SIGKILL when the container is killed.
    import subprocess
    argv = [runtime.binary, "--root", str(runtime.root), "run", "--bundle", str(bundle(["sleep", "100"]).path), cid]
    runtime.created.add(cid)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert runtime.wait_status(cid, "running") == "running"
        assert runtime.kill(cid, "KILL").rc == 0
        assert p.wait(timeout=20) == 137
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    # and `run` deleted it
    assert runtime.state_result(cid).rc != 0


def test_run_stdin_passthrough(runtime, bundle, cid):
    r = runtime.run(bundle(["cat"]), cid, input="from stdin\n")
    assert (r.rc, r.out) == (0, "from stdin\n"), r


def test_run_stdout_stderr_separate(runtime, bundle, cid):
    r = runtime.run(bundle(sh("echo out; echo err >&2")), cid)
    assert (r.rc, r.out, r.err) == (0, "out\n", "err\n"), r


def test_exec(runtime, bundle, cid):
    assert runtime.run(bundle(["sleep", "100"], hostname="exec-host"), cid, detach=True).rc == 0
    r = runtime.exec(cid, "hostname")
    assert (r.rc, r.out.strip()) == (0, "exec-host"), r
    # same pid namespace: pid 1 is the container's sleep
    r = runtime.exec(cid, "ps", "-o", "pid,comm")
    assert r.rc == 0, r
    rows = {tuple(l.split()) for l in r.out.strip().splitlines()[1:]}
    assert ("1", "sleep") in rows, r
    # exit code, env, cwd, user
    r = runtime.exec(cid, "sh", "-c", "exit 7")
    assert r.rc == 7, r
    r = runtime.exec(cid, "/bin/sh", "-c", 'echo $FOO; pwd; id -u; id -g',
                     opts=["--env", "FOO=exec", "--cwd", "/tmp", "--user", "1000:1000"])
    assert (r.rc, r.out.split()) == (0, ["exec", "/tmp", "1000", "1000"]), r
    # The exec'd process gets the config's env; --env adds to it in runc.
    # crun 1.8.1 REPLACES the env with the --env values (plus HOME), so
    # PATH is gone and `exec --env X=1 ID sh` fails with "executable file
    # `sh` not found".  skiff is expected to behave like runc.
    r = runtime.exec(cid, "/bin/env", opts=["--env", "FOO=exec"])
    env = sorted(r.out.split())
    if runtime.name == "crun":
        assert env == ["FOO=exec", "HOME=/root"], r
    else:
        assert env == sorted(ocitest.DEFAULT_ENV + ["FOO=exec", "HOME=/root"]), r
    r = runtime.exec(cid, "env")
    assert sorted(r.out.split()) == sorted(ocitest.DEFAULT_ENV + ["HOME=/root"]), r
    # stdin and stdout/stderr
    r = runtime.exec(cid, "sh", "-c", "cat; echo err >&2", input="piped\n")
    assert (r.rc, r.out, r.err) == (0, "piped\n", "err\n"), r


def test_exec_joins_cgroup_and_namespaces(runtime, bundle, cid):
    assert runtime.run(bundle(["sleep", "100"]), cid, detach=True).rc == 0
    init = runtime.state(cid)["pid"]
    r = runtime.exec(cid, "sh", "-c", "for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done")
    assert r.rc == 0, r
    want = [os.readlink(f"/proc/{init}/ns/{n}") for n in ("pid", "net", "ipc", "uts", "mnt", "cgroup")]
    assert r.out.split() == want, r
    # a long-running exec'd process sits in the container's cgroups
    r = runtime.exec(cid, "sleep", "50", opts=["--detach"])
    assert r.rc == 0, r
    r = runtime.ps(cid)
    pids = json.loads(r.out)
    other = [p for p in pids if p != init]
    assert other, r
    assert ocitest.own_cgroups(other[0]) == ocitest.own_cgroups(init)


def test_exec_caps_and_no_new_privs_like_init(runtime, bundle, cid):
    assert runtime.run(bundle(["sleep", "100"]), cid, detach=True).rc == 0
    r = runtime.exec(cid, "grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status")
    want = f"{ocitest.cap_mask(ocitest.DEFAULT_CAPS):016x}"
    f = dict(l.split(":\t") for l in r.out.strip().splitlines())
    assert (f["CapEff"], f["CapPrm"], f["CapBnd"]) == (want, want, want), r
    # runc applies the config's process.noNewPrivileges to exec'd processes
    # too; crun 1.8.1 does not (NoNewPrivs 0 unless `exec --no-new-privs`).
    # skiff is expected to behave like runc here.
    assert f["NoNewPrivs"] == ("0" if runtime.name == "crun" else "1"), r
    r = runtime.exec(cid, "grep", "NoNewPrivs", "/proc/self/status", opts=["--no-new-privs"])
    assert r.out.split() == ["NoNewPrivs:", "1"], r


def test_exec_missing_container(runtime, cid):
    r = runtime.exec(cid, "true")
    assert r.rc != 0, r


def test_exec_into_stopped_fails(runtime, bundle, cid):
    assert runtime.create(bundle(["true"]), cid).rc == 0
    assert runtime.start(cid).rc == 0
    assert runtime.wait_status(cid, "stopped") == "stopped"
    r = runtime.exec(cid, "true")
    assert r.rc != 0, r


def test_pause_resume(runtime, bundle, cid):
    assert runtime.run(bundle(sh("while :; do echo x >> /tmp/ticks; sleep 0.05; done")), cid, detach=True).rc == 0
    r = runtime.pause(cid)
    assert r.rc == 0, r
    assert runtime.status(cid) == "paused"
    pid = runtime.state(cid)["pid"]
    freezer = ocitest.cgroup_dir_of(pid, "freezer") / "freezer.state"
    assert freezer.read_text().strip() == "FROZEN"
    r = runtime.resume(cid)
    assert r.rc == 0, r
    assert runtime.status(cid) == "running"
    assert freezer.read_text().strip() == "THAWED"


def test_ps(runtime, bundle, cid):
    assert runtime.run(bundle(sh("sleep 100 & sleep 100 & wait")), cid, detach=True).rc == 0
    init = runtime.state(cid)["pid"]
    deadline = time.time() + 5
    while True:
        r = runtime.ps(cid)
        assert r.rc == 0, r
        pids = json.loads(r.out)
        if len(pids) >= 3 or time.time() > deadline:
            break
        time.sleep(0.05)
    assert init in pids and len(pids) == 3, pids
    for p in pids:
        assert ocitest.pid_alive(p)
    # table format mentions the init pid too
    r = runtime.ps(cid, fmt="table")
    assert r.rc == 0 and str(init) in r.out, r


def test_list(runtime, bundle, cid):
    b = bundle(["sleep", "100"])
    assert runtime.run(b, cid, detach=True).rc == 0
    other = ocitest.new_id()
    assert runtime.create(bundle(["sleep", "100"]), other).rc == 0
    r = runtime.list()
    assert r.rc == 0, r
    items = {c["id"]: c for c in json.loads(r.out)}
    assert set(items) == {cid, other}
    assert items[cid]["status"] == "running"
    assert items[other]["status"] == "created"
    assert items[cid]["bundle"] == str(b.path)
    assert items[cid]["pid"] == runtime.state(cid)["pid"]
    r = runtime.cmd("list", "-q")
    assert sorted(r.out.split()) == sorted([cid, other]), r
    r = runtime.list(fmt="table")
    assert cid in r.out and other in r.out, r


def test_list_empty(runtime):
    r = runtime.list()
    assert r.rc == 0, r
    assert json.loads(r.out or "null") in (None, []), r
    r = runtime.cmd("list", "-q")
    assert (r.rc, r.out.strip()) == (0, ""), r


def test_pid_file(runtime, bundle, cid, workdir):
    pf = workdir / "init.pid"
    assert runtime.create(bundle(["sleep", "100"]), cid, pid_file=pf).rc == 0
    assert int(pf.read_text()) == runtime.state(cid)["pid"]
    pf2 = workdir / "run.pid"
    other = ocitest.new_id()
    assert runtime.run(bundle(["sleep", "100"]), other, detach=True, pid_file=pf2).rc == 0
    assert int(pf2.read_text()) == runtime.state(other)["pid"]


def test_pid_file_relative(runtime, bundle, cid, workdir):
    # runc resolves a relative --pid-file against the caller's working
    # directory; crun 1.8.1 against the bundle directory (it chdirs there).
    # skiff follows runc's command line.
    cwd = workdir / "cwd"
    cwd.mkdir()
    b = bundle(["sleep", "100"])
    assert runtime.create(b, cid, pid_file="rel.pid", cwd=cwd).rc == 0
    where = b.path if runtime.name == "crun" else cwd
    assert int((where / "rel.pid").read_text()) == runtime.state(cid)["pid"]


@pytest.mark.parametrize("sig", ["KILL", "9", "SIGKILL"])
def test_kill_signal_names(runtime, bundle, cid, sig):
    assert runtime.run(bundle(["sleep", "100"]), cid, detach=True).rc == 0
    pid = runtime.state(cid)["pid"]
    r = runtime.kill(cid, sig)
    assert r.rc == 0, r
    assert runtime.wait_status(cid, "stopped") == "stopped"
    assert not ocitest.pid_alive(pid)


def test_kill_default_signal_is_term(runtime, bundle, cid):
    assert runtime.run(bundle(TERMABLE), cid, detach=True).rc == 0
    r = runtime.cmd("kill", cid)
    assert r.rc == 0, r
    assert runtime.wait_status(cid, "stopped") == "stopped"


def test_kill_signal_reaches_handler(runtime, bundle, cid):
    b = bundle(sh("trap 'echo got-usr1 > /tmp/sig' USR1; while :; do sleep 0.05; done"))
    assert runtime.run(b, cid, detach=True).rc == 0
    time.sleep(0.2)
    assert runtime.kill(cid, "USR1").rc == 0
    deadline = time.time() + 5
    while not (b.rootfs / "tmp/sig").exists() and time.time() < deadline:
        time.sleep(0.05)
    assert (b.rootfs / "tmp/sig").read_text().strip() == "got-usr1"


def test_kill_bad_signal(runtime, bundle, cid):
    assert runtime.run(bundle(["sleep", "100"]), cid, detach=True).rc == 0
    r = runtime.kill(cid, "NOTASIGNAL")
    # runc: `invalid signal: NOTASIGNAL`, exit 1.  crun 1.8.1 exits 0 and
    # sends nothing that kills (it parses the name as number 0).  skiff is
    # expected to reject it like runc.
    if runtime.name == "crun":
        assert r.rc == 0, r
    else:
        assert r.rc != 0, r
    assert runtime.status(cid) == "running"


def test_kill_all(runtime, bundle, cid):
    assert runtime.run(bundle(sh("sleep 100 & sleep 100 & wait")), cid, detach=True).rc == 0
    time.sleep(0.2)
    pids = json.loads(runtime.ps(cid).out)
    assert runtime.kill(cid, "KILL", all=True).rc == 0
    assert runtime.wait_status(cid, "stopped") == "stopped"
    time.sleep(0.1)
    assert not [p for p in pids if ocitest.pid_alive(p)]


HOOK_KINDS = ["createRuntime", "prestart", "poststart", "poststop"]


def test_hooks(runtime, bundle, cid, workdir):
    """Host-side hooks get the state JSON on stdin; each appends it (one line
    per call) to its own file.  createRuntime/prestart run during create,
    poststart after start, poststop at delete.

    runc 1.1.5 runs poststart hooks already during `create` (state
    "created"), not after `start`; fixed in runc 1.2.  crun, and the spec,
    run them after the user process started."""
    out = workdir / "hooks"
    out.mkdir()

    def hook(kind):
        f = out / kind
        return {"path": "/bin/sh", "args": ["sh", "-c", f"cat >> {f}; echo >> {f}", kind],
                "env": ["HOOKVAR=1"], "timeout": 10}

    def mut(c):
        c["hooks"] = {k: [hook(k)] for k in HOOK_KINDS}
    b = bundle(["sleep", "100"], mutate=mut)
    assert runtime.create(b, cid).rc == 0
    seen = {k for k in HOOK_KINDS if (out / k).exists()}
    early = {"createRuntime", "prestart"}
    assert seen == (early | {"poststart"} if runtime.name == "runc" else early)
    for k in ("createRuntime", "prestart"):
        st = json.loads((out / k).read_text())
        assert st["id"] == cid and st["pid"] == runtime.state(cid)["pid"], st
        assert st["bundle"] == str(b.path)
        # runc 1.1.5 passes status "creating" to createRuntime and prestart
        # hooks, crun "created"
        assert st["status"] in ("created", "creating"), (k, st)
    assert runtime.start(cid).rc == 0
    deadline = time.time() + 5
    while not (out / "poststart").exists() and time.time() < deadline:
        time.sleep(0.02)
    st = json.loads((out / "poststart").read_text())
    assert st["id"] == cid and st["status"] in ("running", "created"), st
    assert not (out / "poststop").exists()
    assert runtime.delete(cid, force=True).rc == 0
    st = json.loads((out / "poststop").read_text())
    assert st["id"] == cid and st["status"] == "stopped", st
    # each ran exactly once
    for k in HOOK_KINDS:
        assert len((out / k).read_text().strip().splitlines()) == 1, k


def test_hook_env_and_args(runtime, bundle, cid, workdir):
    f = workdir / "hookenv"

    def mut(c):
        c["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", f'echo "$0 $HOOKVAR" > {f}; env >> {f}', "arg0"],
                                    "env": ["HOOKVAR=v1"]}]}
    assert runtime.create(bundle(["sleep", "100"], mutate=mut), cid).rc == 0
    lines = f.read_text().splitlines()
    assert lines[0] == "arg0 v1", lines
    # the hook gets exactly the configured env (plus what sh itself adds)
    names = {l.split("=", 1)[0] for l in lines[1:]}
    assert names <= {"HOOKVAR", "PWD", "SHLVL", "OLDPWD", "_"}, names


def test_hooks_in_container_namespace(runtime, bundle, cid, workdir):
    """createContainer runs in the container's mount namespace BEFORE
    pivot_root (the spec says so; both runtimes: it sees the host's tree,
    the hostname is not set yet); startContainer after pivot_root, inside the
    container's root, just before the user process.

    Also measured: crun runs createContainer with cwd = bundle dir, runc with
    cwd = bundle/rootfs; their state JSON on stdin differs (crun: pid 0,
    status "created"; runc: pid 1, status "creating")."""
    out = workdir / "ccout"

    def mut(c):
        c["hooks"] = {
            "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", f"cat > {out}; echo; readlink /proc/self/ns/mnt >> {out}"]}],
            "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > /tmp/sc; echo >> /tmp/sc; hostname >> /tmp/sc; readlink /proc/self/ns/mnt >> /tmp/sc"]}],
        }
    b = bundle(sh("sleep 100"), mutate=mut, hostname="hookbox")
    assert runtime.create(b, cid).rc == 0
    init = runtime.state(cid)["pid"]
    mntns = os.readlink(f"/proc/{init}/ns/mnt")
    state_json, ns = out.read_text().rsplit("}", 1)
    assert json.loads(state_json + "}")["id"] == cid
    assert ns.strip() == mntns
    assert not (b.rootfs / "tmp/sc").exists()
    assert runtime.start(cid).rc == 0
    deadline = time.time() + 5
    while not (b.rootfs / "tmp/sc").exists() and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    lines = (b.rootfs / "tmp/sc").read_text().splitlines()
    assert json.loads(lines[0])["id"] == cid
    assert lines[1:] == ["hookbox", mntns]


def test_failing_prestart_hook_fails_create(runtime, bundle, cid):
    def mut(c):
        c["hooks"] = {"prestart": [{"path": "/bin/false"}]}
    b = bundle(["sleep", "100"], mutate=mut)
    r = runtime.create(b, cid)
    assert r.rc != 0, r
    r = runtime.state_result(cid)
    assert r.rc != 0 or json.loads(r.out)["status"] == "stopped", r
    runtime.delete(cid, force=True)
    assert not ocitest.existing_cgroup_dirs(b.cgroups_path)


def test_a_hook_that_never_reads_its_stdin_fails_cleanly(runtime, bundle, cid):
    """Regression: the state written to a hook that had already exited
    killed skiff-runtime with SIGPIPE (rc -13), leaving its cgroup behind.
    A hook that exits at once wins that race often enough in 30 tries."""
    def mut(c):
        c["hooks"] = {"prestart": [{"path": "/bin/true"}]}
    b = bundle(["true"], mutate=mut)
    for i in range(30):
        r = runtime.run(b, f"{cid}-{i}")
        assert r.rc == 0, r
        runtime.delete(f"{cid}-{i}", force=True)
    assert not ocitest.existing_cgroup_dirs(b.cgroups_path)


def test_failing_poststart_hook(runtime, bundle, cid):
    # runtime-spec: "If any poststart hook fails, the runtime MUST log a
    # warning, but the remaining hooks and lifecycle continue".  crun does
    # that (`run` exits with the process's status); runc 1.1.5 fails the
    # operation instead (and kills the container).  skiff: as the spec.
    def mut(c):
        c["hooks"] = {"poststart": [{"path": "/bin/false"}]}
    r = runtime.run(bundle(sh("exit 3"), mutate=mut), cid)
    if runtime.name == "runc":
        assert r.rc != 0 and r.rc != 3, r
    else:
        assert r.rc == 3, r
