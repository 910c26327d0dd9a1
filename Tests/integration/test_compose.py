"""`skiff compose` against skiffd (its own network namespace): a matrix of
Compose files, each field checked by what it does (the environment inside,
ports answering, names resolving, start order, replicas, recreation only on
change), the commands, and invalid files answered with errors that name the
field's path and leave nothing behind.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from composetest import Project
from skiffd import busybox_tar, daemon, skiff_registry  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def busybox(daemon, busybox_tar):
    daemon.out("import", str(busybox_tar), "busybox:latest")
    return "busybox"


@pytest.fixture
def project(daemon, busybox, tmp_path, request):
    name = re.sub(r"[^a-z0-9]", "", request.node.name.lower().replace("test_", ""))[:20] or "p"
    p = Project(daemon, tmp_path, name)
    yield p
    p.down()
    assert p.names() == [], "containers left after down"


def state(p: Project, name: str) -> dict:
    return p.inspect(name)["State"]


# ---------------------------------------------------------------- up and down

def test_up_down_names_labels_network(project, daemon):
    project.write("compose.yaml", """
        services:
          web:
            image: busybox
            command: sleep 600
          worker:
            image: busybox
            command: ["sleep", "600"]
    """)
    r = project.compose("up", "-d")
    assert r.rc == 0, r.err
    assert f"Container {project.name}-web-1  Started" in r.err
    assert project.names() == [f"{project.name}-web-1", f"{project.name}-worker-1"]
    c = project.inspect(f"{project.name}-web-1")
    labels = c["Config"]["Labels"]
    assert labels["com.docker.compose.project"] == project.name
    assert labels["com.docker.compose.service"] == "web"
    assert labels["com.docker.compose.container-number"] == "1"
    assert labels["com.docker.compose.oneoff"] == "False"
    assert labels["com.docker.compose.project.config_files"] == str(project.dir / "compose.yaml")
    assert len(labels["com.docker.compose.config-hash"]) == 64
    assert c["Config"]["Cmd"] == ["sleep", "600"]
    net = json.loads(daemon.out("network", "inspect", f"{project.name}_default"))[0]
    assert net["Labels"]["com.docker.compose.network"] == "default"
    assert set(c["NetworkSettings"]["Networks"]) == {f"{project.name}_default"}
    # The project name comes from the directory when -p is not given.
    ls = project.ok("ls", "--format", "json", project=False)
    assert {"Name": project.name, "Status": "running(2)", "ConfigFiles": str(project.dir / "compose.yaml")} in json.loads(ls)
    r = project.compose("down", "-t", "1")
    assert r.rc == 0, r.err
    assert project.names() == []
    assert daemon.docker("network", "inspect", f"{project.name}_default", check=False).returncode != 0


def test_project_name_from_directory_and_env(daemon, busybox, tmp_path):
    d = tmp_path / "My_App.dir"
    d.mkdir()
    p = Project(daemon, d, "unused")
    p.write("compose.yaml", "services:\n  a:\n    image: busybox\n    command: sleep 600\n")
    try:
        assert "my_appdir" in p.ok("config", project=False).splitlines()[0]
        p.ok("up", "-d", project=False)
        assert "my_appdir-a-1" in daemon.out("ps", "--format", "{{.Names}}")
        p.ok("up", "-d", project=False, env={"COMPOSE_PROJECT_NAME": "fromenv"})
        assert "fromenv-a-1" in daemon.out("ps", "--format", "{{.Names}}")
    finally:
        p.compose("down", "-t", "1", project=False)
        p.compose("down", "-t", "1", project=False, env={"COMPOSE_PROJECT_NAME": "fromenv"})


def test_up_is_idempotent_and_recreates_only_what_changed(project):
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: sleep 600
            environment:
              X: ${X:-one}
          b:
            image: busybox
            command: sleep 600
    """)
    project.ok("up", "-d")
    ids = {c["Names"]: c["ID"] for c in project.containers()}
    r = project.compose("up", "-d")
    assert r.rc == 0 and "Running" in r.err
    assert {c["Names"]: c["ID"] for c in project.containers()} == ids
    project.ok("up", "-d", "-t", "1", env={"X": "two"})
    after = {c["Names"]: c["ID"] for c in project.containers()}
    assert after[f"{project.name}-a-1"] != ids[f"{project.name}-a-1"]
    assert after[f"{project.name}-b-1"] == ids[f"{project.name}-b-1"]
    assert "X=two" in project.sh(f"{project.name}-a-1", "env")
    # --no-recreate keeps the diverged container; --force-recreate replaces both.
    project.ok("up", "-d", "--no-recreate")
    assert {c["Names"]: c["ID"] for c in project.containers()} == after
    project.ok("up", "-d", "-t", "1", "--force-recreate", env={"X": "two"})
    forced = {c["Names"]: c["ID"] for c in project.containers()}
    assert all(forced[n] != after[n] for n in after)
    # A stopped container is started again, not recreated.
    project.ok("stop", "-t", "1", "b")
    project.ok("up", "-d", "-t", "1", env={"X": "two"})
    assert {c["Names"]: c["ID"] for c in project.containers()} == forced
    assert state(project, f"{project.name}-b-1")["Running"]


