"""Make sure a Docker engine answers: use a running one, or (root on Debian) install and start `dockerd`."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from pytest_coworld.provision import ProvisionError

DOCKERD_LOG = Path("/var/log/pytest-coworld-dockerd.log")


def engine_answers() -> bool:
    """True when `docker info` reaches a running engine."""
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


def _is_root_on_debian() -> bool:
    return os.geteuid() == 0 and Path("/etc/debian_version").exists()


def _apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, stdout=subprocess.DEVNULL
    )


def _start_dockerd() -> None:
    log = DOCKERD_LOG.open("ab")
    subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def ensure_engine(wait_seconds: float = 60.0) -> str:
    """Return how the engine was found ("running" or "started"); raise ProvisionError when there is none."""
    if engine_answers():
        return "running"
    if not _is_root_on_debian():
        raise ProvisionError(
            "No Docker engine answers `docker info`. Start Docker (Docker Desktop, or "
            "`sudo systemctl start docker`) and make sure your user may use it, then run this again."
        )
    if shutil.which("dockerd") is None:
        _apt_install("docker.io")
    _start_dockerd()
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if engine_answers():
            return "started"
        time.sleep(0.5)
    raise ProvisionError(f"dockerd did not answer within {wait_seconds:.0f} s; see {DOCKERD_LOG}")
