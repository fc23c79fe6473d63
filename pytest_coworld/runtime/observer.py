"""Progress callbacks: the phase of an episode and the state of each player slot, for progress UIs."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_coworld.runtime.record import EpisodeResult


class Phase(StrEnum):
    PREPARING = "preparing"
    STARTING_GAME = "starting game"
    WAITING_HEALTHY = "waiting for healthz"
    STARTING_PLAYERS = "starting players"
    PLAYING = "playing"
    WINDING_DOWN = "winding down"
    COLLECTING = "collecting artifacts"
    CLEANING_UP = "cleaning up"
    FINISHED = "finished"


class SlotState(StrEnum):
    WAITING = "waiting"
    STARTING = "starting"
    RUNNING = "running"
    CONNECTED = "connected"
    EXITED = "exited"
    FAILED = "failed"


class EpisodeObserver:
    """Receives progress events; override what you need. Methods may be called from background threads."""

    def phase_changed(self, episode_id: str, phase: Phase) -> None:
        """The episode entered `phase`."""

    def slot_changed(self, episode_id: str, slot: int, state: SlotState, detail: str = "") -> None:
        """Player `slot` reached `state` (`detail`: e.g. the exit code)."""

    def finished(self, episode_id: str, result: EpisodeResult) -> None:
        """The episode's outcome and artifacts are known (cleanup may still follow)."""
