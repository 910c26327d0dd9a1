"""pause/unpause, top, stats and update, through the docker CLI and skiff,
against a real skiffd: the figures come from the container's cgroup and move
with what it does."""
from __future__ import annotations

import json
import time

import pytest

from clis import cli, out, unique  # noqa: F401  (cli is a fixture)
from skiffd import daemon, busybox_tar  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("image")


@pytest.fixture(scope="module")
def image(daemon, busybox_tar):
    daemon.docker("import", str(busybox_tar), "busybox:latest")


def stats_row(cli, name: str) -> dict:
    text = out(cli("stats", "--no-stream", "--format", "{{json .}}", name))
    return json.loads(text)


def test_pause_freezes_and_unpause_resumes(daemon, cli):
    name = unique("pause")
    cli("run", "-d", "--name", name, "busybox", "sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done")
    try:
        time.sleep(0.3)
        cli("pause", name)
        assert out(cli("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name)) == "paused true"
        assert "(Paused)" in out(cli("ps", "--filter", f"name={name}", "--format", "{{.Status}}"))
        # Frozen: the counter does not move (read from the host through the root).
        root = json.loads(daemon.out("inspect", name))[0]["GraphDriver"]["Data"]["MergedDir"]
        first = open(f"{root}/tmp/n").read()
        time.sleep(0.4)
        assert open(f"{root}/tmp/n").read() == first
        bad = cli("pause", name, check=False)
        assert bad.returncode != 0 and b"already paused" in bad.stderr
        bad = cli("exec", name, "true", check=False)
        assert bad.returncode != 0
        assert f"Container {name} is paused, unpause the container before exec".encode() in bad.stderr, bad.stderr
        cli("unpause", name)
        time.sleep(0.4)
        assert open(f"{root}/tmp/n").read() != first
        bad = cli("unpause", name, check=False)
        assert bad.returncode != 0 and b"is not paused" in bad.stderr
        # A paused container still stops.
        cli("pause", name)
        cli("stop", "-t", "1", name)
        assert out(cli("inspect", "-f", "{{.State.Status}}", name)) == "exited"
    finally:
        cli("rm", "-f", name)


def test_top_lists_the_containers_processes_only(daemon, cli):
    name = unique("top")
    cli("run", "-d", "--name", name, "busybox", "sh", "-c", "sleep 1001 & sleep 1002 & wait")
    try:
        text = out(cli("top", name))
        lines = text.splitlines()
        assert lines[0].split()[:3] == ["UID", "PID", "PPID"]
        assert any("sleep 1001" in l for l in lines) and any("sleep 1002" in l for l in lines)
        assert len(lines) == 4        # the shell and its two sleeps
        text = out(cli("top", name, "-o", "pid,comm"))
        assert text.splitlines()[0].split() == ["PID", "COMMAND"]
        assert sum(1 for l in text.splitlines() if l.endswith("sleep")) == 2
        bad = cli("top", unique("nosuch"), check=False)
        assert bad.returncode != 0 and b"No such container" in bad.stderr
    finally:
        cli("rm", "-f", name)


def test_stats_figures_move_under_load(daemon, cli):
    busy, idle = unique("busy"), unique("idle")
    cli("run", "-d", "--name", busy, "busybox", "sh", "-c", "while :; do :; done")
    cli("run", "-d", "--name", idle, "-m", "128m", "busybox", "sleep", "300")
    try:
        # A busy loop shows (a shared, loaded CI machine gives it well under a whole CPU at times).
        row = stats_row(cli, busy)
        assert float(row["CPUPerc"].rstrip("%")) > 20, row
        assert row["PIDs"] == "1" and row["Name"] == busy
        row = stats_row(cli, idle)
        assert float(row["CPUPerc"].rstrip("%")) < 10, row
        assert row["MemUsage"].endswith("/ 128MiB"), row
        before = row["MemUsage"]
        # 40 MB in /dev/shm is charged to the container's memory cgroup.
        cli("exec", idle, "sh", "-c", "head -c 41943040 /dev/zero > /dev/shm/fill")
        row = stats_row(cli, idle)
        used = row["MemUsage"].split(" / ")[0]
        assert used.endswith("MiB") and float(used[:-3]) >= 39, (before, row)
        # Traffic shows in NET I/O.
        daemon.docker("exec", idle, "ping", "-c", "3", "-W", "1", "-s", "1000",
                      daemon.out("inspect", "-f", "{{.NetworkSettings.Gateway}}", idle))
        rx, tx = stats_row(cli, idle)["NetIO"].split(" / ")
        assert rx.endswith("kB") and tx.endswith("kB"), (rx, tx)
        # The API's own shape, as docker-py reads it.
        stats = daemon.client().containers.get(busy).stats(stream=False)
        assert stats["cpu_stats"]["cpu_usage"]["total_usage"] > stats["precpu_stats"]["cpu_usage"]["total_usage"] > 0
        assert stats["memory_stats"]["limit"] > 0 and stats["pids_stats"]["current"] == 1
    finally:
        cli("rm", "-f", busy, idle)


def test_update_changes_limits_of_a_running_container(daemon, cli):
    name = unique("upd")
    cli("run", "-d", "--name", name, "busybox", "sh", "-c", "while :; do :; done")
    try:
        cli("update", "--cpus", "0.5", "--memory", "64m", "--pids-limit", "10", name)
        info = json.loads(daemon.out("inspect", name))[0]["HostConfig"]
        assert (info["NanoCpus"], info["Memory"], info["PidsLimit"]) == (500_000_000, 64 << 20, 10)
        assert stats_row(cli, name)["MemUsage"].endswith("/ 64MiB")
        time.sleep(1)
        assert float(stats_row(cli, name)["CPUPerc"].rstrip("%")) < 70
        # The pids limit holds: a fork bomb stops at 10.
        proc = cli("exec", name, "sh", "-c", "for i in $(seq 20); do sleep 30 & done; wait", check=False)
        assert b"can't fork" in proc.stderr or b"Resource temporarily unavailable" in proc.stderr or proc.returncode != 0
        bad = cli("update", name, check=False)
        assert bad.returncode != 0 and b"you must provide one or more flags" in bad.stderr
    finally:
        cli("rm", "-f", name)


def test_update_restart_policy_takes_effect(daemon, cli):
    name = unique("rp")
    cli("run", "-d", "--name", name, "busybox", "sh", "-c", "sleep 1; exit 3")
    try:
        cli("update", "--restart", "on-failure:2", name)
        assert out(cli("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", name)) == "on-failure:2"
        for _ in range(100):
            state = json.loads(daemon.out("inspect", name))[0]["State"]
            if state["Status"] == "exited" and state.get("Restarting") is False and json.loads(daemon.out("inspect", name))[0]["RestartCount"] == 2:
                break
            time.sleep(0.2)
        assert json.loads(daemon.out("inspect", name))[0]["RestartCount"] == 2
    finally:
        cli("rm", "-f", name)


def test_exec_processes_get_the_containers_ulimits(daemon, cli):
    """`docker exec` runs with the container's --ulimit values, as dockerd's
    execs do (was: the daemon's own limits)."""
    name = unique("ulimit")
    cli("run", "-d", "--name", name, "--ulimit", "nofile=1000:2000", "--ulimit", "nproc=500", "busybox", "sleep", "600")
    try:
        assert out(cli("exec", name, "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u")).split() == ["1000", "2000", "500"]
    finally:
        cli("rm", "-f", name)
