"""One Coworld episode in real containers, driven in steps or in one call (`run_episode`).

Steps, for callers that probe the game in between (the certification fixtures):

    with Episode(run, spec, artifacts_dir) as episode:
        episode.start_game()
        if episode.wait_healthy():
            episode.start_players()          # or some slots only, playing the others from the host
            episode.wait_for_end()
        result = episode.finish()

Leaving the `with` block removes the episode's containers, networks and workspace, whatever happened.
Docker failures inside a step are recorded (the outcome becomes `infrastructure_error`) and later steps do
nothing; a config that does not fit the schema raises `EpisodeSetupError`; a cancelled run raises
`EpisodeCancelled`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any

import docker.errors
import requests.exceptions

from pytest_coworld.runtime.artifacts import ArtifactsFolder, Redactor
from pytest_coworld.runtime.cleanup import list_labelled, remove_resources
from pytest_coworld.runtime.config import concrete_config, make_tokens, redacted_config, validate_config
from pytest_coworld.runtime.containers import (
    GAME_PORT,
    ContainerHandle,
    ContainerSpec,
    GameContainer,
    HealthCheck,
    PlayerContainer,
)
from pytest_coworld.runtime.docker_api import image_id
from pytest_coworld.runtime.errors import EpisodeCancelled, InfrastructureError
from pytest_coworld.runtime.front_door import front_door_spec
from pytest_coworld.runtime.judge import ContainerFacts, EpisodeFacts, PlayerFacts, judge
from pytest_coworld.runtime.labels import LABEL_EPISODE, new_episode_id
from pytest_coworld.runtime.networks import GAME_ALIAS, EpisodeNetworks
from pytest_coworld.runtime.observer import EpisodeObserver, Phase, SlotState
from pytest_coworld.runtime.outcome import log_tail
from pytest_coworld.runtime.record import RECORD_FILE, RECORD_FORMAT, EpisodeResult
from pytest_coworld.runtime.run import RunContext
from pytest_coworld.runtime.spec import EpisodeSpec
from pytest_coworld.runtime.workspace import (
    CONFIG_FILE,
    PLAYER_FAILURE_FILE,
    RESULTS_FILE,
    FileTooLarge,
    Workspace,
)
from pytest_coworld.wire.image import ensure_relay_image
from pytest_coworld.wire.recorder import WireRecorder
from pytest_coworld.wire.transcript import Connection, SlotWire, Transcript

END_POLL_SECONDS = 0.05
SIGTERM_GRACE_SECONDS = 10.0  # a lingering game told to stop (SIGTERM) is killed after this long
PARALLEL_DOCKER_CALLS = 8
RELAY_LISTEN_SECONDS = 30.0
WIRE_FILE = "wire.jsonl"


class Episode:
    """One episode: tokens, workspace, networks, the game and the players, and the collected result."""

    def __init__(
        self,
        run: RunContext,
        spec: EpisodeSpec,
        artifacts_dir: Path,
        observer: EpisodeObserver | None = None,
        test: str | None = None,
    ) -> None:
        self.run = run
        self.spec = spec
        self.artifacts_dir = artifacts_dir
        self.observer = observer or EpisodeObserver()
        self.test = test
        self.id = new_episode_id()
        self.tokens = make_tokens(spec.slot_count)
        self.timeouts = spec.resolved_timeouts
        self.timings: dict[str, float] = {}
        self.networks: EpisodeNetworks | None = None
        self.workspace: Workspace | None = None
        self.game: GameContainer | None = None
        self.players: dict[int, PlayerContainer] = {}
        self.relay: WireRecorder | None = None
        self.transcript: Transcript | None = None
        self._player_addresses: dict[int, str | None] = {}
        self._connected_slots: set[int] = set()
        self.health: HealthCheck | None = None
        self.result: EpisodeResult | None = None
        self._image_ids: dict[str, str] = {}
        self._infrastructure_error: str | None = None
        self._timed_out = False
        self._game_lingered = False
        self._game_obeyed_sigterm: bool | None = None
        self._ended_at: float | None = None
        self._play_started: float | None = None
        self._created = time.monotonic()

    # -- facts for callers -------------------------------------------------------------------------------

    @property
    def slot_count(self) -> int:
        return self.spec.slot_count

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`: the game as the host's probes reach it (through the relay's door)."""
        if self.game is None:
            raise RuntimeError("the game is not started; call start_game() first")
        return self.game.base_url

    def player_url(self, slot: int) -> str:
        """The websocket URL a player container of `slot` gets (through the private network)."""
        return f"ws://{GAME_ALIAS}:{GAME_PORT}/player?slot={slot}&token={self.tokens[slot]}"

    def host_player_url(self, slot: int) -> str:
        """The websocket URL of `slot` as the host reaches it (through the published port)."""
        return f"{self.base_url.replace('http://', 'ws://')}/player?slot={slot}&token={self.tokens[slot]}"

    @property
    def failed(self) -> bool:
        """True when Docker failed during a step: later steps do nothing."""
        return self._infrastructure_error is not None

    # -- steps -------------------------------------------------------------------------------------------

    def start_game(self) -> bool:
        """Check images and config, make workspace and networks, start the game. False on a Docker failure."""
        loaded = self.spec.loaded
        config = concrete_config(self.spec.game_config, self.tokens)
        validate_config(loaded.manifest.game.config_schema, config, self.spec.config_source)
        with self._phase(Phase.PREPARING, "prepare"), self._recording_failures(), self.run.creating():
            for image in {self.spec.game.image or "", *(player.image for player in self.spec.players)}:
                self._image_ids[image] = image_id(self.run.client, image)
            relay_image = ensure_relay_image(self.run.client)
            self.workspace = Workspace(self.run.work_root / self.id, loaded.generation)
            self.workspace.write_config(config)
            self.networks = EpisodeNetworks(
                self.run.client, self.run.resource_name(self.id), self._labels("network")
            ).create()
        if self.failed:
            return False
        with self._phase(Phase.STARTING_GAME, "game_start"), self._recording_failures(), self.run.creating():
            self.relay = WireRecorder(self.run.client, self._relay_spec(relay_image), self._wire_changed)
            self.game = GameContainer(self.run.client, self._game_spec(), front_door=self.relay.handle)
            with ThreadPoolExecutor(2) as pool:
                for started in [pool.submit(self.game.start), pool.submit(self.relay.start)]:
                    started.result()
        return not self.failed

    def wait_healthy(self) -> bool:
        """Poll `GET /healthz` until 200 (True), the game exits, or the healthz timeout passes."""
        if self.game is None or self.failed:
            return False
        with self._phase(Phase.WAITING_HEALTHY, "healthz"):
            self.health = self.game.wait_healthy(self.timeouts.seconds("healthz"), self.run.cancel)
        self._raise_if_cancelled()
        return self.health.healthy

    def start_players(self, slots: Iterable[int] | None = None) -> list[PlayerContainer]:
        """Start the player containers of `slots` (default: every slot) in parallel."""
        if self.health is None or not self.health.healthy or self.failed:
            return []
        chosen = sorted(set(range(self.slot_count) if slots is None else slots))
        started: list[PlayerContainer] = []
        with self._phase(Phase.STARTING_PLAYERS, "players_start"), self._recording_failures():
            self._require_relay()
            for slot in chosen:
                self.players[slot] = PlayerContainer(self.run.client, self._player_spec(slot), slot)
                self.players[slot].on_exit = self._player_exited
                self.observer.slot_changed(self.id, slot, SlotState.STARTING)
            with ThreadPoolExecutor(PARALLEL_DOCKER_CALLS) as pool:
                for player in pool.map(self._start_player, [self.players[slot] for slot in chosen]):
                    started.append(player)
        self._play_started = time.monotonic()
        return started

    def wait_for_end(self) -> None:
        """Wait until the game ends (exit, or results then a linger limit), then for the players to exit."""
        if self.game is None or self.health is None or not self.health.healthy or self.failed:
            return
        self._play_started = self._play_started or time.monotonic()
        with self._phase(Phase.PLAYING, "play"), self._recording_failures():
            self._wait_for_game_end(self.game)
        with self._phase(Phase.WINDING_DOWN, "wind_down"), self._recording_failures():
            self._wait_for_players()

    def finish(self) -> EpisodeResult:
        """Stop what still runs, collect logs and files into the artifacts folder, and decide the outcome."""
        if self.result is not None:
            return self.result
        self.observer.phase_changed(self.id, Phase.COLLECTING)
        started = time.monotonic()
        self._stop_all()
        if self.relay is not None:
            self.relay.stop()
        self.result = self._collect(started)
        self.observer.finished(self.id, self.result)
        return self.result

    def close(self) -> None:
        """Remove every container and network of this episode and its workspace (best effort: what is left
        here, the run's own cleanup and the guard remove later)."""
        self.observer.phase_changed(self.id, Phase.CLEANING_UP)
        handles: list[ContainerHandle] = [*self.players.values(), *([self.game] if self.game else [])]
        handles += [self.relay.handle] if self.relay else []
        with ThreadPoolExecutor(PARALLEL_DOCKER_CALLS) as pool:
            list(pool.map(_remove_quietly, handles))
        with suppress(docker.errors.DockerException, requests.exceptions.RequestException):
            if self.networks is not None:
                self.networks.remove()
            leftovers = list_labelled(self.run.client, self.run.run_id)
            remove_resources([r for r in leftovers if r.labels.get(LABEL_EPISODE) == self.id])
        if self.workspace is not None:
            self.workspace.remove()
        self.observer.phase_changed(self.id, Phase.FINISHED)

    def play(self) -> EpisodeResult:
        """All steps: start the game, wait healthy, start every player, wait for the end, finish."""
        if self.start_game() and self.wait_healthy():
            self.start_players()
            self.wait_for_end()
        return self.finish()

    def __enter__(self) -> Episode:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------------------

    @contextmanager
    def _phase(self, phase: Phase, timing_key: str) -> Iterator[None]:
        self.observer.phase_changed(self.id, phase)
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[timing_key] = round(time.monotonic() - started, 3)

    @contextmanager
    def _recording_failures(self) -> Iterator[None]:
        try:
            yield
        except InfrastructureError as error:
            self._infrastructure_error = self._infrastructure_error or str(error)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
            self._infrastructure_error = self._infrastructure_error or f"docker failed: {error}"

    def _raise_if_cancelled(self) -> None:
        if self.run.cancel.is_set():
            raise EpisodeCancelled(f"episode {self.id} cancelled")

    def _labels(self, role: str, slot: int | None = None) -> dict[str, str]:
        return self.run.identity.labels(role, episode=self.id, slot=slot, test=self.test)

    def _game_spec(self) -> ContainerSpec:
        assert self.workspace is not None and self.networks is not None
        game = self.spec.game
        return ContainerSpec(
            name=self.run.resource_name(self.id, "game"),
            image=game.image or "",
            labels=self._labels("game"),
            run=game.run,
            env={**game.env, **self.workspace.game_env()},
            network=self.networks.backend_name,
            mounts=self.workspace.mounts(),
            limits=self.spec.limits,
        )

    def _relay_spec(self, image: str) -> ContainerSpec:
        """The wire relay: the players' and the host's door to the game."""
        assert self.networks is not None
        return front_door_spec(
            self.run.resource_name(self.id, "relay"),
            image,
            self._labels("relay"),
            self.run.resource_name(self.id, "game"),
            self.networks,
            players=True,
        )

    def _require_relay(self) -> None:
        if self.relay is None or not self.relay.wait_listening(RELAY_LISTEN_SECONDS):
            log = log_tail(self.relay.handle.logs()) if self.relay else ""
            raise InfrastructureError(
                f"the wire relay did not listen within {RELAY_LISTEN_SECONDS:.0f} s; "
                f"its log: {log or '(empty)'}"
            )

    def _player_spec(self, slot: int) -> ContainerSpec:
        assert self.networks is not None
        player = self.spec.players[slot]
        url = self.player_url(slot)
        return ContainerSpec(
            name=self.run.resource_name(self.id, f"player{slot}"),
            image=player.image,
            labels=self._labels("player", slot),
            run=player.run,
            env={
                **player.env,
                **player.secret_env,
                "COWORLD_PLAYER_WS_URL": url,
                "COGAMES_ENGINE_WS_URL": url,
            },
            network=self.networks.private_name,
            limits=self.spec.limits,
        )

    def _start_player(self, player: PlayerContainer) -> PlayerContainer:
        with self.run.creating():
            player.start()
        self._player_addresses[player.slot] = self._address(player)
        self.observer.slot_changed(self.id, player.slot, SlotState.RUNNING)
        return player

    def _address(self, player: PlayerContainer) -> str | None:
        """The player's address on the players' network: the relay sees its connections come from it."""
        assert self.networks is not None
        try:
            player.container.reload()
            networks = player.container.attrs["NetworkSettings"]["Networks"]
            return str(networks[self.networks.private_name]["IPAddress"]) or None
        except (docker.errors.DockerException, requests.exceptions.RequestException, KeyError, TypeError):
            return None

    def _wire_changed(self, connection: Connection) -> None:
        """Tell the observer when a slot's own connection first carries messages both ways."""
        if not connection.both_ways or self.relay is None:
            return
        for slot in set(range(self.slot_count)) - self._connected_slots:
            if self.relay.live.is_own(connection, slot, self.tokens[slot]):
                self._connected_slots.add(slot)
                self.observer.slot_changed(self.id, slot, SlotState.CONNECTED, connection.describe())

    def _player_exited(self, handle: ContainerHandle) -> None:
        assert isinstance(handle, PlayerContainer)
        state = SlotState.EXITED if handle.exit_code == 0 else SlotState.FAILED
        detail = "stopped by the runner" if handle.stopped_by_runner else f"exit code {handle.exit_code}"
        self.observer.slot_changed(self.id, handle.slot, state, detail)

    def _crashed_player(self) -> PlayerContainer | None:
        return next((p for p in self.players.values() if p.exited_by_itself and p.exit_code != 0), None)

    def _wait_for_game_end(self, game: GameContainer) -> None:
        assert self.workspace is not None and self._play_started is not None
        deadline = self._play_started + self.timeouts.seconds("episode")
        while not game.exited:
            self._raise_if_cancelled()
            now = time.monotonic()
            if self._ended_at is None and (
                self.workspace.has(RESULTS_FILE) or self.workspace.has(PLAYER_FAILURE_FILE)
            ):
                self._ended_at = now
            if self._ended_at is not None and now - self._ended_at >= self.timeouts.seconds("game_exit"):
                self._game_lingered = True
                self._game_obeyed_sigterm = game.terminate(SIGTERM_GRACE_SECONDS)
            elif self._ended_at is None and self._crashed_player() is not None:
                game.stop()
            elif self._ended_at is None and now >= deadline:
                self._timed_out = True
                game.stop()
            game.wait_exit(END_POLL_SECONDS)

    def _wait_for_players(self) -> None:
        grace = 0.0 if self._timed_out else self.timeouts.seconds("player_exit")
        deadline = time.monotonic() + grace
        for player in self.players.values():
            while not player.wait_exit(min(END_POLL_SECONDS * 4, max(0.0, deadline - time.monotonic()))):
                self._raise_if_cancelled()
                if time.monotonic() >= deadline:
                    break
        self._stop_all()

    def _stop_all(self) -> None:
        running = [h for h in [self.game, *self.players.values()] if h is not None and not h.exited]
        if running:
            with ThreadPoolExecutor(PARALLEL_DOCKER_CALLS) as pool:
                list(pool.map(_stop_quietly, running))

    def _collect(self, started: float) -> EpisodeResult:
        redactor = Redactor.for_episode(self.tokens, self._secret_env())
        folder = ArtifactsFolder(self.artifacts_dir, redactor)
        folder.write_json(CONFIG_FILE, redacted_config(concrete_config(self.spec.game_config, self.tokens)))
        logs = self._logs(redactor)
        for name, log in logs.items():
            folder.write_text(f"{name}.log", log)
        files = self._game_files(folder)
        self.transcript = self._wire(folder)
        verdict = judge(self._facts(logs, files))
        self.timings["collect"] = round(time.monotonic() - started, 3)
        record = self._record(
            verdict.outcome.to_dict(),
            verdict.results.scores if verdict.results else None,
            [*folder.written, RECORD_FILE],
        )
        folder.write_json(RECORD_FILE, record)
        return EpisodeResult(
            episode_id=self.id,
            run_id=self.run.run_id,
            outcome=verdict.outcome,
            results=verdict.results.results if verdict.results else None,
            artifacts_dir=self.artifacts_dir,
            timings=dict(self.timings),
            wire={slot: self.slot_wire(slot) for slot in self.players},
            record=record,
        )

    def _wire(self, folder: ArtifactsFolder) -> Transcript | None:
        """The relay's whole transcript, kept as `wire.jsonl`; None when no relay ran."""
        if self.relay is None:
            return None
        text = self.relay.text()
        folder.write_text(WIRE_FILE, text)
        return Transcript.parse(text)

    def slot_wire(self, slot: int) -> SlotWire:
        """What the relay saw of `slot` (the whole transcript once finished, else the live one)."""
        transcript = self.transcript or (self.relay.live if self.relay else None)
        if transcript is None:
            return SlotWire(slot, recorded=False)
        return transcript.slot(slot, self.tokens[slot], self._player_addresses.get(slot))

    def _secret_env(self) -> dict[str, str]:
        return {key: value for player in self.spec.players for key, value in player.secret_env.items()}

    def _logs(self, redactor: Redactor) -> dict[str, str]:
        handles: dict[str, ContainerHandle] = {
            f"player-{slot}": p for slot, p in sorted(self.players.items())
        }
        if self.game is not None:
            handles = {"game": self.game, **handles}
        with ThreadPoolExecutor(PARALLEL_DOCKER_CALLS) as pool:
            texts = list(pool.map(lambda handle: handle.logs(), handles.values()))
        return {name: redactor.text(text) for name, text in zip(handles, texts, strict=True)}

    def _game_files(self, folder: ArtifactsFolder) -> dict[str, Any]:
        """Copy what the game wrote into the artifacts folder; return it (redacted) and the replay problem."""
        workspace = self.workspace
        if workspace is None:
            return {
                "results": None,
                "player_failure": None,
                "results_problem": None,
                "replay_problem": "the game never ran",
            }
        found: dict[str, Any] = {"results_problem": None}
        for key, name in (("results", RESULTS_FILE), ("player_failure", PLAYER_FAILURE_FILE)):
            try:
                raw = workspace.read(name, self.game)
            except FileTooLarge as too_large:
                raw, found["results_problem"] = None, found["results_problem"] or str(too_large)
            found[key] = None if raw is None else folder.redactor.data(raw)
            if raw is not None:
                folder.write_bytes(name, raw)
        found["replay_problem"] = self._copy_replay(workspace, folder)
        return found

    def _copy_replay(self, workspace: Workspace, folder: ArtifactsFolder) -> str | None:
        """Copy the replay into the artifacts folder; what is wrong with it, if anything."""
        uri = workspace.game_env()["COGAME_SAVE_REPLAY_URI"]
        if workspace.path(workspace.replay_name).is_dir():
            return f"the replay at {uri} is a folder; the game must write one file there"
        try:
            replay = workspace.read(workspace.replay_name, self.game)
        except FileTooLarge as too_large:
            return f"the replay at {uri}: {too_large}"
        if replay is None:
            return f"the game wrote no replay at {uri} (COGAME_SAVE_REPLAY_URI)"
        folder.write_bytes(workspace.replay_name, replay)
        return None if replay else f"the replay at {uri} is empty"

    def _container_facts(self, source: str, handle: ContainerHandle, log: str) -> ContainerFacts:
        return ContainerFacts(
            source, handle.spec.image, handle.exit_code, handle.exited_by_itself, log, handle.exited_at
        )

    def _facts(self, logs: dict[str, str], files: dict[str, Any]) -> EpisodeFacts:
        players = [
            PlayerFacts(
                slot,
                self._container_facts(f"player-{slot}", p, logs[f"player-{slot}"]),
                self.slot_wire(slot),
            )
            for slot, p in sorted(self.players.items())
        ]
        return EpisodeFacts(
            slot_count=self.slot_count,
            results_schema=self.spec.loaded.manifest.game.results_schema,
            timeouts={
                key: self.timeouts.seconds(key) for key in ("healthz", "episode", "player_exit", "game_exit")
            },
            health=self.health,
            game=self._container_facts("game", self.game, logs["game"]) if self.game else None,
            timed_out=self._timed_out,
            results=files["results"],
            player_failure=files["player_failure"],
            results_problem=files["results_problem"],
            replay_problem=files["replay_problem"],
            players=players,
            infrastructure_error=self._infrastructure_error,
        )

    def _record(
        self, outcome: dict[str, Any], scores: list[float] | None, artifacts: list[str]
    ) -> dict[str, Any]:
        loaded, game = self.spec.loaded, self.spec.game
        replay_viewer = loaded.manifest.game.replay_viewer
        return {
            "format": RECORD_FORMAT,
            "episode_id": self.id,
            "run_id": self.run.run_id,
            "test": self.test,
            "manifest": {
                "source": loaded.source,
                "sha256": loaded.sha256,
                "generation": loaded.generation.value,
                "game": loaded.manifest.game.name,
                "version": loaded.manifest.game.version,
                "replay_viewer_bundle": replay_viewer.bundle if replay_viewer else None,
            },
            "config_source": self.spec.config_source,
            "slot_count": self.slot_count,
            "tokens": [f"<redacted:token:{slot}>" for slot in range(self.slot_count)],
            "game": {
                "image": game.image,
                "image_id": self._image_ids.get(game.image or ""),
                "run": game.run,
                "env": dict(game.env),
                "exit_code": self.game.exit_code if self.game else None,
                "exited_by_itself": self.game.exited_by_itself if self.game else None,
                "lingered_after_results": self._game_lingered,
                "seconds_after_results": self._seconds_after_results(),
                "obeyed_sigterm": self._game_obeyed_sigterm,
                "healthy": self.health.healthy if self.health else None,
            },
            "players": [self._player_record(slot) for slot in range(self.slot_count)],
            "timeouts": {
                key: self.timeouts.seconds(key) for key in ("healthz", "episode", "player_exit", "game_exit")
            },
            "limits": {"cpus": self.spec.limits.cpus, "memory_bytes": self.spec.limits.memory_bytes}
            if self.spec.limits.enabled
            else None,
            "timings": {**self.timings, "total": round(time.monotonic() - self._created, 3)},
            "outcome": outcome,
            "scores": scores,
            "artifacts": sorted(set(artifacts)),
        }

    def _seconds_after_results(self) -> float | None:
        """How long the game ran after writing its results (until it exited or was stopped)."""
        game = self.game
        if self._ended_at is None or game is None or game.exited_at is None:
            return None
        return round(max(0.0, game.exited_at - self._ended_at), 2)

    def _player_record(self, slot: int) -> dict[str, Any]:
        player = self.spec.players[slot]
        handle = self.players.get(slot)
        return {
            "slot": slot,
            "image": player.image,
            "image_id": self._image_ids.get(player.image),
            "run": player.run,
            "env": dict(player.env),
            "started": handle is not None,
            "exit_code": handle.exit_code if handle else None,
            "exited_by_itself": handle.exited_by_itself if handle else None,
            "wire": self.slot_wire(slot).to_dict() if handle else None,
        }


def _stop_quietly(handle: ContainerHandle) -> None:
    with suppress(docker.errors.DockerException, requests.exceptions.RequestException):
        handle.stop()


def _remove_quietly(handle: ContainerHandle) -> None:
    with suppress(docker.errors.DockerException, requests.exceptions.RequestException):
        handle.remove()


def run_episode(
    spec: EpisodeSpec,
    artifacts_dir: Path,
    run: RunContext,
    observer: EpisodeObserver | None = None,
    test: str | None = None,
) -> EpisodeResult:
    """Run one whole episode and clean up; the result's outcome says how it went."""
    with Episode(run, spec, artifacts_dir, observer, test) as episode:
        return episode.play()
