"""Deciding an episode's outcome from the facts the runner gathered, in a fixed order of precedence.

The first matching rule wins: infrastructure error, game unhealthy, game crashed, the game's player failure
report, a player's non-zero exit, a player that never connected, episode timeout, results missing, results
malformed, replay missing, a player that did not exit after the episode, else completed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_coworld.runtime.containers import HealthCheck
from pytest_coworld.runtime.outcome import Outcome, OutcomeKind, log_tail
from pytest_coworld.runtime.results import PlayerFailure, ResultsCheck, check_results, parse_player_failure
from pytest_coworld.wire.transcript import SlotWire


@dataclass(frozen=True)
class ContainerFacts:
    """How one container ended, when (monotonic seconds), and what it logged (already redacted)."""

    source: str
    image: str
    exit_code: int | None
    exited_by_itself: bool
    log: str
    exited_at: float | None = None


@dataclass(frozen=True)
class PlayerFacts:
    slot: int
    container: ContainerFacts
    wire: SlotWire


@dataclass(frozen=True)
class EpisodeFacts:
    """Everything the runner observed; `replay_problem` is None when a replay was written, `results_problem`
    says why results or a player failure report were left unread."""

    slot_count: int
    results_schema: dict[str, Any]
    timeouts: dict[str, float]
    health: HealthCheck | None = None
    game: ContainerFacts | None = None
    timed_out: bool = False
    results: bytes | None = None
    player_failure: bytes | None = None
    results_problem: str | None = None
    replay_problem: str | None = None
    players: list[PlayerFacts] = field(default_factory=list)
    infrastructure_error: str | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    results: ResultsCheck | None


def judge(facts: EpisodeFacts) -> Verdict:
    """The outcome of the episode, and the checked results when there were any."""
    results = check_results(facts.results, facts.results_schema, facts.slot_count) if facts.results else None
    return Verdict(_first_failure(facts, results) or _completed(facts), results)


def _first_failure(facts: EpisodeFacts, results: ResultsCheck | None) -> Outcome | None:
    return (
        _infrastructure(facts)
        or _unhealthy(facts)
        or _crashed(facts)
        or _reported_player_failure(facts)
        or _player_exit_code(facts)
        or _never_connected(facts)
        or _timeout(facts)
        or _results(facts, results)
        or _replay(facts)
        or _player_lingered(facts)
    )


def _game_outcome(kind: OutcomeKind, message: str, facts: EpisodeFacts) -> Outcome:
    tail = log_tail(facts.game.log) if facts.game else ""
    return Outcome(kind, message, source="game", log_tail=tail)


def _player_outcome(kind: OutcomeKind, message: str, player: PlayerFacts) -> Outcome:
    return Outcome(
        kind,
        message,
        slot=player.slot,
        source=player.container.source,
        log_tail=log_tail(player.container.log),
    )


def _infrastructure(facts: EpisodeFacts) -> Outcome | None:
    if facts.infrastructure_error is None:
        return None
    return Outcome(
        OutcomeKind.INFRASTRUCTURE_ERROR,
        facts.infrastructure_error,
        source="game" if facts.game else None,
        log_tail=log_tail(facts.game.log) if facts.game else "",
    )


def _unhealthy(facts: EpisodeFacts) -> Outcome | None:
    """Never healthy: the healthz timeout passed, or the game exited 0 without ever answering 200."""
    health, game = facts.health, facts.game
    if health is None or health.healthy:
        return None
    if health.reason == "timeout":
        message = (
            f"GET /healthz did not answer 200 within {facts.timeouts['healthz']:.0f} s (last answer: "
            f"{health.last_answer}); the game must listen on 0.0.0.0:8080 and answer 200 once ready"
        )
        return _game_outcome(OutcomeKind.GAME_UNHEALTHY, message, facts)
    if game is not None and game.exit_code == 0:
        message = (
            f"GET /healthz never answered 200 (last answer: {health.last_answer}) before the game exited "
            "with code 0; the game must listen on 0.0.0.0:8080 and answer 200 once ready"
        )
        return _game_outcome(OutcomeKind.GAME_UNHEALTHY, message, facts)
    return None


def _crashed(facts: EpisodeFacts) -> Outcome | None:
    game = facts.game
    if game is None or not game.exited_by_itself:
        return None
    if facts.health is not None and not facts.health.healthy:
        message = (
            f"the game exited with code {game.exit_code} before /healthz answered 200 "
            f"(last answer: {facts.health.last_answer})"
        )
        return _game_outcome(OutcomeKind.GAME_CRASHED, message, facts)
    if game.exit_code != 0:
        when = "after writing results" if facts.results else "before writing results"
        return _game_outcome(
            OutcomeKind.GAME_CRASHED, f"the game exited with code {game.exit_code} {when}", facts
        )
    return None


def _reported_player_failure(facts: EpisodeFacts) -> Outcome | None:
    if facts.player_failure is None:
        return None
    failure = parse_player_failure(facts.player_failure)
    if not isinstance(failure, PlayerFailure):
        return _game_outcome(OutcomeKind.RESULTS_MALFORMED, failure, facts)
    message = f"the game reported a player failure ({failure.kind}): {failure.message}"
    player = next((p for p in facts.players if p.slot == failure.slot), None)
    if player is not None:
        return _player_outcome(OutcomeKind.PLAYER_FAILED, message, player)
    outcome = _game_outcome(OutcomeKind.PLAYER_FAILED, message, facts)
    return Outcome(outcome.kind, message, failure.slot, outcome.source, outcome.log_tail)


def _player_exit_code(facts: EpisodeFacts) -> Outcome | None:
    """The first player to exit non-zero; the runner stops the game then, so later exits are consequences."""
    failed = [p for p in facts.players if p.container.exited_by_itself and p.container.exit_code != 0]
    if not failed:
        return None
    player = min(failed, key=lambda p: (p.container.exited_at is None, p.container.exited_at or 0.0, p.slot))
    message = f"player {player.slot} ({player.container.image}) exited with code {player.container.exit_code}"
    return _player_outcome(OutcomeKind.PLAYER_FAILED, message, player)


def _never_connected(facts: EpisodeFacts) -> Outcome | None:
    for player in facts.players:
        if not player.wire.connected:
            message = (
                f"player {player.slot} ({player.container.image}) never connected to the game and played on "
                f"its own connection; the wire relay saw: {player.wire.observed()}"
            )
            return _player_outcome(OutcomeKind.PLAYER_NEVER_CONNECTED, message, player)
    return None


def _timeout(facts: EpisodeFacts) -> Outcome | None:
    if not facts.timed_out:
        return None
    message = f"the game wrote no results and did not exit within {facts.timeouts['episode']:.0f} s of play"
    return _game_outcome(OutcomeKind.EPISODE_TIMEOUT, message, facts)


def _results(facts: EpisodeFacts, results: ResultsCheck | None) -> Outcome | None:
    if facts.results_problem is not None:
        return _game_outcome(OutcomeKind.RESULTS_MALFORMED, facts.results_problem, facts)
    if results is None:
        return _game_outcome(
            OutcomeKind.RESULTS_MISSING,
            "the game ended without writing results.json (COGAME_RESULTS_URI)",
            facts,
        )
    if results.problem:
        return _game_outcome(OutcomeKind.RESULTS_MALFORMED, results.problem, facts)
    return None


def _replay(facts: EpisodeFacts) -> Outcome | None:
    if facts.replay_problem is None:
        return None
    return _game_outcome(OutcomeKind.REPLAY_MISSING, facts.replay_problem, facts)


def _player_lingered(facts: EpisodeFacts) -> Outcome | None:
    for player in facts.players:
        if not player.container.exited_by_itself:
            message = (
                f"player {player.slot} ({player.container.image}) did not exit within "
                f"{facts.timeouts['player_exit']:.0f} s after the episode ended; players must exit then"
            )
            return _player_outcome(OutcomeKind.PLAYER_FAILED, message, player)
    return None


def _completed(facts: EpisodeFacts) -> Outcome:
    return Outcome(OutcomeKind.COMPLETED, f"all {facts.slot_count} slots played; results and replay written")
