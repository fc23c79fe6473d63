"""The game's own JSON Schemas (`config_schema`, `results_schema`): are they valid, does a config fit."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry

from pytest_coworld.json_path import Path, format_path
from pytest_coworld.manifest.schema_errors import schema_problems
from pytest_coworld.manifest.schema_refs import reference_violations
from pytest_coworld.manifest.violations import Violation, violation


def author_schema_violations(schema: dict[str, Any], path: Path) -> list[Violation]:
    """Why `schema` (found at `path`) cannot be used: not a draft 2020-12 schema, else a bad `$ref`."""
    return metaschema_violations(schema, path) or reference_violations(schema, path)


def metaschema_violations(schema: dict[str, Any], path: Path) -> list[Violation]:
    """Why `schema` (found at `path`) is not a valid draft 2020-12 schema; patterns must be regexes."""
    where = format_path(path)
    return [
        violation(
            problem.path,
            "json-schema.invalid",
            problem.message,
            f"make {where} a valid draft 2020-12 JSON Schema: {problem.hint}",
        )
        for problem in schema_problems(_metaschema_validator().iter_errors(schema), prefix=path)
    ]


def config_validator(config_schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for configs; `$ref`s resolve inside the schema only (nothing is fetched)."""
    return Draft202012Validator(config_schema, registry=Registry())


def config_violations(validator: Draft202012Validator, config: dict[str, Any], path: Path) -> list[Violation]:
    """Every error of the concrete config (found at `path`) against a `game.config_schema` that passed
    `author_schema_violations` (so its `$ref`s resolve and never loop)."""
    where = format_path(path)
    problems = schema_problems(validator.iter_errors(config), prefix=path)
    return [
        violation(
            problem.path,
            "config.schema",
            problem.message,
            f"change {where} to satisfy game.config_schema: {problem.hint}",
        )
        for problem in problems
    ]


@cache
def _metaschema_validator() -> Draft202012Validator:
    meta = Draft202012Validator.META_SCHEMA
    return Draft202012Validator(meta, format_checker=Draft202012Validator.FORMAT_CHECKER)
