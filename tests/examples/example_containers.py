"""Start example game and player containers for the tests, talk to them from the host, and clean them up."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import requests
from docker.models.containers import Container
from docker.models.networks import Network
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from pytest_coworld.runtime.labels import LABEL_RUN_ID

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GAME_ALIAS = "game"
POLL_SECONDS = 0.05
HARNESS = Path(__file__).parent / "page_harness.js"

QUICK_CONFIGS: dict[str, dict[str, Any]] = {
    "paint": {"width": 4, "height": 3, "ticks": 10, "tick_ms": 20, "seed": 1},
    "auction": {
        "players": [{"name": "ada"}, {"name": "bo"}, {"name": "cy"}],
        "rounds": 2,
        "turn_ms": 100,
        "reveal_ms": 0,
        "seed": 1,
    },
}


@dataclass(frozen=True)
class Generation:
    """One generation of the contract as an example speaks it (RUNTIME.md "Two generations")."""

    name: str
    pages: str
    player_variable: str
    replay_file: str

    def page(self, kind: str) -> str:
        """The path of a page of this generation: `/clients/<kind>` or `/client/<kind>`."""
        return f"{self.pages}/{kind}"


CLASSIC = Generation("classic", "/clients", "COGAMES_ENGINE_WS_URL", "replay.json")
CURRENT = Generation("current", "/client", "COWORLD_PLAYER_WS_URL", "replay")
GENERATIONS = {"paint": CLASSIC, "auction": CURRENT}
PAGE_KINDS = ("player", "global", "replay")


def other_generation(example: str) -> Generation:
    """The generation the example does not speak."""
    return CURRENT if GENERATIONS[example] is CLASSIC else CLASSIC


def replay_file(example: str) -> str:
    """Where the example's game saves its replay in the workspace: `replay.json` (classic) or `replay`."""
    return GENERATIONS[example].replay_file


def manifest(example: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / example / "coworld_manifest.json").read_text())


def image(example: str, role: str) -> str:
    return f"coworld-examples/{example}-{role}:latest"


def slot_count(config: dict[str, Any]) -> int:
    """Slots of a config of either example: its `players` list, else paint's two."""
    return len(config["players"]) if "players" in config else 2


def game_env(example: str, defect: str | None = None) -> dict[str, str]:
    """What a runner passes to the example's game in rollout mode (the replay file of its generation)."""
    env = {
        "COGAME_CONFIG_URI": "file:///coworld/config.json",
        "COGAME_RESULTS_URI": "file:///coworld/results.json",
        "COGAME_SAVE_REPLAY_URI": f"file:///coworld/{replay_file(example)}",
        "COGAME_PLAYER_FAILURE_URI": "file:///coworld/player_failure.json",
        "COGAME_HOST": "0.0.0.0",
        "COGAME_PORT": "8080",
    }
    return env | ({"COWORLD_EXAMPLE_DEFECT": defect} if defect else {})


def player_env(example: str, url: str) -> dict[str, str]:
    """The player's URL as a runner of the example's generation passes it: classic runners set only
    `COGAMES_ENGINE_WS_URL`, current ones set both variables to the same value."""
    if GENERATIONS[example] is CLASSIC:
        return {CLASSIC.player_variable: url}
    return {CLASSIC.player_variable: url, CURRENT.player_variable: url}


def logs_count(container: Container, text: str, times: int, seconds: float = 30.0) -> int:
    """How often `text` is in the container's log, once it is there `times` times or `seconds` have passed
    (a container starts slowly on a loaded machine: read its log once, and it may not have begun)."""
    deadline = time.monotonic() + seconds
    while (count := int(container.logs().decode().count(text))) < times and time.monotonic() < deadline:
        time.sleep(0.2)
    return count


def still_running_after(container: Container, seconds: float) -> bool:
    """True when the container has not exited within `seconds`."""
    try:
        container.wait(timeout=seconds)
    except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
        return True
    return False


