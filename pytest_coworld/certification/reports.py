"""What the checks assert on: small reports derived from a finished episode, each with its own problem text.

A report that cannot be judged because something earlier broke raises `CheckBlocked`, which the plugin
turns into a skip that names the blocking check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_coworld.failures import CheckBlocked
from pytest_coworld.runtime.episode import SIGTERM_GRACE_SECONDS
from pytest_coworld.runtime.outcome import OutcomeKind, log_tail
from pytest_coworld.runtime.record import EpisodeResult
from pytest_coworld.runtime.results import parse_results, schema_errors, score_problem
from pytest_coworld.wire.transcript import SlotWire

HEALTHZ_HINTS = {
    "exited": "the game exited before it answered GET /healthz; see its log tail",
    "timeout": "listen on COGAME_HOST:COGAME_PORT (0.0.0.0:8080): a game bound to 127.0.0.1 cannot be "
    "reached through the published port; answer GET /healthz with 200 once ready",
}
PLAYER_HINT = (
    "connect to the URL in COWORLD_PLAYER_WS_URL (or COGAMES_ENGINE_WS_URL) as it is, at start, and exchange "
    "messages on that connection; see the player log"
)


@dataclass(frozen=True)
class HealthzReport:
    ok: bool
    timeout: float
    observed: str
    hint: str
    log_tail: str


def episode_log(result: EpisodeResult, name: str) -> str:
    """The tail of one container's log (`game`, `player-0`, …) from the episode's artifacts."""
    path = result.artifacts_dir / f"{name}.log"
    return log_tail(path.read_text(errors="replace")) if path.is_file() else ""


def require_healthy(result: EpisodeResult) -> None:
    """Block checks of an episode that never got going (runtime.healthz, or the harness, says why)."""
    if result.outcome.kind is OutcomeKind.GAME_UNHEALTHY:
        raise CheckBlocked(f"the game never became healthy (runtime.healthz: {result.outcome.message})")
    if result.outcome.kind is OutcomeKind.INFRASTRUCTURE_ERROR:
        raise CheckBlocked(f"the harness could not run the episode ({result.outcome.message})")


def require_finished(result: EpisodeResult) -> None:
    """Block checks of the episode's end when the game crashed or ran out of time (game.exit says so)."""
    require_healthy(result)
    if result.outcome.kind in (OutcomeKind.GAME_CRASHED, OutcomeKind.EPISODE_TIMEOUT):
        raise CheckBlocked(f"the game did not finish the episode (game.exit: {result.outcome.message})")


def require_players_did_not_fail(result: EpisodeResult) -> None:
    """Block checks of missing end files when a player failure is why the game wrote none."""
    failed_kinds = (OutcomeKind.PLAYER_FAILED, OutcomeKind.PLAYER_NEVER_CONNECTED)
    if result.artifact("player_failure.json") is not None or result.outcome.kind in failed_kinds:
        raise CheckBlocked(f"a player failed, so the episode had no normal end ({result.outcome.message})")


@dataclass(frozen=True)
class SlotReport:
    slot: int
    image: str
    connected: bool
    refused: bool  # its own connection got no 101, or the relay recorded nothing to tell
    observed: str
    hint: str
    exit_code: int | None
    exit_observed: str
    log_tail: str

    @classmethod
    def of(cls, result: EpisodeResult, slot: int) -> SlotReport:
        require_healthy(result)
        player = result.record["players"][slot]
        wire = result.wire.get(slot) or SlotWire(slot, recorded=False)
        if not wire.connected:
            _block_when_another_slot_ended_play(result, wire)
        observed = f"on the wire: {wire.observed()}"
        failure = _player_failure(result)
        if failure and failure.get("failed_policy_index") == slot:
            observed += f"; the game reported: {failure.get('message')}"
        if not player["started"]:
            observed = "the player was never started"
        exit_code = player["exit_code"] if player["exited_by_itself"] else None
        exit_observed = (
            f"exited {exit_code}" if exit_code is not None else "did not exit in time; it was stopped"
        )
        return cls(
            slot,
            player["image"],
            wire.connected,
            wire.refused,
            observed,
            PLAYER_HINT,
            exit_code,
            exit_observed,
            episode_log(result, f"player-{slot}"),
        )


