"""`ProbeGame`: a second episode of the same game beside the certification episode, driven from the host.

Its game is started with the certification config; the host plays its last slot itself (token matrix,
reconnect, browser player page) and `start_player` starts real players for the other slots when a check
needs the episode to run. It starts once the certification episode's players have, and is removed as soon
as the last check that uses it has run; it is never waited for.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, wait
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pytest_coworld.certification.main_episode import resolve
from pytest_coworld.failures import CheckBlocked, NotApplicable
from pytest_coworld.probes.routes import get_page
from pytest_coworld.probes.sockets import Attempt, attempt
from pytest_coworld.runtime.containers import PlayerContainer
from pytest_coworld.runtime.episode import Episode
from pytest_coworld.runtime.outcome import log_tail
from pytest_coworld.runtime.run import RunContext
from pytest_coworld.runtime.spec import EpisodeSpec
from pytest_coworld.runtime.workspace import PLAYER_FAILURE_FILE, RESULTS_FILE

HEALTHY_SLACK = 30.0
HEALTHZ_SECONDS = 10.0
LIVE_PROBE_SECONDS = 120.0
EXIT_SECONDS = 5.0  # how long a game that stopped answering gets to exit, so its exit status can be reported


@dataclass(frozen=True)
class TokenProbe:
    """One case of the token matrix: what was tried, and what happened."""

    description: str
    redacted_url: str
    hint: str
    attempt: Attempt
    stopped: str | None = None  # how the game stopped serving after the attempt, None while it serves


class ProbeGame:
    """A running game of a probe episode, for probes from the host through its published port."""

    def __init__(
        self,
        run: RunContext,
        spec: EpisodeSpec,
        artifacts_dir: Path,
        contract: str,
        live_probes: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        self.episode = Episode(run, spec, artifacts_dir, test="probe")
        self._live_probes = live_probes or {}
        self._live: dict[str, Future[Any]] = {name: Future() for name in self._live_probes}
        self.contract = contract
        self.slot_count = spec.slot_count
        self.probe_slot = spec.slot_count - 1
        self._healthy: Future[bool] = Future()
        self._control: Attempt | None = None
        self._stopped: str | None = None
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the game on a thread (once, and never after `close`)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._start, name="coworld-probe-game", daemon=True).start()

    def _start(self) -> None:
        try:
            healthy = self.episode.start_game() and self.episode.wait_healthy()
        except BaseException as error:  # hand it to whoever waits for the game
            self._healthy.set_exception(error)
            return
        self._healthy.set_result(healthy)
        if healthy:
            for name, probe in self._live_probes.items():
                threading.Thread(target=resolve, args=(self._live[name], probe, self), daemon=True).start()

    def live_result(self, name: str) -> Any:
        """What the live probe `name` observed on this game (started once it was healthy)."""
        self.wait_healthy()
        return self._live[name].result(timeout=LIVE_PROBE_SECONDS)

    def wait_healthy(self) -> ProbeGame:
        limit = self.episode.timeouts.seconds("healthz") + HEALTHY_SLACK
        if not self._healthy.result(timeout=limit):
            raise CheckBlocked("the probe game never became healthy (runtime.healthz)")
        return self

    @property
    def base_url(self) -> str:
        return self.episode.base_url

    @property
    def tokens(self) -> list[str]:
        return list(self.episode.tokens)

    def websocket_url(self, path: str, query: dict[str, str]) -> str:
        """The host's websocket URL of `path` on this game, with `query`."""
        return f"{self.base_url.replace('http://', 'ws://')}{path}?{urlencode(query)}"

    def player_url(self, slot: int, **extra: str) -> str:
        """The host's `/player` URL of `slot` with its own token (and any game-owned parameters)."""
        return self.websocket_url("/player", {"slot": str(slot), "token": self.episode.tokens[slot], **extra})

    def redacted_player_url(self, slot: int | str, token_label: str = "<slot's token>") -> str:
        return f"{self.base_url.replace('http://', 'ws://')}/player?slot={slot}&token={token_label}"

    def log_tail(self) -> str:
        game = self.episode.game
        return log_tail(game.logs()) if game is not None else ""

    def control_attempt(self) -> Attempt:
        """The probe slot connecting with its own token (once): what every rejection is measured against."""
        with self._lock:
            if self._control is None:
                self._control = attempt(self.player_url(self.probe_slot))
            return self._control

    def require_player_socket(self) -> None:
        if self.control_attempt().rejected:
            raise CheckBlocked("the game refuses even a valid slot and token (routes.player_socket)")

    def require_serving(self) -> None:
        """Block a probe of a game that an earlier probe stopped (a game that crashes on a wrong token), or
        whose episode is over (it waited for its players, or played, and exited)."""
        if self._stopped is not None:
            raise CheckBlocked(f"the probe game stopped serving after {self._stopped}")
        ended = self.ended()
        if ended:
            raise CheckBlocked(ended)

    def ended(self, wait: float = 0.0) -> str | None:
        """Why the probe game is no longer there to probe, when its episode ended by its own rules: it exited
        0, or it exited after writing results or a player failure report (it waited for players, who in a
        probe episode come only when a check starts them). `wait`: how long a game shutting down gets."""
        game, workspace = self.episode.game, self.episode.workspace
        if game is None or not game.wait_exit(wait):
            return None
        wrote = workspace is not None and (workspace.has(RESULTS_FILE) or workspace.has(PLAYER_FAILURE_FILE))
        if game.exit_code != 0 and not wrote:
            return None
        status = game.exit_code
        return f"the probe game's episode was over (the game exited {status}) before this probe could run"

    def _healthz_problem(self) -> str | None:
        """None when the game still answers `GET /healthz` with 200, else what it did instead."""
        page = get_page(self.base_url, "/healthz", HEALTHZ_SECONDS)
        if page.error:
            return f"GET /healthz failed: {page.error}"
        return None if page.status == 200 else f"GET /healthz answered HTTP {page.status}"

    def _stopped_serving(self) -> str | None:
        """None while the game answers `GET /healthz` with 200; else how it stopped, with its exit status when
        its container exits within EXIT_SECONDS."""
        problem = self._healthz_problem()
        game = self.episode.game
        if problem is None or game is None or not game.wait_exit(EXIT_SECONDS):
            return problem
        return f"{problem}; the game exited with status {game.exit_code}"

    def _wait_for_live_probes(self) -> None:
        """Let the live page probes finish first: what a later probe does to the game must not reach them."""
        wait(self._live.values(), timeout=LIVE_PROBE_SECONDS)

    def token_attempt(self, case: str) -> TokenProbe:
        """Try one wrong slot/token pair of the token matrix against `/player`, then see the game still serve.

        A wrong pair may break a faulty game, so the live page probes go first and a game that stopped
        blocks the probes after it. A game whose episode ended by its own rules meanwhile (its players
        never came) was not stopped by the probe: a refusal seen before counts, anything else is blocked.
        """
        self.require_player_socket()
        self.require_serving()
        self._wait_for_live_probes()
        slot, tokens = self.probe_slot, self.episode.tokens
        other = 0 if slot != 0 else 1
        cases: dict[str, tuple[int | str, str | None, str, str, str]] = {
            "bad_token": (
                slot,
                secrets.token_urlsafe(24),
                "a wrong token",
                "<random token>",
                "compare the token with the one the config gives this slot",
            ),
            "missing_token": (
                slot,
                None,
                "a connection with no token",
                "(none)",
                "reject a /player connection that has no token",
            ),
            "other_slot_token": (
                slot,
                tokens[other],
                f"slot {slot} with slot {other}'s token",
                f"<slot {other}'s token>",
                "check the token against this slot's, not any slot's",
            ),
            "slot_out_of_range": (
                self.slot_count,
                tokens[slot],
                f"slot {self.slot_count} (there are {self.slot_count} slots) with a valid token",
                f"<slot {slot}'s token>",
                "reject a slot number outside 0..slot count-1",
            ),
            "malformed_slot": (
                "abc",
                tokens[slot],
                "slot=abc with a valid token",
                f"<slot {slot}'s token>",
                "reject a slot that is not a whole number",
            ),
        }
        if other >= self.slot_count and case == "other_slot_token":
            raise NotApplicable("the game has a single slot: there is no other slot's token")
        query_slot, token, description, label, hint = cases[case]
        query = {"slot": str(query_slot), **({"token": token} if token is not None else {})}
        tried = attempt(self.websocket_url("/player", query))
        stopped = self._stopped_serving()
        if stopped is not None and (over := self.ended(EXIT_SECONDS)) is not None:
            # the episode ended by its own rules (players never came): not the probe's doing
            if not tried.refused:
                raise CheckBlocked(over)
            stopped = None
        if stopped is not None:
            self._stopped = f"tokens.{case} tried {description} ({stopped})"
        return TokenProbe(description, self.redacted_player_url(query_slot, label), hint, tried, stopped)

    def start_player(self, slot: int) -> PlayerContainer:
        """Start the real player of `slot` (the slot's certification player image) in this probe episode."""
        return self.start_players([slot])[0]

    def start_players(self, slots: list[int]) -> list[PlayerContainer]:
        """Start the real players of `slots` at once (each slot's certification player image) in this probe
        episode.

        Real players start the probe game's episode, which may be over in a second: the live probes (the
        browser's player pages) finish first, so they never meet a game that has already ended.
        """
        self.wait_healthy()
        self.require_serving()
        self._wait_for_live_probes()
        started = self.episode.start_players(slots)
        if len(started) != len(set(slots)):
            listed = ", ".join(map(str, sorted(set(slots))))
            raise CheckBlocked(f"the players of slot(s) {listed} could not be started in the probe episode")
        return started

    def close(self) -> None:
        """Remove the probe episode, once its start has ended (so that nothing is created after)."""
        with self._lock:
            started, self._started = self._started, True  # never started after this
        if not started:
            return
        with suppress(TimeoutError):
            self._healthy.exception(timeout=self.episode.timeouts.seconds("healthz") + HEALTHY_SLACK)
        self.episode.close()
