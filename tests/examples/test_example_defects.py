"""One test per defect of the zoo: the broken behaviour really happens (each on one example, both in turn)."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from example_containers import (
    GENERATIONS,
    QUICK_CONFIGS,
    ExampleContainers,
    Game,
    logs_count,
    manifest,
    play_idle,
    published_port,
    replay_file,
    run_page,
    still_running_after,
)
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

LINGER_SECONDS = 2


def start(
    containers: ExampleContainers, tmp_path: Path, example: str, defect: str | None, **config: Any
) -> Game:
    """The example's game with a short config (plus `config`) and `defect` switched on."""
    return containers.game(
        example, tmp_path / "workspace", {**QUICK_CONFIGS[example], **config}, defect=defect
    )


def refusal(url: str) -> int:
    """The HTTP status that refused the websocket handshake to `url`."""
    with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=30):
        pass
    return refused.value.response.status_code


def first_message(url: str) -> dict[str, Any]:
    with connect(url, open_timeout=30) as connection:
        return json.loads(connection.recv(timeout=30))


def accepted(connection: ClientConnection) -> bool:
    """The handshake succeeded and the connection is alive (it answers a ping)."""
    return connection.ping().wait(30)


def played_out(containers: ExampleContainers, tmp_path: Path, example: str, defect: str) -> Game:
    """A whole short episode with `defect`, every slot played (idle) from the host."""
    game = start(containers, tmp_path, example, defect)
    game.wait_healthy()
    play_idle(game)
    return game


@pytest.mark.parametrize("example", ["paint"])
def test_never_healthy(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "never-healthy")
    assert game.wait_for_http() == 503
    assert [game.http_status("/healthz") for _ in range(3)] == [503, 503, 503]


