"""skiffd's container and exec endpoints through the real docker CLI 28 and
docker-py: the lifecycle, exit codes, logs, attach and stdin, exec, limits
and the security profile seen from inside, restart policies, healthchecks,
log rotation, and containers that outlive a killed daemon."""
from __future__ import annotations

import hashlib
import io
import json
import os
import pty
import select
import signal
import subprocess
import tarfile
import time

import pytest

from skiffd import busybox_tar, daemon  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def busybox(daemon, busybox_tar):
    daemon.out("import", str(busybox_tar), "busybox:latest")
    yield "busybox"


@pytest.fixture(autouse=True)
def no_leftovers(daemon):
    """Every test leaves no container behind (and removes what it made)."""
    yield
    ids = daemon.out("ps", "-aq").split()
    if ids:
        daemon.docker("rm", "-f", *ids, check=False)


def wait_for(predicate, timeout=15.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not reached")


def inspect(daemon, name):
    return json.loads(daemon.out("inspect", name))[0]


# ---------------------------------------------------------------- run and exit codes

def test_run_output_and_exit_codes(daemon, busybox):
    assert daemon.out("run", "--rm", "busybox", "echo", "hello") == "hello"
    assert daemon.docker("run", "--rm", "busybox", "sh", "-c", "exit 7", check=False).returncode == 7
    missing = daemon.docker("run", "--rm", "busybox", "no-such-program", check=False)
    assert missing.returncode == 127
    assert b"executable file not found" in missing.stderr
    denied = daemon.docker("run", "--rm", "busybox", "/etc/passwd", check=False)
    assert denied.returncode == 126
    bad = daemon.docker("run", "--rm", "no-such-image", "true", check=False)
    assert bad.returncode == 125
    flag = daemon.docker("run", "--rm", "--restart", "always", "busybox", "true", check=False)
    assert flag.returncode == 125


def test_stderr_and_stdout_are_separate(daemon, busybox):
    proc = daemon.docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2")
    assert proc.stdout == b"out\n" and proc.stderr == b"err\n"


def test_stdin_is_forwarded(daemon, busybox):
    proc = daemon.docker("run", "-i", "--rm", "busybox", "sh", "-c", "tr a-z A-Z; echo done", input=b"hello stdin\n")
    assert proc.stdout == b"HELLO STDIN\ndone\n"


def test_config_is_applied(daemon, busybox):
    out = daemon.out("run", "--rm", "-e", "GREETING=hi", "-w", "/tmp", "-u", "1000:1000", "--hostname", "box",
                     "busybox", "sh", "-c", 'echo $GREETING $(pwd) $(id -u):$(id -g) $(hostname) $HOSTNAME')
    assert out == "hi /tmp 1000:1000 box box"
    assert daemon.out("run", "--rm", "-u", "nobody", "busybox", "id", "-un") == "nobody"
    assert daemon.out("run", "--rm", "--entrypoint", "echo", "busybox", "a", "b") == "a b"
    env = daemon.out("run", "--rm", "busybox", "env").splitlines()
    assert any(line.startswith("PATH=") for line in env)


# ---------------------------------------------------------------- lifecycle

def test_detached_lifecycle(daemon, busybox):
    cid = daemon.out("run", "-d", "--name", "life", "-l", "app=web", "busybox", "sh", "-c",
                     "trap 'echo bye; exit 3' TERM; echo up; while true; do sleep 0.1; done")
    assert len(cid) == 64
    wait_for(lambda: "up" in daemon.out("logs", "life"))
    ps = daemon.out("ps", "--format", "{{.ID}} {{.Names}} {{.Status}}")
    assert ps.startswith(cid[:12] + " life Up")
    assert daemon.out("ps", "-q", "--filter", "label=app=web") == cid[:12]
    assert daemon.out("ps", "-q", "--filter", "label=app=db") == ""
    info = inspect(daemon, "life")
    assert info["State"]["Running"] and info["State"]["Pid"] > 0
    assert info["Name"] == "/life" and info["Config"]["Labels"]["app"] == "web"
    # Stop sends SIGTERM: the trap runs and sets the exit code.
    daemon.docker("stop", "life")
    info = inspect(daemon, "life")
    assert info["State"]["Status"] == "exited" and info["State"]["ExitCode"] == 3
    assert "bye" in daemon.out("logs", "life")
    # Stop is not delete; start again keeps the writable layer.
    daemon.docker("start", "life")
    assert inspect(daemon, "life")["State"]["Running"]
    daemon.docker("restart", "-t", "1", "life")
    assert inspect(daemon, "life")["State"]["Running"]
    daemon.docker("kill", "life")
    wait_for(lambda: inspect(daemon, "life")["State"]["Status"] == "exited")
    assert inspect(daemon, "life")["State"]["ExitCode"] == 137
    running = daemon.docker("rm", "life", check=False)
    assert running.returncode == 0
    assert daemon.docker("inspect", "life", check=False).returncode == 1


def test_writable_layer_survives_stop(daemon, busybox):
    daemon.docker("run", "--name", "keep", "busybox", "sh", "-c", "echo kept > /data.txt")
    daemon.docker("start", "-a", "keep")
    daemon.docker("run", "-d", "--name", "keep2", "busybox", "sleep", "30")
    assert daemon.docker("rm", "keep2", check=False).returncode != 0  # running: refused
    daemon.docker("rm", "-f", "keep2")
    cid = inspect(daemon, "keep")["Id"]
    upper = inspect(daemon, "keep")["GraphDriver"]["Data"]["UpperDir"]
    assert open(os.path.join(upper, "data.txt")).read() == "kept\n"
    daemon.docker("rm", "keep")
    assert not os.path.exists(upper)
    assert cid


def test_stop_timeout_escalates_to_kill(daemon, busybox):
    daemon.docker("run", "-d", "--name", "stubborn", "busybox", "sleep", "100")
    start = time.monotonic()
    daemon.docker("stop", "-t", "1", "stubborn")
    assert time.monotonic() - start < 8
    assert inspect(daemon, "stubborn")["State"]["ExitCode"] == 137


def test_wait_and_autoremove(daemon, busybox):
    daemon.docker("run", "-d", "--name", "waited", "busybox", "sh", "-c", "sleep 0.5; exit 4")
    assert daemon.out("wait", "waited") == "4"
    daemon.docker("run", "-d", "--rm", "--name", "gone", "busybox", "true")
    wait_for(lambda: daemon.docker("inspect", "gone", check=False).returncode == 1)


def test_logs_options(daemon, busybox):
    daemon.docker("run", "--name", "talker", "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo line $i; done; sleep 0.2; echo oops >&2")
    tail = daemon.docker("logs", "--tail", "2", "talker")
    assert tail.stdout == b"line 5\n" and tail.stderr == b"oops\n"
    stamped = daemon.out("logs", "-t", "talker").splitlines()[0]
    assert stamped.endswith(" line 1") and stamped[4] == "-" and "T" in stamped
    only_err = daemon.docker("logs", "talker")
    assert only_err.stderr == b"oops\n" and only_err.stdout.startswith(b"line 1\n")
    # follow ends when the container does.
    daemon.docker("run", "-d", "--name", "follower", "busybox", "sh", "-c", "echo a; sleep 1; echo b")
    assert daemon.out("logs", "-f", "follower", timeout=20).splitlines() == ["a", "b"]


def test_log_rotation(daemon, busybox):
    daemon.docker("run", "--name", "rotator", "--log-opt", "max-size=10k", "--log-opt", "max-file=3", "busybox", "sh", "-c",
                  "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done")
    path = inspect(daemon, "rotator")["LogPath"]
    assert os.path.getsize(path) <= 10 * 1024
    assert os.path.exists(path + ".1") and os.path.exists(path + ".2") and not os.path.exists(path + ".3")
    assert daemon.out("logs", "--tail", "1", "rotator") == "line-1999"


# ---------------------------------------------------------------- exec and attach

def test_exec(daemon, busybox):
    daemon.docker("run", "-d", "--name", "host", "busybox", "sleep", "100")
    assert daemon.out("exec", "host", "echo", "inside") == "inside"
    assert daemon.docker("exec", "host", "sh", "-c", "exit 5", check=False).returncode == 5
    assert daemon.out("exec", "-e", "X=1", "-w", "/etc", "-u", "nobody", "host", "sh", "-c", "echo $X $(pwd) $(id -un)") == "1 /etc nobody"
    assert daemon.docker("exec", "-i", "host", "cat", input=b"piped\n").stdout == b"piped\n"
    daemon.docker("exec", "-d", "host", "sh", "-c", "echo detached > /tmp/d")
    wait_for(lambda: daemon.out("exec", "host", "cat", "/tmp/d") == "detached")
    assert daemon.docker("exec", "host", "no-such", check=False).returncode in (126, 127)
    daemon.docker("stop", "-t", "0", "host")
    assert daemon.docker("exec", "host", "true", check=False).returncode != 0


def test_interactive_tty_and_detach_keys(daemon, busybox):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_CONFIG"] = str(daemon.docker_config)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("docker", ["docker", "-H", "unix://" + daemon.sock, "run", "-it", "--name", "tty", "busybox", "sh"], env)
    import fcntl, struct, termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))

    def read_until(token: bytes, timeout=15):
        buf = b""
        deadline = time.monotonic() + timeout
        while token not in buf and time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    buf += os.read(fd, 4096)
                except OSError:
                    break
        return buf

    read_until(b"# ")
    os.write(fd, b"stty size; tty\n")
    out = read_until(b"/dev/pts/")
    assert b"33 101" in out
    # Ctrl-P Ctrl-Q: the client leaves, the shell keeps running.
    os.write(fd, b"\x10\x11")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.WEXITSTATUS(status) == 0
    assert inspect(daemon, "tty")["State"]["Running"]
    assert inspect(daemon, "tty")["Config"]["Tty"] is True


