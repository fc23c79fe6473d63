"""`EpisodeResult` and its `episode.json` record: what ran, how long each phase took, and the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_coworld.runtime.outcome import Outcome
from pytest_coworld.wire.transcript import SlotWire

RECORD_FORMAT = "pytest-coworld/episode/1"
RECORD_FILE = "episode.json"


@dataclass(frozen=True)
class EpisodeResult:
    """The result of one episode. `record` is the content of `artifacts_dir/episode.json` (redacted)."""

    episode_id: str
    run_id: str
    outcome: Outcome
    results: dict[str, Any] | None
    artifacts_dir: Path
    timings: dict[str, float]
    wire: dict[int, SlotWire] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        return self.outcome.completed

    @property
    def scores(self) -> list[float] | None:
        """One score per slot when the results passed the contract checks."""
        return list(self.results["scores"]) if self.results is not None else None

    def artifact(self, name: str) -> Path | None:
        """The path of an artifact written for this episode (`results.json`, `game.log`, …), if any."""
        path = self.artifacts_dir / name
        return path if name in self.record.get("artifacts", []) and path.exists() else None
