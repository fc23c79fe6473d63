"""Hostile games end in a clear outcome, and the harness stays bounded: a fork tree stops at the process
limit, a log flood is cut, and results or a replay of gigabytes are refused without being read.

Other hostile games have their own tests: egress attempts in tests/runtime/test_runtime_network.py, a game
that ignores SIGTERM in the zoo (examples/defects.json, `ignores-sigterm-after-episode`), a process flood
by `docker exec` in tests/runtime/test_runtime_sandbox.py.
"""

from __future__ import annotations

import re
import resource
from pathlib import Path

import pytest
from runtime_fakes import fake_document, loaded_manifest

from pytest_coworld.runtime import OutcomeKind, RunContext, build_episode_spec, run_episode
from pytest_coworld.runtime.containers import LOG_KEEP_BYTES, SANDBOX
from pytest_coworld.runtime.record import EpisodeResult

MIB = 1024 * 1024


def _play(run: RunContext, tmp_path: Path, image: str, mode: str, **env: str) -> EpisodeResult:
    document = fake_document(game_env={"HOSTILE_MODE": mode, **env})
    document["game"]["runnable"]["image"] = image
    return run_episode(build_episode_spec(loaded_manifest(document)), tmp_path, run)


def _peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_fork_tree_stops_at_the_process_limit_and_the_game_still_plays(
    run: RunContext, tmp_path: Path, hostile_image: str
) -> None:
    result = _play(run, tmp_path, hostile_image, "fork_tree")

    assert result.completed, result.outcome.summary()
    forked = re.search(r"forked (\d+) children, then: (.*)", (tmp_path / "game.log").read_text())
    assert forked is not None
    assert int(forked[1]) < SANDBOX["pids_limit"] and "Resource temporarily unavailable" in forked[2]


def test_a_log_flood_is_cut_to_its_end(run: RunContext, tmp_path: Path, hostile_image: str) -> None:
    result = _play(run, tmp_path, hostile_image, "log_flood", HOSTILE_LOG_MB="64")

    assert result.completed, result.outcome.summary()
    log = (tmp_path / "game.log").read_bytes()
    assert len(log) < LOG_KEEP_BYTES + 1024
    assert log.startswith(b"[pytest-coworld: the first ") and b"fake game: episode over" in log


@pytest.mark.parametrize(
    ("mode", "kind", "message"),
    [
        (
            "results_flood",
            OutcomeKind.RESULTS_MALFORMED,
            "results.json is 512.0 MiB, more than the 16 MiB the harness reads",
        ),
        (
            "replay_flood",
            OutcomeKind.REPLAY_MISSING,
            "is 2,048.0 MiB, more than the 256 MiB the harness reads",
        ),
    ],
    ids=["results-of-half-a-gigabyte", "replay-of-two-gigabytes"],
)
def test_a_file_too_large_is_refused_unread(
    run: RunContext, tmp_path: Path, hostile_image: str, mode: str, kind: OutcomeKind, message: str
) -> None:
    before = _peak_memory_mib()
    result = _play(run, tmp_path, hostile_image, mode)

    assert result.outcome.kind is kind
    assert message in result.outcome.message
    assert _peak_memory_mib() - before < 256
