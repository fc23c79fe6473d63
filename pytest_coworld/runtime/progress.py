"""Progress displays for episodes: a live table on a terminal, one plain line per event otherwise."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.table import Table

from pytest_coworld.runtime.observer import EpisodeObserver, Phase, SlotState
from pytest_coworld.runtime.record import EpisodeResult

SLOT_MARKS = {
    SlotState.WAITING: "·",
    SlotState.STARTING: "…",
    SlotState.RUNNING: "○",
    SlotState.CONNECTED: "●",
    SlotState.EXITED: "✓",
    SlotState.FAILED: "✗",
}


class PlainProgress(EpisodeObserver):
    """One line per phase change, slot change and result, prefixed with the episode's label."""

    def __init__(self, label: str, console: Console) -> None:
        self.label = label
        self.console = console

    def _line(self, text: str) -> None:
        self.console.print(f"[{self.label}] {text}", markup=False, highlight=False, soft_wrap=True)

    def phase_changed(self, episode_id: str, phase: Phase) -> None:
        self._line(f"{phase.value} (episode {episode_id})" if phase is Phase.PREPARING else phase.value)

    def slot_changed(self, episode_id: str, slot: int, state: SlotState, detail: str = "") -> None:
        self._line(f"slot {slot} {state.value}" + (f" ({detail})" if detail else ""))

    def finished(self, episode_id: str, result: EpisodeResult) -> None:
        self._line(result.outcome.summary())


@dataclass
class _Row:
    label: str
    slot_count: int
    phase: str = "queued"
    slots: dict[int, SlotState] = field(default_factory=dict)
    started: float | None = None
    ended: float | None = None
    outcome: str = ""


class LiveProgress:
    """A live table, one row per episode (phase, per-slot connection state, elapsed time, outcome)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._rows: list[_Row] = []
        self._lock = threading.Lock()
        self._live = Live(get_renderable=self._table, console=console, refresh_per_second=8, transient=False)

    def episode(self, label: str, slot_count: int) -> EpisodeObserver:
        """The observer of one more episode (a new row)."""
        row = _Row(label, slot_count)
        with self._lock:
            self._rows.append(row)
        return _RowObserver(row, self._lock)

    def _table(self) -> Table:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("episode", "phase", "slots", "time", "outcome"):
            table.add_column(column)
        with self._lock:
            for row in self._rows:
                marks = " ".join(
                    SLOT_MARKS[row.slots.get(slot, SlotState.WAITING)] for slot in range(row.slot_count)
                )
                elapsed = f"{(row.ended or time.monotonic()) - row.started:.1f}s" if row.started else ""
                table.add_row(row.label, row.phase, marks, elapsed, row.outcome)
        return table

    def __enter__(self) -> LiveProgress:
        self._live.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._live.stop()


class _RowObserver(EpisodeObserver):
    def __init__(self, row: _Row, lock: threading.Lock) -> None:
        self.row = row
        self.lock = lock

    def phase_changed(self, episode_id: str, phase: Phase) -> None:
        with self.lock:
            self.row.started = self.row.started or time.monotonic()
            self.row.ended = time.monotonic() if phase is Phase.FINISHED else None
            self.row.phase = phase.value

    def slot_changed(self, episode_id: str, slot: int, state: SlotState, detail: str = "") -> None:
        with self.lock:
            self.row.slots[slot] = state

    def finished(self, episode_id: str, result: EpisodeResult) -> None:
        with self.lock:
            self.row.outcome = result.outcome.kind.value