def test_stdin_without_a_terminal_is_data_even_with_the_detach_keys(daemon, busybox):
    """Without -t, ctrl-p,ctrl-q are bytes like any other (dockerd applies the
    detach keys only with a terminal): binary input reaches the process whole,
    for run -i, exec -i and a large random upload."""
    data = b"a\x10\x11b\n"
    out = daemon.docker("run", "--rm", "-i", "busybox", "od", "-An", "-c", input=data).stdout.decode()
    assert out.split() == ["a", "020", "021", "b", "\\n"]
    daemon.docker("run", "-d", "--name", "sink", "busybox", "sleep", "100")
    blob = os.urandom(1 << 20) + b"\x10\x11" + os.urandom(1 << 20)
    daemon.docker("exec", "-i", "sink", "sh", "-c", "cat > /blob", input=blob)
    got = daemon.out("exec", "sink", "sha256sum", "/blob").split()[0]
    assert got == hashlib.sha256(blob).hexdigest()
    daemon.docker("rm", "-f", "sink")


@pytest.mark.parametrize("options,expected", [
    (["-u", "1000:1000"], "uid=1000(user) gid=1000(user) groups=1000(user)"),
    (["-u", "user:audio"], "uid=1000(user) gid=29(audio) groups=29(audio)"),
    (["-u", "1234:5678"], "uid=1234 gid=5678 groups=5678"),
    (["-u", "user"], "uid=1000(user) gid=1000(user) groups=100(users),1000(user)"),
    (["-u", "1000"], "uid=1000(user) gid=1000(user) groups=100(users),1000(user)"),
    (["--group-add", "42"], "uid=0(root) gid=0(root) groups=0(root),42"),
    (["-u", "1000:1000", "--group-add", "audio"], "uid=1000(user) gid=1000(user) groups=29(audio),1000(user)"),
])
def test_supplementary_groups_as_dockerd(daemon, busybox, options, expected):
    """The process's groups, as dockerd gives them: its primary group, the
    groups that list the user only when no group is given, then --group-add.
    (A given group used to come with the user's memberships anyway, and the
    primary group was left out of the list.)"""
    assert daemon.out("run", "--rm", *options, "busybox", "id") == expected


