"""The two per-episode networks: a private one for game and players, and one to publish the game's port."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

import docker
import docker.errors

from pytest_coworld.runtime.docker_api import docker_errors, is_gone

GAME_ALIAS = "game"


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

    `private` is `internal=True`: players on it reach nothing but the game, which joins it under the alias
    `game`. Docker publishes no port of a container attached only to an internal network, so the game also
    joins `public`, an ordinary bridge through which 8080/tcp is published on 127.0.0.1 for the host's probes.
    """

    def __init__(self, client: docker.DockerClient, name_prefix: str, labels: dict[str, str]) -> None:
        self.client = client
        self.name_prefix = name_prefix
        self.labels = labels
        self.private: Any = None
        self.public: Any = None

    @property
    def private_name(self) -> str:
        return f"{self.name_prefix}-private"

    @property
    def public_name(self) -> str:
        return f"{self.name_prefix}-public"

    def create(self) -> EpisodeNetworks:
        """Create both networks (in parallel: each takes ~0.1 s); on failure remove what was made."""
        futures: list[Future[Any]] = []
        try:
            with docker_errors("creating the episode networks"), ThreadPoolExecutor(2) as pool:
                futures = [
                    pool.submit(self._create, self.private_name, True),
                    pool.submit(self._create, self.public_name, False),
                ]
                self.private, self.public = (future.result() for future in futures)
        except BaseException:
            made = [_result_or_none(future) for future in futures] or [None, None]
            self.private, self.public = made
            self.remove()
            raise
        return self

    def _create(self, name: str, internal: bool) -> Any:
        return self.client.networks.create(
            name, driver="bridge", internal=internal, labels=self.labels, check_duplicate=True
        )

    def remove(self) -> None:
        """Remove both networks in parallel (their containers must be gone first); missing ones are fine."""
        networks = [network for network in (self.private, self.public) if network is not None]
        if networks:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(_remove_network, networks))
        self.private = self.public = None

    def __enter__(self) -> EpisodeNetworks:
        return self.create()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.remove()
