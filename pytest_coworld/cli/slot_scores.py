"""How each slot did over a run's completed episodes: mean score, spread, range, wins and shared wins."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SlotScores:
    """One slot over the completed episodes. `stdev` is the sample standard deviation (None below two
    episodes); a win is the episode's top score held alone, a shared win the top score held with others."""

    slot: int
    episodes: int
    mean: float
    stdev: float | None
    low: float
    high: float
    wins: int
    shared_wins: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def slot_scores(episodes: Sequence[Sequence[float]]) -> list[SlotScores]:
    """Per slot, over the score rows of the completed episodes (one score per slot, every row as long)."""
    if not episodes:
        return []
    columns = list(zip(*episodes, strict=True))
    top_holders = [[slot for slot, score in enumerate(row) if score == max(row)] for row in episodes]
    return [
        SlotScores(
            slot=slot,
            episodes=len(column),
            mean=statistics.fmean(column),
            stdev=statistics.stdev(column) if len(column) > 1 else None,
            low=min(column),
            high=max(column),
            wins=sum(holders == [slot] for holders in top_holders),
            shared_wins=sum(slot in holders and len(holders) > 1 for holders in top_holders),
        )
        for slot, column in enumerate(columns)
    ]