@dataclass
class Game:
    """A started game container, its workspace and the tokens of its episode."""

    container: Container
    workspace: Path
    tokens: list[str]
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def player_url(self, slot: int | str, token: str | None = None, **params: str) -> str:
        """The host-side `/player` URL of `slot` (its own token unless `token` is given)."""
        own = self.tokens[slot] if isinstance(slot, int) and slot < len(self.tokens) else self.tokens[0]
        query = urlencode({"slot": slot, "token": own if token is None else token, **params})
        return f"{self.ws}/player?{query}"

    def network_player_url(self, slot: int) -> str:
        """The `/player` URL of `slot` for a player container on the episode network."""
        return f"ws://{GAME_ALIAS}:8080/player?slot={slot}&token={self.tokens[slot]}"

    def http_status(self, path: str) -> int | None:
        """The status of `GET path`, None when nothing answers."""
        try:
            return httpx.get(f"{self.http}{path}", timeout=2).status_code
        except httpx.HTTPError:
            return None

    def wait_for_http(self, timeout: float = 20) -> int:
        """Poll `/healthz` until something answers; return that status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.http_status("/healthz")
            if status is not None:
                return status
            self.container.reload()
            if self.container.status == "exited":
                raise AssertionError(f"the game exited before serving:\n{self.logs()}")
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"nothing answered {self.http}/healthz within {timeout} s:\n{self.logs()}")

    def wait_healthy(self) -> None:
        status = self.wait_for_http()
        assert status == 200, f"/healthz answered {status}:\n{self.logs()}"

    def exit_code(self, timeout: float = 30) -> int:
        return int(self.container.wait(timeout=timeout)["StatusCode"])

    def logs(self) -> str:
        return self.container.logs().decode(errors="replace")

    def artifact(self, name: str) -> Any:
        """A JSON file the game wrote into the workspace, None when absent."""
        path = self.workspace / name
        return json.loads(path.read_text()) if path.exists() else None


@dataclass
class ExampleContainers:
    """Every container and network a test starts, labelled with the run id and removed by `remove_all`."""

    client: Any
    run_id: str
    containers: list[Container] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL_RUN_ID: self.run_id}

    def network(self) -> Network:
        created = self.client.networks.create(f"coworld-examples-{uuid.uuid4().hex[:10]}", labels=self.labels)
        self.networks.append(created)
        return created

    def _run(self, image_tag: str, **kwargs: Any) -> Container:
        container = self.client.containers.create(image_tag, labels=self.labels, **kwargs)
        self.containers.append(container)
        container.start()
        return container

    def game(
        self,
        example: str,
        workspace: Path,
        config: dict[str, Any],
        *,
        defect: str | None = None,
        network: Network | None = None,
        env: dict[str, str] | None = None,
    ) -> Game:
        """Start the example's game on a fresh workspace with `config` plus new tokens."""
        tokens = [secrets.token_urlsafe(16) for _ in range(slot_count(config))]
        workspace.mkdir(parents=True, exist_ok=True)
        workspace.chmod(0o777)
        (workspace / "config.json").write_text(json.dumps({**config, "tokens": tokens}))
        mounts = {str(workspace): {"bind": "/coworld", "mode": "rw"}}
        container = self.start_game(example, mounts, game_env(example, defect) | (env or {}), network)
        return Game(container, workspace, tokens, published_port(container))

    def start_game(
        self,
        example: str,
        volumes: dict[str, dict[str, str]],
        env: dict[str, str],
        network: Network | None = None,
    ) -> Container:
        """Start the example's game image with these mounts and environment, 8080 published on loopback."""
        networking: dict[str, Any] = {}
        if network is not None:
            endpoint = self.client.api.create_endpoint_config(aliases=[GAME_ALIAS])
            networking = {"network": network.name, "networking_config": {network.name: endpoint}}
        return self._run(
            image(example, "game"),
            environment=env,
            volumes=volumes,
            ports={"8080/tcp": ("127.0.0.1", None)},
            **networking,
        )

    def player(self, example: str, url: str, network: Network, defect: str | None = None) -> Container:
        """Start the example's player for the slot of `url` on `network`, as its generation's runner does."""
        env = player_env(example, url) | ({"COWORLD_EXAMPLE_PLAYER_DEFECT": defect} if defect else {})
        return self.start_player(example, env, network)

    def start_player(self, example: str, env: dict[str, str], network: Network) -> Container:
        """Start the example's player image with exactly this environment on `network`."""
        return self._run(image(example, "player"), environment=env, network=network.name)

    def remove_all(self) -> None:
        for container in self.containers:
            with contextlib.suppress(Exception):
                container.remove(force=True)
        for network in self.networks:
            with contextlib.suppress(Exception):
                network.remove()


def published_port(container: Container) -> int:
    """The host port that 127.0.0.1 publishes for the container's 8080/tcp."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        container.reload()
        bindings = container.attrs["NetworkSettings"]["Ports"].get("8080/tcp")
        if bindings:
            return int(bindings[0]["HostPort"])
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"container {container.short_id} publishes no port for 8080/tcp")


async def _idle_player(url: str) -> int | None:
    """Connect, read until the game closes the connection, return the close code."""
    async with connect(url, open_timeout=10, close_timeout=1) as connection:
        with contextlib.suppress(ConnectionClosed):
            async for _ in connection:
                pass
        return connection.close_code


def play_idle(game: Game) -> list[int | None]:
    """Connect every slot from the host and idle (default moves) until the game ends; the close codes."""

    async def all_slots() -> list[int | None]:
        return list(
            await asyncio.gather(*(_idle_player(game.player_url(slot)) for slot in range(len(game.tokens))))
        )

    return asyncio.run(asyncio.wait_for(all_slots(), 60))


def run_page(html: str, page_url: str, messages: list[dict[str, Any]], tmp_path: Path) -> dict[str, Any]:
    """Run a served page's scripts under Node: the websocket URL it opened and how much it drew."""
    node = shutil.which("node")
    assert node is not None, "these tests need Node.js (`node`) to run the pages' JavaScript"
    page, feed = tmp_path / "page.html", tmp_path / "messages.json"
    page.write_text(html)
    feed.write_text(json.dumps(messages))
    done = subprocess.run(
        [node, str(HARNESS), str(page), page_url, str(feed)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
