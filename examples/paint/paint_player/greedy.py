"""The greedy policy: head for the nearest unpainted cell, else the nearest cell the opponent owns."""

from __future__ import annotations

from typing import Any

UNPAINTED = -1


def _nearest(cells: list[tuple[int, int]], x: int, y: int) -> tuple[int, int] | None:
    return min(cells, key=lambda cell: (abs(cell[0] - x) + abs(cell[1] - y), cell[1], cell[0]), default=None)


def greedy_direction(observation: dict[str, Any]) -> str:
    """The move towards the nearest cell worth painting."""
    you = observation["you"]
    x, y = observation["positions"][you]
    cells = [(cx, cy) for cy, row in enumerate(observation["grid"]) for cx, owner in enumerate(row)]
    unpainted = [(cx, cy) for cx, cy in cells if observation["grid"][cy][cx] == UNPAINTED]
    opponents = [(cx, cy) for cx, cy in cells if observation["grid"][cy][cx] not in (UNPAINTED, you)]
    target = _nearest(unpainted, x, y) or _nearest(opponents, x, y)
    if target is None:
        return "stay"
    if target[0] != x:
        return "right" if target[0] > x else "left"
    return "down" if target[1] > y else "up"


def policy(message: dict[str, Any]) -> dict[str, Any] | None:
    """Answer every observation with a move."""
    if message.get("type") != "observation":
        return None
    return {"type": "move", "direction": greedy_direction(message)}
