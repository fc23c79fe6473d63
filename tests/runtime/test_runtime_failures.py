"""Every failure kind of the typed outcome, each provoked by one switch of the fake game or a fake player."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from runtime_fakes import fake_manifest

from pytest_coworld.runtime import (
    OutcomeKind,
    RunContext,
    Timeouts,
    build_episode_spec,
    run_episode,
)


@dataclass(frozen=True)
class Case:
    id: str
    kind: OutcomeKind
    message: str
    log: str
    slot: int | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)


def game(mode: str) -> dict[str, Any]:
    return {"game_env": {"FAKE_GAME_MODE": mode}}


def player(slot: int, mode: str, **extra: Any) -> dict[str, Any]:
    return {"slot_env": {slot: {"FAKE_PLAYER_MODE": mode}}, **extra}


CASES = [
    Case(
        "game-never-healthy",
        OutcomeKind.GAME_UNHEALTHY,
        "did not answer 200 within 2 s (last answer: HTTP 503)",
        "mode never_healthy",
        manifest=game("never_healthy"),
        timeouts=Timeouts(healthz=2),
    ),
    Case(
        "game-exits-at-start",
        OutcomeKind.GAME_CRASHED,
        "exited with code 1 before /healthz answered 200",
        "crashing at start",
        manifest=game("exit_at_start"),
    ),
    Case(
        "game-crashes-mid-episode",
        OutcomeKind.GAME_CRASHED,
        "exited with code 1 before writing results",
        "RuntimeError: fake game: crash at tick",
        manifest=game("crash"),
    ),
    Case(
        "game-hangs",
        OutcomeKind.EPISODE_TIMEOUT,
        "did not exit within 15 s of play",
        "hanging before results",
        manifest=game("hang"),
        timeouts=Timeouts(episode=15),  # long enough to connect and play 12 ticks on a loaded machine
    ),
    Case(
        "results-missing",
        OutcomeKind.RESULTS_MISSING,
        "without writing results.json",
        "episode over",
        manifest=game("no_results"),
    ),
    Case(
        "results-not-json",
        OutcomeKind.RESULTS_MALFORMED,
        "results.json is not JSON",
        "episode over",
        manifest=game("not_json"),
    ),
    Case(
        "results-without-scores",
        OutcomeKind.RESULTS_MALFORMED,
        "no `scores` array",
        "episode over",
        manifest=game("no_scores"),
    ),
    Case(
        "results-wrong-score-count",
        OutcomeKind.RESULTS_MALFORMED,
        "1 score(s) for 2 player slots",
        "episode over",
        manifest=game("wrong_count"),
    ),
    Case(
        "results-scores-not-numbers",
        OutcomeKind.RESULTS_MALFORMED,
        "`scores` must hold numbers",
        "episode over",
        manifest=game("scores_strings"),
    ),
    Case(
        "results-schema-invalid",
        OutcomeKind.RESULTS_MALFORMED,
        "does not validate against game.results_schema at $: Additional properties",
        "episode over",
        manifest=game("schema_invalid"),
    ),
    Case(
        "replay-missing",
        OutcomeKind.REPLAY_MISSING,
        "wrote no replay at file:///coworld/replay.json",
        "episode over",
        manifest=game("no_replay"),
    ),
    Case(
        "game-reports-player-failure",
        OutcomeKind.PLAYER_FAILED,
        "(player_error): slot 1 sent garbage",
        "game closed the connection",
        slot=1,
        manifest=game("player_failure"),
    ),
    Case(
        "player-crashes",
        OutcomeKind.PLAYER_FAILED,
        "exited with code 1",
        "crashing at start",
        slot=1,
        manifest=player(1, "crash"),
    ),
    Case(
        "player-exits-non-zero",
        OutcomeKind.PLAYER_FAILED,
        "exited with code 4",
        "game closed the connection",
        slot=0,
        manifest=player(0, "bad_exit"),
    ),
    Case(
        "player-never-exits",
        OutcomeKind.PLAYER_FAILED,
        "did not exit within 5 s after the episode ended",
        "game closed the connection",
        slot=1,
        manifest=player(1, "never_exit"),
        timeouts=Timeouts(player_exit=5),
    ),
    Case(
        "player-never-connects",
        OutcomeKind.PLAYER_NEVER_CONNECTED,
        "player 1 (coworld-test/fake-player:latest) never connected to the game",
        "mode never_connect",
        slot=1,
        manifest=player(
            1, "never_connect", config={"others_connect_timeout_s": 2, "missing_players": "play"}
        ),
        timeouts=Timeouts(player_exit=5),
    ),
    Case(
        "game-reports-player-never-connected",
        OutcomeKind.PLAYER_FAILED,
        "slot 1 never connected",
        "mode never_connect",
        slot=1,
        manifest=player(1, "never_connect", config={"others_connect_timeout_s": 2}),
        timeouts=Timeouts(player_exit=5),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_failure_kind(run: RunContext, tmp_path: Path, case: Case) -> None:
    spec = build_episode_spec(fake_manifest(**case.manifest), timeouts=case.timeouts)
    outcome = run_episode(spec, tmp_path, run).outcome

    assert (outcome.kind, outcome.slot) == (case.kind, case.slot), outcome.summary()
    assert case.message in outcome.message
    assert case.log in outcome.log_tail
    expected_source = "game" if case.slot is None else f"player-{case.slot}"
    if case.id == "game-reports-player-failure":
        expected_source = "player-1"
    assert outcome.source == expected_source


def test_missing_image_is_an_infrastructure_error_that_says_how_to_fix_it(
    run: RunContext, tmp_path: Path
) -> None:
    spec = build_episode_spec(fake_manifest(), images=["coworld-test/no-such-player:latest"])
    result = run_episode(spec, tmp_path, run)

    assert result.outcome.kind is OutcomeKind.INFRASTRUCTURE_ERROR
    assert result.outcome.message == (
        "image coworld-test/no-such-player:latest not found locally — build it or docker pull it"
    )
    assert (tmp_path / "episode.json").exists()


def test_game_lingering_after_results_is_stopped_and_recorded_not_failed(
    run: RunContext, tmp_path: Path
) -> None:
    spec = build_episode_spec(
        fake_manifest(game_env={"FAKE_GAME_MODE": "linger"}), timeouts=Timeouts(game_exit=1)
    )
    result = run_episode(spec, tmp_path, run)

    assert result.completed, result.outcome.summary()
    assert result.record["game"]["lingered_after_results"] is True
    assert result.record["game"]["exited_by_itself"] is False
