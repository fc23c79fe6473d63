"""End to end on the bundled examples (paint: classic, 2 slots; auction: current, 3-4 slots), with defects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import websockets.sync.client

from pytest_coworld.examples import apply_defect, build_example, example_manifest_path
from pytest_coworld.manifest import load_manifest
from pytest_coworld.manifest.models import LoadedManifest
from pytest_coworld.runtime import (
    EpisodeSpec,
    OutcomeKind,
    ReplayServer,
    RunContext,
    Timeouts,
    build_episode_spec,
    run_episode,
)
from pytest_coworld.runtime.replay import ReplayServerUnhealthy

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, str(Path(__file__).parent / "runtime_cli.py")]
# Each defect waits out only the timeout it trips; every other phase gets what a loaded 2-core machine needs.
LOADED = Timeouts(healthz=60, player_exit=10, game_exit=10)
NEVER_HEALTHY = Timeouts(healthz=4, player_exit=10, game_exit=10)
NEVER_EXITS = Timeouts(healthz=60, player_exit=5, game_exit=10)


@pytest.fixture(scope="session")
def examples(docker_client: Any) -> dict[str, LoadedManifest]:
    """The examples' manifests, with their images built (cached by the builder)."""
    loaded = {}
    for name in ("paint", "auction"):
        build_example(name)
        loaded[name] = load_manifest(str(example_manifest_path(name)))
    return loaded


def _first_message(url: str) -> dict[str, Any]:
    with websockets.sync.client.connect(url, open_timeout=10) as connection:
        message = json.loads(connection.recv(timeout=10))
    assert isinstance(message, dict)
    return message


@pytest.mark.parametrize(("name", "slots", "replay"), [("paint", 2, "replay.json"), ("auction", 4, "replay")])
def test_example_episode_completes_and_replays(
    run: RunContext, tmp_path: Path, examples: dict[str, LoadedManifest], name: str, slots: int, replay: str
) -> None:
    with_tokens = build_episode_spec(examples[name])
    result = run_episode(with_tokens, tmp_path, run)

    assert result.completed, f"{result.outcome.summary()}\n{result.outcome.log_tail}"
    assert len(result.scores or []) == slots and (tmp_path / replay).is_file()
    assert all(player["wire"]["connected"] for player in result.record["players"])
    with ReplayServer.for_artifacts(run, tmp_path) as server:
        assert _first_message(server.websocket_url)["type"] == "replay_info"


def test_variant_with_three_players(
    run: RunContext, tmp_path: Path, examples: dict[str, LoadedManifest]
) -> None:
    spec = build_episode_spec(examples["auction"], variant="three-players")
    result = run_episode(spec, tmp_path, run)

    assert spec.slot_count == 3 and result.completed, result.outcome.summary()
    assert len(result.scores or []) == 3


DEFECTS = [
    ("paint", "never-healthy", OutcomeKind.GAME_UNHEALTHY, None, "HTTP 503", NEVER_HEALTHY),
    (
        "paint",
        "binds-loopback-only",
        OutcomeKind.GAME_UNHEALTHY,
        None,
        "must listen on 0.0.0.0:8080",
        NEVER_HEALTHY,
    ),
    (
        "paint",
        "crash-mid-episode",
        OutcomeKind.GAME_CRASHED,
        None,
        "exited with code 1 before writing results",
        LOADED,
    ),
    ("paint", "invalid-results", OutcomeKind.RESULTS_MALFORMED, None, "does not validate against", LOADED),
    (
        "paint",
        "wrong-score-count",
        OutcomeKind.RESULTS_MALFORMED,
        None,
        "1 score(s) for 2 player slots",
        LOADED,
    ),
    ("paint", "no-results", OutcomeKind.RESULTS_MISSING, None, "without writing results.json", LOADED),
    (
        "paint",
        "no-replay",
        OutcomeKind.REPLAY_MISSING,
        None,
        "no replay at file:///coworld/replay.json",
        LOADED,
    ),
    ("paint", "crash-on-start", OutcomeKind.PLAYER_FAILED, 1, "exited with code 1", LOADED),
    ("paint", "never-connects", OutcomeKind.PLAYER_FAILED, 1, "never connected", LOADED),
    (
        "paint",
        "never-exits",
        OutcomeKind.PLAYER_FAILED,
        1,
        "did not exit within 5 s after the episode ended",
        NEVER_EXITS,
    ),
    (
        "auction",
        "no-replay",
        OutcomeKind.REPLAY_MISSING,
        None,
        "no replay at file:///coworld/replay ",
        LOADED,
    ),
    ("auction", "crash-on-start", OutcomeKind.PLAYER_FAILED, 3, "exited with code 1", LOADED),
]


