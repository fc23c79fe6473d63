"""`StartTurns`: parallel episodes on one Docker engine take turns to start.

Starting an episode is its expensive part on one machine: the engine makes networks and starts containers,
and the game, the relay and every player boot their interpreters. An auction episode's start keeps two cores
busy for about two seconds; its play, for most games, keeps them nearly idle (docs/scale.md). Started at the
same moment, parallel episodes slow each other's start and then leave the machine idle while they all play;
taking turns, one episode starts while the others play.

An episode holds its turn from its start until every player has connected, its play has ended, or
`TURN_LIMIT_SECONDS` have passed (a game that takes long to become healthy must not hold the others back).
There is one turn per two cores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pytest_coworld.runtime.observer import EpisodeObserver, Phase, SlotState

if TYPE_CHECKING:
    from pytest_coworld.runtime.record import EpisodeResult

TURN_LIMIT_SECONDS = 5.0
CORES_PER_START = 2  # what one starting episode keeps busy
CANCEL_POLL_SECONDS = 0.1
AFTER_PLAY = frozenset({Phase.WINDING_DOWN, Phase.COLLECTING, Phase.CLEANING_UP, Phase.FINISHED})


def turns_for_this_machine() -> int:
    """How many episodes may start at once here: one per two of the cores this process may run on, at least
    one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // CORES_PER_START)


class StartTurns:
    """The turns of one batch of episodes; `turn(observer, slot_count)` waits for one and holds it while
    the episode starts."""

    def __init__(
        self, turns: int, cancel: threading.Event, limit_seconds: float = TURN_LIMIT_SECONDS
    ) -> None:
        self._turns = threading.Semaphore(turns)
        self._cancel = cancel
        self._limit_seconds = limit_seconds

    @contextmanager
    def turn(self, observer: EpisodeObserver, slot_count: int) -> Iterator[EpisodeObserver]:
        """Wait for a turn (or the batch's cancellation), then give the episode an observer that ends the
        turn once it has started; the turn ends at the latest when the block does."""
        while not self._turns.acquire(timeout=CANCEL_POLL_SECONDS):
            if self._cancel.is_set():  # the episode runs at once, and ends at once: cancelled
                yield observer
                return
        turn = _Turn(observer, slot_count, self._turns.release)
        limit = threading.Timer(self._limit_seconds, turn.end)
        limit.daemon = True
        limit.start()
        try:
            yield turn
        finally:
            limit.cancel()
            turn.end()


class _Turn(EpisodeObserver):
    """Passes every event on to the episode's own observer; ends the turn once every player has connected
    or play is over."""

    def __init__(self, observer: EpisodeObserver, slot_count: int, release: Callable[[], object]) -> None:
        self._observer = observer
        self._slot_count = slot_count
        self._release = release
        self._connected: set[int] = set()
        self._lock = threading.Lock()
        self._ended = False

    def end(self) -> None:
        """End the turn (once)."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
        self._release()

    def phase_changed(self, episode_id: str, phase: Phase) -> None:
        self._observer.phase_changed(episode_id, phase)
        if phase in AFTER_PLAY:
            self.end()

    def slot_changed(self, episode_id: str, slot: int, state: SlotState, detail: str = "") -> None:
        self._observer.slot_changed(episode_id, slot, state, detail)
        if state == SlotState.CONNECTED:
            with self._lock:
                self._connected.add(slot)
                everyone = len(self._connected) >= self._slot_count
            if everyone:
                self.end()

    def finished(self, episode_id: str, result: EpisodeResult) -> None:
        self._observer.finished(episode_id, result)
