"""The interface between the kit and a game: the rules object a game hands to `run_game`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from coworld_kit.game_config import ConfigReader


class ProtocolViolation(ValueError):
    """A player's message breaks the game's player protocol; the message says how."""


class Publisher(Protocol):
    """What the rules may call while they play: the kit's table."""

    async def publish(self, delta: dict[str, Any]) -> None:
        """Record a replay frame, send `delta` to viewers and a fresh observation to every player."""


class Rules(Protocol):
    """One episode of a game: its state, its rules and its loop. The kit does all I/O."""

    name: str
    slot_count: int
    step_count: int
    frame_ms: int

    def seat(self, slot: int, params: dict[str, str]) -> None:
        """A player (re)connected to `slot` with these game-owned query parameters."""

    def handle(self, slot: int, message: dict[str, Any]) -> None:
        """Apply one message from `slot`; raise ProtocolViolation when it breaks the protocol."""

    def observation(self, slot: int) -> dict[str, Any]:
        """The message that tells `slot` the current state (sent on connect and after every publish)."""

    def snapshot(self) -> dict[str, Any]:
        """The full state: the first message of a viewer and one replay frame."""

    async def play(self, table: Publisher) -> dict[str, Any]:
        """Run the episode to its end, publishing each tick or turn; return the results (with `scores`)."""


@dataclass(frozen=True)
class GameDefinition:
    """What a game hands to `coworld_kit.main.run_game`."""

    name: str
    config_keys: frozenset[str]
    make_rules: Callable[[ConfigReader], Rules]
    view_js: str