def test_remove_orphans(project):
    project.write("compose.yaml", "services:\n  a:\n    image: busybox\n    command: sleep 600\n  old:\n    image: busybox\n    command: sleep 600\n")
    project.ok("up", "-d")
    project.write("compose.yaml", "services:\n  a:\n    image: busybox\n    command: sleep 600\n")
    r = project.compose("up", "-d")
    assert "Found orphan containers" in r.err and f"{project.name}-old-1" in r.err
    assert f"{project.name}-old-1" in project.names()
    project.ok("up", "-d", "-t", "1", "--remove-orphans")
    assert project.names() == [f"{project.name}-a-1"]


# ---------------------------------------------------------------- environment

def test_environment_interpolation_env_files(project):
    project.write(".env", """
        # comment
        TAG=latest
        GREETING="hello world"
        export FROM_DOTENV=dotenv
        OVERRIDDEN=dotenv
    """)
    project.write("web.env", "FILE_VAR=from-file\nSHARED=file\n")
    project.write("compose.yaml", """
        services:
          web:
            image: busybox:${TAG}
            command: sleep 600
            env_file: web.env
            environment:
              - GREETING=${GREETING}
              - DEFAULTED=${UNSET_VAR:-fallback}
              - EMPTY_DEFAULT=${EMPTY-dash}
              - DOLLAR=$$HOME
              - SHARED=environment
              - OVERRIDDEN=${OVERRIDDEN}
              - PASSED
              - NOT_SET_ANYWHERE
    """)
    project.ok("up", "-d", env={"OVERRIDDEN": "shell", "PASSED": "through", "EMPTY": ""})
    env = dict(l.split("=", 1) for l in project.sh(f"{project.name}-web-1", "env").splitlines() if "=" in l)
    assert env["GREETING"] == "hello world"
    assert env["DEFAULTED"] == "fallback"
    assert env["EMPTY_DEFAULT"] == ""
    assert env["DOLLAR"] == "$HOME"
    assert env["FILE_VAR"] == "from-file"
    assert env["SHARED"] == "environment"
    assert env["OVERRIDDEN"] == "shell"
    assert env["PASSED"] == "through"
    assert "NOT_SET_ANYWHERE" not in env


def test_env_file_option_and_required_variable(project):
    project.write("other.env", "IMG=busybox\n")
    project.write("compose.yaml", "services:\n  a:\n    image: ${IMG:?set IMG please}\n    command: sleep 600\n")
    err = project.fails("config")
    assert "required variable IMG is missing a value: set IMG please" in err
    assert "image: busybox" in project.ok("--env-file", "other.env", "config")


# ---------------------------------------------------------------- ports

def test_ports_short_and_long_syntax(project):
    project.write("compose.yaml", """
        services:
          web:
            image: busybox
            command: sh -c 'mkdir -p /srv; echo short > /srv/index.html; httpd -f -p 80 -h /srv'
            ports:
              - "127.0.0.1:18181:80"
          long:
            image: busybox
            command: sh -c 'mkdir -p /srv; echo long > /srv/index.html; httpd -f -p 8000 -h /srv'
            ports:
              - target: 8000
                published: "18182"
                host_ip: 127.0.0.1
                protocol: tcp
            expose:
              - "9000"
    """)
    project.ok("up", "-d")
    assert project.http("http://127.0.0.1:18181/").strip() == "short"
    assert project.http("http://127.0.0.1:18182/").strip() == "long"
    assert project.ok("port", "web", "80").strip() == "127.0.0.1:18181"
    ps = project.ok("ps")
    assert "127.0.0.1:18181->80/tcp" in ps
    exposed = project.inspect(f"{project.name}-long-1")["Config"]["ExposedPorts"]
    assert set(exposed) == {"8000/tcp", "9000/tcp"}