def test_exec_user_groups_include_group_add(daemon, busybox):
    daemon.docker("run", "-d", "--name", "grouped", "--group-add", "42", "busybox", "sleep", "100")
    try:
        assert daemon.out("exec", "-u", "1000", "grouped", "id") == "uid=1000(user) gid=1000(user) groups=42,100(users),1000(user)"
        assert daemon.out("exec", "grouped", "id") == "uid=0(root) gid=0(root) groups=0(root),42"
    finally:
        daemon.docker("rm", "-f", "grouped")


def test_a_container_has_dockerenv_which_is_no_change(daemon, busybox):
    """/.dockerenv is there (tools test it to know they run in a container), as
    in dockerd's init layer: diff and commit leave it out, export has it."""
    assert daemon.out("run", "--rm", "busybox", "stat", "-c", "%s %a %F", "/.dockerenv") == "0 755 regular empty file"
    cid = daemon.out("create", "busybox", "true")
    try:
        assert daemon.out("diff", cid) == ""
        exported = daemon.docker("export", cid).stdout
        with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
            assert ".dockerenv" in [n.removeprefix("./").lstrip("/") for n in tar.getnames()]
        daemon.out("commit", cid, "withenv:1")
        saved = daemon.docker("save", "withenv:1").stdout
        with tarfile.open(fileobj=io.BytesIO(saved)) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
            for path in manifest[0]["Layers"]:
                with tarfile.open(fileobj=io.BytesIO(tar.extractfile(path).read())) as layer:
                    assert ".dockerenv" not in [n.removeprefix("./").lstrip("/") for n in layer.getnames()]
    finally:
        daemon.docker("rm", "-f", cid)
        daemon.docker("rmi", "withenv:1", check=False)


