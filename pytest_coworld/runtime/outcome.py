"""The typed outcome of an episode: completed, or exactly one kind of failure with its explanation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

LOG_TAIL_LINES = 40


class OutcomeKind(StrEnum):
    COMPLETED = "completed"
    GAME_UNHEALTHY = "game_unhealthy"
    GAME_CRASHED = "game_crashed"
    EPISODE_TIMEOUT = "episode_timeout"
    RESULTS_MISSING = "results_missing"
    RESULTS_MALFORMED = "results_malformed"
    REPLAY_MISSING = "replay_missing"
    PLAYER_FAILED = "player_failed"
    PLAYER_NEVER_CONNECTED = "player_never_connected"
    INFRASTRUCTURE_ERROR = "infrastructure_error"


@dataclass(frozen=True)
class Outcome:
    """What happened: `kind`, a one-line `message`, the failing `slot` (player kinds), and the log tail
    (last lines of the relevant container: `source` names it, e.g. `game` or `player-1`)."""

    kind: OutcomeKind
    message: str
    slot: int | None = None
    source: str | None = None
    log_tail: str = ""

    @property
    def completed(self) -> bool:
        return self.kind is OutcomeKind.COMPLETED

    def summary(self) -> str:
        """`kind: message` (with the slot for player kinds)."""
        slot = f" (slot {self.slot})" if self.slot is not None else ""
        return f"{self.kind.value}{slot}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "message": self.message,
            "slot": self.slot,
            "source": self.source,
            "log_tail": self.log_tail,
        }


def log_tail(log: str, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of `log`."""
    return "\n".join(log.rstrip("\n").splitlines()[-lines:])