# ---------------------------------------------------------------- volumes

def test_named_volume_outlives_down_and_goes_with_down_v(project, daemon):
    project.write("compose.yaml", """
        services:
          db:
            image: busybox
            command: sh -c 'test -f /data/first || date > /data/first; sleep 600'
            volumes:
              - data:/data
        volumes:
          data:
    """)
    project.ok("up", "-d")
    first = project.sh(f"{project.name}-db-1", "cat /data/first")
    vol = json.loads(daemon.out("volume", "inspect", f"{project.name}_data"))[0]
    assert vol["Labels"]["com.docker.compose.volume"] == "data"
    project.ok("down", "-t", "1")
    project.ok("up", "-d")
    assert project.sh(f"{project.name}-db-1", "cat /data/first") == first
    project.ok("down", "-t", "1", "-v")
    assert daemon.docker("volume", "inspect", f"{project.name}_data", check=False).returncode != 0


def test_bind_tmpfs_anonymous_and_long_volumes(project, tmp_path):
    (project.dir / "site").mkdir()
    (project.dir / "site" / "f").write_text("from host\n")
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: sleep 600
            volumes:
              - ./site:/site:ro
              - /anon
              - type: tmpfs
                target: /scratch
                tmpfs:
                  size: 1048576
              - type: bind
                source: ./made-by-compose
                target: /made
    """)
    project.ok("up", "-d")
    c = f"{project.name}-a-1"
    assert project.sh(c, "cat /site/f") == "from host"
    assert "Read-only file system" in project.daemon.docker("exec", c, "sh", "-c", "touch /site/x", check=False).stderr.decode()
    mounts = project.sh(c, "cat /proc/mounts")
    assert re.search(r"tmpfs /scratch tmpfs .*size=1024k", mounts), mounts
    assert (project.dir / "made-by-compose").is_dir()
    kinds = {m["Destination"]: m["Type"] for m in project.inspect(c)["Mounts"]}
    assert kinds["/anon"] == "volume" and kinds["/site"] == "bind"


def test_undefined_volume_is_an_error(project):
    project.write("compose.yaml", "services:\n  a:\n    image: busybox\n    volumes:\n      - nope:/x\n")
    err = project.fails("up", "-d")
    assert 'service "a" refers to undefined volume nope' in err
    assert project.names() == []


# ---------------------------------------------------------------- networks

def test_networks_aliases_and_static_address(project, daemon):
    project.write("compose.yaml", """
        services:
          server:
            image: busybox
            command: sleep 600
            networks:
              back:
                aliases: [database, db.internal]
                ipv4_address: 172.28.5.10
              front:
          client:
            image: busybox
            command: sleep 600
            networks: [back]
          outsider:
            image: busybox
            command: sleep 600
            networks: [front]
        networks:
          back:
            ipam:
              config:
                - subnet: 172.28.5.0/24
          front:
    """)
    project.ok("up", "-d")
    server = project.inspect(f"{project.name}-server-1")
    assert server["NetworkSettings"]["Networks"][f"{project.name}_back"]["IPAddress"] == "172.28.5.10"
    for name in ("server", "database", "db.internal", f"{project.name}-server-1"):
        out = project.sh(f"{project.name}-client-1", f"nslookup {name} 2>&1 || true")
        assert "172.28.5.10" in out, (name, out)
    # client is not on front; outsider is not on back.
    out = project.sh(f"{project.name}-outsider-1", "nslookup database 2>&1 || true")
    assert "172.28.5.10" not in out
    assert "172.28.5.10" not in project.sh(f"{project.name}-outsider-1", "nslookup server 2>&1 || true")


def test_external_network_must_exist(project, daemon):
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: sleep 600
            networks: [shared]
        networks:
          shared:
            external: true
            name: compose-test-shared
    """)
    err = project.fails("up", "-d")
    assert "compose-test-shared" in err and "could not be found" in err
    daemon.out("network", "create", "compose-test-shared")
    try:
        project.ok("up", "-d")
        assert "compose-test-shared" in project.inspect(f"{project.name}-a-1")["NetworkSettings"]["Networks"]
        project.ok("down", "-t", "1")
        daemon.out("network", "inspect", "compose-test-shared")  # external: left alone
    finally:
        project.down()
        daemon.docker("network", "rm", "compose-test-shared", check=False)


