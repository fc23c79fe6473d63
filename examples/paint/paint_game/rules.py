"""The rules of paint: each tick every painter moves one cell and paints the cell it lands on."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from coworld_kit.game_config import ConfigReader
from coworld_kit.rules import ProtocolViolation, Publisher

CONFIG_KEYS = frozenset({"width", "height", "ticks", "tick_ms", "seed"})
DIRECTIONS = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0), "stay": (0, 0)}
SLOTS = 2
UNPAINTED = -1


class PaintRules:
    """Two painters on a `width` x `height` grid for `ticks` ticks; a cell is owned by its last painter."""

    name = "paint"
    slot_count = SLOTS

    def __init__(self, config: ConfigReader) -> None:
        self.width = config.integer("width", 12, 2, 40)
        self.height = config.integer("height", 8, 2, 40)
        self.ticks = config.integer("ticks", 100, 1, 10_000)
        self.tick_ms = config.integer("tick_ms", 100, 10, 5_000)
        seed = config.integer("seed", 0, 0, 2**31 - 1)
        self.step_count = self.ticks
        self.frame_ms = self.tick_ms
        self.tick = 0
        self.grid = [[UNPAINTED] * self.width for _ in range(self.height)]
        starts = random.Random(seed).sample(range(self.width * self.height), SLOTS)
        self.positions = [(cell % self.width, cell // self.width) for cell in starts]
        for slot, (x, y) in enumerate(self.positions):
            self.grid[y][x] = slot
        self.moves = ["stay"] * SLOTS

    def seat(self, slot: int, params: dict[str, str]) -> None:
        """Paint has no game-owned player parameters."""

    def handle(self, slot: int, message: dict[str, Any]) -> None:
        if message.get("type") != "move" or message.get("direction") not in DIRECTIONS:
            expected = f'{{"type": "move", "direction": one of {sorted(DIRECTIONS)}}}'
            raise ProtocolViolation(f"expected {expected}, got {str(message)[:200]}")
        self.moves[slot] = message["direction"]

    def scores(self) -> list[int]:
        return [sum(row.count(slot) for row in self.grid) for slot in range(SLOTS)]

    def snapshot(self) -> dict[str, Any]:
        return {
            "tick": self.tick,
            "ticks": self.ticks,
            "width": self.width,
            "height": self.height,
            "positions": [list(position) for position in self.positions],
            "grid": [list(row) for row in self.grid],
            "scores": self.scores(),
        }

    def observation(self, slot: int) -> dict[str, Any]:
        return {"type": "observation", "you": slot, **self.snapshot()}

    def _target(self, slot: int) -> tuple[int, int]:
        dx, dy = DIRECTIONS[self.moves[slot]]
        x, y = self.positions[slot]
        return min(max(x + dx, 0), self.width - 1), min(max(y + dy, 0), self.height - 1)

    def step(self) -> dict[str, Any]:
        """Apply one tick: everyone moves, then paints the landing cell unless both landed on the same one."""
        self.positions = [self._target(slot) for slot in range(SLOTS)]
        self.moves = ["stay"] * SLOTS
        painted = []
        if self.positions[0] != self.positions[1]:
            for slot, (x, y) in enumerate(self.positions):
                if self.grid[y][x] != slot:
                    self.grid[y][x] = slot
                    painted.append([x, y, slot])
        self.tick += 1
        positions = [list(position) for position in self.positions]
        return {"tick": self.tick, "painted": painted, "positions": positions, "scores": self.scores()}

    async def play(self, table: Publisher) -> dict[str, Any]:
        for _ in range(self.ticks):
            await asyncio.sleep(self.tick_ms / 1000)
            await table.publish(self.step())
        scores = self.scores()
        winner = scores.index(max(scores)) if scores.count(max(scores)) == 1 else None
        return {"scores": scores, "ticks": self.ticks, "cells": self.width * self.height, "winner": winner}
