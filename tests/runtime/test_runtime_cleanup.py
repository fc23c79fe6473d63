"""Cleanup on every path: errors and Ctrl-C inside an episode, RunContext exit, stale sweeps, the guard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from runtime_fakes import BASE_IMAGE, fake_manifest

from pytest_coworld.runtime import (
    EpisodeObserver,
    Phase,
    RunContext,
    build_episode_spec,
    collect_garbage,
    run_episode,
    sweep_stale,
)
from pytest_coworld.runtime.cleanup import list_labelled, owner_alive, remove_resources
from pytest_coworld.runtime.labels import RunIdentity

REPO = Path(__file__).resolve().parents[2]
VANISH_SECONDS = 30


class FailAt(EpisodeObserver):
    def __init__(self, phase: Phase, error: BaseException) -> None:
        self.phase, self.error = phase, error

    def phase_changed(self, episode_id: str, phase: Phase) -> None:
        if phase is self.phase:
            raise self.error


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()], ids=["exception", "ctrl-c"])
def test_an_error_mid_episode_still_removes_every_container_and_network(
    run: RunContext, tmp_path: Path, error: BaseException
) -> None:
    spec = build_episode_spec(fake_manifest())
    with pytest.raises(type(error)):
        run_episode(spec, tmp_path, run, observer=FailAt(Phase.PLAYING, error))
    assert list_labelled(run.client, run.run_id) == []
    assert list(run.work_root.iterdir()) == []


def _labelled_pair(client: Any, identity: RunIdentity) -> None:
    """A created (not started) container and a network, labelled as resources of `identity`'s run. Made with
    the low-level API, which looks nothing up after: another worker's run start sweeps a dead run's resources
    whenever it starts, perhaps between a create and its lookup."""
    labels = identity.labels("test")
    client.api.create_network(f"coworld-{identity.run_id}-net", labels=labels)
    client.api.create_container(BASE_IMAGE, ["true"], name=f"coworld-{identity.run_id}", labels=labels)


@pytest.fixture
def dead_owner() -> Iterator[int]:
    process = subprocess.Popen(["true"])
    process.wait()
    yield process.pid


def _exists(client: Any, run_id: str) -> bool:
    return bool(list_labelled(client, run_id))


def test_stale_sweep_removes_resources_of_dead_runs_on_this_host_only(
    docker_client: Any, dead_owner: int
) -> None:
    dead_here = RunIdentity(pid=dead_owner)
    dead_elsewhere = RunIdentity(pid=dead_owner, host="some-other-host")
    alive_here = RunIdentity()
    for identity in (dead_here, dead_elsewhere, alive_here):
        _labelled_pair(docker_client, identity)
    try:
        report = sweep_stale(docker_client)

        assert not _exists(docker_client, dead_here.run_id)
        assert _exists(docker_client, dead_elsewhere.run_id) and _exists(docker_client, alive_here.run_id)
        # another worker's run start may have swept them first: the report names what this sweep removed
        reported = {*report.containers, *report.networks}
        assert not any(alive_here.run_id in name or dead_elsewhere.run_id in name for name in reported)
    finally:
        remove_resources(list_labelled(docker_client, dead_elsewhere.run_id))
        remove_resources(list_labelled(docker_client, alive_here.run_id))


def test_gc_and_run_start_sweep_stale_resources(
    docker_client: Any, dead_owner: int, fake_images: None
) -> None:
    first, second = RunIdentity(pid=dead_owner), RunIdentity(pid=dead_owner)
    _labelled_pair(docker_client, first)
    collect_garbage(docker_client)
    assert not _exists(docker_client, first.run_id)

    _labelled_pair(docker_client, second)
    with RunContext(guard=False):  # its start sweeps them (unless another worker's run start did so first)
        assert not _exists(docker_client, second.run_id)


def test_a_reused_pid_does_not_keep_resources_alive() -> None:
    long_ago = (datetime.now(UTC) - timedelta(days=365)).isoformat(timespec="seconds")
    assert owner_alive(os.getpid(), None)
    assert owner_alive(os.getpid(), datetime.now(UTC).isoformat(timespec="seconds"))
    assert not owner_alive(os.getpid(), long_ago)


def test_leaving_a_run_context_removes_whatever_its_episodes_left(fake_images: None) -> None:
    with RunContext(guard=False, sweep_stale=False) as run:
        _labelled_pair(run.client, run.identity)
        assert _exists(run.client, run.run_id)
    assert not _exists(run.client, run.run_id)


def _wait_gone(client: Any, run_id: str, work_root: Path | None = None) -> bool:
    """Poll (bounded) until nothing of `run_id` remains: no labelled resource, no work folder."""
    deadline = time.monotonic() + VANISH_SECONDS
    while _exists(client, run_id) or (work_root is not None and work_root.exists()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_the_guard_removes_everything_when_its_owner_is_killed(docker_client: Any, fake_images: None) -> None:
    owner = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "hold_resources.py")],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None
        run_id, work_root = owner.stdout.readline().split()
        assert len(list_labelled(docker_client, run_id)) == 2
        owner.send_signal(signal.SIGKILL)
        owner.wait()

        assert _wait_gone(docker_client, run_id, Path(work_root)), "the guard did not clean up the killed run"
    finally:
        owner.kill()
        owner.wait()
