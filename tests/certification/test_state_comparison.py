"""The evidence behind player.reconnect and viewer.late_state: state compared across a reconnect, a late
snapshot compared with an early viewer's state, and the reconnect probe against a local websocket server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import pytest
from closing_listener import closing_listener
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

from pytest_coworld.certification.main_episode import Viewers
from pytest_coworld.failures import CheckBlocked
from pytest_coworld.probes.sockets import (
    Outline,
    SnapshotComparison,
    StateProgress,
    Viewer,
    attempt,
    grown,
    is_empty,
    numbers,
    reconnect,
)

PAINT_STATE = {
    "tick": 0,
    "ticks": 30,
    "positions": [[1, 2], [5, 3]],
    "grid": [[-1, 0], [1, -1]],
    "scores": [1, 1],
}


def observation(**changes: Any) -> str:
    return json.dumps({"type": "observation", "you": 1, **PAINT_STATE, **changes})


def snapshot(state: dict[str, Any], frame: int = 0) -> str:
    return json.dumps({"type": "snapshot", "frame": frame, "state": state})


def test_numbers_are_found_at_any_depth_by_path_and_booleans_are_not_numbers() -> None:
    message = json.dumps({"round": 2, "open": True, "players": [{"budget": 90.5}], "item": None})
    assert numbers(message) == {"round": 2, "players.0.budget": 90.5}
    assert numbers("not json") == {}


def test_grown_keeps_only_the_numbers_that_grew() -> None:
    assert grown({"tick": 0, "x": 3, "gone": 1}, {"tick": 4, "x": 2}) == {"tick": (0, 4)}


def test_the_running_episodes_state_after_a_reconnect_is_not_a_fresh_start() -> None:
    progress = StateProgress.of(observation(), observation(tick=5, scores=[3, 2]), observation(tick=6))

    assert progress.comparable
    assert not progress.fresh_start
    assert "tick 0 → 5 → 6" in progress.describe()
    assert "running episode's state" in progress.describe()


def test_every_number_that_grew_back_at_its_start_value_is_a_fresh_start() -> None:
    progress = StateProgress.of(observation(), observation(tick=5, scores=[3, 2]), observation())

    assert progress.fresh_start
    assert "back at the start" in progress.describe()


def test_one_number_back_at_its_start_value_is_not_a_fresh_start() -> None:
    before = observation(tick=5, positions=[[2, 2], [5, 3]])
    assert not StateProgress.of(observation(), before, observation(tick=6)).fresh_start


def test_a_state_that_never_moved_leaves_only_the_arrival_of_state_to_check() -> None:
    progress = StateProgress.of(observation(), observation(), observation())

    assert not progress.comparable
    assert not progress.fresh_start
    assert "only the arrival of state" in progress.describe()


def test_a_message_after_reconnecting_without_the_numbers_that_moved_is_not_compared() -> None:
    progress = StateProgress.of(observation(), observation(tick=3), json.dumps({"type": "hello"}))

    assert not progress.fresh_start
    assert "lacks tick" in progress.describe()


def test_an_outline_has_key_paths_and_non_empty_collections() -> None:
    outline = Outline.of(snapshot({"grid": [[0], []], "players": [{"name": "ada"}], "history": []}))

    assert outline.keys == {
        "type",
        "frame",
        "state",
        "state.grid",
        "state.players",
        "state.players[].name",
        "state.history",
    }
    assert outline.filled == {"state", "state.grid", "state.grid[]", "state.players", "state.players[]"}


def test_a_late_snapshot_of_the_same_state_is_not_emptier() -> None:
    later = {**PAINT_STATE, "tick": 4, "scores": [3, 2]}
    comparison = SnapshotComparison.of(snapshot(PAINT_STATE), snapshot(later, frame=4))

    assert not comparison.emptier
    assert comparison.describe() == (
        "8 of that message's 8 keys are present and 6 of its 6 non-empty collections have content"
    )


def test_a_late_snapshot_with_emptied_collections_is_emptier() -> None:
    emptied = {"tick": 0, "ticks": 0, "positions": [], "grid": [], "scores": []}
    comparison = SnapshotComparison.of(snapshot(PAINT_STATE), snapshot(emptied, frame=4))

    assert comparison.emptier
    assert comparison.emptied == [
        "state.grid",
        "state.grid[]",
        "state.positions",
        "state.positions[]",
        "state.scores",
    ]
    assert "empty or missing: state.grid, state.grid[], state.positions, state.positions[] and 1 more" in (
        comparison.describe()
    )


def test_a_late_snapshot_without_most_keys_is_emptier() -> None:
    comparison = SnapshotComparison.of(
        json.dumps({"type": "state", "tick": 3, "turn": 1, "phase": "play"}), json.dumps({"type": "state"})
    )
    assert comparison.emptier
    assert comparison.missing == ["phase", "tick", "turn"]


def test_one_per_tick_list_that_emptied_does_not_make_a_snapshot_emptier() -> None:
    reference = {**PAINT_STATE, "events": [{"painted": [1, 1]}]}
    comparison = SnapshotComparison.of(snapshot(reference), snapshot({**PAINT_STATE, "events": []}))

    assert not comparison.emptier
    assert comparison.emptied == ["state.events", "state.events[]", "state.events[].painted"]


def test_messages_without_keys_or_collections_compare_only_kind_and_content() -> None:
    comparison = SnapshotComparison.of("tick 4", "tick 9")

    assert not comparison.emptier
    assert comparison.describe().startswith("that message has no keys or collections")


@pytest.mark.parametrize("message", ["", "  ", "null", "{}", "[]", '""'])
def test_messages_without_content_are_empty(message: str) -> None:
    assert is_empty(message)


@pytest.mark.parametrize("message", ["0", '{"a": []}', "[0]", "text"])
def test_messages_with_content_are_not_empty(message: str) -> None:
    assert not is_empty(message)


def viewer(*messages: tuple[float, str]) -> Viewer:
    return Viewer("ws://127.0.0.1:9/global", messages=list(messages))


def update(frame: int) -> str:
    return json.dumps({"type": "update", "frame": frame, "delta": {"tick": frame}})


EARLY = viewer((1.0, snapshot(PAINT_STATE)), (2.0, update(1)), (3.0, update(2)))


def test_a_late_viewer_with_the_current_snapshot_passes_and_says_what_it_compared() -> None:
    late = Viewers(EARLY, viewer((3.5, snapshot({**PAINT_STATE, "tick": 2}, frame=2))), None).late_state()

    assert late.problem is None
    assert late.compared.startswith("its first message (type=snapshot) with the early viewer's latest")
    assert "type=snapshot message, received 2.5 s before it: 8 of that message's 8 keys" in late.compared


def test_a_late_viewer_whose_first_message_is_an_update_fails_on_its_kind() -> None:
    late = Viewers(EARLY, viewer((3.5, update(3))), None).late_state()

    assert late.problem is not None
    assert late.problem.startswith("its first message is type=update (")
    assert late.problem.endswith("while a viewer's first message at the start is type=snapshot")


def test_a_late_viewer_with_an_empty_snapshot_fails_on_its_content() -> None:
    emptied = {"tick": 0, "ticks": 0, "positions": [], "grid": [], "scores": []}
    late = Viewers(EARLY, viewer((3.5, snapshot(emptied, frame=3))), None).late_state()

    assert late.problem is not None
    assert "emptier than the state an early viewer holds" in late.problem
    assert "1 of its 6 non-empty collections have content" in late.compared


def test_a_late_viewer_is_compared_with_the_latest_early_message_of_its_kind_before_it() -> None:
    full = {**PAINT_STATE, "scores": [4, 4]}
    early = viewer((1.0, snapshot({**PAINT_STATE, "grid": []})), (2.0, snapshot(full)), (9.0, snapshot({})))

    late = Viewers(early, viewer((3.0, snapshot({**full, "grid": []}))), None).late_state()

    assert late.problem is None
    assert "received 1.0 s before it" in late.compared
    assert "empty or missing: state.grid, state.grid[]" in late.compared


def test_a_late_viewer_is_blocked_without_an_early_message() -> None:
    with pytest.raises(CheckBlocked, match=r"viewer\.first_message"):
        Viewers(viewer(), viewer((3.0, snapshot(PAINT_STATE))), None).late_state()


@dataclass
class SlotGame:
    """A one-slot game on a local port: a tick that grows with every message while the slot is connected.

    `reset` starts every connection at tick 0 again; `refusals` is how many handshakes after an accepted one
    it answers with 409 (a correct game that frees the slot only once it has processed the close).
    """

    reset: bool = False
    moving: bool = True
    refusals: int = 0
    tick: int = 0
    _refusals_left: int = 0

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if self._refusals_left > 0:
            self._refusals_left -= 1
            return connection.respond(409, "slot still taken\n")
        return None

    def handler(self, connection: ServerConnection) -> None:
        self._refusals_left = self.refusals
        tick = 0 if self.reset else self.tick
        with suppress(ConnectionClosed):
            while True:
                connection.send(json.dumps({"type": "state", "tick": tick, "board": [[0, 1], [1, 0]]}))
                tick = self.tick = tick + self.moving
                time.sleep(0.02)


@contextmanager
def slot_url(game: SlotGame) -> Iterator[str]:
    with serve(game.handler, "127.0.0.1", 0, process_request=game.process_request) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/player?slot=0&token=t"
        server.shutdown()


def test_a_reconnect_refused_for_a_moment_after_the_close_is_tried_again() -> None:
    with slot_url(SlotGame(refusals=3)) as url:
        seen = reconnect(url)

    assert seen.problem is None
    assert seen.second is not None and seen.second.tries == 4
    assert "after reconnecting: tick 0 → 1 → " in seen.describe()
    assert "the running episode's state; reconnected on try 4; first message after" in seen.describe()


def test_a_reconnect_refused_for_longer_than_the_window_is_refused() -> None:
    with slot_url(SlotGame(refusals=10**6)) as url:
        seen = reconnect(url)

    assert seen.problem is not None
    assert seen.problem.startswith(
        "the reconnect with the same slot and token was refused: handshake refused with HTTP 409 ("
    )


def test_a_game_that_starts_the_slot_over_on_a_reconnect_gives_a_fresh_start() -> None:
    with slot_url(SlotGame(reset=True)) as url:
        seen = reconnect(url)

    assert seen.problem is not None
    assert seen.problem.startswith("after reconnecting the slot received a fresh start")
    assert "tick 0 → 1 → 0" in seen.problem


def test_a_state_that_never_moves_still_needs_state_after_reconnecting() -> None:
    with slot_url(SlotGame(moving=False)) as url:
        seen = reconnect(url, progress_seconds=0.3)

    assert seen.problem is None
    assert "only the arrival of state after reconnecting was checked" in seen.describe()


def test_a_connection_closed_before_the_handshake_is_a_failed_connection_not_an_exception() -> None:
    with closing_listener("127.0.0.1") as port:  # the relay's door once the game is gone
        url = f"ws://127.0.0.1:{port}/player?slot=0&token=t"
        seen = reconnect(url)
        tried = attempt(url)

    assert seen.problem is not None and "connection failed: " in seen.problem
    assert tried.error is not None and not tried.accepted and tried.status is None
