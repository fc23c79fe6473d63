"""One broken rule of a manifest, and the short texts of values its messages use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pytest_coworld.json_path import PathPart, format_path


@dataclass(frozen=True)
class Violation:
    """A broken rule: where (`variants[2].game_config.width`, root `$`), which rule, what, how to fix."""

    path: str
    rule: str
    message: str
    hint: str

    def one_line(self) -> str:
        return f"{self.path}: [{self.rule}] {self.message} (hint: {self.hint})"


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
