"""Names, ids, versions, paths, env and `run` arguments: one line of real text, of a bounded length.

These strings end up in container names, file names, command lines and terminals. The contract gives no
limits, so these are ours: far above any real manifest (names such as "paint" or "Greedy painter"), far
below what breaks a file name (255 bytes) or an argument (Linux allows 128 KiB).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pytest_coworld.json_path import Path
from pytest_coworld.manifest.sections import game_part, indexed, runnables
from pytest_coworld.manifest.violations import Violation, short_json, violation

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")  # a decoded JSON string holds one only if it is unpaired


@dataclass(frozen=True)
class TextKind:
    """A kind of one-line string: what to call it in a message, and its longest allowed length."""

    noun: str
    limit: int


GAME_NAME = TextKind("the game name", 100)  # it names each run's containers and artifact folders
ID = TextKind("an id", 100)  # the platform's own ids (achievements) allow 100
NAME = TextKind("a name or title", 200)
VERSION = TextKind("a version", 100)
OWNER = TextKind("an owner", 254)  # the longest email address
PACKAGE_PATH = TextKind("a package path", 1024)
ENV_NAME = TextKind("an env name", 256)
ENV_VALUE = TextKind("an env value", 32 * 1024)
RUN_ARGUMENT = TextKind("a run argument", 32 * 1024)


def text_violations(document: dict[str, Any]) -> list[Violation]:
    """Every listed string with a control character or a lone surrogate, or longer than its kind allows."""
    return [
        found
        for path, value, kind in text_fields(document)
        if isinstance(value, str)
        for found in text_problems(path, value, kind)
    ]


def text_problems(path: Path, value: str, kind: TextKind) -> list[Violation]:
    """What is wrong with one string `value` of `kind`, found at `path`."""
    found = []
    if surrogate := LONE_SURROGATE.search(value):
        found.append(
            violation(
                path,
                "text.lone-surrogate",
                f"{short_json(value)} holds U+{ord(surrogate[0]):04X}, a lone half of a surrogate pair",
                "write the character itself (the file is UTF-8), or escape both halves of its pair",
            )
        )
    if control := CONTROL.search(value):
        found.append(
            violation(
                path,
                "text.control-character",
                f"{short_json(value)} holds the control character U+{ord(control[0]):04X}",
                f"remove it: {kind.noun} is one line of printable text",
            )
        )
    if kind is ENV_NAME and ("=" in value or not value):
        found.append(
            violation(
                path,
                "env.name",
                f"the env name {short_json(value)} is empty or holds `=`, which would set another variable",
                "name each variable with letters, digits and underscores",
            )
        )
    if len(value) > kind.limit:
        found.append(
            violation(
                path,
                "text.too-long",
                f"{short_json(value)} has {len(value)} characters; {kind.noun} may have {kind.limit} at most",
                f"shorten it to at most {kind.limit} characters",
            )
        )
    return found


def text_fields(document: dict[str, Any]) -> Iterator[tuple[Path, object, TextKind]]:
    """`(path, value, kind)` of every string these rules cover; values of the wrong type are skipped later."""
    game = document.get("game")
    game = game if isinstance(game, dict) else {}
    yield from (
        (("game", key), game.get(key), kind) for key, kind in (("name", GAME_NAME), ("version", VERSION))
    )
    yield ("game", "owner"), game.get("owner"), OWNER
    yield (
        ("game", "replay_viewer", "bundle"),
        game_part(document, "replay_viewer").get("bundle"),
        PACKAGE_PATH,
    )
    for index, page in indexed(game_part(document, "docs"), "pages"):
        yield ("game", "docs", "pages", index, "id"), page.get("id"), ID
        yield ("game", "docs", "pages", index, "title"), page.get("title"), NAME
    for path, runnable in runnables(document):
        yield from _runnable_fields(path, runnable)
    for index, variant in indexed(document, "variants"):
        yield ("variants", index, "id"), variant.get("id"), ID
        yield ("variants", index, "name"), variant.get("name"), NAME
        yield ("variants", index, "parent_id"), variant.get("parent_id"), ID
    certification = document.get("certification")
    for index, slot in indexed(certification if isinstance(certification, dict) else {}, "players"):
        yield ("certification", "players", index, "player_id"), slot.get("player_id"), ID


def _runnable_fields(path: Path, runnable: dict[str, Any]) -> Iterator[tuple[Path, object, TextKind]]:
    """A runnable's `run` arguments and `env`; a role entry's `id`, `name` and `file` too."""
    yield (*path, "id"), runnable.get("id"), ID
    yield (*path, "name"), runnable.get("name"), NAME
    yield (*path, "file"), runnable.get("file"), PACKAGE_PATH
    run = runnable.get("run")
    for index, argument in enumerate(run if isinstance(run, list) else []):
        yield (*path, "run", index), argument, RUN_ARGUMENT
    env = runnable.get("env")
    for key, value in (env if isinstance(env, dict) else {}).items():
        yield (*path, "env", key), key, ENV_NAME
        yield (*path, "env", key), value, ENV_VALUE
