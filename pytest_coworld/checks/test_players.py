"""Player checks: reconnect (probe game), and each slot's player connected, played and exited 0."""

from __future__ import annotations

import pytest

from pytest_coworld.certification import MainEpisode, ProbeGame
from pytest_coworld.certification.probe_game import EXIT_SECONDS
from pytest_coworld.certification.reports import SlotReport
from pytest_coworld.checks.catalog import RecordProperty, check_mark
from pytest_coworld.failures import CheckBlocked, CoworldCheckFailure
from pytest_coworld.probes.sockets import reconnect


@check_mark("player.reconnect")
def test_reconnect(record_property: RecordProperty, coworld_game: ProbeGame) -> None:
    """Testname: Reconnect.
    Description: While the episode runs, a slot whose connection dropped MUST be accepted again with the same
    slot and token, and MUST receive state again; the slot's game state survives the disconnect. The slot
    stays connected until its state moves on, closes, and connects again: a refusal is tried again for 2 s
    (a correct game may free the slot only after it has processed the close), and the state after
    reconnecting MUST NOT be a fresh start (every number that grew before the disconnect back at its value at
    the start).
    """
    coworld_game.require_player_socket()
    coworld_game.require_serving()
    slot = coworld_game.probe_slot
    others = [other for other in range(coworld_game.slot_count) if other != slot]
    if others:
        coworld_game.start_players(others)
    observation = reconnect(coworld_game.player_url(slot))  # the slot connected before: the control attempt
    wait = EXIT_SECONDS if observation.connection_failed else 0.0  # a game shutting down may be mid-exit
    blocked = observation.blocked or (observation.problem and coworld_game.ended(wait=wait))
    if blocked:
        raise CheckBlocked(f"reconnect could not be judged: {blocked}")
    record_property("coworld.observed", observation.describe())
    if observation.problem:
        raise CoworldCheckFailure(
            "player.reconnect",
            "RUNTIME.md: the same slot may reconnect with the same token while the episode runs; the slot's "
            "game state survives the disconnect",
            f"slot {slot} accepted again after a dropped connection, and given the running episode's state",
            observation.problem,
            details=[observation.after_reconnecting] if observation.progress else [],
            hint="keep the slot's token valid for the whole episode, replace the slot's old connection, and "
            "send the reconnected slot the current state of its game",
            log_tail=coworld_game.log_tail(),
        )


@check_mark("players.connected")
def test_player_connected(
    request: pytest.FixtureRequest, coworld_episode: MainEpisode, coworld_slot: int
) -> None:
    """Testname: Player connected and played.
    Description: Each slot's player MUST connect to the game with its own `/player?slot=S&token=T` and
    exchange messages with it during the episode: the wire relay that players reach the game through must
    see that handshake answered 101 and data messages both ways. A schema-valid results file alone does not
    prove that anyone played; bytes on some interface do not either.
    """
    slot = coworld_episode.slot_report(coworld_slot)
    if not slot.connected:
        _block_when_the_game_refuses_players(request, slot)
        raise CoworldCheckFailure(
            "players.connected",
            "RUNTIME.md: episode lifecycle 5-6 (players connect and play)",
            f"slot {coworld_slot}'s player ({slot.image}) connects and exchanges messages",
            slot.observed,
            hint=slot.hint,
            log_tail=slot.log_tail,
        )


@check_mark("players.exit")
def test_player_exit(request: pytest.FixtureRequest, coworld_episode: MainEpisode, coworld_slot: int) -> None:
    """Testname: Player exit.
    Description: Each slot's player MUST exit with status 0 after the episode ends, within the contract's
    player exit time (10 s classic, 30 s current).
    """
    slot = coworld_episode.slot_report(coworld_slot)
    if slot.exit_code != 0:
        _block_when_the_game_refuses_players(request, slot)
        raise CoworldCheckFailure(
            "players.exit",
            "RUNTIME.md: episode lifecycle 8 (players exit too)",
            f"slot {coworld_slot}'s player exits 0",
            slot.exit_observed,
            hint="exit when the game closes the connection; exit 0 when the episode ended normally",
            log_tail=slot.log_tail,
        )


def _block_when_the_game_refuses_players(request: pytest.FixtureRequest, slot: SlotReport) -> None:
    """Players are not to blame when the game refuses even a valid slot and token (routes.player_socket).
    Asked only when the player's own connection was refused: one it never opened is its own doing, whatever
    the probe game, perhaps over by then, would answer."""
    if not slot.refused:
        return
    game: ProbeGame = request.getfixturevalue("coworld_game")
    game.require_player_socket()
