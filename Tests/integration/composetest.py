"""Helpers for the `skiff compose` suites: a project directory in a temp dir,
`skiff compose` run in it against the module's skiffd (its own network
namespace), and reading what the daemon has.

skiff is clitest's (`$SKIFF_CLI` or the newest build); `skiff-compose` must
sit beside it (`swift build` makes both).
"""
from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from clitest import skiff_binary


@dataclass
class Result:
    rc: int
    out: str
    err: str


class Project:
    """A compose project: files in `dir`, commands against `daemon`."""

    def __init__(self, daemon, dir: Path, name: str):
        self.daemon = daemon
        self.dir = dir
        self.name = name
        binary = skiff_binary()
        if not binary or not os.access(Path(binary).parent / "skiff-compose", os.X_OK):
            pytest.skip("skiff and skiff-compose not built (`swift build`)")
        self.skiff = binary

    def write(self, name: str, text: str) -> Path:
        p = self.dir / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip())
        return p

    def compose(self, *args: str, env: dict | None = None, timeout: float = 180, input: str | None = None,
                project: bool = True) -> Result:
        e = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "COMPOSE_", "SKIFF_"))}
        e["DOCKER_CONFIG"] = str(self.daemon.docker_config)
        e.update(env or {})
        argv = [self.skiff, "-H", f"unix://{self.daemon.sock}", "compose"]
        if project:
            argv += ["-p", self.name]
        p = subprocess.run(argv + list(args), cwd=self.dir, capture_output=True, text=True, env=e,
                           timeout=timeout, input=input)
        return Result(p.returncode, p.stdout, p.stderr)

    def ok(self, *args: str, **kw) -> str:
        r = self.compose(*args, **kw)
        assert r.rc == 0, f"compose {' '.join(args)} failed ({r.rc}):\n{r.out}\n{r.err}"
        return r.out

    def fails(self, *args: str, **kw) -> str:
        r = self.compose(*args, **kw)
        assert r.rc != 0, f"compose {' '.join(args)} succeeded:\n{r.out}\n{r.err}"
        return r.err + r.out

    def containers(self, all: bool = True) -> list[dict]:
        """The project's containers as `docker ps` lists them (JSON), by name."""
        out = self.daemon.out("ps", *(["-a"] if all else []), "--no-trunc", "--filter",
                              f"label=com.docker.compose.project={self.name}", "--format", "{{json .}}")
        return sorted((json.loads(l) for l in out.splitlines() if l), key=lambda c: c["Names"])

    def names(self, all: bool = True) -> list[str]:
        return [c["Names"] for c in self.containers(all)]

    def inspect(self, name: str) -> dict:
        return json.loads(self.daemon.out("inspect", name))[0]

    def sh(self, container: str, script: str) -> str:
        return self.daemon.out("exec", container, "sh", "-c", script)

    def http(self, url: str, timeout: float = 20) -> str:
        """GET `url` from the daemon's network namespace (where published ports are)."""
        deadline = time.monotonic() + timeout
        while True:
            p = self.daemon.netexec("curl", "-sS", "--max-time", "2", url, check=False)
            if p.returncode == 0:
                return p.stdout.decode()
            if time.monotonic() > deadline:
                raise AssertionError(f"{url}: {p.stderr.decode()}")
            time.sleep(0.2)

    def down(self):
        self.compose("down", "-v", "--remove-orphans", "-t", "1")
