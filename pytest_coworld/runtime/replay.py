"""`ReplayServer`: the game image in replay mode against a finished episode's replay, on 127.0.0.1.

Classic games get `COGAME_REPLAY_SERVER=1` (viewer `/clients/replay?uri=U`, websocket `/replay?uri=U`);
current games get `COGAME_LOAD_REPLAY_URI=U` (viewer `/client/replay`, websocket `/replay`). A copy of the
replay file is mounted read-only at `/coworld-replay/<replay file>` (where the platform's runner mounts it)
and U is its `file://` URI. Games with a static `game.replay_viewer.bundle` have no replay mode.

`prepare()` makes everything that does not need the replay (network, front door, the game's container,
created but not started), so that a caller who knows a replay is coming can pay for it beforehand; `start()`
then only copies the replay in, starts the game and waits for `/healthz`.
"""

from __future__ import annotations

import json
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import docker.errors

from pytest_coworld.manifest.models import Generation, LoadedManifest, Runnable
from pytest_coworld.runtime.containers import ContainerHandle, ContainerSpec, GameContainer
from pytest_coworld.runtime.docker_api import image_id
from pytest_coworld.runtime.errors import CoworldRuntimeError, InfrastructureError, ReplayNotSupported
from pytest_coworld.runtime.front_door import front_door_spec
from pytest_coworld.runtime.networks import EpisodeNetworks
from pytest_coworld.runtime.outcome import log_tail
from pytest_coworld.runtime.record import RECORD_FILE
from pytest_coworld.runtime.run import RunContext
from pytest_coworld.runtime.settings import DEFAULT_HEALTHZ_SECONDS, ResourceLimits
from pytest_coworld.runtime.workspace import replay_file_name
from pytest_coworld.wire.image import ensure_relay_image

REPLAY_MOUNT_POINT = "/coworld-replay"  # read-only, holding only the replay file


class ReplayMode(StrEnum):
    CLASSIC = "classic"
    CURRENT = "current"

    @classmethod
    def for_generation(cls, generation: Generation) -> ReplayMode:
        return cls.CURRENT if generation.is_current else cls.CLASSIC


class ReplayServerUnhealthy(CoworldRuntimeError):
    """The game did not become healthy in replay mode; the message ends with its log tail."""


