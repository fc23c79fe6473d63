"""One broken rule of a manifest, and the JSON path notation every violation uses."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PathPart = str | int
Path = tuple[PathPart, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
SHOWN_KEY_LENGTH = 60  # a longer key is cut in paths: the key itself may be what is too long


@dataclass(frozen=True)
class Violation:
    """A broken rule: where (`variants[2].game_config.width`, root `$`), which rule, what, how to fix."""

    path: str
    rule: str
    message: str
    hint: str

    def one_line(self) -> str:
        return f"{self.path}: [{self.rule}] {self.message} (hint: {self.hint})"


def format_path(parts: Iterable[PathPart]) -> str:
    """`("variants", 2, "game_config")` -> `variants[2].game_config`; the empty path is `$`."""
    text = ""
    for part in parts:
        if isinstance(part, str) and len(part) > SHOWN_KEY_LENGTH:
            part = part[: SHOWN_KEY_LENGTH - 3] + "..."
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text or "$"


def violation(path: Sequence[PathPart], rule: str, message: str, hint: str) -> Violation:
    """A violation at a path given as parts; keeps messages on one line."""
    return Violation(format_path(path), rule, " ".join(message.split()), " ".join(hint.split()))


def short_json(value: object, limit: int = 60) -> str:
    """A value as short JSON-ish text for messages (`'abc'`, `42`, `{...}`)."""
    if isinstance(value, dict):
        return "an object" if value else "{}"
    if isinstance(value, list):
        return "an array" if value else "[]"
    text = "null" if value is None else repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_list(items: Sequence[str], shown: int = 8) -> str:
    """`'a', 'b'` for messages; past `shown` items, the rest is counted (`'a', 'b', ... (12 in all)`)."""
    text = ", ".join(short_json(item) for item in items[:shown])
    return text if len(items) <= shown else f"{text}, ... ({len(items)} in all)"


def json_type(value: object) -> str:
    """The JSON type name of a Python value decoded from JSON."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
