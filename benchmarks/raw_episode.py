"""The floor of an episode: the same episode played with bare Docker calls, and nothing of our runner.

One bridge network, the game on it (published on 127.0.0.1, named `game`), `GET /healthz` until 200, the
players started at once, the game's exit awaited, then everything removed. No relay, no sandbox options, no
transcript, no logs, no artifacts: what any runner of these images must at least do. `episode_bench.py`
subtracts its overhead (wall minus play) from ours.
"""

from __future__ import annotations

import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pytest_coworld.runtime import GAME_ALIAS, EpisodeSpec, RunContext
from pytest_coworld.runtime.config import concrete_config, make_tokens
from pytest_coworld.runtime.containers import GAME_PORT
from pytest_coworld.runtime.workspace import Workspace

HEALTHZ_POLL_SECONDS = 0.05


def _command(run: list[str] | None) -> dict[str, Any]:
    """The manifest's `run` as Docker's entrypoint and command (none: the image's own)."""
    return {"entrypoint": run[:1], "command": run[1:] or None} if run else {}


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def raw_episode(spec: EpisodeSpec, run: RunContext) -> dict[str, float]:
    """Play one episode with bare Docker calls: `{"wall": s, "play": s}` (play: every player started → the
    game exited, as our runner's `play` phase)."""
    client, labels = run.client, run.identity.labels("bench")
    episode = f"raw{uuid.uuid4().hex[:6]}"  # episodes may run side by side
    began = time.monotonic()
    tokens = make_tokens(spec.slot_count)
    with tempfile.TemporaryDirectory(prefix="coworld-raw-") as scratch:
        workspace = Workspace(Path(scratch) / "work", spec.loaded.generation)
        workspace.write_config(concrete_config(spec.game_config, tokens))
        network = client.networks.create(run.resource_name(episode), labels=labels)
        containers: list[Any] = []
        try:
            game = client.containers.create(
                spec.game.image,
                name=run.resource_name(episode, "game"),
                labels=labels,
                environment={**spec.game.env, **workspace.game_env()},
                volumes=workspace.mounts(),
                ports={f"{GAME_PORT}/tcp": ("127.0.0.1", None)},
                network=network.name,
                networking_config={network.name: client.api.create_endpoint_config(aliases=[GAME_ALIAS])},
                detach=True,
                **_command(spec.game.run),
            )
            containers.append(game)
            game.start()
            game.reload()
            port = game.attrs["NetworkSettings"]["Ports"][f"{GAME_PORT}/tcp"][0]["HostPort"]
            while not _healthy(f"http://127.0.0.1:{port}/healthz"):
                time.sleep(HEALTHZ_POLL_SECONDS)

            def start_player(slot: int) -> Any:
                url = f"ws://{GAME_ALIAS}:{GAME_PORT}/player?slot={slot}&token={tokens[slot]}"
                player = client.containers.run(
                    spec.players[slot].image,
                    name=run.resource_name(episode, f"player{slot}"),
                    labels=labels,
                    environment={
                        **spec.players[slot].env,
                        "COWORLD_PLAYER_WS_URL": url,
                        "COGAMES_ENGINE_WS_URL": url,
                    },
                    network=network.name,
                    detach=True,
                    **_command(spec.players[slot].run),
                )
                containers.append(player)
                return player

            with ThreadPoolExecutor(spec.slot_count) as pool:
                players = list(pool.map(start_player, range(spec.slot_count)))
            play_started = time.monotonic()
            game.wait()
            play = time.monotonic() - play_started
            for player in players:
                player.wait()
        finally:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda container: container.remove(force=True), containers))
            network.remove()
    return {"wall": round(time.monotonic() - began, 3), "play": round(play, 3)}