class ReplayServer:
    """A context manager: start the replay server, wait for its healthz, expose its URLs, remove it."""

    def __init__(
        self,
        run: RunContext,
        game: Runnable,
        replay_file: Path,
        mode: ReplayMode,
        limits: ResourceLimits | None = None,
        healthz_timeout: float = DEFAULT_HEALTHZ_SECONDS,
    ) -> None:
        self.run = run
        self.game_runnable = game
        self.replay_file = replay_file.resolve()
        self.mode = mode
        self.limits = limits or ResourceLimits()
        self.healthz_timeout = healthz_timeout
        self.container: GameContainer | None = None
        self.door: ContainerHandle | None = None
        self.networks: EpisodeNetworks | None = None
        self._mounted: Path | None = None  # the folder mounted at REPLAY_MOUNT_POINT
        self._prepared = False

    @classmethod
    def for_manifest(
        cls,
        run: RunContext,
        loaded: LoadedManifest,
        replay_file: Path,
        mode: ReplayMode | None = None,
        healthz_timeout: float = DEFAULT_HEALTHZ_SECONDS,
        limits: ResourceLimits | None = None,
    ) -> ReplayServer:
        """A replay server for `loaded`'s game (mode by its generation unless given)."""
        viewer = loaded.manifest.game.replay_viewer
        if viewer is not None:
            raise ReplayNotSupported(
                f"{loaded.manifest.game.name} ships a static replay viewer ({viewer.bundle}), no replay mode"
            )
        return cls(
            run,
            loaded.manifest.game.runnable,
            replay_file,
            mode or ReplayMode.for_generation(loaded.generation),
            limits,
            healthz_timeout,
        )

    @classmethod
    def for_artifacts(
        cls,
        run: RunContext,
        artifacts_dir: Path,
        mode: ReplayMode | None = None,
        healthz_timeout: float = DEFAULT_HEALTHZ_SECONDS,
    ) -> ReplayServer:
        """A replay server for a finished episode, from its `episode.json` and replay file."""
        record = _read_record(artifacts_dir)
        manifest, game = record["manifest"], record["game"]
        if manifest.get("replay_viewer_bundle"):
            raise ReplayNotSupported(
                f"{manifest['game']} ships a static replay viewer ({manifest['replay_viewer_bundle']}), no "
                "replay mode; open the bundle's index.html with #replay=<replay file>"
            )
        generation = Generation(manifest["generation"])
        replay_file = artifacts_dir / replay_file_name(generation)
        if not replay_file.is_file():
            outcome = record.get("outcome", {}).get("kind")
            raise ReplayNotSupported(f"the episode in {artifacts_dir} has no replay (outcome: {outcome})")
        image = _available_image(run, game.get("image_id"), game["image"])
        runnable = Runnable(image=image, run=game.get("run"), env=game.get("env") or {})
        mode = mode or ReplayMode.for_generation(generation)
        return cls(run, runnable, replay_file, mode, healthz_timeout=healthz_timeout)

    @property
    def replay_uri(self) -> str:
        return f"file://{REPLAY_MOUNT_POINT}/{self.replay_file.name}"

    @property
    def base_url(self) -> str:
        if self.container is None:
            raise RuntimeError("the replay server is not started")
        return self.container.base_url

    @property
    def viewer_url(self) -> str:
        if self.mode is ReplayMode.CLASSIC:
            return f"{self.base_url}/clients/replay?uri={quote(self.replay_uri, safe='')}"
        return f"{self.base_url}/client/replay"

    @property
    def websocket_url(self) -> str:
        base = self.base_url.replace("http://", "ws://")
        if self.mode is ReplayMode.CLASSIC:
            return f"{base}/replay?uri={quote(self.replay_uri, safe='')}"
        return f"{base}/replay"

    def _env(self) -> dict[str, str]:
        mode_env = (
            {"COGAME_REPLAY_SERVER": "1"}
            if self.mode is ReplayMode.CLASSIC
            else {"COGAME_LOAD_REPLAY_URI": self.replay_uri}
        )
        return {**self.game_runnable.env, "COGAME_HOST": "0.0.0.0", "COGAME_PORT": "8080", **mode_env}

    def prepare(self) -> ReplayServer:
        """Create the network, start the front door and create the game's container, at once (not before the
        replay exists: the game is started by `start`); on failure remove what was made."""
        if self._prepared:
            return self
        name = self.run.resource_name("replay", uuid.uuid4().hex[:6])
        labels = self.run.identity.labels("replay")
        try:
            with self.run.creating():
                relay_image = ensure_relay_image(self.run.client)
                self._mounted = self.run.work_root / name
                self._mounted.mkdir()
                self.networks = EpisodeNetworks(self.run.client, name, labels, players=False).create()
                door = front_door_spec(
                    f"{name}-door", relay_image, labels, name, self.networks, players=False
                )
                self.door = ContainerHandle(self.run.client, door, self.run.exits)
                self.container = GameContainer(
                    self.run.client, self._game_spec(name, labels), self.door, self.run.exits
                )
                with ThreadPoolExecutor(2) as pool:
                    for made in [pool.submit(self.door.start), pool.submit(self.container.create)]:
                        made.result()
            self._prepared = True
        except BaseException:
            self.close()
            raise
        return self

    def start(self) -> ReplayServer:
        """Start the game behind its front door on a copy of the replay (after `prepare`, which it does
        when not done) and wait for `/healthz`; raise ReplayServerUnhealthy (and remove it) if not."""
        if not self.replay_file.is_file():
            raise ReplayNotSupported(f"no replay file at {self.replay_file}")
        self.prepare()
        assert self.container is not None and self._mounted is not None
        try:
            shutil.copyfile(self.replay_file, self._mounted / self.replay_file.name)
            with self.run.creating():
                self.container.start()
            health = self.container.wait_healthy(self.healthz_timeout, self.run.cancel)
        except BaseException:
            self.close()
            raise
        if not health.healthy:
            logs = log_tail(self.container.logs())
            self.close()
            why = (
                "exited"
                if health.reason == "exited"
                else f"did not answer 200 within {self.healthz_timeout:.0f} s"
            )
            raise ReplayServerUnhealthy(
                f"the game in {self.mode.value} replay mode {why} on GET /healthz (last answer: "
                f"{health.last_answer})\n{logs}"
            )
        return self

    def _game_spec(self, name: str, labels: dict[str, str]) -> ContainerSpec:
        assert self.networks is not None and self._mounted is not None
        return ContainerSpec(
            name=name,
            image=self.game_runnable.image or "",
            labels=labels,
            run=self.game_runnable.run,
            env=self._env(),
            network=self.networks.backend_name,
            mounts={str(self._mounted): {"bind": REPLAY_MOUNT_POINT, "mode": "ro"}},
            limits=self.limits,
        )

    def logs(self) -> str:
        return self.container.logs() if self.container else ""

    def close(self) -> None:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(ContainerHandle.remove, [h for h in (self.container, self.door) if h is not None]))
        if self.networks is not None:
            self.networks.remove()
        if self._mounted is not None:
            shutil.rmtree(self._mounted, ignore_errors=True)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _read_record(artifacts_dir: Path) -> dict[str, Any]:
    path = artifacts_dir / RECORD_FILE
    try:
        record = json.loads(path.read_text())
    except OSError:
        raise ReplayNotSupported(
            f"{artifacts_dir} holds no {RECORD_FILE}; give the artifacts folder of one episode"
        ) from None
    except ValueError:
        record = None
    if not (
        isinstance(record, dict)
        and isinstance(record.get("manifest"), dict)
        and isinstance(record.get("game"), dict)
        and "generation" in record["manifest"]
        and record["game"].get("image")
    ):
        raise ReplayNotSupported(f"{path} is not an episode record of pytest-coworld")
    return record


def _available_image(run: RunContext, recorded_id: str | None, reference: str) -> str:
    """The exact image the episode ran when it still exists, else its reference."""
    if recorded_id:
        try:
            run.client.images.get(recorded_id)
            return recorded_id
        except docker.errors.ImageNotFound:
            pass
    try:
        image_id(run.client, reference)
    except InfrastructureError:
        raise InfrastructureError(
            f"image {reference} (the game of this episode) not found locally — build it or docker pull it"
        ) from None
    return reference
