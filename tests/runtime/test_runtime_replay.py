"""ReplayServer in both generations, from a manifest and from a finished episode's artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import websockets.sync.client
from runtime_fakes import fake_document, fake_manifest, loaded_manifest

from pytest_coworld.runtime import (
    ReplayMode,
    ReplayNotSupported,
    ReplayServer,
    RunContext,
    build_episode_spec,
    run_episode,
)
from pytest_coworld.runtime.replay import ReplayServerUnhealthy

FRAMES = {"frames": [{"tick": 0}, {"tick": 1}, {"tick": 2}]}


def _first_message(url: str) -> dict[str, object]:
    with websockets.sync.client.connect(url, open_timeout=10) as connection:
        message = json.loads(connection.recv(timeout=10))
    assert isinstance(message, dict)
    return message


@pytest.mark.parametrize(
    ("current", "viewer_path", "socket_suffix"),
    [
        (
            False,
            "/clients/replay?uri=file%3A%2F%2F%2Fcoworld-replay%2Freplay.json",
            "/replay?uri=file%3A%2F%2F%2Fcoworld-replay%2Freplay.json",
        ),
        (True, "/client/replay", "/replay"),
    ],
    ids=["classic", "current"],
)
def test_replay_server_serves_healthz_viewer_and_replay_socket(
    run: RunContext, tmp_path: Path, current: bool, viewer_path: str, socket_suffix: str
) -> None:
    replay_file = tmp_path / ("replay" if current else "replay.json")
    replay_file.write_text(json.dumps(FRAMES))
    loaded = fake_manifest(current=current)

    with ReplayServer.for_manifest(run, loaded, replay_file) as server:
        assert server.mode is (ReplayMode.CURRENT if current else ReplayMode.CLASSIC)
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.viewer_url == server.base_url + viewer_path
        assert server.websocket_url == server.base_url.replace("http", "ws") + socket_suffix
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
        viewer = httpx.get(server.viewer_url)
        assert viewer.status_code == 200 and "replay viewer" in viewer.text
        assert _first_message(server.websocket_url) == {"type": "replay_info", "frame_count": 3}


def test_replay_server_for_a_finished_episode(run: RunContext, tmp_path: Path) -> None:
    result = run_episode(build_episode_spec(fake_manifest()), tmp_path, run)
    assert result.completed, result.outcome.summary()

    with ReplayServer.for_artifacts(run, tmp_path) as server:
        message = _first_message(server.websocket_url)
    assert message["type"] == "replay_info" and message["frame_count"] == 12


def test_a_replay_server_that_never_gets_healthy_is_reported_with_its_log(
    run: RunContext, tmp_path: Path
) -> None:
    replay_file = tmp_path / "replay.json"
    replay_file.write_text(json.dumps(FRAMES))
    loaded = fake_manifest(game_env={"FAKE_GAME_MODE": "never_healthy"})

    with pytest.raises(
        ReplayServerUnhealthy, match=r"did not answer 200 within 2 s .*HTTP 503\)\n.*mode never_healthy"
    ):
        ReplayServer.for_manifest(run, loaded, replay_file, healthz_timeout=2).start()


def test_games_with_a_static_replay_bundle_have_no_replay_mode(run: RunContext, tmp_path: Path) -> None:
    document = fake_document(current=True)
    document["game"]["replay_viewer"] = {"bundle": "viewer"}
    replay_file = tmp_path / "replay"
    replay_file.write_text("{}")

    with pytest.raises(ReplayNotSupported, match="static replay viewer"):
        ReplayServer.for_manifest(run, loaded_manifest(document), replay_file)


def test_artifacts_without_an_episode_record_are_refused(run: RunContext, tmp_path: Path) -> None:
    with pytest.raises(ReplayNotSupported, match=r"holds no episode\.json"):
        ReplayServer.for_artifacts(run, tmp_path)