@pytest.mark.parametrize(
    ("name", "defect", "kind", "slot", "message", "timeouts"),
    DEFECTS,
    ids=[f"{d[0]}-{d[1]}" for d in DEFECTS],
)
def test_example_defects_give_the_expected_outcome(
    run: RunContext,
    tmp_path: Path,
    examples: dict[str, LoadedManifest],
    name: str,
    defect: str,
    kind: OutcomeKind,
    slot: int | None,
    message: str,
    timeouts: Timeouts,
) -> None:
    loaded = examples[name].with_document(apply_defect(examples[name].document, defect))
    # long enough for every healthy player to connect on a loaded machine, short for the ones that never do
    config = {**loaded.manifest.certification.game_config, "player_connect_timeout_seconds": 10}
    spec = EpisodeSpec(loaded, config, build_episode_spec(loaded).players, timeouts=timeouts)
    outcome = run_episode(spec, tmp_path, run).outcome

    assert (outcome.kind, outcome.slot) == (kind, slot), outcome.summary()
    assert message in outcome.message and outcome.log_tail


def test_hang_after_episode_is_recorded_as_lingering(
    run: RunContext, tmp_path: Path, examples: dict[str, LoadedManifest]
) -> None:
    loaded = examples["paint"].with_document(apply_defect(examples["paint"].document, "hang-after-episode"))
    lingers = Timeouts(healthz=60, player_exit=10, game_exit=2)  # the game never exits: wait 2 s only
    result = run_episode(build_episode_spec(loaded, timeouts=lingers), tmp_path, run)

    assert result.completed, result.outcome.summary()
    assert result.record["game"]["lingered_after_results"] is True


@pytest.mark.parametrize("name", ["paint", "auction"])
def test_replay_defects(
    run: RunContext, tmp_path: Path, examples: dict[str, LoadedManifest], name: str
) -> None:
    assert run_episode(build_episode_spec(examples[name]), tmp_path, run).completed
    replay_file = tmp_path / ("replay" if examples[name].generation.is_current else "replay.json")
    broken = examples[name].with_document(apply_defect(examples[name].document, "replay-server-broken"))
    with pytest.raises(ReplayServerUnhealthy):
        ReplayServer.for_manifest(run, broken, replay_file, healthz_timeout=4).start()
    error_frame = examples[name].with_document(apply_defect(examples[name].document, "replay-error-frame"))
    with ReplayServer.for_manifest(run, error_frame, replay_file) as server:
        assert _first_message(server.websocket_url)["type"] == "error"


def test_cli_runs_an_example_with_a_defect_and_an_explicit_image(
    tmp_path: Path, examples: dict[str, LoadedManifest]
) -> None:
    def coworld(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, "run-episode", *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO)},
        )

    broken = coworld("--example", "paint", "--defect", "no-results", "--output-dir", str(tmp_path / "a"))
    assert broken.returncode == 1 and "results_missing" in broken.stdout
    image = coworld(
        "--example", "paint", "coworld-examples/paint-player:latest", "--output-dir", str(tmp_path / "b")
    )
    assert image.returncode == 0, image.stderr
    assert "1/1 completed" in image.stdout
    unknown = coworld("--example", "paint", "--defect", "no-such-defect")
    assert unknown.returncode == 2 and "no defect 'no-such-defect'" in unknown.stderr
