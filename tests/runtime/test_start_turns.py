"""`StartTurns`: parallel episodes take turns to start, and a turn always ends (players in, play over,
the limit, or the episode's end); cancellation never waits for a turn."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest

from pytest_coworld.runtime.observer import EpisodeObserver, Phase, SlotState
from pytest_coworld.runtime.start_turns import StartTurns, turns_for_this_machine

SLOTS = 2
LONG = 30.0  # a turn limit no test reaches
WAIT = 10.0  # how long a test waits for what must happen
NOT_YET = 0.3  # how long a test watches for what must not happen


class Recorder(EpisodeObserver):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def phase_changed(self, episode_id: str, phase: Phase) -> None:
        self.events.append(("phase", episode_id, phase))

    def slot_changed(self, episode_id: str, slot: int, state: SlotState, detail: str = "") -> None:
        self.events.append(("slot", episode_id, slot, state, detail))


class Episode:
    """An episode on a thread: takes its turn, tells `began` once it has one, then does what it is told."""

    def __init__(self, turns: StartTurns) -> None:
        self.began = threading.Event()
        self._steps: list[Callable[[EpisodeObserver], None]] = []
        self._step = threading.Condition()
        self._over = False
        self._thread = threading.Thread(target=self._run, args=(turns,), daemon=True)
        self._thread.start()

    def _run(self, turns: StartTurns) -> None:
        with turns.turn(EpisodeObserver(), SLOTS) as observer:
            self.began.set()
            with self._step:
                while not self._over:
                    while self._steps:
                        self._steps.pop(0)(observer)
                    self._step.wait()

    def do(self, step: Callable[[EpisodeObserver], None]) -> None:
        with self._step:
            self._steps.append(step)
            self._step.notify()

    def end(self) -> None:
        with self._step:
            self._over = True
            self._step.notify()
        self._thread.join(WAIT)


def first_and_next(turns: StartTurns) -> tuple[Episode, Episode]:
    """The first episode, in its turn, and the next, waiting for one."""
    first = Episode(turns)
    assert first.began.wait(WAIT)
    return first, Episode(turns)


def connected(slot: int) -> Callable[[EpisodeObserver], None]:
    return lambda observer: observer.slot_changed("e", slot, SlotState.CONNECTED)


def phase(value: Phase) -> Callable[[EpisodeObserver], None]:
    return lambda observer: observer.phase_changed("e", value)


@pytest.mark.parametrize(
    ("still_starting", "started"),
    [(connected(0), connected(1)), (phase(Phase.PLAYING), phase(Phase.WINDING_DOWN))],
    ids=["every player connected", "play over, players never connected"],
)
def test_the_next_episode_starts_once_the_first_has_started(
    still_starting: Callable[[EpisodeObserver], None], started: Callable[[EpisodeObserver], None]
) -> None:
    turns = StartTurns(1, threading.Event(), limit_seconds=LONG)
    first, second = first_and_next(turns)
    first.do(still_starting)
    assert not second.began.wait(NOT_YET), "the first episode is still starting: its turn goes on"
    first.do(started)
    assert second.began.wait(WAIT), "the first episode has started: the next one's turn"
    first.end()
    second.end()


def test_a_slow_start_holds_the_turn_no_longer_than_the_limit() -> None:
    turns = StartTurns(1, threading.Event(), limit_seconds=0.2)
    first, second = first_and_next(turns)
    assert second.began.wait(WAIT), "the first episode never reported: its turn ended at the limit"
    first.end()
    second.end()


def test_an_episode_that_ends_gives_its_turn_back() -> None:
    turns = StartTurns(1, threading.Event(), limit_seconds=LONG)
    first, second = first_and_next(turns)
    first.end()  # it failed before its players started, say
    assert second.began.wait(WAIT)
    second.end()


def test_a_cancelled_batch_does_not_wait_for_a_turn() -> None:
    cancel = threading.Event()
    turns = StartTurns(1, cancel, limit_seconds=LONG)
    first, second = first_and_next(turns)
    assert not second.began.wait(NOT_YET)
    cancel.set()
    assert second.began.wait(WAIT), "cancelled: the episode runs, and ends at once, on its own"
    first.end()
    second.end()


def test_two_turns_let_two_episodes_start_at_once() -> None:
    turns = StartTurns(2, threading.Event(), limit_seconds=LONG)
    episodes = [Episode(turns) for _ in range(2)]
    assert all(episode.began.wait(WAIT) for episode in episodes)
    for episode in episodes:
        episode.end()


def test_every_event_reaches_the_episodes_own_observer() -> None:
    recorder = Recorder()
    turns = StartTurns(1, threading.Event(), limit_seconds=LONG)
    with turns.turn(recorder, SLOTS) as observer:
        observer.phase_changed("e", Phase.STARTING_GAME)
        observer.slot_changed("e", 1, SlotState.CONNECTED, "both ways")
    assert recorder.events == [
        ("phase", "e", Phase.STARTING_GAME),
        ("slot", "e", 1, SlotState.CONNECTED, "both ways"),
    ]


def test_one_turn_per_two_cores_this_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 64)  # the machine's, of which this process may use six
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(6)))
    assert turns_for_this_machine() == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert turns_for_this_machine() == 1
