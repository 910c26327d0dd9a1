"""The same commands through the real docker CLI and through skiff, against
the module's skiffd (`daemon` fixture): tests take `cli` and run twice."""
from __future__ import annotations

import os
import subprocess

import pytest

from clitest import skiff_binary


@pytest.fixture(params=["docker", "skiff"])
def cli(request, daemon):
    """`cli(*args, check=True, input=None, timeout=120)` → CompletedProcess."""
    if request.param == "docker":
        return daemon.docker
    binary = skiff_binary()
    if binary is None:
        pytest.skip("skiff CLI not built")

    def run(*args: str, check: bool = True, input: bytes | None = None, timeout: float = 120):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        proc = subprocess.run([binary, "-H", f"unix://{daemon.sock}", *args], input=input,
                              capture_output=True, env=env, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"skiff {' '.join(args)} exited {proc.returncode}:\n"
                                 f"{proc.stdout.decode(errors='replace')}{proc.stderr.decode(errors='replace')}")
        return proc
    return run


def out(proc) -> str:
    return proc.stdout.decode().strip()


def unique(prefix: str) -> str:
    """A name no other test (or earlier run) uses."""
    return f"{prefix}-{os.urandom(3).hex()}"