def _block_when_another_slot_ended_play(result: EpisodeResult, wire: SlotWire) -> None:
    """A slot that connected (HTTP 101) but never got to play, because another slot's player failed and the
    episode ended before play: its player is not to blame."""
    if not any(connection.status == 101 for connection in wire.own):
        return
    failure = _player_failure(result) or {}
    culprit = failure.get("failed_policy_index", result.outcome.slot)
    failed = result.outcome.kind in (OutcomeKind.PLAYER_FAILED, OutcomeKind.PLAYER_NEVER_CONNECTED)
    if failed and culprit is not None and culprit != wire.slot:
        raise CheckBlocked(
            f"slot {culprit}'s player failed, so the episode ended before slot {wire.slot} could play "
            f"(players.connected of slot {culprit}: {result.outcome.message})"
        )


def _player_failure(result: EpisodeResult) -> dict[str, Any] | None:
    path = result.artifact("player_failure.json")
    try:
        document = json.loads(path.read_text()) if path else None
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


@dataclass(frozen=True)
class GameReport:
    """How the game ended: `problem` breaks the contract; `lingered` (stopped after its results) does not."""

    problem: str | None
    hint: str
    log_tail: str
    lingered: str | None = None

    @classmethod
    def of(cls, result: EpisodeResult) -> GameReport:
        require_healthy(result)
        game, tail = result.record["game"], episode_log(result, "game")
        if result.outcome.kind is OutcomeKind.EPISODE_TIMEOUT:
            return cls(
                f"the episode ran past its timeout: {result.outcome.message}",
                "end the certification episode in time: its limit is the manifest's episode_timeout_minutes, "
                "else 5 minutes (--coworld-episode-timeout sets it)",
                tail,
            )
        if not game["exited_by_itself"]:
            if not (result.artifacts_dir / "results.json").is_file():
                require_players_did_not_fail(result)  # the game still waited for a player that failed
                return cls("the game was stopped before it wrote its results", "end the episode", tail)
            linger = result.record["timeouts"]["game_exit"]
            if game.get("obeyed_sigterm") is False:
                problem = (
                    f"the game was still running {linger:.0f} s after writing its results and did not exit "
                    f"within {SIGTERM_GRACE_SECONDS:.0f} s of a SIGTERM; it was killed"
                )
                return cls(problem, "exit on SIGTERM (the runner's stop), also after the episode", tail)
            lingered = (
                f"the game was still running {linger:.0f} s after writing its results (the generation's "
                "usual limit); it was stopped with SIGTERM and obeyed"
            )
            return cls(None, "", tail, lingered)
        if game["exit_code"] != 0:
            problem = f"the game exited with status {game['exit_code']}"
            return cls(problem, "a crash mid-episode, or an error at the end; see the log tail", tail)
        return cls(None, "", tail)


@dataclass(frozen=True)
class ResultsReport:
    problem_present: str | None
    schema_errors: list[str] = field(default_factory=list)
    score_problem: str | None = None
    log_tail: str = ""

    @classmethod
    def of(cls, result: EpisodeResult, schema: dict[str, Any], slot_count: int) -> ResultsReport:
        require_finished(result)
        tail = episode_log(result, "game")
        path = result.artifacts_dir / "results.json"
        if not path.is_file():
            require_players_did_not_fail(result)
            return cls("the game wrote no results file", log_tail=tail)
        results, problem = parse_results(path.read_bytes())
        if results is None:
            return cls(problem, log_tail=tail)
        return cls(None, schema_errors(results, schema), score_problem(results, slot_count), tail)


def replay_file(result: EpisodeResult) -> Path | None:
    """The episode's collected replay artifact, if the game wrote one."""
    for name in ("replay.json", "replay"):
        if (path := result.artifact(name)) is not None:
            return path
    return None


def replay_problem(result: EpisodeResult) -> str | None:
    """None when the episode's replay was collected; else why not."""
    require_finished(result)
    if replay_file(result):
        return None
    require_players_did_not_fail(result)
    return (
        result.outcome.message if result.outcome.kind is OutcomeKind.REPLAY_MISSING else "no replay written"
    )
