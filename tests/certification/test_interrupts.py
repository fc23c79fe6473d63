"""An interrupted certification (Ctrl-C, or SIGTERM as a CI cancel sends) leaves nothing behind."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from terminal_signals import sigint_as_in_a_terminal

from pytest_coworld.examples import example_manifest_path
from pytest_coworld.runtime.cleanup import sweep_stale_scratch_folders
from pytest_coworld.runtime.labels import LABEL_PID
from pytest_coworld.scratch_folders import scratch_folder_prefix


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


def _pytest_child_of(pid: int) -> int | None:
    """The pid of the pytest process `coworld certify` (pid) started, once it exists."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    return int(entry.name)
    return None


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["sigint", "sigterm", "sigkill"]
)
def test_a_signal_to_coworld_certify_alone_reaches_its_pytest(
    tmp_path: Path, docker_client: Any, example_images: None, signum: int
) -> None:
    """`kill PID` or `timeout` signal only `coworld certify` itself, not its process group: pytest must still
    stop and clean up (passed on; or, if `coworld certify` was killed outright, from the kernel). Its
    scratch folder goes too: at once, or by `coworld gc` after a SIGKILL."""
    certify = subprocess.Popen(
        [sys.executable, "-m", "pytest_coworld.cli", "certify", "--example", "paint"],  # as `coworld` runs
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=sigint_as_in_a_terminal,
    )
    try:
        assert _wait_for(lambda: _pytest_child_of(certify.pid) is not None, 60), "pytest never started"
        pytest_pid = _pytest_child_of(certify.pid)
        assert pytest_pid is not None
        assert _wait_for(lambda: len(_labelled_by(docker_client, pytest_pid)) >= 3, 60), "no episode"
        certify.send_signal(signum)
        certify.wait(timeout=90)
        assert _wait_for(lambda: not Path(f"/proc/{pytest_pid}").exists(), 90), "pytest kept running"
    finally:
        if certify.poll() is None:
            certify.kill()
            certify.wait()
    scratch = list(Path(tempfile.gettempdir()).glob(f"{scratch_folder_prefix(certify.pid)}*"))
    if signum != signal.SIGKILL:
        assert certify.returncode == 130  # interrupted
        assert scratch == []  # its scratch folder, browser profile included, is gone
    else:
        assert scratch and set(scratch) <= set(sweep_stale_scratch_folders())  # `coworld gc` removes it
        assert not any(folder.exists() for folder in scratch)
    report = tmp_path / "coworld-certification.json"  # an orphaned pytest would finish and certify
    assert not report.exists() or json.loads(report.read_text())["verdict"] != "certified"
    assert _wait_for(lambda: _labelled_by(docker_client, pytest_pid) == [], 60), _labelled_by(
        docker_client, pytest_pid
    )
