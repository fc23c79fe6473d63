"""JSON Schema errors turned into readable problems: one per real fault, at the path of the offending key.

`anyOf`/`oneOf` errors are flattened: when only one branch fits the kind of value (the others fail on
`type` alone, e.g. the `null` branch of a nullable object), that branch's own errors are reported instead
of "is not valid under any of the given schemas".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from jsonschema.exceptions import ValidationError

from pytest_coworld.json_path import Path
from pytest_coworld.manifest.violations import json_type, short_json


@dataclass(frozen=True)
class SchemaProblem:
    """One schema fault: where, which keyword failed, a one-line message, a generic fix, the value found."""

    path: Path
    keyword: str
    message: str
    hint: str
    expected: object
    found: object = None


def schema_problems(errors: Iterable[ValidationError], prefix: Path = ()) -> list[SchemaProblem]:
    """Flatten and describe `errors`; paths are prefixed by `prefix`; duplicates are dropped."""
    problems: list[SchemaProblem] = []
    for error in errors:
        for leaf in _leaf_errors(error):
            for problem in _describe(leaf, prefix):
                if problem not in problems:
                    problems.append(problem)
    return problems


def _leaf_errors(error: ValidationError) -> Iterator[ValidationError]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[object, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [subs for subs in branches.values() if not _fails_on_kind_only(subs)]
        if len(fitting) == 1:
            for sub in fitting[0]:
                yield from _leaf_errors(sub)
            return
    yield error


def _fails_on_kind_only(errors: list[ValidationError]) -> bool:
    return all(error.validator == "type" and not error.relative_path for error in errors)


def _describe(error: ValidationError, prefix: Path) -> list[SchemaProblem]:
    path: Path = (*prefix, *error.absolute_path)
    keyword = "false" if error.validator is None else str(error.validator)
    instance, expected = error.instance, error.validator_value
    if keyword == "required" and isinstance(instance, dict):
        return [
            SchemaProblem((*path, key), "required", f"missing required key {key!r}", f"add {key!r}", key)
            for key in expected
            if key not in instance
        ]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        return [
            SchemaProblem(
                (*path, key),
                "additionalProperties",
                f"unknown key {short_json(key)}",
                f"remove it or fix its spelling; allowed keys here: {', '.join(allowed) or 'none'}",
                allowed,
                instance[key],
            )
            for key in instance
            if key not in allowed and not any(re.search(pattern, key) for pattern in patterns)
        ]
    if (
        keyword in ("anyOf", "oneOf")
        and error.context
        and all(sub.validator == "type" for sub in error.context)
    ):
        kinds = [sub.validator_value for sub in error.context]
        return [_type_problem(path, instance, kinds)]
    if keyword == "type":
        return [_type_problem(path, instance, expected if isinstance(expected, list) else [expected])]
    message, hint = _text(keyword, instance, expected, error.message)
    return [SchemaProblem(path, keyword, message, hint, expected, instance)]


def _type_problem(path: Path, instance: object, kinds: list[object]) -> SchemaProblem:
    flat = [kind for entry in kinds for kind in (entry if isinstance(entry, list) else [entry])]
    wanted = " or ".join(str(kind) for kind in flat)
    message = f"expected {wanted}, got {json_type(instance)}"
    return SchemaProblem(path, "type", message, f"use a value of type {wanted}", flat, instance)


def _text(keyword: str, instance: object, expected: object, fallback: str) -> tuple[str, str]:
    """Message and hint for a failed keyword."""
    value = short_json(instance)
    size = len(instance) if isinstance(instance, list | str | dict) else 0
    match keyword:
        case "minLength" if expected == 1:
            return "must not be empty", "give a non-empty string"
        case "minLength":
            return f"{value} is shorter than {expected} characters", f"use at least {expected} characters"
        case "maxLength":
            return f"{value} is longer than {expected} characters", f"use at most {expected} characters"
        case "minItems":
            return f"has {_entries(size)}, needs at least {expected}", f"give at least {_entries(expected)}"
        case "maxItems":
            return f"has {_entries(size)}, allows at most {expected}", f"give at most {_entries(expected)}"
        case "enum":
            choices = ", ".join(
                json.dumps(choice) for choice in (expected if isinstance(expected, list) else [])
            )
            return f"{value} is not one of {choices}", f"use one of {choices}"
        case "const":
            return f"{value} should be {json.dumps(expected)}", f"use {json.dumps(expected)}"
        case "pattern":
            return f"{value} does not match {expected}", f"use a value that matches {expected}"
        case "minimum" | "exclusiveMinimum":
            bound = "at least" if keyword == "minimum" else "more than"
            return f"{value} is too small", f"use a number {bound} {expected}"
        case "maximum" | "exclusiveMaximum":
            bound = "at most" if keyword == "maximum" else "less than"
            return f"{value} is too large", f"use a number {bound} {expected}"
        case "format":
            return f"{value} is not a valid {expected}", f"give a valid {expected}"
        case "false":
            return "this value is not allowed here", "remove it"
        case "anyOf" | "oneOf":
            return f"{value} matches none of the allowed forms", "see MANIFEST.md for the allowed forms"
    return " ".join(fallback.split())[:200], f"satisfy the schema's {keyword!r} keyword"


def _entries(count: object) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"
