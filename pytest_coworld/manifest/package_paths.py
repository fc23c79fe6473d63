"""Paths into the game's package (`game.replay_viewer.bundle`, a role's `file`): relative, and inside it.

The harness joins them to the manifest's folder (or URL) and serves or reads what they name, so one that is
absolute, a URL, or climbs out through `..` would reach files that are not the game's.
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import urlsplit

from pytest_coworld.json_path import Path
from pytest_coworld.manifest.sections import game_part, runnables
from pytest_coworld.manifest.violations import Violation, short_json, violation


def package_path_problem(value: str) -> str | None:
    """Why `value` is not a relative path inside the package, or None; `\\` counts as a separator too."""
    path = value.replace("\\", "/")
    if path.startswith("/") or PureWindowsPath(value).drive:
        return "is an absolute path"
    if urlsplit(path).scheme:
        return "is a URL"
    depth = 0
    for part in PurePosixPath(path).parts:
        depth += -1 if part == ".." else 1
        if depth < 0:
            return "climbs out of the package through '..'"
    return None


def package_path_violations(document: dict[str, Any]) -> list[Violation]:
    """`game.replay_viewer.bundle` and every role entry's `file` stay inside the package."""
    found = []
    for path, value, rule, example in _package_paths(document):
        problem = package_path_problem(value) if isinstance(value, str) and value else None
        if problem:
            found.append(
                violation(
                    path,
                    rule,
                    f"{short_json(value)} {problem}",
                    f"give a path relative to the folder of coworld_manifest.json that stays inside it, "
                    f"such as {example}",
                )
            )
    return found


def _package_paths(document: dict[str, Any]) -> list[tuple[Path, object, str, str]]:
    """`(path, value, rule, example)` of each package path in `document`."""
    bundle = game_part(document, "replay_viewer").get("bundle")
    found = [(("game", "replay_viewer", "bundle"), bundle, "replay-viewer.bundle-path", '"viewer/dist"')]
    return found + [
        ((*path, "file"), runnable.get("file"), "runnable.file-path", '"players/bot.py"')
        for path, runnable in runnables(document)
    ]
