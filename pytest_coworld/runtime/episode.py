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

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType

import docker.errors
import requests.exceptions

from pytest_coworld.runtime.cleanup import list_labelled, remove_resources
from pytest_coworld.runtime.collection import collect
from pytest_coworld.runtime.config import concrete_config, make_tokens, validate_config
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
from pytest_coworld.runtime.labels import LABEL_EPISODE, new_episode_id
from pytest_coworld.runtime.networks import GAME_ALIAS, EpisodeNetworks
from pytest_coworld.runtime.observer import EpisodeObserver, Phase, SlotState
from pytest_coworld.runtime.outcome import log_tail
from pytest_coworld.runtime.record import EpisodeResult
from pytest_coworld.runtime.run import RunContext
from pytest_coworld.runtime.spec import EpisodeSpec
from pytest_coworld.runtime.workspace import PLAYER_FAILURE_FILE, RESULTS_FILE, Workspace
from pytest_coworld.wire.image import ensure_relay_image
from pytest_coworld.wire.recorder import WireRecorder
from pytest_coworld.wire.transcript import Connection, SlotWire, Transcript

END_POLL_SECONDS = 0.05
SIGTERM_GRACE_SECONDS = 10.0  # a lingering game told to stop (SIGTERM) is killed after this long
PARALLEL_DOCKER_CALLS = 8
RELAY_LISTEN_SECONDS = 30.0


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
        self._created_players: Future[dict[int, PlayerContainer]] | None = None  # made while the game boots
        self.relay: WireRecorder | None = None
        self.transcript: Transcript | None = None
        self._player_addresses: dict[int, str | None] = {}
        self._connected_slots: set[int] = set()
        self.health: HealthCheck | None = None
        self.result: EpisodeResult | None = None
        # what happened, for collection.py to judge and record
        self.image_ids: dict[str, str] = {}  # image reference -> id, as started
        self.infrastructure_error: str | None = None  # the first Docker failure: later steps do nothing
        self.timed_out = False  # the episode limit passed before the game ended
        self.game_lingered = False  # the game ran on past the game_exit limit after its results
        self.game_obeyed_sigterm: bool | None = None
        self.ended_at: float | None = None  # when results or a player failure report appeared
        self.created = time.monotonic()
        self._play_started: float | None = None

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
        return self.infrastructure_error is not None

    # -- steps -------------------------------------------------------------------------------------------

    def start_game(self) -> bool:
        """Check images and config, make workspace and networks, start the game. False on a Docker failure."""
        loaded = self.spec.loaded
        config = concrete_config(self.spec.game_config, self.tokens)
        validate_config(loaded.manifest.game.config_schema, config, self.spec.config_source)
        with self._phase(Phase.PREPARING, "prepare"), self._recording_failures(), self.run.creating():
            self.workspace = Workspace(self.run.work_root / self.id, loaded.generation)
            self.workspace.write_config(config)
            relay_image = self._prepare_engine()
        if self.failed:
            return False
        with self._phase(Phase.STARTING_GAME, "game_start"), self._recording_failures(), self.run.creating():
            self.relay = WireRecorder(
                self.run.client, self._relay_spec(relay_image), self._wire_changed, self.run.exits
            )
            self.game = GameContainer(
                self.run.client, self._game_spec(), front_door=self.relay.handle, exits=self.run.exits
            )
            with ThreadPoolExecutor(2) as pool:
                for started in [pool.submit(self.game.start), pool.submit(self.relay.start)]:
                    started.result()
        if not self.failed:
            self._created_players = Future()
            threading.Thread(target=self._create_players, name=f"players-of-{self.id}", daemon=True).start()
        return not self.failed

    def _prepare_engine(self) -> str:
        """Look up the images (game, players, relay) while the networks are made, all at once; return the
        relay's image. Networks made beside a failed lookup are kept for the removal; a missing image is
        reported before a network failure."""
        networks = EpisodeNetworks(self.run.client, self.run.resource_name(self.id), self._labels("network"))
        images = {self.spec.game.image or "", *(player.image for player in self.spec.players)}
        with ThreadPoolExecutor(len(images) + 2) as pool:
            made = pool.submit(networks.create)
            relay = pool.submit(ensure_relay_image, self.run.client)
            ids = {image: pool.submit(image_id, self.run.client, image) for image in images}
        if made.exception() is None:
            self.networks = networks
        for image, future in ids.items():
            self.image_ids[image] = future.result()
        relay_image = relay.result()
        made.result()
        return relay_image

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
            created = self._take_created_players()
            for slot in chosen:
                self.players[slot] = (
                    created.pop(slot)
                    if slot in created
                    else PlayerContainer(self.run.client, self._player_spec(slot), slot, self.run.exits)
                )
                self.players[slot].on_exit = self._player_exited
                self.observer.slot_changed(self.id, slot, SlotState.STARTING)
            with ThreadPoolExecutor(PARALLEL_DOCKER_CALLS) as pool:
                for player in pool.map(self._start_player, [self.players[slot] for slot in chosen]):
                    started.append(player)
        self._play_started = time.monotonic()
        return started

    def wait_for_end(self, game_ended: Callable[[], None] = lambda: None) -> None:
        """Wait until the game ends (exit, or results then a linger limit), call `game_ended()`, then wait
        for the players to exit."""
        if self.game is None or self.health is None or not self.health.healthy or self.failed:
            return
        self._play_started = self._play_started or time.monotonic()
        with self._phase(Phase.PLAYING, "play"), self._recording_failures():
            self._wait_for_game_end(self.game)
        game_ended()
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
        self.result = collect(self, started)
        self.observer.finished(self.id, self.result)
        return self.result

    def close(self) -> None:
        """Remove every container and network of this episode and its workspace (best effort: what is left
        here, the run's own cleanup and the guard remove later)."""
        self.observer.phase_changed(self.id, Phase.CLEANING_UP)
        handles: list[ContainerHandle] = [*self.players.values(), *self._take_created_players().values()]
        handles += [self.game] if self.game else []
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
            self.infrastructure_error = self.infrastructure_error or str(error)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
            self.infrastructure_error = self.infrastructure_error or f"docker failed: {error}"

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

    def _create_players(self) -> None:
        """Create every slot's player container, not started, while the game boots: `start_players` then
        only starts them. A slot whose container could not be made here is made, and its error reported,
        by `start_players`."""

        def create(slot: int) -> PlayerContainer:
            player = PlayerContainer(self.run.client, self._player_spec(slot), slot, self.run.exits)
            with self.run.creating():
                player.create()
            return player

        assert self._created_players is not None
        made: dict[int, Future[PlayerContainer]] = {}
        try:
            with ThreadPoolExecutor(PARALLEL_DOCKER_CALLS) as pool:
                made = {slot: pool.submit(create, slot) for slot in range(self.slot_count)}
        finally:
            self._created_players.set_result(
                {slot: future.result() for slot, future in made.items() if future.exception() is None}
            )

    def _take_created_players(self) -> dict[int, PlayerContainer]:
        """The created player containers that no slot has taken yet, by slot (waits for their creation);
        the caller pops what it takes."""
        return {} if self._created_players is None else self._created_players.result()

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
            if self.ended_at is None and (
                self.workspace.has(RESULTS_FILE) or self.workspace.has(PLAYER_FAILURE_FILE)
            ):
                self.ended_at = now
            if self.ended_at is not None and now - self.ended_at >= self.timeouts.seconds("game_exit"):
                self.game_lingered = True
                self.game_obeyed_sigterm = game.terminate(SIGTERM_GRACE_SECONDS)
            elif self.ended_at is None and self._crashed_player() is not None:
                game.stop()
            elif self.ended_at is None and now >= deadline:
                self.timed_out = True
                game.stop()
            game.wait_exit(END_POLL_SECONDS)

    def _wait_for_players(self) -> None:
        grace = 0.0 if self.timed_out else self.timeouts.seconds("player_exit")
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

    def slot_wire(self, slot: int) -> SlotWire:
        """What the relay saw of `slot` (the whole transcript once finished, else the live one)."""
        transcript = self.transcript or (self.relay.live if self.relay else None)
        if transcript is None:
            return SlotWire(slot, recorded=False)
        return transcript.slot(slot, self.tokens[slot], self._player_addresses.get(slot))


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
