"""The per-episode networks: players reach the game (through the wire relay) and nothing else; the game
reaches nothing at all, not even the host; the host reaches the game through the relay's door on loopback.

Every target probed here is ours: a container the test starts, or a listener on the host bound to the
default bridge's gateway address.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from closing_listener import closing_listener
from runtime_fakes import BASE_IMAGE, fake_document, fake_manifest, loaded_manifest

from pytest_coworld.runtime import GAME_ALIAS, Episode, RunContext, build_episode_spec, run_episode
from pytest_coworld.runtime import networks as networks_module
from pytest_coworld.runtime.networks import PUBLIC_NETWORK, EpisodeNetworks

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


@pytest.fixture
def host_listener(bystander: Any) -> Iterator[str]:
    """`address:port` of a TCP listener on the host, bound to the default bridge's gateway address only;
    the bystander reaches it, which shows that an unreachable one is the episode's networks at work."""
    gateway = bystander.attrs["NetworkSettings"]["Gateway"]
    with closing_listener(gateway) as port:
        yield f"{gateway}:{port}"


def _reachable_from(container: Any, target: str) -> bool:
    host, port = target.rsplit(":", 1)
    probe = f"import socket; socket.create_connection(({host!r}, {port}), timeout=2).close()"
    return container.exec_run(["python3", "-c", probe]).exit_code == 0


def _outside_targets(bystander: Any, host_listener: str) -> list[str]:
    address = bystander.attrs["NetworkSettings"]["IPAddress"]
    return [f"{address}:{BYSTANDER_PORT}", f"{bystander.name}:{BYSTANDER_PORT}", host_listener]


def test_players_reach_the_game_but_no_other_container_and_not_the_host(
    run: RunContext, tmp_path: Path, bystander: Any, host_listener: str
) -> None:
    assert _reachable_from(bystander, host_listener)
    targets = [f"{GAME_ALIAS}:8080", *_outside_targets(bystander, host_listener)]
    probing = {"PROBE_TARGETS": ",".join(targets)}
    spec = build_episode_spec(fake_manifest(player_env=probing, config={"connect_timeout_s": 60}))
    result = run_episode(spec, tmp_path, run)

    assert result.completed, result.outcome.summary()
    log = (tmp_path / "player-0.log").read_text()
    assert f"probe {targets[0]}: reachable" in log
    for target in targets[1:]:
        assert f"probe {target}: unreachable" in log


def test_the_game_reaches_no_other_container_and_not_the_host(
    run: RunContext, tmp_path: Path, bystander: Any, host_listener: str
) -> None:
    assert _reachable_from(bystander, host_listener)
    targets = _outside_targets(bystander, host_listener)
    document = fake_document(game_env={"PROBE_TARGETS": ",".join(targets)})
    probe_then_play = (
        "import os, runpy, fake_player; fake_player.probe(os.environ['PROBE_TARGETS']); "
        "runpy.run_path('/app/fake_game.py', run_name='__main__')"
    )
    document["game"]["runnable"]["run"] = ["python3", "-c", probe_then_play]
    result = run_episode(build_episode_spec(loaded_manifest(document)), tmp_path, run)

    assert result.completed, result.outcome.summary()
    log = (tmp_path / "game.log").read_text()
    for target in targets:
        assert f"probe {target}: unreachable" in log


def test_only_the_relay_has_a_door_to_the_outside_and_it_is_on_loopback(
    run: RunContext, tmp_path: Path
) -> None:
    with Episode(run, build_episode_spec(fake_manifest()), tmp_path) as episode:
        assert episode.start_game() and episode.networks is not None and episode.game is not None
        assert episode.relay is not None
        game, relay = episode.game.container, episode.relay.handle.container
        networks = episode.networks
        for container in (game, relay, networks.private, networks.backend):
            container.reload()
        relay_networks = relay.attrs["NetworkSettings"]["Networks"]
        bindings = relay.attrs["NetworkSettings"]["Ports"]["8081/tcp"]

        for internal in (networks.private, networks.backend):
            assert internal.attrs["Internal"] is True
            assert internal.attrs["Options"] == {"com.docker.network.bridge.inhibit_ipv4": "true"}
        assert set(game.attrs["NetworkSettings"]["Networks"]) == {networks.backend.name}
        assert not game.attrs["NetworkSettings"]["Ports"]
        assert set(relay_networks) == {networks.private.name, networks.backend.name, PUBLIC_NETWORK}
        assert GAME_ALIAS in relay_networks[networks.private.name]["Aliases"]
        assert [binding["HostIp"] for binding in bindings] == ["127.0.0.1"]
        assert episode.base_url == f"http://127.0.0.1:{bindings[0]['HostPort']}"
        assert episode.wait_healthy()
        assert httpx.get(f"{episode.base_url}/healthz", trust_env=False).text == "ok"
        episode.finish()


MORE_THAN_THE_DEFAULT_POOLS = 40
"""Docker's default address pools give about 30 networks; parallel workers' episodes need more."""


def test_more_episodes_than_the_engine_has_default_address_pools_get_their_networks(run: RunContext) -> None:
    with ExitStack() as stack:
        made = [
            stack.enter_context(
                EpisodeNetworks(run.client, run.resource_name(f"pools{index}"), run.identity.labels("pools"))
            )
            for index in range(MORE_THAN_THE_DEFAULT_POOLS // 2)
        ]
        subnets = []
        for episode_networks in made:
            for network in (episode_networks.private, episode_networks.backend):
                network.reload()
                subnets.append(ipaddress.ip_network(network.attrs["IPAM"]["Config"][0]["Subnet"]))
        assert len(subnets) == MORE_THAN_THE_DEFAULT_POOLS
        assert all(subnet.subnet_of(networks_module.SUBNET_RANGE) for subnet in subnets)


def test_a_subnet_another_network_holds_is_drawn_again(
    run: RunContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EpisodeNetworks(
        run.client, run.resource_name("held"), run.identity.labels("held"), players=False
    ) as held:
        held.backend.reload()
        taken = held.backend.attrs["IPAM"]["Config"][0]["Subnet"]
        draws = iter([taken, taken, networks_module.random_subnet()])
        monkeypatch.setattr(networks_module, "random_subnet", lambda: next(draws))
        with EpisodeNetworks(
            run.client, run.resource_name("drawn"), run.identity.labels("drawn"), players=False
        ) as drawn:
            drawn.backend.reload()
            assert drawn.backend.attrs["IPAM"]["Config"][0]["Subnet"] != taken
        assert next(draws, None) is None