def test_exec_that_cannot_start_says_why(daemon, busybox):
    """As dockerd: the reason is written to the exec's stream and its exit code
    is 127 (not found) or 126 (not executable); `exec -d` fails at once with it.
    (Nothing was printed, and -d exited 0.)"""
    daemon.docker("run", "-d", "--name", "execfail", "busybox", "sleep", "100")
    try:
        proc = daemon.docker("exec", "execfail", "nosuchcmd", check=False)
        assert proc.returncode == 127
        text = (proc.stdout + proc.stderr).decode()
        assert "OCI runtime exec failed" in text and 'exec: "nosuchcmd": executable file not found in $PATH' in text, text
        proc = daemon.docker("exec", "execfail", "/etc/passwd", check=False)
        assert proc.returncode == 126, proc
        assert "permission denied" in (proc.stdout + proc.stderr).decode()
        proc = daemon.docker("exec", "-d", "execfail", "nosuchcmd", check=False)
        assert proc.returncode != 0
        assert "executable file not found" in proc.stderr.decode(), proc.stderr
        assert daemon.docker("exec", "-d", "execfail", "true").returncode == 0
        client = daemon.client()
        code, output = client.containers.get("execfail").exec_run(["nosuchcmd"])
        assert code == 127 and b"executable file not found" in output
    finally:
        daemon.docker("rm", "-f", "execfail")


def test_ps_and_inspect_sizes(daemon, busybox):
    """`ps -s` and `inspect -s` fill SizeRw (the writable layer) and SizeRootFs
    (that and the image); they were always 0 / absent."""
    daemon.docker("run", "--name", "sized", "busybox", "sh", "-c", "head -c 300000 /dev/zero > /blob")
    try:
        image_size = daemon.inspect("busybox")["Size"]
        info = json.loads(daemon.out("inspect", "-s", "sized"))[0]
        assert 300000 <= info["SizeRw"] < 400000
        assert info["SizeRootFs"] == info["SizeRw"] + image_size
        assert "SizeRw" not in json.loads(daemon.out("inspect", "sized"))[0]
        row = json.loads(daemon.out("ps", "-a", "-s", "--filter", "name=sized", "--format", "{{json .}}"))
        assert row["Size"].startswith("3") and "virtual" in row["Size"], row["Size"]
        listed = json.loads(daemon.request("GET", "/containers/json?all=1&size=1")[2])
        assert [c["SizeRw"] for c in listed if c["Names"] == ["/sized"]] == [info["SizeRw"]]
    finally:
        daemon.docker("rm", "-f", "sized")


def test_environment_order_as_dockerd(daemon, busybox):
    """PATH, HOSTNAME, TERM (with -t), then the image's and the request's
    variables, each replacing one of those or appended (HOSTNAME came first)."""
    env = daemon.out("run", "--rm", "-h", "box", "-e", "A=1", "-e", "HOSTNAME=mine", "busybox", "env").splitlines()
    assert env[:3] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=mine", "A=1"], env
    info = json.loads(daemon.out("inspect", daemon.out("create", "-t", "-h", "box", "busybox", "true")))[0]
    assert info["Config"]["Env"][:3] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=box", "TERM=xterm"]
    daemon.docker("rm", info["Id"])


def test_attach_sees_output(daemon, busybox):
    daemon.docker("run", "-d", "--name", "ticker", "busybox", "sh", "-c", "sleep 1; echo tick; sleep 1; echo tock")
    proc = daemon.docker("attach", "ticker", timeout=20)
    assert b"tock" in proc.stdout


