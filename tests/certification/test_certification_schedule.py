"""How a certification run schedules its games, as the engine saw it: the certification episode starts
alone, the probe game once the episode's players have started; the replay servers are made while the
episode plays (only when a collected check uses them) and started as soon as its game has exited; with the
replay viewer watched, the probe game, its checks done, goes once they have started."""

from __future__ import annotations

from typing import Any

import pytest
from certification_runs import Certification

from pytest_coworld.examples import example_manifest_path
from pytest_coworld.runtime.engine_events import EngineEvents, event_labels
from pytest_coworld.runtime.labels import LABEL_ROLE, LABEL_RUN_ID, LABEL_TEST

CONTAINER_EVENTS = {
    "type": "container",
    "label": LABEL_RUN_ID,
    "event": ["create", "start", "die", "destroy"],
}


def moments(events: list[dict[str, Any]], action: str, role: str, test: str | None = None) -> list[int]:
    """When (ns) the engine reported `action` of the containers of `role` in episode kind `test` (a replay
    server's front door is role `door`)."""
    return [
        int(event["timeNano"])
        for event in events
        if event["Action"] == action and _role(event) == role and event_labels(event).get(LABEL_TEST) == test
    ]


def _role(event: dict[str, Any]) -> str:
    labels = event_labels(event)
    return "door" if labels["name"].endswith("-door") else labels.get(LABEL_ROLE, "")


def certify_recorded(certify: Any, docker_client: Any, *args: str) -> tuple[Certification, list[Any]]:
    with EngineEvents(docker_client, CONTAINER_EVENTS) as engine:
        run: Certification = certify(example_manifest_path("paint"), args=args)
    assert run.result.ret == 0, run.result.stdout.str()[-3000:]
    return run, engine.of_run(run.report["run_id"])


def test_the_episode_starts_alone_and_the_replay_servers_are_ready_when_its_game_exits(
    certify: Any, docker_client: Any
) -> None:
    _, events = certify_recorded(certify, docker_client, "--coworld-no-browser")

    players_started = moments(events, "start", "player", "certification")
    probe_created = moments(events, "create", "game", "probe")
    assert players_started and probe_created
    assert min(probe_created) > max(players_started)
    game_exited = moments(events, "die", "game", "certification")
    replay_created, replay_started = moments(events, "create", "replay"), moments(events, "start", "replay")
    assert game_exited and replay_created and replay_started
    assert max(replay_created) < min(game_exited) < min(replay_started)


def test_with_the_replay_viewer_watched_the_probe_game_goes_once_the_replay_servers_started(
    certify: Any, docker_client: Any
) -> None:
    """Its browser pages keep the probe game until about the episode's end: removed then, it would slow the
    replay servers' start; it goes after it, and before the replay servers at the end."""
    checks = "--coworld-checks=browser.player_page,tokens.bad_token,player.reconnect,browser.replay_viewer"
    _, events = certify_recorded(certify, docker_client, checks)

    replay_started = moments(events, "start", "replay")
    probe_removed, replay_removed = (
        moments(events, "destroy", "game", "probe"),
        moments(events, "destroy", "replay"),
    )
    assert replay_started and probe_removed and replay_removed
    assert min(replay_started) < min(probe_removed) < min(replay_removed)


@pytest.mark.parametrize(
    "selection",
    [
        ("--coworld-checks=runtime.healthz,tokens.*",),
        ("-k", "not replay and not browser", "--coworld-no-browser"),
    ],
    ids=["coworld-checks", "pytest-k"],
)
def test_no_replay_server_is_made_when_no_collected_check_uses_one(
    certify: Any, docker_client: Any, selection: tuple[str, ...]
) -> None:
    _, events = certify_recorded(certify, docker_client, *selection)

    assert moments(events, "create", "game", "certification")
    assert not moments(events, "create", "replay") and not moments(events, "create", "door")