def test_network_mode_none_and_service(project):
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: sleep 600
          b:
            image: busybox
            command: sleep 600
            network_mode: "service:a"
            depends_on: [a]
          c:
            image: busybox
            command: sleep 600
            network_mode: none
    """)
    project.ok("up", "-d")
    a_ip = project.sh(f"{project.name}-a-1", "ip -4 -o addr show eth0")
    assert a_ip and project.sh(f"{project.name}-b-1", "ip -4 -o addr show eth0") == a_ip
    assert "eth0" not in project.sh(f"{project.name}-c-1", "ip -o link")


# ---------------------------------------------------------------- ordering

def test_depends_on_conditions_order_the_start(project):
    project.write("compose.yaml", """
        services:
          migrate:
            image: busybox
            command: sh -c 'sleep 1; echo migrated'
          db:
            image: busybox
            command: sh -c 'sleep 1.5; touch /tmp/ready; sleep 600'
            healthcheck:
              test: ["CMD", "test", "-f", "/tmp/ready"]
              interval: 1s
              start_interval: 100ms
              start_period: 10s
          web:
            image: busybox
            command: sleep 600
            depends_on:
              db:
                condition: service_healthy
              migrate:
                condition: service_completed_successfully
    """)
    r = project.compose("up", "-d")
    assert r.rc == 0, r.err
    db = state(project, f"{project.name}-db-1")
    web = state(project, f"{project.name}-web-1")
    migrate = state(project, f"{project.name}-migrate-1")
    assert db["Health"]["Status"] == "healthy"
    healthy_at = min(l["End"] for l in db["Health"]["Log"] if l["ExitCode"] == 0)
    assert web["StartedAt"] > healthy_at
    assert migrate["ExitCode"] == 0 and web["StartedAt"] > migrate["FinishedAt"]
    assert r.err.index(f"{project.name}-db-1  Healthy") < r.err.index(f"{project.name}-web-1  Started")


def test_unhealthy_or_failed_dependency_stops_up(project):
    project.write("compose.yaml", """
        services:
          job:
            image: busybox
            command: sh -c 'exit 3'
          web:
            image: busybox
            command: sleep 600
            depends_on:
              job:
                condition: service_completed_successfully
    """)
    err = project.fails("up", "-d")
    assert "didn't complete successfully: exit 3" in err
    assert not any(n.endswith("-web-1") and state(project, n)["Running"] for n in project.names())


def test_up_wait_fails_when_a_container_exits(project):
    project.write("compose.yaml", "services:\n  a:\n    image: busybox\n    command: sh -c 'exit 4'\n")
    err = project.fails("up", "-d", "--wait")
    assert "exited (4)" in err


def test_depends_on_restart_follows_a_recreated_dependency(project):
    project.write("compose.yaml", """
        services:
          db:
            image: busybox
            command: sleep 600
            init: true
            environment:
              V: ${V:-1}
          app:
            image: busybox
            command: sleep 600
            init: true
            depends_on:
              db: {condition: service_started, restart: true}
          other:
            image: busybox
            command: sleep 600
            init: true
            depends_on: [db]
    """)
    project.ok("up", "-d")
    app, other = (project.inspect(f"{project.name}-{s}-1") for s in ("app", "other"))
    project.ok("up", "-d", env={"V": "2"})
    app2, other2 = (project.inspect(f"{project.name}-{s}-1") for s in ("app", "other"))
    assert app2["Id"] == app["Id"] and app2["State"]["StartedAt"] > app["State"]["StartedAt"]
    assert other2["State"]["StartedAt"] == other["State"]["StartedAt"]


def test_dependency_cycle_is_refused(project):
    project.write("compose.yaml", """
        services:
          a: {image: busybox, depends_on: [b]}
          b: {image: busybox, depends_on: [a]}
    """)
    assert "cycle" in project.fails("up", "-d")


# ---------------------------------------------------------------- scale

def test_replicas_and_scale(project):
    project.write("compose.yaml", """
        services:
          w:
            image: busybox
            command: sleep 600
            deploy:
              replicas: 3
    """)
    project.ok("up", "-d")
    assert project.names() == [f"{project.name}-w-{i}" for i in (1, 2, 3)]
    project.ok("up", "-d", "-t", "1", "--scale", "w=1")
    assert project.names() == [f"{project.name}-w-1"]
    project.ok("up", "-d", "--scale", "w=2")
    assert project.names() == [f"{project.name}-w-1", f"{project.name}-w-2"]
    # Every replica answers to the service name.
    out = project.sh(f"{project.name}-w-1", "nslookup w 2>&1")
    addrs = {project.inspect(n)["NetworkSettings"]["Networks"][f"{project.name}_default"]["IPAddress"] for n in project.names()}
    assert all(a in out for a in addrs), out


# ---------------------------------------------------------------- service fields

def test_service_fields_seen_from_inside(project, tmp_path):
    project.write("secret.txt", "s3cret\n")
    project.write("app.conf", "conf\n")
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: sleep 600
            user: "1000:1000"
            working_dir: /tmp/work
            hostname: myhost
            domainname: example.test
            labels:
              tier: backend
            init: true
            tty: true
            stdin_open: true
            stop_signal: SIGUSR1
            stop_grace_period: 3s
            cap_drop: [ALL]
            cap_add: [NET_ADMIN]
            read_only: true
            tmpfs: [/tmp]
            ulimits:
              nofile: {soft: 1000, hard: 2000}
              nproc: 500
            mem_limit: 64m
            cpus: 0.5
            pids_limit: 40
            extra_hosts:
              - "somehost:10.1.2.3"
            dns: [10.9.9.9]
            restart: on-failure:2
            logging:
              driver: json-file
              options:
                max-size: 1m
            secrets: [token]
            configs:
              - source: appconf
                target: /etc/app.conf
            sysctls:
              net.ipv4.ip_unprivileged_port_start: "80"
        secrets:
          token:
            file: ./secret.txt
        configs:
          appconf:
            file: ./app.conf
    """)
    project.ok("up", "-d")
    c = f"{project.name}-a-1"
    i = project.inspect(c)
    assert i["Config"]["User"] == "1000:1000"
    assert i["Config"]["Labels"]["tier"] == "backend"
    assert i["Config"]["Tty"] and i["Config"]["OpenStdin"]
    assert i["Config"]["StopSignal"] == "SIGUSR1" and i["Config"]["StopTimeout"] == 3
    h = i["HostConfig"]
    assert h["Init"] is True and h["ReadonlyRootfs"] is True
    assert h["Memory"] == 64 * 1024 * 1024 and h["NanoCpus"] == 500_000_000 and h["PidsLimit"] == 40
    assert h["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert h["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1m"}}
    assert project.sh(c, "id -u; pwd; hostname; ulimit -n; ulimit -Hn; ulimit -u").split() == ["1000", "/tmp/work", "myhost", "1000", "2000", "500"]
    assert project.sh(c, "cat /run/secrets/token") == "s3cret"
    assert project.sh(c, "cat /etc/app.conf") == "conf"
    assert "10.1.2.3\tsomehost" in project.sh(c, "cat /etc/hosts")
    assert "nameserver 10.9.9.9" in project.sh(c, "cat /etc/resolv.conf")
    caps = project.sh(c, "grep CapBnd /proc/self/status").split()[1]
    assert int(caps, 16) == 1 << 12  # CAP_NET_ADMIN alone
    assert project.sh(c, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start") == "80"
    assert "Read-only file system" in project.daemon.docker("exec", c, "touch", "/x", check=False).stderr.decode()


def test_secrets_and_configs_from_environment_and_content(project):
    """Secrets and configs given by `environment:` or `content:` are copied
    into the container after create (0444, or their `mode`), as docker
    compose does; `run` gets them too."""
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: sleep 600
            init: true
            secrets:
              - source: fromenv
                target: api_key
              - source: fromenv
                target: /opt/keys/owned
                uid: "1000"
                mode: 0400
            configs:
              - source: inline
                target: /etc/inline.conf
        secrets:
          fromenv:
            environment: SECRET_FROM_ENV
        configs:
          inline:
            content: |
              inline ${INLINE_VALUE}
    """)
    env = {"SECRET_FROM_ENV": "env-secret", "INLINE_VALUE": "conf"}
    project.ok("up", "-d", env=env)
    c = f"{project.name}-a-1"
    assert project.sh(c, "cat /run/secrets/api_key; echo; stat -c %a /run/secrets/api_key").split() == ["env-secret", "444"]
    assert project.sh(c, "cat /opt/keys/owned; echo; stat -c '%a %u' /opt/keys/owned").split() == ["env-secret", "400", "1000"]
    assert project.sh(c, "cat /etc/inline.conf") == "inline conf"
    r = project.compose("run", "--rm", "-T", "a", "cat", "/run/secrets/api_key", env=env)
    assert r.rc == 0 and r.out.strip() == "env-secret", r.err
    err = project.fails("up", "-d", "--force-recreate", "-t", "1")
    assert "SECRET_FROM_ENV" in err


def test_privileged_and_command_string_forms(project):
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            privileged: true
            entrypoint: /bin/sh -c
            command: "'echo \\"quoted words\\" > /tmp/out; sleep 600'"
    """)
    project.ok("up", "-d")
    c = f"{project.name}-a-1"
    i = project.inspect(c)
    assert i["Config"]["Entrypoint"] == ["/bin/sh", "-c"]
    assert i["HostConfig"]["Privileged"] is True
    assert project.sh(c, "cat /tmp/out") == "quoted words"


# ---------------------------------------------------------------- build

def test_build_and_up_build_recreates_on_a_new_image(project, daemon):
    project.write("app/Dockerfile", """
        FROM busybox AS base
        ARG MESSAGE=default
        RUN echo "$MESSAGE" > /message
        FROM base AS final
        LABEL stage=final
        CMD ["sleep", "600"]
    """)
    project.write("compose.yaml", """
        services:
          app:
            build:
              context: ./app
              args:
                MESSAGE: ${MESSAGE:-first}
              target: final
              labels:
                built.by: compose
    """)
    project.ok("up", "-d")
    c = f"{project.name}-app-1"
    assert project.sh(c, "cat /message") == "first"
    image = json.loads(daemon.out("image", "inspect", f"{project.name}-app"))[0]
    assert image["Config"]["Labels"]["built.by"] == "compose"
    first_id = project.inspect(c)["Id"]
    project.ok("up", "-d")  # the image exists: no build, no recreate
    assert project.inspect(c)["Id"] == first_id
    project.ok("up", "-d", "-t", "1", "--build", env={"MESSAGE": "second"})
    assert project.inspect(c)["Id"] != first_id
    assert project.sh(c, "cat /message") == "second"
    project.ok("down", "-t", "1", "--rmi", "local")
    assert daemon.docker("image", "inspect", f"{project.name}-app", check=False).returncode != 0


def test_build_failure_is_reported(project):
    project.write("Dockerfile", "FROM busybox\nRUN exit 7\n")
    project.write("compose.yaml", "services:\n  x:\n    build: .\n")
    err = project.fails("build")
    assert "exit" in err or "returned a non-zero code: 7" in err


# ---------------------------------------------------------------- commands

def test_run_exec_logs(project):
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: sh -c 'echo out-line; echo err-line >&2; sleep 600'
            environment: [FROM_FILE=yes]
    """)
    project.ok("up", "-d")
    c = f"{project.name}-a-1"
    assert project.ok("exec", "-T", "a", "sh", "-c", "echo $FROM_FILE").strip() == "yes"
    r = project.compose("exec", "-T", "a", "sh", "-c", "exit 5")
    assert r.rc == 5
    time.sleep(0.3)
    logs = project.ok("logs", "--no-color", "a")
    assert f"{c}  | out-line" in logs and f"{c}  | err-line" in logs
    assert project.ok("logs", "--no-log-prefix", "--tail", "1", "a").strip() in ("out-line", "err-line")
    # --since/--until as RFC 3339 times (converted for the API, as docker's client does).
    assert project.ok("logs", "--since", "2099-01-01T00:00:00Z", "a") == ""
    assert "out-line" in project.ok("logs", "--since", "2020-01-01T00:00:00Z", "a")
    assert project.ok("logs", "--until", "2020-01-01T00:00:00Z", "a") == ""
    r = project.compose("run", "--rm", "-T", "a", "sh", "-c", "echo one-off $FROM_FILE; exit 3")
    assert r.rc == 3 and "one-off yes" in r.out
    assert project.names() == [c]  # --rm removed the one-off container
    out = project.ok("run", "-d", "a", "sleep", "600").strip()
    assert out.startswith(f"{project.name}-a-run-")
    labels = project.inspect(out)["Config"]["Labels"]
    assert labels["com.docker.compose.oneoff"] == "True"
    assert out not in project.ok("ps")
    assert out in project.ok("ps", "-a")
    project.ok("kill")
    project.ok("rm", "-f")


def test_logs_follow_takes_on_restarted_and_new_containers(project):
    """`logs -f`, as compose's: a container that restarts is followed on (its
    new output once, its old not again), one that starts later (a scale-up)
    is taken on, and it ends once every container has stopped."""
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: sh -c 'echo started; trap "exit 0" TERM; while true; do sleep 0.1; done'
    """)
    project.ok("up", "-d")
    a1, a2 = f"{project.name}-a-1", f"{project.name}-a-2"
    argv = [project.skiff, "-H", f"unix://{project.daemon.sock}", "compose", "-p", project.name,
            "logs", "-f", "--no-color"]
    proc = subprocess.Popen(argv, cwd=project.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        started = state(project, a1)["StartedAt"]
        project.ok("restart", "-t", "1")
        assert state(project, a1)["StartedAt"] > started
        project.ok("up", "-d", "--scale", "a=2")
        assert state(project, a2)["Running"]
        time.sleep(1)
        project.ok("stop", "-t", "1")
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines.count(f"{a1}  | started") == 2, out
    assert lines.count(f"{a2}  | started") == 1, out
    project.ok("rm", "-f")


def test_lifecycle_commands(project):
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: sleep 600
            init: true
    """)
    project.ok("up", "-d")
    c = f"{project.name}-a-1"
    project.ok("pause")
    assert state(project, c)["Paused"]
    project.ok("unpause")
    assert not state(project, c)["Paused"]
    assert "sleep 600" in project.ok("top")
    started = state(project, c)["StartedAt"]
    project.ok("restart")
    assert state(project, c)["StartedAt"] > started
    project.ok("kill", "-s", "SIGKILL")
    assert not state(project, c)["Running"]
    project.ok("start")
    assert state(project, c)["Running"]
    project.ok("stop", "-t", "1")
    assert not state(project, c)["Running"]
    assert project.ok("ps", "-q") == ""
    assert project.ok("ps", "-a", "--services").split() == ["a"]
    rows = [json.loads(l) for l in project.ok("ps", "-a", "--format", "json").splitlines()]
    assert rows[0]["Name"] == c and rows[0]["Service"] == "a" and rows[0]["State"] == "exited"
    assert "busybox" in project.ok("images")
    project.ok("rm", "-f")
    assert project.names() == []
    assert project.ok("version", "--short").strip()
    # The root help lists the global options; `skiff --help` lists compose.
    assert "--project-name" in project.ok("--help")
    assert "compose" in subprocess.run([project.skiff, "--help"], capture_output=True, text=True).stdout


def test_attached_up_prints_prefixed_logs_and_ctrl_c_stops(project):
    project.write("compose.yaml", """
        services:
          talker:
            image: busybox
            command: sh -c 'trap "echo got TERM; exit 0" TERM; echo hello-from-talker; while true; do sleep 0.1; done'
    """)
    argv = [project.skiff, "-H", f"unix://{project.daemon.sock}", "compose", "-p", project.name, "up", "--no-color"]
    proc = subprocess.Popen(argv, cwd=project.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    c = f"{project.name}-talker-1"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (project.names() and state(project, c)["Running"]):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert f"{c}  | hello-from-talker" in out
    assert f"{c}  | got TERM" in out
    assert f"{c} exited with code 0" in out
    assert "Gracefully stopping" in err
    assert not state(project, c)["Running"]


# ---------------------------------------------------------------- files

def test_several_files_merge(project):
    project.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: sleep 600
            environment: {A: base, B: base}
            ports: ["127.0.0.1:18301:80"]
    """)
    project.write("compose.override.yaml", """
        services:
          a:
            command: sleep 700
            environment: {B: override}
            ports: ["127.0.0.1:18302:81"]
    """)
    project.ok("up", "-d")
    i = project.inspect(f"{project.name}-a-1")
    assert i["Config"]["Cmd"] == ["sleep", "700"]
    env = [e for e in i["Config"]["Env"] if e.startswith(("A=", "B="))]
    assert sorted(env) == ["A=base", "B=override"]
    assert set(i["HostConfig"]["PortBindings"]) == {"80/tcp", "81/tcp"}
    project.write("prod.yaml", "services:\n  a:\n    command: sleep 800\n")
    out = project.ok("-f", "compose.yaml", "-f", "prod.yaml", "config")
    assert "- \"800\"" in out or "- '800'" in out or "800" in out
    assert "18302" not in out  # -f given: no override file


