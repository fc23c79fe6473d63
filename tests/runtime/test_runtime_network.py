"""The per-episode networks: players reach the game (through the wire relay) and nothing else; the game's
port is on loopback only."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runtime_fakes import BASE_IMAGE, fake_manifest

from pytest_coworld.runtime import GAME_ALIAS, Episode, RunContext, build_episode_spec, run_episode

BYSTANDER_PORT = 9000


def _wait_listening(address: str, port: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection((address, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def bystander(run: RunContext) -> Iterator[Any]:
    """A container of ours serving TCP on the default bridge, reachable from the host but not from players."""
    container = run.client.containers.run(
        BASE_IMAGE,
        ["python3", "-m", "http.server", str(BYSTANDER_PORT)],
        name=run.resource_name("bystander"),
        labels=run.identity.labels("bystander"),
        detach=True,
    )
    try:
        container.reload()
        _wait_listening(container.attrs["NetworkSettings"]["IPAddress"], BYSTANDER_PORT)
        yield container
    finally:
        container.remove(force=True)


def test_players_reach_the_game_but_no_other_container(
    run: RunContext, tmp_path: Path, bystander: Any
) -> None:
    address = bystander.attrs["NetworkSettings"]["IPAddress"]
    targets = [f"{GAME_ALIAS}:8080", f"{address}:{BYSTANDER_PORT}", f"{bystander.name}:{BYSTANDER_PORT}"]
    probing = {"PROBE_TARGETS": ",".join(targets)}
    spec = build_episode_spec(fake_manifest(player_env=probing, config={"connect_timeout_s": 60}))
    result = run_episode(spec, tmp_path, run)

    assert result.completed, result.outcome.summary()
    log = (tmp_path / "player-0.log").read_text()
    assert f"probe {targets[0]}: reachable" in log
    assert f"probe {targets[1]}: unreachable" in log
    assert f"probe {targets[2]}: unreachable" in log


def test_players_reach_the_game_only_through_the_relay_and_the_port_is_on_loopback(
    run: RunContext, tmp_path: Path
) -> None:
    with Episode(run, build_episode_spec(fake_manifest()), tmp_path) as episode:
        assert episode.start_game() and episode.networks is not None and episode.game is not None
        assert episode.relay is not None
        game, relay = episode.game.container, episode.relay.handle.container
        game.reload()
        relay.reload()
        private, public = episode.networks.private, episode.networks.public
        private.reload()
        public.reload()
        bindings = game.attrs["NetworkSettings"]["Ports"]["8080/tcp"]

        assert private.attrs["Internal"] is True and public.attrs["Internal"] is False
        assert set(game.attrs["NetworkSettings"]["Networks"]) == {public.name}
        relay_networks = relay.attrs["NetworkSettings"]["Networks"]
        assert set(relay_networks) == {private.name, public.name}
        assert GAME_ALIAS in relay_networks[private.name]["Aliases"]
        assert [binding["HostIp"] for binding in bindings] == ["127.0.0.1"]
        assert episode.base_url == f"http://127.0.0.1:{bindings[0]['HostPort']}"
        episode.finish()