# ---------------------------------------------------------------- limits and security

def test_limits_seen_from_inside(daemon, busybox):
    out = daemon.out("run", "--rm", "--memory", "64m", "--pids-limit", "20", "--cpus", "0.5", "--cpu-shares", "512",
                     "busybox", "sh", "-c",
                     "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max "
                     "/sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.shares")
    assert out.split() == [str(64 << 20), "20", "50000", "100000", "512"]
    # dd's 64 MB buffer does not fit in 16 MB: the kernel kills it.
    oom = daemon.docker("run", "--name", "oom", "--memory", "16m", "busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1", check=False)
    assert oom.returncode == 137
    assert inspect(daemon, "oom")["State"]["OOMKilled"] is True
    forks = daemon.docker("run", "--rm", "--pids-limit", "5", "busybox", "sh", "-c",
                          "for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait", check=False)
    assert b"can't fork" in forks.stderr or forks.returncode != 0


def test_default_security_profile(daemon, busybox):
    status = daemon.out("run", "--rm", "busybox", "cat", "/proc/self/status")
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    # Docker's 14 default capabilities.
    assert fields["CapEff"].strip() == "00000000a80425fb"
    assert fields["Seccomp"].strip() == "2"
    assert fields["NoNewPrivs"].strip() == "0"
    # Masked and read-only paths.
    assert daemon.out("run", "--rm", "busybox", "sh", "-c", "cat /proc/kcore | wc -c") == "0"
    assert daemon.docker("run", "--rm", "busybox", "sh", "-c", "echo 1 > /proc/sys/kernel/domainname", check=False).returncode != 0
    # seccomp blocks what Docker's profile blocks (unshare of a user namespace needs CAP_SYS_ADMIN here).
    assert daemon.docker("run", "--rm", "busybox", "unshare", "-U", "true", check=False).returncode != 0


def test_security_options(daemon, busybox):
    def field(args, name):
        status = daemon.out("run", "--rm", *args, "busybox", "cat", "/proc/self/status")
        return dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)[name].strip()
    assert field(["--cap-drop", "ALL"], "CapEff") == "0000000000000000"
    assert field(["--cap-drop", "ALL", "--cap-add", "NET_ADMIN"], "CapEff") == "0000000000001000"
    assert field(["--security-opt", "seccomp=unconfined"], "Seccomp") == "0"
    assert field(["--security-opt", "no-new-privileges"], "NoNewPrivs") == "1"
    assert field(["--privileged"], "Seccomp") == "0"
    assert int(field(["--privileged"], "CapEff"), 16) > 0xa80425fb
    assert daemon.docker("run", "--rm", "--read-only", "busybox", "touch", "/x", check=False).returncode != 0
    assert daemon.docker("run", "--rm", "--cap-add", "NOT_A_CAP", "busybox", "true", check=False).returncode == 125


def test_custom_seccomp_profile(daemon, busybox, tmp_path):
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile))
    proc = daemon.docker("run", "--rm", "--security-opt", f"seccomp={path}", "busybox", "mkdir", "/tmp/x", check=False)
    assert proc.returncode != 0 and b"Operation not permitted" in proc.stderr


def test_init(daemon, busybox):
    if not os.path.exists("/usr/bin/tini-static"):
        pytest.skip("tini not installed")
    assert daemon.out("run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '").startswith("/sbin/docker-init -- sh")


# ---------------------------------------------------------------- restart policies and health