def test_extends_include_profiles(project):
    project.write("base.yaml", """
        services:
          common:
            image: busybox
            environment: {FROM_BASE: "1"}
    """)
    project.write("lib/compose.yaml", """
        services:
          included:
            image: busybox
            command: sleep 600
    """)
    project.write("compose.yaml", """
        include:
          - lib/compose.yaml
        services:
          a:
            extends: {file: base.yaml, service: common}
            command: sleep 600
          debug:
            image: busybox
            command: sleep 600
            profiles: [debug]
    """)
    project.ok("up", "-d")
    assert project.names() == [f"{project.name}-a-1", f"{project.name}-included-1"]
    assert "FROM_BASE=1" in project.inspect(f"{project.name}-a-1")["Config"]["Env"]
    project.ok("--profile", "debug", "up", "-d")
    assert f"{project.name}-debug-1" in project.names()
    assert project.ok("--profile", "debug", "config", "--services").split() == ["a", "debug", "included"]


# ---------------------------------------------------------------- invalid files

@pytest.mark.parametrize("text,message", [
    ("services:\n  web:\n    image: busybox\n    bogus: 1\n", "services.web"),
    ("services:\n  web:\n    image: busybox\n    ports:\n      - {target: nope}\n", "services.web.ports[0]"),
    ("services:\n  web:\n    image: busybox\n    restart: sometimes\n", 'services.web.restart: invalid restart policy "sometimes"'),
    ("services:\n  web:\n    image: busybox\n    depends_on: [db]\n", 'depends on undefined service "db"'),
    ("services:\n  web:\n    image: busybox\n    networks: [nope]\n", "undefined network nope"),
    ("services:\n  web: [1, 2]\n", "services.web"),
    ("services:\n  web:\n    image: busybox\n    command: sleep\n  web:\n    image: busybox\n", "web"),
    ("services: {web: {image: busybox}\n", "yaml"),
    ("services:\n  web:\n    image: ${\n", "invalid interpolation format"),
    ("services:\n  web:\n    image: busybox\n    runtime: runc\n", "services.web.runtime is not supported by skiff compose yet"),
])
def test_invalid_files_name_the_problem(project, text, message):
    project.write("compose.yaml", text)
    r = project.compose("up", "-d")
    assert r.rc != 0
    assert message.lower() in (r.err + r.out).lower(), r.err
    assert "Fatal error" not in r.err and "Traceback" not in r.err
    assert project.names() == []
    nets = project.daemon.out("network", "ls", "--format", "{{.Name}}").split()
    assert f"{project.name}_default" not in nets


