"""Certification under pytest-xdist: each target's checks run on one worker (one episode per target), each
worker removes only what it started, and a worker that dies ends the session with the reason, never a hang."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_coworld.examples import example_manifest_path
from pytest_coworld.runtime.labels import LABEL_PID, LABEL_ROLE, LABEL_RUN_ID, LABEL_WORKER
from pytest_coworld.xdist_scheduling import target_of

SESSION_SECONDS = 600


@pytest.mark.parametrize(
    ("nodeid", "group"),
    [
        ("coworld/test_manifest.py::test_manifest_rules[paint-manifest.schema]", "coworld-paint"),
        ("coworld/test_players.py::test_player_exit[paint-2-slot1]", "coworld-paint-2"),
        ("coworld/test_routes.py::test_healthz[paint]", "coworld-paint"),
        ("coworld/test_routes.py::test_healthz[painted]", None),
        ("tests/test_other.py::test_plain", None),
    ],
)
def test_a_checks_target_is_read_from_its_parameter_id(nodeid: str, group: str | None) -> None:
    assert target_of(nodeid, ["paint-2", "paint"]) == group


def _parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _worker_with_a_game(docker_client: Any, session: subprocess.Popen[str], worker: str) -> int:
    """The pid of `session`'s xdist worker `worker`, once its first game container exists."""
    labels = [f"{LABEL_WORKER}={worker}", f"{LABEL_ROLE}=game"]
    deadline = time.monotonic() + SESSION_SECONDS
    while time.monotonic() < deadline and session.poll() is None:
        for container in docker_client.containers.list(filters={"label": labels}, ignore_removed=True):
            pid = int(container.labels[LABEL_PID])
            if _parent_of(pid) == session.pid:
                return pid
        time.sleep(0.2)
    raise AssertionError(f"worker {worker} of the session never started a game")


def test_a_dead_worker_ends_the_session_and_spares_the_others_containers(
    example_images: None, docker_client: Any, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    session = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            *(f"--coworld-manifest={example_manifest_path(name)}" for name in ("paint", "auction")),
            f"--coworld-results-json={report}",
            f"--coworld-artifacts-dir={tmp_path / 'artifacts'}",
            "--coworld-healthz-timeout=30",
            "-n",
            "2",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        os.kill(_worker_with_a_game(docker_client, session, "gw0"), signal.SIGKILL)
        output, _ = session.communicate(timeout=SESSION_SECONDS)
    finally:
        session.kill()

    assert session.returncode == 1, output[-3000:]
    assert "worker 'gw0' crashed while running" in output and "worker restarting disabled" in output
    results = json.loads(report.read_text())
    verdicts = {c["target"]: c["verdict"] for c in results["certifications"]}
    assert sorted(verdicts.values()) == ["certified", "incomplete"], output[-3000:]
    assert results["verdict"] == "incomplete"
    leftovers = docker_client.containers.list(
        all=True, filters={"label": f"{LABEL_RUN_ID}"}, ignore_removed=True
    )
    assert [c.name for c in leftovers if c.labels[LABEL_RUN_ID].startswith(results["run_id"])] == []