@pytest.mark.parametrize("example", ["auction"])
def test_crash_mid_episode(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = played_out(containers, tmp_path, example, "crash-mid-episode")
    assert game.exit_code() == 1
    assert "Traceback" in game.logs()
    assert game.artifact("results.json") is None


@pytest.mark.parametrize("example", ["paint"])
def test_hang_after_episode(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "hang-after-episode")
    game.wait_healthy()
    assert play_idle(game) == [1000] * len(game.tokens)
    assert game.artifact("results.json") is not None
    assert game.artifact("replay.json") is not None
    assert still_running_after(game.container, LINGER_SECONDS)


@pytest.mark.parametrize("example", ["auction"])
def test_accepts_bad_token(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "accepts-bad-token")
    game.wait_healthy()
    assert first_message(game.player_url(0, token="made-up"))["you"] == 0


@pytest.mark.parametrize("example", ["auction"])
def test_accepts_other_slots_token(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "accepts-other-slots-token")
    game.wait_healthy()
    assert first_message(game.player_url(0, token=game.tokens[1]))["you"] == 0
    assert refusal(game.player_url(0, token="made-up")) == 401


@pytest.mark.parametrize("example", ["paint"])
def test_error_500_on_bad_token(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "error-500-on-bad-token")
    game.wait_healthy()
    assert refusal(game.player_url(0, token="made-up")) == 500
    assert first_message(game.player_url(0))["you"] == 0


@pytest.mark.parametrize("example", ["auction"])
def test_hang_on_bad_token(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "hang-on-bad-token")
    game.wait_healthy()
    with pytest.raises(TimeoutError):
        connect(game.player_url(0, token="made-up"), open_timeout=2)
    assert first_message(game.player_url(0))["you"] == 0


@pytest.mark.parametrize("example", ["paint"])
def test_crash_on_bad_token(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "crash-on-bad-token")
    game.wait_healthy()
    assert first_message(game.player_url(0))["you"] == 0
    with pytest.raises((InvalidHandshake, OSError)):
        connect(game.player_url(0, token="made-up"), open_timeout=30)
    assert game.exit_code() == 1
    assert game.http_status("/healthz") is None


@pytest.mark.parametrize("example", ["paint"])
def test_ignores_slot_bounds(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "ignores-slot-bounds")
    game.wait_healthy()
    for slot in (len(game.tokens), "one"):
        with connect(game.player_url(slot, token=game.tokens[0]), open_timeout=30) as stray:
            assert accepted(stray)
    assert refusal(game.player_url(0, token="made-up")) == 401


@pytest.mark.parametrize("example", ["auction"])
def test_no_late_viewer_state(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    longer = {"paint": {"ticks": 60, "tick_ms": 50}, "auction": {"rounds": 8}}[example]
    game = start(containers, tmp_path, example, "no-late-viewer-state", **longer)
    game.wait_healthy()
    with ExitStack() as stack:
        early = stack.enter_context(connect(f"{game.ws}/global", open_timeout=30))
        assert json.loads(early.recv(timeout=30))["type"] == "snapshot"
        for slot in range(len(game.tokens)):
            stack.enter_context(connect(game.player_url(slot), open_timeout=30))
        while json.loads(early.recv(timeout=10))["frame"] < 2:
            pass
        late = first_message(f"{game.ws}/global")
    assert late["type"] == "update"
    assert late["frame"] >= 2


@pytest.mark.parametrize("example", ["paint"])
def test_empty_late_snapshot(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "empty-late-snapshot", ticks=60, tick_ms=50)
    game.wait_healthy()
    with ExitStack() as stack:
        early = stack.enter_context(connect(f"{game.ws}/global", open_timeout=30))
        state = json.loads(early.recv(timeout=30))["state"]
        for slot in range(len(game.tokens)):
            stack.enter_context(connect(game.player_url(slot), open_timeout=30))
        while json.loads(early.recv(timeout=10))["frame"] < 2:
            pass
        late = first_message(f"{game.ws}/global")
    assert (late["type"], late["state"].keys()) == ("snapshot", state.keys())
    assert all(value in (0, "", [], {}, None) for value in late["state"].values())
    assert state["grid"] and state["positions"]


@pytest.mark.parametrize("example", ["paint"])
def test_refuses_reconnect(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "refuses-reconnect")
    game.wait_healthy()
    assert first_message(game.player_url(0))["you"] == 0
    assert refusal(game.player_url(0)) == 409


@pytest.mark.parametrize("example", ["auction"])
def test_reconnect_resets_state(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "reconnect-resets-state", rounds=10, turn_ms=300)
    game.wait_healthy()
    with ExitStack() as stack:
        first = stack.enter_context(connect(game.player_url(0), open_timeout=30))
        assert json.loads(first.recv(timeout=30))["round"] == 0
        for slot in range(1, len(game.tokens)):
            stack.enter_context(connect(game.player_url(slot), open_timeout=30))
        while json.loads(first.recv(timeout=10))["round"] < 2:
            pass
        first.close()
        with connect(game.player_url(0), open_timeout=30) as again:
            greeting, following = (json.loads(again.recv(timeout=30)) for _ in range(2))
    assert greeting["round"] == 0
    assert following["round"] >= 2


@pytest.mark.parametrize("example", ["auction"])
def test_ignores_address_param(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "ignores-address-param")
    game.wait_healthy()
    page = f"{game.http}{GENERATIONS[example].page('player')}"
    html = httpx.get(page).text
    opened = run_page(html, f"{page}?slot=0&address=ws://127.0.0.1:9/elsewhere", [], tmp_path)
    assert opened["url"] == f"{game.ws}/player?slot=0&address=ws://127.0.0.1:9/elsewhere"


@pytest.mark.parametrize("example", ["paint"])
def test_drops_page_params(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "drops-page-params")
    game.wait_healthy()
    page = f"{game.http}{GENERATIONS[example].page('player')}"
    html = httpx.get(page).text
    opened = run_page(html, f"{page}?slot=0&token=t&role=scout", [], tmp_path)
    assert opened["url"] == f"{game.ws}/player?slot=0&token=t"


@pytest.mark.parametrize("example", ["paint"])
def test_blank_global_viewer(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "blank-global-viewer")
    game.wait_healthy()
    snapshot = first_message(f"{game.ws}/global")
    viewer_page, player_page = (
        f"{game.http}{GENERATIONS[example].page(kind)}" for kind in ("global", "player")
    )
    viewer = httpx.get(viewer_page).text
    assert run_page(viewer, viewer_page, [snapshot], tmp_path)["drawing"] == 0
    player = httpx.get(player_page).text
    observation = first_message(game.player_url(0))
    assert run_page(player, player_page, [observation], tmp_path)["drawing"] > 0


@pytest.mark.parametrize("example", ["paint"])
def test_invalid_results(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = played_out(containers, tmp_path, example, "invalid-results")
    assert game.exit_code() == 0
    results = game.artifact("results.json")
    assert "verdict" in results and all(isinstance(score, int | float) for score in results["scores"])
    with pytest.raises(jsonschema.ValidationError, match="verdict"):
        jsonschema.validate(results, manifest(example)["game"]["results_schema"])


@pytest.mark.parametrize("example", ["auction"])
def test_wrong_score_count(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = played_out(containers, tmp_path, example, "wrong-score-count")
    assert game.exit_code() == 0
    results = game.artifact("results.json")
    jsonschema.validate(results, manifest(example)["game"]["results_schema"])
    assert len(results["scores"]) == len(game.tokens) - 1


@pytest.mark.parametrize("example", ["paint"])
def test_no_results(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = played_out(containers, tmp_path, example, "no-results")
    assert game.exit_code() == 0
    assert game.artifact("results.json") is None
    assert game.artifact(replay_file(example)) is not None


@pytest.mark.parametrize("example", ["auction"])
def test_no_replay(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = played_out(containers, tmp_path, example, "no-replay")
    assert game.exit_code() == 0
    assert game.artifact("results.json") is not None
    assert game.artifact(replay_file(example)) is None


def replay_server(containers: ExampleContainers, tmp_path: Path, example: str, defect: str) -> Game:
    """Classic replay mode with `defect`, on a workspace holding a valid one-frame replay."""
    replay = {"format": "coworld-kit-replay/1", "game": example, "config": {}, "frames": [{}], "results": {}}
    (tmp_path / "replay.json").write_text(json.dumps(replay))
    env = {"COGAME_REPLAY_SERVER": "1", "COWORLD_EXAMPLE_DEFECT": defect}
    container = containers.start_game(example, {str(tmp_path): {"bind": "/coworld", "mode": "ro"}}, env)
    return Game(container, tmp_path, [], published_port(container))


@pytest.mark.parametrize("example", ["paint"])
def test_replay_server_broken(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    server = replay_server(containers, tmp_path, example, "replay-server-broken")
    assert server.wait_for_http() == 503
    assert refusal(f"{server.ws}/replay?uri=file:///coworld/replay.json") == 503


@pytest.mark.parametrize("example", ["paint"])
def test_replay_error_frame(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    server = replay_server(containers, tmp_path, example, "replay-error-frame")
    server.wait_healthy()
    assert first_message(f"{server.ws}/replay?uri=file:///coworld/replay.json")["type"] == "error"


@pytest.mark.parametrize("example", ["paint"])
def test_no_pong(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "no-pong")
    game.wait_healthy()
    with connect(f"{game.ws}/global", open_timeout=30) as viewer:
        assert json.loads(viewer.recv(timeout=30))["type"] == "snapshot"
        assert not viewer.ping().wait(LINGER_SECONDS)
    with connect(game.player_url(0), open_timeout=30) as player:
        assert player.ping().wait(30)


@pytest.mark.parametrize("example", ["auction"])
def test_binds_loopback_only(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "binds-loopback-only")
    probe = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/healthz').status)"
    inside = None
    for _ in range(50):
        inside = game.container.exec_run(["python3", "-c", probe])
        if inside.exit_code == 0:
            break
    assert inside is not None and inside.output.strip() == b"200"
    assert [game.http_status("/healthz") for _ in range(3)] == [None, None, None]


@pytest.mark.parametrize("example", ["paint"])
def test_player_route_404(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "player-route-404")
    game.wait_healthy()
    assert refusal(game.player_url(0)) == 404


def player_episode(
    containers: ExampleContainers, tmp_path: Path, example: str, defect: str, **config: Any
) -> tuple[Game, list[Any]]:
    """A short episode with player containers on a private network; slot 0's player has `defect`."""
    network = containers.network()
    game = containers.game(
        example, tmp_path / "workspace", {**QUICK_CONFIGS[example], **config}, network=network
    )
    game.wait_healthy()
    players = [
        containers.player(example, game.network_player_url(slot), network, defect if slot == 0 else None)
        for slot in range(len(game.tokens))
    ]
    return game, players


@pytest.mark.parametrize("example", ["auction"])
def test_player_crash_on_start(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game, players = player_episode(
        containers, tmp_path, example, "crash-on-start", player_connect_timeout_seconds=2
    )
    assert players[0].wait(timeout=30)["StatusCode"] == 1
    assert game.exit_code() == 0
    assert "slot 0 connected" not in game.logs()


@pytest.mark.parametrize("example", ["paint"])
def test_player_never_connects(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game, players = player_episode(
        containers, tmp_path, example, "never-connects", player_connect_timeout_seconds=2
    )
    assert game.exit_code() == 0
    failure = game.artifact("player_failure.json")
    assert (failure["failed_policy_index"], failure["kind"]) == (0, "player_error")
    assert game.artifact("results.json") is None
    players[0].reload()
    assert players[0].status == "running"


@pytest.mark.parametrize("example", ["auction"])
def test_player_never_exits(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game, players = player_episode(containers, tmp_path, example, "never-exits")
    assert game.exit_code() == 0
    assert game.artifact("results.json") is not None
    assert [player.wait(timeout=30)["StatusCode"] for player in players[1:]] == [0] * (len(players) - 1)
    assert still_running_after(players[0], LINGER_SECONDS)


@pytest.mark.parametrize("example", ["paint"])
def test_player_talks_to_global_only(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    # the game waits long enough for the player to reach /global even on a loaded machine (2 s did not: ci20)
    game, players = player_episode(
        containers, tmp_path, example, "player-talks-to-global-only", player_connect_timeout_seconds=8
    )
    assert game.exit_code() == 0
    assert game.artifact("player_failure.json")["failed_policy_index"] == 0
    assert players[0].wait(timeout=30)["StatusCode"] == 0
    assert "/global closed" in players[0].logs().decode()


@pytest.mark.parametrize("example", ["auction"])
def test_player_retries_refused_handshake(
    containers: ExampleContainers, tmp_path: Path, example: str
) -> None:
    game, players = player_episode(
        containers, tmp_path, example, "player-retries-refused-handshake", player_connect_timeout_seconds=2
    )
    assert game.exit_code() == 0
    assert game.artifact("player_failure.json")["failed_policy_index"] == 0
    assert still_running_after(players[0], LINGER_SECONDS)
    assert logs_count(players[0], "trying again", 2) >= 2


@pytest.mark.parametrize("example", ["auction"])
def test_lingers_60s_after_results(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "lingers-60s-after-results")
    game.wait_healthy()
    play_idle(game)
    assert game.artifact("results.json") is not None
    assert still_running_after(game.container, LINGER_SECONDS)
    game.container.kill(signal="SIGTERM")
    assert game.container.wait(timeout=30)["StatusCode"] == 143  # it obeys SIGTERM


@pytest.mark.parametrize("example", ["paint"])
def test_ignores_sigterm_after_episode(containers: ExampleContainers, tmp_path: Path, example: str) -> None:
    game = start(containers, tmp_path, example, "ignores-sigterm-after-episode")
    game.wait_healthy()
    play_idle(game)
    assert game.artifact("results.json") is not None
    game.container.kill(signal="SIGTERM")
    assert still_running_after(game.container, LINGER_SECONDS)
