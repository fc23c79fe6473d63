"""The probe game tells a game stopped by a probe from an episode that ended by its own rules meanwhile."""

from __future__ import annotations

from pathlib import Path

import pytest
from runtime_fakes import fake_manifest

from pytest_coworld.certification import ProbeGame
from pytest_coworld.failures import CheckBlocked
from pytest_coworld.runtime import RunContext, build_episode_spec


@pytest.fixture
def probe_game(run: RunContext, tmp_path: Path, request: pytest.FixtureRequest) -> ProbeGame:
    spec = build_episode_spec(fake_manifest(game_env={"FAKE_GAME_MODE": request.param}))
    game = ProbeGame(run, spec, tmp_path, contract="classic")
    game.start()
    request.addfinalizer(game.close)
    return game.wait_healthy()


@pytest.mark.parametrize("probe_game", ["ends_after_refusal"], indirect=True)
def test_a_refusal_counts_when_the_episode_ends_by_its_own_rules_right_after(probe_game: ProbeGame) -> None:
    probe = probe_game.token_attempt("bad_token")

    assert probe.attempt.refused and probe.stopped is None
    with pytest.raises(CheckBlocked, match="episode was over"):
        probe_game.token_attempt("missing_token")


@pytest.mark.parametrize("probe_game", ["crashes_after_refusal"], indirect=True)
def test_a_game_that_exits_failing_after_a_refusal_stopped_serving(probe_game: ProbeGame) -> None:
    probe = probe_game.token_attempt("bad_token")

    assert probe.attempt.refused and probe.stopped is not None and "exited with status 1" in probe.stopped
    with pytest.raises(CheckBlocked, match=r"stopped serving after tokens\.bad_token"):
        probe_game.token_attempt("missing_token")
