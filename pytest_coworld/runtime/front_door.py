"""The wire relay's container in front of a game: the only way into the game, from players and from the host.

The game sits alone on the `backend` network, which is internal and gives the host no address, so it
reaches nothing: not the outside, not the host, no other container. The relay joins `backend`, `public`
(where it publishes the host's door, HOST_DOOR_PORT, on 127.0.0.1) and, for an episode with players,
`private` under the game's alias. See pytest_coworld/wire/relay.py.
"""

from __future__ import annotations

from pytest_coworld.runtime.containers import GAME_PORT, ContainerSpec
from pytest_coworld.runtime.networks import GAME_ALIAS, EpisodeNetworks

HOST_DOOR_PORT = 8081  # the relay's port that passes the host's connections through to the game


def front_door_spec(
    name: str,
    image: str,
    labels: dict[str, str],
    game_name: str,
    networks: EpisodeNetworks,
    *,
    players: bool,
) -> ContainerSpec:
    """The relay container for the game container `game_name`; `players`: also the players' door."""
    run = ["python3", "-u", "/relay.py", "--port", str(GAME_PORT), "--upstream", f"{game_name}:{GAME_PORT}"]
    extra: list[tuple[str, tuple[str, ...]]] = [(networks.backend_name, ())]
    if players:
        extra.append((networks.private_name, (GAME_ALIAS,)))
    return ContainerSpec(
        name=name,
        image=image,
        labels=labels,
        run=[*run, "--host-port", str(HOST_DOOR_PORT)],
        network=networks.public_name,
        extra_networks=tuple(extra),
        publish_port=HOST_DOOR_PORT,
    )
