"""Whole episodes of both examples with real player containers, then their replays in their replay mode."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from docker.models.containers import Container
from example_containers import (
    GENERATIONS,
    ExampleContainers,
    Game,
    manifest,
    other_generation,
    published_port,
    replay_file,
)
from websockets.sync.client import connect


@dataclass(frozen=True)
class FinishedEpisode:
    example: str
    config: dict[str, Any]
    game: Game
    exit_code: int
    players: list[Container]
    player_exit_codes: list[int]
    late_viewer: list[dict[str, Any]]


def _watch_after_start(game: Game) -> list[dict[str, Any]]:
    """Once a first viewer has seen two updates, a second viewer joins: the first two messages it gets."""
    with connect(f"{game.ws}/global", open_timeout=30) as early:
        while json.loads(early.recv(timeout=30))["frame"] < 2:
            pass
    with connect(f"{game.ws}/global", open_timeout=30) as late:
        return [json.loads(late.recv(timeout=10)) for _ in range(2)]


@pytest.fixture(scope="module", params=["paint", "auction"])
def episode(
    request: pytest.FixtureRequest,
    module_containers: ExampleContainers,
    tmp_path_factory: pytest.TempPathFactory,
) -> FinishedEpisode:
    """The certification episode of the manifest, players in their own containers on a private network."""
    example = request.param
    config = manifest(example)["certification"]["game_config"]
    network = module_containers.network()
    game = module_containers.game(example, tmp_path_factory.mktemp(example), config, network=network)
    game.wait_healthy()
    players = [
        module_containers.player(example, game.network_player_url(slot), network)
        for slot in range(len(game.tokens))
    ]
    late_viewer = _watch_after_start(game)
    exit_code = game.exit_code(timeout=60)
    player_exit_codes = [int(player.wait(timeout=30)["StatusCode"]) for player in players]
    return FinishedEpisode(example, config, game, exit_code, players, player_exit_codes, late_viewer)


def test_the_episode_completes_and_everyone_exits_0(episode: FinishedEpisode) -> None:
    assert episode.exit_code == 0, episode.game.logs()
    assert episode.player_exit_codes == [0] * len(episode.players)
    assert "episode over" in episode.game.logs()


def test_results_validate_against_the_results_schema(episode: FinishedEpisode) -> None:
    results = episode.game.artifact("results.json")
    jsonschema.validate(results, manifest(episode.example)["game"]["results_schema"])
    assert len(results["scores"]) == len(episode.game.tokens)


def test_the_replay_has_a_frame_per_step_and_the_config_without_tokens(episode: FinishedEpisode) -> None:
    replay = episode.game.artifact(replay_file(episode.example))
    steps = episode.config.get("ticks") or 2 * episode.config["rounds"]
    assert replay["format"] == "coworld-kit-replay/1"
    assert replay["game"] == episode.example
    assert replay["config"] == episode.config
    assert len(replay["frames"]) == steps + 1
    assert replay["results"] == episode.game.artifact("results.json")


def test_no_token_appears_in_any_artifact_or_log(episode: FinishedEpisode) -> None:
    texts = [episode.game.logs(), *(player.logs().decode() for player in episode.players)]
    names = ("results.json", replay_file(episode.example))
    texts += [(episode.game.workspace / name).read_text() for name in names]
    for token in episode.game.tokens:
        assert not any(token in text for text in texts)


def test_a_late_viewer_gets_a_snapshot_then_updates(episode: FinishedEpisode) -> None:
    first, second = episode.late_viewer
    assert first["type"] == "snapshot"
    assert first["frame"] > 0
    assert second["type"] == "update"
    assert second["frame"] > first["frame"]


@dataclass(frozen=True)
class ReplayMode:
    """How a runner of one generation serves the replay `{uri}` of a workspace mounted read-only."""

    mount: str
    env: dict[str, str]
    socket: str
    page: str

    def uri(self, name: str) -> str:
        """The URI of the workspace file `name` inside the container."""
        return f"file://{self.mount}/{name}"

    def env_for(self, name: str) -> dict[str, str]:
        return {key: value.format(uri=self.uri(name)) for key, value in self.env.items()}

    def socket_for(self, name: str) -> str:
        return self.socket.format(uri=self.uri(name))

    def page_for(self, name: str) -> str:
        return self.page.format(uri=self.uri(name))


REPLAY_MODES = {
    "classic": ReplayMode(
        "/coworld", {"COGAME_REPLAY_SERVER": "1"}, "/replay?uri={uri}", "/clients/replay?uri={uri}"
    ),
    "current": ReplayMode(
        "/replay",
        {"COGAME_LOAD_REPLAY_URI": "{uri}", "COGAME_HOST": "0.0.0.0", "COGAME_PORT": "8080"},
        "/replay",
        "/client/replay",
    ),
}


def own_mode(example: str) -> ReplayMode:
    return REPLAY_MODES[GENERATIONS[example].name]


def start_replay_server(
    containers: ExampleContainers, example: str, workspace: Path, mode: ReplayMode, name: str
) -> Container:
    """The example's game image started as `mode` starts replay mode for the workspace file `name`."""
    mounts = {str(workspace): {"bind": mode.mount, "mode": "ro"}}
    return containers.start_game(example, mounts, mode.env_for(name))


