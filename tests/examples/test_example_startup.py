"""Bad input stops an example container at once with a one-line error; a bad player ends the episode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from example_containers import GENERATIONS, QUICK_CONFIGS, ExampleContainers, game_env, other_generation
from websockets.sync.client import connect


def test_an_unknown_game_defect_exits_2_naming_it(containers: ExampleContainers, tmp_path: Path) -> None:
    game = containers.game("paint", tmp_path, QUICK_CONFIGS["paint"], defect="no-such-defect")
    assert game.exit_code() == 2
    assert "COWORLD_EXAMPLE_DEFECT='no-such-defect' is not a known defect" in game.logs()


def test_an_unknown_config_key_exits_2_naming_it(containers: ExampleContainers, tmp_path: Path) -> None:
    game = containers.game("auction", tmp_path, {**QUICK_CONFIGS["auction"], "colour": "red"})
    assert game.exit_code() == 2
    assert "config key(s) ['colour'] are not allowed" in game.logs()


def test_a_missing_config_uri_exits_2_saying_what_to_set(containers: ExampleContainers) -> None:
    env = {key: value for key, value in game_env("paint").items() if key != "COGAME_CONFIG_URI"}
    game = containers.start_game("paint", {}, env)
    assert game.wait(timeout=30)["StatusCode"] == 2
    assert b"COGAME_CONFIG_URI is not set" in game.logs()


def test_an_unknown_player_defect_exits_2(containers: ExampleContainers) -> None:
    player = containers.player(
        "auction", "ws://game:8080/player?slot=0&token=t", containers.network(), "bogus"
    )
    assert player.wait(timeout=30)["StatusCode"] == 2
    assert b"is not a known defect" in player.logs()


@pytest.mark.parametrize("example", ["paint", "auction"])
def test_the_player_reads_only_its_generations_url_variable(
    containers: ExampleContainers, example: str
) -> None:
    """Given the slot's URL only in the other generation's variable, the player exits 2 naming its own."""
    env = {other_generation(example).player_variable: "ws://game:8080/player?slot=0&token=t"}
    player = containers.start_player(example, env, containers.network())
    assert player.wait(timeout=30)["StatusCode"] == 2
    assert f"{GENERATIONS[example].player_variable} is not set".encode() in player.logs()


def test_a_protocol_violation_ends_the_episode_with_a_player_failure(
    containers: ExampleContainers, tmp_path: Path
) -> None:
    game = containers.game("paint", tmp_path, {**QUICK_CONFIGS["paint"], "ticks": 200})
    game.wait_healthy()
    with connect(game.player_url(0), open_timeout=30) as bad, connect(game.player_url(1), open_timeout=30):
        bad.send("this is not JSON")
        assert game.exit_code() == 0
    failure = json.loads((tmp_path / "player_failure.json").read_text())
    assert (failure["failed_policy_index"], failure["kind"]) == (0, "player_error")
    assert "not JSON" in failure["message"]
    assert game.artifact("results.json") is None