def test_restart_policy_on_failure(daemon, busybox):
    daemon.docker("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3")
    wait_for(lambda: inspect(daemon, "flaky")["State"]["Status"] == "exited" and inspect(daemon, "flaky")["RestartCount"] == 2)
    assert inspect(daemon, "flaky")["State"]["ExitCode"] == 3
    daemon.docker("run", "-d", "--name", "always", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2")
    wait_for(lambda: inspect(daemon, "always")["RestartCount"] >= 2)
    daemon.docker("stop", "always")
    count = inspect(daemon, "always")["RestartCount"]
    time.sleep(1)
    assert inspect(daemon, "always")["State"]["Status"] == "exited"
    assert inspect(daemon, "always")["RestartCount"] == count


def test_healthcheck(daemon, busybox):
    daemon.docker("run", "-d", "--name", "healthy", "--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms",
                  "--health-retries", "2", "busybox", "sh", "-c", "sleep 1; touch /tmp/ok; sleep 100")
    wait_for(lambda: inspect(daemon, "healthy")["State"]["Health"]["Status"] == "healthy")
    assert "(healthy)" in daemon.out("ps", "--format", "{{.Status}}", "--filter", "name=healthy")
    daemon.docker("exec", "healthy", "rm", "/tmp/ok")
    wait_for(lambda: inspect(daemon, "healthy")["State"]["Health"]["Status"] == "unhealthy")
    log = inspect(daemon, "healthy")["State"]["Health"]["Log"]
    assert log and log[-1]["ExitCode"] == 1


# ---------------------------------------------------------------- errors

def test_errors_as_docker_returns_them(daemon, busybox):
    assert daemon.request("GET", "/containers/nope/json")[0] == 404
    assert json.loads(daemon.request("GET", "/containers/nope/json")[2])["message"] == "No such container: nope"
    status, _, body = daemon.request("POST", "/containers/create", b"{not json", {"Content-Type": "application/json"})
    assert status == 400 and b"message" in body
    status, _, _ = daemon.request("POST", "/containers/create", json.dumps({"Image": "busybox", "HostConfig": {"Memory": "lots"}}).encode(),
                                  {"Content-Type": "application/json"})
    assert status == 400
    daemon.docker("create", "--name", "dup", "busybox", "true")
    dup = daemon.docker("create", "--name", "dup", "busybox", "true", check=False)
    assert dup.returncode != 0 and b"is already in use" in dup.stderr
    assert daemon.request("POST", "/containers/dup/kill")[0] == 409
    assert daemon.request("POST", "/containers/dup/stop")[0] == 304
    assert daemon.request("GET", "/_ping")[0] == 200


# ---------------------------------------------------------------- docker-py

def test_docker_py(daemon, busybox):
    client = daemon.client()
    assert client.containers.run("busybox", ["echo", "from py"], remove=True) == b"from py\n"
    c = client.containers.run("busybox", ["sh", "-c", "echo started; sleep 100"], detach=True, name="py")
    wait_for(lambda: b"started" in c.logs())
    c.reload()
    assert c.status == "running" and c.name == "py"
    result = c.exec_run(["sh", "-c", "echo $((6*7))"])
    assert result.exit_code == 0 and result.output == b"42\n"
    assert [x.name for x in client.containers.list()] == ["py"]
    c.stop(timeout=1)
    assert c.wait()["StatusCode"] == 137
    c.remove()
    import docker
    with pytest.raises(docker.errors.NotFound):
        client.containers.get("py")
    with pytest.raises(docker.errors.ContainerError):
        client.containers.run("busybox", ["sh", "-c", "exit 2"], remove=True)


# ---------------------------------------------------------------- the daemon dies, containers live

def test_containers_outlive_a_killed_daemon(daemon, busybox):
    daemon.docker("run", "-d", "--name", "survivor", "busybox", "sh", "-c",
                  "i=0; while true; do echo beat-$i; i=$((i+1)); sleep 0.2; done")
    daemon.docker("run", "-d", "--name", "finisher", "busybox", "sh", "-c", "sleep 1; echo done; exit 6")
    # A --rm container that ends while no daemon runs is removed when one starts again.
    daemon.docker("run", "-d", "--rm", "--name", "ephemeral", "busybox", "sleep", "1")
    wait_for(lambda: "beat-2" in daemon.out("logs", "survivor"))
    pid = inspect(daemon, "survivor")["State"]["Pid"]
    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait()
    time.sleep(1.5)  # the finisher exits while no daemon runs
    os.kill(pid, 0)  # still running
    daemon.start()
    info = inspect(daemon, "survivor")
    assert info["State"]["Running"] and info["State"]["Pid"] == pid
    beats = daemon.out("logs", "survivor").splitlines()
    assert beats[:3] == ["beat-0", "beat-1", "beat-2"] and len(beats) > 5
    # Logs kept flowing while the daemon was down: no gap in the numbers.
    assert beats == [f"beat-{i}" for i in range(len(beats))]
    finished = inspect(daemon, "finisher")
    assert finished["State"]["Status"] == "exited" and finished["State"]["ExitCode"] == 6
    assert daemon.out("logs", "finisher") == "done"
    wait_for(lambda: daemon.docker("inspect", "ephemeral", check=False).returncode != 0)
    assert "ephemeral" not in daemon.out("ps", "-a", "--format", "{{.Names}}")
    # And it is still driven: stop works through the new daemon.
    daemon.docker("stop", "-t", "1", "survivor")
    assert inspect(daemon, "survivor")["State"]["Status"] == "exited"


def test_logs_follow_ends_with_the_run_even_if_the_container_restarts(daemon, busybox):
    """`docker logs -f` follows the run it started in, as with dockerd: a
    `restart` ends it, and the new run's lines are not in it."""
    daemon.docker("run", "-d", "--name", "phoenix", "busybox", "sh", "-c",
                  "echo run; trap 'exit 0' TERM; while true; do sleep 0.05; done")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_CONFIG"] = str(daemon.docker_config)
    follow = subprocess.Popen(["docker", "-H", f"unix://{daemon.sock}", "logs", "-f", "phoenix"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        time.sleep(0.5)
        daemon.docker("restart", "-t", "1", "phoenix")
        out, _ = follow.communicate(timeout=10)
    finally:
        follow.kill()
    assert out.decode().split() == ["run"]
    wait_for(lambda: daemon.out("logs", "phoenix").split() == ["run", "run"])


# ---------------------------------------------------------------- cgroups

def _memory_cgroup(pid):
    return next(l.split(":", 2)[2] for l in open(f"/proc/{pid}/cgroup").read().splitlines() if ":memory:" in l)


def test_cgroup_parent_places_the_container(daemon, busybox):
    """The daemon's --cgroup-parent, and `docker run --cgroup-parent` (relative:
    under the daemon's own cgroup; absolute: from each hierarchy's root); a
    parent that is not a cgroup's name is refused."""
    from skiffd import remove_cgroups
    cid = daemon.out("run", "-d", "busybox", "sleep", "100")
    assert _memory_cgroup(inspect(daemon, cid)["State"]["Pid"]).endswith(f"/{daemon.cgroup_parent}/{cid}")
    assert inspect(daemon, cid)["HostConfig"]["CgroupParent"] == ""
    daemon.docker("rm", "-f", cid)
    relative, absolute = daemon.cgroup_parent + "-own", "/" + daemon.cgroup_parent + "-abs"
    try:
        cid = daemon.out("run", "-d", "--cgroup-parent", relative, "busybox", "sleep", "100")
        assert _memory_cgroup(inspect(daemon, cid)["State"]["Pid"]).endswith(f"/{relative}/{cid}")
        assert inspect(daemon, cid)["HostConfig"]["CgroupParent"] == relative
        daemon.docker("rm", "-f", cid)
        cid = daemon.out("run", "-d", "--cgroup-parent", absolute, "busybox", "sleep", "100")
        assert _memory_cgroup(inspect(daemon, cid)["State"]["Pid"]) == f"{absolute}/{cid}"
        daemon.docker("rm", "-f", cid)
        assert not os.path.exists(f"/sys/fs/cgroup/memory{absolute}/{cid}")
    finally:
        remove_cgroups(relative)
        remove_cgroups(absolute[1:])
    proc = daemon.docker("run", "--rm", "--cgroup-parent", "a/../../escape", "busybox", "true", check=False)
    assert proc.returncode == 125 and b"invalid cgroup parent" in proc.stderr


# ---------------------------------------------------------------- the monitor's memory

def _rss_kib(pid):
    """(resident KiB from mapped files, resident KiB in all) of a process."""
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    return int(fields["RssFile"].split()[0]), int(fields["VmRSS"].split()[0])


def _parent(pid):
    return int(next(line.split()[1] for line in open(f"/proc/{pid}/status") if line.startswith("PPid:")))


def test_an_idle_monitor_gives_back_the_pages_it_used_to_start(daemon, busybox):
    """A monitor that has been quiet for a second unmaps the code it ran to
    create the container and to serve an exec (it stays in the page cache),
    and keeps doing its job afterwards: exec, logs, stop. (A debug build's
    monitor maps ~12 MiB of files while it starts a container, a static
    release build ~9 MiB; both hold less than 3 MiB once quiet.)"""
    daemon.docker("run", "-d", "--name", "quiet", "busybox", "sh", "-c", "echo up; exec sleep 1000")
    monitor = _parent(inspect(daemon, "quiet")["State"]["Pid"])
    assert os.readlink(f"/proc/{monitor}/exe").endswith("skiff-monitor")
    wait_for(lambda: _rss_kib(monitor)[0] < 4096)
    for round in range(2):
        assert daemon.out("exec", "quiet", "echo", f"exec-{round}") == f"exec-{round}"
        wait_for(lambda: _rss_kib(monitor)[0] < 4096)
    assert daemon.out("logs", "quiet") == "up"
    daemon.docker("stop", "-t", "1", "quiet")
    state = inspect(daemon, "quiet")["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 137
    wait_for(lambda: not os.path.exists(f"/proc/{monitor}"))


# ---------------------------------------------------------------- nothing leaks

def _snapshot(daemon):
    mounts = [line for line in open("/proc/mounts") if str(daemon.root) in line]
    monitors = subprocess.run(["pgrep", "-f", "skiff-monitor " + str(daemon.root)], capture_output=True, text=True).stdout.split()
    cgroups = subprocess.run(["sh", "-c", f"find /sys/fs/cgroup -type d -path '*/{daemon.cgroup_parent}/*' 2>/dev/null | wc -l"],
                             capture_output=True, text=True).stdout.strip()
    fds = len(os.listdir(f"/proc/{daemon.proc.pid}/fd"))
    containers_dir = os.listdir(daemon.data / "containers")
    sockets = os.listdir(daemon.run_dir / "monitors")
    return mounts, monitors, cgroups, fds, containers_dir, sockets


@pytest.mark.slow
def test_run_rm_cycles_leak_nothing(daemon, busybox):
    daemon.docker("run", "--rm", "busybox", "true")
    before = _snapshot(daemon)
    for _ in range(200):
        daemon.docker("run", "--rm", "busybox", "true")
    time.sleep(0.5)
    after = _snapshot(daemon)
    assert after[0] == before[0], "mounts leaked"
    assert after[1] == before[1] == [], "monitors leaked"
    assert after[2] == before[2], "cgroups leaked"
    assert after[3] <= before[3] + 2, f"daemon fds grew from {before[3]} to {after[3]}"
    assert after[4] == before[4] == [], "container directories leaked"
    assert after[5] == before[5] == [], "monitor sockets leaked"
    assert daemon.out("ps", "-aq") == ""


def test_restart_policy_applies_when_the_monitor_is_gone(daemon, busybox):
    """After a reboot no monitor runs: a restarted daemon starts `always`
    containers again, and leaves `no` ones exited."""
    daemon.docker("run", "-d", "--name", "keeper", "--restart", "always", "busybox", "sleep", "1000")
    daemon.docker("run", "-d", "--name", "oneshot", "busybox", "sleep", "1000")
    monitors = [inspect(daemon, n)["State"]["Pid"] for n in ("keeper", "oneshot")]
    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait()
    # What a reboot does: monitors and containers gone.
    subprocess.run(["pkill", "-9", "-f", f"skiff-monitor {daemon.root}"], check=False)
    for pid in monitors:
        os.kill(pid, signal.SIGKILL)
    for pid in monitors:
        wait_for(lambda: not os.path.exists(f"/proc/{pid}"))
    daemon.start()
    assert inspect(daemon, "keeper")["State"]["Running"]
    assert inspect(daemon, "keeper")["State"]["Pid"] not in monitors
    assert inspect(daemon, "oneshot")["State"]["Status"] == "exited"


def test_exec_tty_and_detach_keys(daemon, busybox):
    daemon.docker("run", "-d", "--name", "exechost", "busybox", "sleep", "100")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_CONFIG"] = str(daemon.docker_config)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("docker", ["docker", "-H", "unix://" + daemon.sock, "exec", "-it", "exechost", "sh"], env)
    import fcntl, struct, termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 27, 91, 0, 0))
    buf = b""
    deadline = time.monotonic() + 15
    while b"# " not in buf and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            buf += os.read(fd, 4096)
    os.write(fd, b"stty size; sleep 300 &\n")
    while b"27 91" not in buf and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            buf += os.read(fd, 4096)
    assert b"27 91" in buf, buf
    os.write(fd, b"\x10\x11")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                buf += os.read(fd, 4096)
            except OSError:
                break
    os.waitpid(pid, 0)
    os.close(fd)
    assert b"read escape sequence" in buf  # the docker CLI's own words (and exit 1) for a detached exec
    # The exec'd shell was left running, not killed.
    assert "sleep 300" in daemon.out("exec", "exechost", "ps")
