"""Live viewer checks on the certification episode: first message, late viewers, Ping/Pong."""

from __future__ import annotations

from pytest_coworld.certification import MainEpisode
from pytest_coworld.checks.catalog import RecordProperty, check_mark
from pytest_coworld.failures import CoworldCheckFailure


@check_mark("viewer.first_message")
def test_global_first_message(coworld_episode: MainEpisode) -> None:
    """Testname: Live viewer stream.
    Description: A viewer connected to `WEBSOCKET /global` from the start MUST receive state messages.
    """
    viewers = coworld_episode.viewers()
    if not viewers.early.messages:
        raise CoworldCheckFailure(
            "viewer.first_message",
            "RUNTIME.md: WEBSOCKET /global is the live viewer stream",
            "at least one message on /global during the episode",
            viewers.early.error or "no message at all",
            hint="accept viewers on /global at any time and send them the state as it changes",
            log_tail=coworld_episode.game_log_tail(),
        )


@check_mark("viewer.late_state")
def test_late_viewer_state(record_property: RecordProperty, coworld_episode: MainEpisode) -> None:
    """Testname: Late viewer.
    Description: A viewer that joins `/global` mid-episode MUST receive enough state to render from then on:
    its first message is of the kind of the first message a viewer gets at the start (the full state), not
    an incremental update, and it is not substantially emptier than the state an early viewer holds: of the
    keys and of the non-empty collections of the early viewer's latest message of that kind, fewer than half
    are missing or empty in it.
    """
    late = coworld_episode.viewers().late_state()
    record_property("coworld.observed", f"compared {late.compared}")
    if late.problem:
        raise CoworldCheckFailure(
            "viewer.late_state",
            "RUNTIME.md: a viewer that joins late must receive enough state to render",
            "the late viewer's first message is a full state like an early viewer's: same kind, and content "
            "where the early viewer's state has content",
            late.problem,
            details=[f"compared: {late.compared}"],
            hint="send every new /global viewer a snapshot of the current state before any update",
            log_tail=coworld_episode.game_log_tail(),
        )


@check_mark("viewer.ping_pong")
def test_global_ping_pong(coworld_episode: MainEpisode) -> None:
    """Testname: Keepalive.
    Description: The game MUST answer a websocket Ping on `/global` with a Pong.
    """
    problem = coworld_episode.viewers().ping_problem
    if problem:
        raise CoworldCheckFailure(
            "viewer.ping_pong",
            "RUNTIME.md: two generations (keepalive: the game answers a Ping with a Pong)",
            "a Pong within 5 s of a Ping on /global",
            problem,
            hint="let your websocket library answer Pings (most do unless told not to)",
            log_tail=coworld_episode.game_log_tail(),
        )
