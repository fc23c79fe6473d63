"""An interrupted certification (Ctrl-C, or SIGTERM as a CI cancel sends) leaves nothing behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from terminal_signals import sigint_as_in_a_terminal

from pytest_coworld.examples import example_manifest_path
from pytest_coworld.runtime.labels import LABEL_PID


def _labelled_by(client: Any, pid: int) -> list[str]:
    filters = {"label": f"{LABEL_PID}={pid}"}
    return [c.name for c in client.containers.list(all=True, filters=filters, ignore_removed=True)] + [
        n.name for n in client.networks.list(filters=filters)
    ]


def _wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_interrupted_certification_cleans_up(
    tmp_path: Path, docker_client: Any, example_images: None, signum: int
) -> None:
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--coworld-manifest={example_manifest_path('paint')}",
            f"--coworld-artifacts-dir={tmp_path}",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=sigint_as_in_a_terminal,
    )
    try:
        assert _wait_for(lambda: len(_labelled_by(docker_client, child.pid)) >= 3, 60), "no episode started"
        child.send_signal(signum)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert _wait_for(lambda: _labelled_by(docker_client, child.pid) == [], 60), _labelled_by(
        docker_client, child.pid
    )
