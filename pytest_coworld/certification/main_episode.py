"""`MainEpisode`: the certification episode, played once per target on a background thread.

While it plays, probes run alongside it: the browser-client routes are fetched, a `/global` viewer joins
before the players and another one joins mid-episode, and a Ping is sent on `/global`. Checks read these
observations; reading one waits only until that observation exists, so the checks of a target take about
as long as the episode itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from pytest_coworld.certification.reports import (
    HEALTHZ_HINTS,
    GameReport,
    HealthzReport,
    ResultsReport,
    SlotReport,
    episode_log,
    replay_problem,
    require_finished,
)
from pytest_coworld.failures import CheckBlocked, NotApplicable
from pytest_coworld.probes.routes import ClientRoutes, prepare_http_client, probe_client
from pytest_coworld.probes.sockets import (
    SnapshotComparison,
    Viewer,
    is_empty,
    message_shape,
    ping_pong,
    snippet,
)
from pytest_coworld.runtime.episode import Episode
from pytest_coworld.runtime.outcome import log_tail
from pytest_coworld.runtime.record import EpisodeResult
from pytest_coworld.runtime.run import RunContext
from pytest_coworld.runtime.spec import EpisodeSpec

EARLY_VIEWER_WAIT = 1.0  # how long the players wait for the early viewer's first message
LIVE_ATTACH_SECONDS = 40.0  # how long the players wait for the live pages to load and connect
LATE_VIEWER_AFTER_MESSAGES = (
    3  # the late viewer joins once play has moved on: the early viewer saw 3 messages,
)
LATE_VIEWER_AFTER_SECONDS = 10.0  # or, for a game that sends little, this long after the players started
LATE_VIEWER_FIRST_MESSAGE = 5.0
CLIENTS = ("global", "player")  # the live pages wait for the global client's routes: probed first
OBSERVATION_SLACK = 30.0  # extra wait, beyond the episode's own timeouts, before giving up on a result

LiveProbe = Callable[[Any, Callable[[], None]], Any]
"""A probe that runs on its own thread while the episode plays: `probe(main_episode, attached)`, started once
the game is healthy (it reads the episode's `base_url` and `client_routes`). The players start only after
every probe called `attached()` (or ended): its page is connected, so even a one-second episode is watched
from its start."""


@dataclass(frozen=True)
class PlayHooks:
    """What the certification run does at three moments of the episode, on the episode's thread: once its
    players have started and once its game has exited (before the players' exit is waited for, and anything
    is collected; both briefly), and before its containers are removed (the removal may wait for what must
    not compete with it)."""

    players_started: Callable[[], None] = lambda: None
    game_ended: Callable[[Episode], None] = lambda episode: None
    before_removal: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class LateState:
    """What the late viewer's first message was compared with, and what is wrong with it (None: nothing)."""

    compared: str
    problem: str | None = None


@dataclass
class Viewers:
    """The `/global` observations of the episode."""

    early: Viewer
    late: Viewer | None
    ping_problem: str | None
    play_seconds: float = 0.0  # how long the episode had played when the late viewer joined (or it ended)

    def late_problem(self) -> str | None:
        """What is wrong with the late viewer's state, None when nothing is (see `late_state`)."""
        return self.late_state().problem

    def late_state(self) -> LateState:
        """The late viewer's first message must be of the kind of a viewer's first message at the start (the
        full state), have content, and be not substantially emptier than the early viewer's latest message
        of that kind before it arrived (see `SnapshotComparison`)."""
        if not self.early.messages:
            raise CheckBlocked("no viewer message to compare with (viewer.first_message)")
        if self.late is None:
            raise NotApplicable(
                f"the episode was over {self.play_seconds:.1f} s after the players started, before a viewer "
                "could join late"
            )
        if not self.late.messages:
            missing = self.late.error or f"no message within {LATE_VIEWER_FIRST_MESSAGE:.0f} s of joining"
            return LateState("nothing: the late viewer received no message", missing)
        arrived, late_first = self.late.messages[0]
        kind, early_kind = message_shape(late_first), message_shape(self.early.messages[0][1])
        if kind != early_kind:
            return LateState(
                f"the kind of its first message with that of an early viewer's first message ({early_kind})",
                f"its first message is {kind} ({snippet(late_first)}), while a viewer's first message at the "
                f"start is {early_kind}",
            )
        if is_empty(late_first):
            return LateState(
                "its first message's content", f"its first message is empty: {snippet(late_first)}"
            )
        return self._compare_content(kind, arrived, late_first)

    def _compare_content(self, kind: str, arrived: float, late_first: str) -> LateState:
        """Compare the late first message with the early viewer's latest message of its `kind`."""
        received, reference = self._reference(kind, arrived)
        comparison = SnapshotComparison.of(reference, late_first)
        compared = (
            f"its first message ({kind}) with the early viewer's latest {kind} message, received "
            f"{arrived - received:.1f} s before it: {comparison.describe()}"
        )
        if not comparison.emptier:
            return LateState(compared)
        return LateState(
            compared,
            f"its first message is {kind} but emptier than the state an early viewer holds: "
            f"{snippet(late_first)}",
        )

    def _reference(self, kind: str, arrived: float) -> tuple[float, str]:
        """The early viewer's latest message of `kind` received before `arrived` (else its first one)."""
        before = [(at, message) for at, message in self.early.messages if at <= arrived]
        same_kind = [(at, message) for at, message in before if message_shape(message) == kind]
        return same_kind[-1] if same_kind else self.early.messages[0]


class MainEpisode:
    """The certification episode of one target and what was observed while it played."""

    def __init__(
        self,
        run: RunContext,
        spec: EpisodeSpec,
        artifacts_dir: Path,
        contract: str,
        live_probes: dict[str, LiveProbe] | None = None,
        remove_when_done: bool = True,
        hooks: PlayHooks | None = None,
    ) -> None:
        self.episode = Episode(run, spec, artifacts_dir, test="certification")
        self._hooks = hooks or PlayHooks()
        self.remove_when_done = remove_when_done
        self.artifacts_dir = artifacts_dir
        self._live_probes = live_probes or {}
        self._live: dict[str, Future[Any]] = {name: Future() for name in self._live_probes}
        self.contract = contract
        self.slot_count = spec.slot_count
        self._healthz: Future[HealthzReport] = Future()
        self._routes: dict[str, Future[ClientRoutes]] = {client: Future() for client in CLIENTS}
        self._viewers: Future[Viewers] = Future()
        self._result: Future[EpisodeResult] = Future()
        self._play_began = threading.Event()  # the players were started, or the episode ended without them
        self._limit = sum(
            self.episode.timeouts.seconds(k) for k in ("healthz", "episode", "player_exit", "game_exit")
        )
        self._thread = threading.Thread(target=self._play, name="coworld-main-episode", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def base_url(self) -> str:
        self.healthz()
        return self.episode.base_url

    # -- observations --------------------------------------------------------------------------------------

    def _wait(self, future: Future[Any]) -> Any:
        return future.result(timeout=self._limit + OBSERVATION_SLACK)

    def healthz(self) -> HealthzReport:
        return self._wait(self._healthz)  # type: ignore[no-any-return]

    def _require_healthy(self) -> None:
        if not self.healthz().ok:
            raise CheckBlocked("the game never became healthy (runtime.healthz)")

    def client_routes(self, client: str) -> ClientRoutes:
        self._require_healthy()
        return self._wait(self._routes[client])  # type: ignore[no-any-return]

    def viewers(self) -> Viewers:
        self._require_healthy()
        return self._wait(self._viewers)  # type: ignore[no-any-return]

    def live_result(self, name: str) -> Any:
        """What the live probe `name` observed while the episode played (waits for it)."""
        self._require_healthy()
        return self._wait(self._live[name])

    def wait_play_began(self) -> None:
        """Wait until the players have been started, or the episode ended without them."""
        self._play_began.wait(timeout=self._limit + OBSERVATION_SLACK)

    def result(self) -> EpisodeResult:
        """The finished episode (waits for its end): outcome, results, artifacts, timings."""
        return self._wait(self._result)  # type: ignore[no-any-return]

    def slot_report(self, slot: int) -> SlotReport:
        return SlotReport.of(self.result(), slot)

    def game_report(self) -> GameReport:
        return GameReport.of(self.result())

    def results_report(self, require_present: bool = False) -> ResultsReport:
        report = ResultsReport.of(
            self.result(), self.episode.spec.loaded.manifest.game.results_schema, self.slot_count
        )
        if require_present and report.problem_present:
            raise CheckBlocked(f"no results to check (results.present: {report.problem_present})")
        return report

    def require_finished(self) -> None:
        """Block a check whose observation a crashed or timed-out game explains (game.exit says so)."""
        require_finished(self.result())

    def replay_problem(self) -> str | None:
        return replay_problem(self.result())

    def game_log_tail(self) -> str:
        if self._result.done():
            return episode_log(self._result.result(), "game")
        game = self.episode.game
        return log_tail(game.logs()) if game is not None else ""

    # -- the episode thread --------------------------------------------------------------------------------

    def _play(self) -> None:
        episode = self.episode
        threading.Thread(target=prepare_http_client, name="coworld-prepare-httpx", daemon=True).start()
        try:
            healthy = episode.start_game() and episode.wait_healthy()
            self._healthz.set_result(self._healthz_report())
            if healthy:
                self._play_with_probes()
            self._result.set_result(episode.finish())
            if self.remove_when_done:  # the checks read the result and the artifacts, not the containers
                self._hooks.before_removal()
                episode.close()
        except BaseException as error:  # the observations must always resolve: hand the error to the checks
            futures: list[Future[Any]] = [self._healthz, self._viewers, self._result]
            for future in [*futures, *self._routes.values(), *self._live.values()]:
                _settle(future, None, error)  # a probe's own outcome, set first, stays
        finally:
            self._play_began.set()

    def _healthz_report(self) -> HealthzReport:
        episode = self.episode
        timeout = episode.timeouts.seconds("healthz")
        health = episode.health
        if health is not None and health.healthy:
            return HealthzReport(
                True, timeout, f"200 after {episode.timings.get('healthz', 0):.2f} s", "", ""
            )
        if health is None:
            observed, hint = "the game container could not be started", "see the error of the harness"
        else:
            observed = f"{health.reason}; last answer: {health.last_answer}"
            hint = HEALTHZ_HINTS.get(health.reason, "")
        logs = log_tail(episode.game.logs()) if episode.game is not None else ""
        return HealthzReport(False, timeout, observed, hint, logs)

    def _play_with_probes(self) -> None:
        episode = self.episode
        base = episode.base_url
        threading.Thread(target=self._probe_routes, args=(base,), daemon=True).start()
        attached = [self._start_live_probe(name, probe) for name, probe in self._live_probes.items()]
        global_url = base.replace("http://", "ws://") + "/global"
        early = Viewer(global_url)
        viewer_limit = self._limit
        threading.Thread(target=early.run, args=(viewer_limit,), daemon=True).start()
        ping: Future[str | None] = Future()
        threading.Thread(target=lambda: ping.set_result(ping_pong(global_url)), daemon=True).start()
        _wait_until(lambda: bool(early.messages or early.error), EARLY_VIEWER_WAIT)
        _wait_for_all(attached, LIVE_ATTACH_SECONDS)
        episode.start_players()
        players_started = time.monotonic()
        self._play_began.set()
        self._hooks.players_started()
        late = self._join_late(global_url, early)
        played = time.monotonic() - players_started
        early.stop()  # a viewer left attached can keep a game lingering after the episode
        self._viewers.set_result(Viewers(early, late, ping.result(timeout=10), played))
        episode.wait_for_end(game_ended=lambda: self._hooks.game_ended(episode))

    def _start_live_probe(self, name: str, probe: LiveProbe) -> threading.Event:
        """Run `probe` on its own thread; the event is set once its page is attached, or the probe ended."""
        attached = threading.Event()

        def run() -> None:
            try:
                resolve(self._live[name], lambda episode: probe(episode, attached.set), self)
            finally:
                attached.set()

        threading.Thread(target=run, name=f"coworld-live-{name}", daemon=True).start()
        return attached

    def _probe_routes(self, base: str) -> None:
        for client in CLIENTS:
            resolve(self._routes[client], partial(probe_client, client=client), base)

    def _join_late(self, global_url: str, early: Viewer) -> Viewer | None:
        game = self.episode.game
        _wait_until(
            lambda: early.count >= LATE_VIEWER_AFTER_MESSAGES or (game is not None and game.exited),
            LATE_VIEWER_AFTER_SECONDS,
        )
        if game is None or game.exited:
            return None
        late = Viewer(global_url)
        late.run(stop_after=LATE_VIEWER_FIRST_MESSAGE, max_messages=1)
        if not late.messages and game.exited:
            return None  # the episode ended while the viewer joined: too late to tell
        return late


def resolve(future: Future[Any], probe: Callable[[Any], Any], argument: Any) -> None:
    """Run `probe(argument)` into `future`: its value, or the error it raised. A future the episode already
    resolved (with the error that ended it, while the probe ran) keeps that error."""
    try:
        outcome: tuple[Any, BaseException | None] = (probe(argument), None)
    except BaseException as error:  # handed to the check that reads it
        outcome = (None, error)
    _settle(future, *outcome)


def _settle(future: Future[Any], value: Any, error: BaseException | None) -> None:
    """Resolve `future` with `error`, else `value`, unless another thread resolved it first."""
    with suppress(InvalidStateError):
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


def _wait_for_all(events: list[threading.Event], seconds: float) -> None:
    """Until every event is set, or `seconds` have passed (the players start the moment the last page is
    attached: no polling interval is added)."""
    deadline = time.monotonic() + seconds
    for event in events:
        event.wait(max(0.0, deadline - time.monotonic()))


def _wait_until(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
