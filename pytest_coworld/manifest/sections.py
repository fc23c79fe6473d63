"""Where the parts of a manifest document are, read defensively: a part of the wrong kind is simply absent."""

from __future__ import annotations

from typing import Any

from pytest_coworld.json_path import Path
from pytest_coworld.manifest.models import SUPPORTING_ROLES

ROLE_SECTIONS = ("player", *SUPPORTING_ROLES)


def indexed(document: dict[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    """`(index, entry)` for the object entries of a list section; nothing when the section is not a list."""
    entries = document.get(section)
    if not isinstance(entries, list):
        return []
    return [(index, entry) for index, entry in enumerate(entries) if isinstance(entry, dict)]


def game_part(document: dict[str, Any], key: str) -> dict[str, Any]:
    """`game.<key>` when it is an object, else an empty one."""
    game = document.get("game")
    part = game.get(key) if isinstance(game, dict) else None
    return part if isinstance(part, dict) else {}


def runnables(document: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
    """`(path, runnable)` of `game.runnable` and of every role entry (each entry is a runnable)."""
    game = document.get("game")
    found: list[tuple[Path, dict[str, Any]]] = []
    if isinstance(game, dict) and isinstance(game.get("runnable"), dict):
        found.append((("game", "runnable"), game["runnable"]))
    return found + [
        ((section, index), entry) for section in ROLE_SECTIONS for index, entry in indexed(document, section)
    ]
