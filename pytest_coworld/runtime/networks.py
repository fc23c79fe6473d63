"""The per-episode networks: the players' and the game's, both internal; the host reaches the game through the
wire relay, which publishes its door on the engine's default bridge."""

from __future__ import annotations

import ipaddress
import random
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

import docker
import docker.errors

from pytest_coworld.runtime.docker_api import docker_errors, is_gone

GAME_ALIAS = "game"
PUBLIC_NETWORK = "bridge"
"""The engine's default bridge: where the relay publishes the host's door (no network of our own)."""
NO_HOST_ADDRESS = {"com.docker.network.bridge.inhibit_ipv4": "true"}
"""The host gets no address on an internal network's bridge: its containers cannot reach the host at all."""
SUBNET_RANGE = ipaddress.ip_network("10.0.0.0/8")
SUBNET_PREFIX = 28
"""Each internal network gets a random /28 of 10.0.0.0/8 instead of one of the engine's default pools, of
which there are only about 30: parallel workers, probe games and replay servers used them up. With no host
address on the bridge, the subnet is invisible to the host (no route), so it cannot clash with its LAN."""
SUBNET_ATTEMPTS = 20


def random_subnet() -> str:
    """A random /28 of `SUBNET_RANGE`."""
    size = 2 ** (32 - SUBNET_PREFIX)
    index = random.randrange(SUBNET_RANGE.num_addresses // size)
    return str(ipaddress.ip_network((int(SUBNET_RANGE.network_address) + index * size, SUBNET_PREFIX)))


def _overlaps(error: docker.errors.APIError) -> bool:
    return "overlaps" in str(error.explanation or error)


def _remove_network(network: Any) -> None:
    try:
        network.remove()
    except docker.errors.APIError as error:
        if not is_gone(error):
            raise


def _result_or_none(future: Future[Any]) -> Any:
    return future.result() if future.done() and future.exception() is None else None


class EpisodeNetworks:
    """A context manager creating, then removing, the networks of one episode.

    `private` (the players') and `backend` (the game's) are internal and give the host no address: what is on
    them reaches only the other containers there, never the host or the outside. The wire relay joins both,
    as `game` on `private`, and the engine's default bridge, on which it publishes the host's door to the game
    on 127.0.0.1 (Docker publishes no port of a container attached only to internal networks).
    """

    def __init__(
        self,
        client: docker.DockerClient,
        name_prefix: str,
        labels: dict[str, str],
        players: bool = True,
    ) -> None:
        self.client = client
        self.public_name = PUBLIC_NETWORK
        self.name_prefix = name_prefix
        self.labels = labels
        self.players = players  # False: no `private` network (a replay server has no players)
        self.private: Any = None
        self.backend: Any = None

    @property
    def private_name(self) -> str:
        return f"{self.name_prefix}-private"

    @property
    def backend_name(self) -> str:
        return f"{self.name_prefix}-backend"

    def create(self) -> EpisodeNetworks:
        """Create the networks (in parallel: each takes ~0.1 s); on failure remove what was made."""
        wanted = {"backend": self.backend_name}
        if self.players:
            wanted["private"] = self.private_name
        futures: dict[str, Future[Any]] = {}
        try:
            with docker_errors("creating the episode networks"), ThreadPoolExecutor(len(wanted)) as pool:
                futures = {key: pool.submit(self._create, name) for key, name in wanted.items()}
                for key, future in futures.items():
                    setattr(self, key, future.result())
        except BaseException:
            for key, future in futures.items():
                setattr(self, key, _result_or_none(future))
            self.remove()
            raise
        return self

    def _create(self, name: str) -> Any:
        """Create one internal network on a random subnet; a subnet another network holds is drawn again."""
        for _ in range(SUBNET_ATTEMPTS - 1):
            try:
                return self._create_on(name, random_subnet())
            except docker.errors.APIError as error:
                if not _overlaps(error):
                    raise
        return self._create_on(name, random_subnet())

    def _create_on(self, name: str, subnet: str) -> Any:
        return self.client.networks.create(
            name,
            driver="bridge",
            internal=True,
            options=NO_HOST_ADDRESS,
            ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)]),
            labels=self.labels,
            check_duplicate=True,
        )

    def remove(self) -> None:
        """Remove the networks in parallel (their containers must be gone first); missing ones are fine."""
        networks = [network for network in (self.private, self.backend) if network is not None]
        if networks:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(_remove_network, networks))
        self.private = self.backend = None

    def __enter__(self) -> EpisodeNetworks:
        return self.create()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.remove()