def test_no_file_is_an_error(project):
    err = project.fails("up", "-d")
    assert "no configuration file provided: not found" in err


def test_config_prints_the_canonical_model(project):
    project.write("compose.yaml", """
        services:
          web:
            image: busybox
            ports: ["8080:80"]
            environment: [A=1]
            volumes: ["data:/data", "./src:/src"]
        volumes:
          data: {}
    """)
    out = project.ok("config")
    assert "target: 80" in out and 'published: "8080"' in out
    assert f"source: {project.dir}/src" in out
    assert f"name: {project.name}_data" in out
    data = json.loads(project.ok("config", "--format", "json"))
    assert data["services"]["web"]["environment"] == {"A": "1"}
    assert data["name"] == project.name
    h = project.ok("config", "--hash", "web").split()
    assert h[0] == "web" and len(h[1]) == 64


def test_push_and_pull_through_a_registry(project, daemon, tmp_path):
    """`compose push` sends the services' images to their registry and
    `compose pull` fetches them back (and `up` pulls a missing image), with
    skiff's own registry serving in the daemon's network namespace."""
    registry = Path(project.skiff).parent / "skiff-registry"
    if not os.access(registry, os.X_OK):
        pytest.skip("skiff-registry not built next to skiff")
    with skiff_registry(registry, daemon.netns, tmp_path / "registry") as host:
        image = f"{host}/compose/app:1"
        daemon.out("tag", "busybox", image)
        project.write("compose.yaml", f"""
            services:
              app:
                image: {image}
                command: sleep 600
                init: true
        """)
        r = project.compose("push")
        assert r.rc == 0, r.err
        daemon.out("rmi", image)
        assert daemon.docker("image", "inspect", image, check=False).returncode != 0
        project.ok("pull")
        daemon.out("image", "inspect", image)
        daemon.out("rmi", image)
        project.ok("up", "-d")      # missing: pulled first
        assert project.inspect(f"{project.name}-app-1")["Config"]["Image"] == image