def healthy_replay_server(containers: ExampleContainers, example: str, workspace: Path, name: str) -> Game:
    """The example's game image in its own generation's replay mode for `name`, healthy."""
    container = start_replay_server(containers, example, workspace, own_mode(example), name)
    server = Game(container, workspace, [], published_port(container))
    server.wait_healthy()
    return server


def test_replay_mode_serves_healthz_the_viewer_and_frames(
    episode: FinishedEpisode, containers: ExampleContainers
) -> None:
    name, mode = replay_file(episode.example), own_mode(episode.example)
    frames = episode.game.artifact(name)["frames"]
    server = healthy_replay_server(containers, episode.example, episode.game.workspace, name)
    page = httpx.get(f"{server.http}{mode.page_for(name)}")
    assert page.status_code == 200
    assert "seek" in page.text
    with connect(f"{server.ws}{mode.socket_for(name)}", open_timeout=30) as replay:
        info = json.loads(replay.recv(timeout=30))
        assert (info["type"], info["frame_count"]) == ("replay_info", len(frames))
        first = json.loads(replay.recv(timeout=30))
        assert (first["type"], first["index"], first["state"]) == ("frame", 0, frames[0])
        replay.send(json.dumps({"type": "pause"}))
        replay.send(json.dumps({"type": "seek", "index": len(frames) - 1}))
        frame = first
        for _ in range(len(frames)):
            frame = json.loads(replay.recv(timeout=30))
            if frame["index"] == len(frames) - 1:
                break
        assert frame["state"] == frames[-1]


def test_replay_mode_serves_no_page_of_the_other_generation(
    episode: FinishedEpisode, containers: ExampleContainers
) -> None:
    name = replay_file(episode.example)
    server = healthy_replay_server(containers, episode.example, episode.game.workspace, name)
    other = REPLAY_MODES[other_generation(episode.example).name]
    assert server.http_status(other.page_for(name)) == 404


def test_the_other_generations_replay_variables_do_not_start_replay_mode(
    episode: FinishedEpisode, containers: ExampleContainers
) -> None:
    """Started as the other generation starts replay mode, the game runs an episode, which needs a config."""
    other = REPLAY_MODES[other_generation(episode.example).name]
    name = replay_file(episode.example)
    container = start_replay_server(containers, episode.example, episode.game.workspace, other, name)
    assert container.wait(timeout=30)["StatusCode"] == 2
    assert b"COGAME_CONFIG_URI is not set" in container.logs()


def test_an_unreadable_replay_gets_an_error_message(
    episode: FinishedEpisode, containers: ExampleContainers
) -> None:
    server = healthy_replay_server(containers, episode.example, episode.game.workspace, "missing.json")
    with connect(
        f"{server.ws}{own_mode(episode.example).socket_for('missing.json')}", open_timeout=30
    ) as replay:
        message = json.loads(replay.recv(timeout=30))
    assert message["type"] == "error"
    assert "missing.json" in message["message"]
