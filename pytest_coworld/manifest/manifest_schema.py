"""Validate a document against our JSON Schema of its generation; name the contract rule each error breaks.

Most schema errors get a generic rule id (`schema.required`, `schema.type`, ...). Errors that are a named rule
of the contract (an unknown `apiVersion`, a runnable `type` that does not match its section, `startup`
outside players, ...) get that rule's id and hint instead; the table below maps them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from pytest_coworld.json_path import format_path
from pytest_coworld.manifest.generation import API_VERSION_V1
from pytest_coworld.manifest.models import Generation
from pytest_coworld.manifest.schema_errors import SchemaProblem, schema_problems
from pytest_coworld.manifest.violations import Violation, short_json, violation

SCHEMA_FILES = {"classic": "classic.schema.json", "current": "current.schema.json"}

_ROLE = r"(player|grader|reporter|commissioner|diagnoser|optimizer)\[\d+\]"
_DOC = r"^game\.(protocols\.(player|global)|docs\.readme|docs\.pages\[\d+\]\.content)"


@dataclass(frozen=True)
class Override:
    """A schema error that is really a named contract rule: its id, hint and (optionally) message."""

    keywords: frozenset[str]
    path: re.Pattern[str]
    rule: str
    hint: str
    message: str | None = None
    current_only: bool = False

    def matches(self, problem: SchemaProblem, generation: Generation) -> bool:
        if self.current_only and not generation.is_current:
            return False
        return problem.keyword in self.keywords and bool(self.path.search(format_path(problem.path)))


def _override(
    keywords: str, path: str, rule: str, hint: str, message: str | None = None, *, current_only: bool = False
) -> Override:
    return Override(frozenset(keywords.split()), re.compile(path), rule, hint, message, current_only)


OVERRIDES = (
    _override(
        "const",
        r"^apiVersion$",
        "api-version",
        f'set "apiVersion": "{API_VERSION_V1}", or remove the key (no apiVersion means v0)',
        "unsupported apiVersion {found}",
    ),
    _override(
        "additionalProperties",
        r"^apiVersion$",
        "api-version",
        "remove apiVersion, or validate with --contract auto (apiVersion means the current generation)",
        "apiVersion does not exist in the classic generation",
    ),
    _override(
        "const",
        rf"^(game\.runnable|{_ROLE})\.type$",
        "runnable.type-section",
        "set `type` to the name of the section the entry is in (`game` for game.runnable)",
        "type {found} does not match its section",
    ),
    _override(
        "type",
        r"^(grader|commissioner|diagnoser|optimizer)\[\d+\]\.startup$",
        "runnable.startup-players-only",
        "remove `startup`: only player entries may declare a startup probe",
        "startup is only allowed on player entries",
    ),
    _override(
        "minimum maximum type", r"\.startup\.port$", "runnable.startup-port", "use a port from 1024 to 65535"
    ),
    _override(
        "exclusiveMinimum maximum type",
        r"\.startup\.timeout_seconds$",
        "runnable.startup-timeout",
        "use a timeout above 0 and at most 1200 seconds",
    ),
    _override(
        "required type",
        rf"^{_ROLE}\.image$",
        "runnable.image-or-file",
        "give `image` (a Docker image reference), or `file` for a game-hosted player",
        current_only=True,
    ),
    _override("minItems type", r"^tags$", "tags.min-count", "list at least 3 tags, or remove `tags`"),
    _override("minLength type", r"^tags\[\d+\]$", "tags.non-empty", "remove the empty tag or give it text"),
    _override(
        "minimum maximum type",
        r"^episode_timeout_minutes$",
        "episode-timeout.range",
        "use a whole number of minutes from 1 to 1440 (the platform default is 20)",
    ),
    _override(
        "maxItems",
        r"^game\.task_environments$",
        "task-environments.max",
        "declare at most 2 task environments",
    ),
    _override(
        "required",
        r"^game\.replay_viewer\.bundle$",
        "replay-viewer.bundle",
        "give the package-relative folder of the static viewer (with index.html), or remove replay_viewer",
    ),
    _override(
        "false",
        r"^reporter\[\d+\]$",
        "reporter.reference",
        'use {"reporter": "owner/name@N"} or a wasm reference {"wasm": "path/to/reporter.wasm", ...}',
        "reporter entries are references in the current generation, not images",
    ),
    _override(
        "pattern",
        r"^reporter\[\d+\]\.reporter$",
        "reporter.reference",
        'write the reference as "owner/name@N" (lowercase owner and name, version from 1)',
    ),
    _override(
        "additionalProperties",
        r"^variants\[\d+\]\.parent_id$",
        "variant.parent-id-removed",
        "remove parent_id and write the inherited settings into game_config (variants no longer inherit)",
        "parent_id no longer exists in the current generation",
        current_only=True,
    ),
    _override(
        "required type",
        r"^game\.docs(\.readme)?$",
        "docs.readme-required",
        'add game.docs.readme, e.g. {"type": "text", "value": "# How to play"}',
        "the current generation requires game.docs with a readme",
        current_only=True,
    ),
    _override(
        "pattern",
        rf"{_DOC}\.value$",
        "doc.uri-scheme",
        'a doc of type "uri" needs an http:// or https:// URL; use type "text" for inline text',
    ),
    _override("minLength", rf"{_DOC}\.value$", "doc.text-empty", "give the inline text, or remove the doc"),
    _override("enum", rf"{_DOC}\.type$", "doc.type", 'use "uri" (an http(s) URL) or "text" (inline text)'),
)


def manifest_schema_violations(document: Any, generation: Generation) -> list[Violation]:
    """Every error of `document` against the schema of `generation`, as violations; one per path and rule."""
    validator = _validator("current" if generation.is_current else "classic")
    found: dict[tuple[str, str], Violation] = {}
    for problem in schema_problems(validator.iter_errors(document)):
        converted = _to_violation(problem, generation)
        found.setdefault((converted.path, converted.rule), converted)
    return list(found.values())


def _to_violation(problem: SchemaProblem, generation: Generation) -> Violation:
    for override in OVERRIDES:
        if override.matches(problem, generation):
            message = (
                override.message.format(found=short_json(problem.found))
                if override.message
                else problem.message
            )
            return violation(problem.path, override.rule, message, override.hint)
    rule = "schema." + re.sub(r"(?<!^)([A-Z])", r"-\1", problem.keyword).lower()
    return violation(problem.path, rule, problem.message, problem.hint)


def load_schema(name: str) -> dict[str, Any]:
    """One of our bundled manifest schemas (`classic` or `current`)."""
    text = resources.files("pytest_coworld.manifest").joinpath("schemas", SCHEMA_FILES[name]).read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _registry() -> Registry[Any]:
    schemas = [load_schema(name) for name in SCHEMA_FILES]
    return Registry().with_resources(
        (schema["$id"], DRAFT202012.create_resource(schema)) for schema in schemas
    )


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": load_schema(name)["$id"]}, registry=_registry())
