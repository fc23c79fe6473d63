"""Invalid manifests, each one small mutation of a valid base: the exact path and rule, and nothing else."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_coworld.manifest import Generation, check_document

Document = dict[str, Any]
BaseDocument = Callable[[str], Document]
TOKENS = "game.config_schema.properties.tokens"
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _PART.findall(path)]


def _parent(document: Document, path: str) -> tuple[Any, str | int]:
    *head, last = _parts(path)
    node: Any = document
    for part in head:
        node = node[part]
    return node, last


def set_at(path: str, value: Any) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        node, last = _parent(document, path)
        node[last] = value

    return mutate


def delete_at(path: str) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        node, last = _parent(document, path)
        del node[last]

    return mutate


def append_copy(path: str, index: int = 0) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        node, last = _parent(document, path)
        node[last].append(dict(node[last][index]))

    return mutate


@dataclass(frozen=True)
class Case:
    id: str
    base: str
    mutate: Callable[[Document], None]
    expected: tuple[tuple[str, str], ...]
    contract: str = "auto"

    def param(self) -> Any:
        return pytest.param(self, id=f"{self.base}-{self.id}")


def one(path: str, rule: str) -> tuple[tuple[str, str], ...]:
    return ((path, rule),)


CLASSIC_CASES = [
    Case("game-owner-missing", "classic", delete_at("game.owner"), one("game.owner", "schema.required")),
    Case("game-name-empty", "classic", set_at("game.name", ""), one("game.name", "schema.min-length")),
    Case("game-version-number", "classic", set_at("game.version", 1), one("game.version", "schema.type")),
    Case(
        "unknown-top-level-key",
        "classic",
        set_at("extras", {}),
        one("extras", "schema.additional-properties"),
    ),
    Case(
        "unknown-game-key",
        "classic",
        set_at("game.colour", "red"),
        one("game.colour", "schema.additional-properties"),
    ),
    Case("player-not-array", "classic", set_at("player", {}), one("player", "schema.type")),
    Case("player-list-empty", "classic", set_at("player", []), one("player", "schema.min-items")),
    Case("variants-empty", "classic", set_at("variants", []), one("variants", "schema.min-items")),
    Case(
        "certification-players-empty",
        "classic",
        set_at("certification.players", []),
        one("certification.players", "schema.min-items"),
    ),
    Case(
        "certification-player-extra-key",
        "classic",
        set_at("certification.players[0].initial_params", {}),
        one("certification.players[0].initial_params", "schema.additional-properties"),
    ),
    Case(
        "runnable-image-missing",
        "classic",
        delete_at("game.runnable.image"),
        one("game.runnable.image", "schema.required"),
    ),
    Case("role-id-missing", "classic", delete_at("grader[0].id"), one("grader[0].id", "schema.required")),
    Case(
        "role-type-unknown", "classic", set_at("player[0].type", "bot"), one("player[0].type", "schema.enum")
    ),
    Case(
        "role-run-not-list",
        "classic",
        set_at("player[0].run", "python3 bot.py"),
        one("player[0].run", "schema.type"),
    ),
    Case(
        "role-env-not-string",
        "classic",
        set_at("player[1].env.SEED", 7),
        one("player[1].env.SEED", "schema.type"),
    ),
    Case(
        "doc-uri-not-http",
        "classic",
        set_at("game.protocols.global.value", "ftp://example.com/global.md"),
        one("game.protocols.global.value", "doc.uri-scheme"),
    ),
    Case(
        "doc-text-empty",
        "classic",
        set_at("game.protocols.player.value", ""),
        one("game.protocols.player.value", "doc.text-empty"),
    ),
    Case(
        "doc-type-unknown",
        "classic",
        set_at("game.protocols.player.type", "markdown"),
        one("game.protocols.player.type", "doc.type"),
    ),
    Case(
        "doc-extra-key",
        "classic",
        set_at("game.docs.readme.lang", "en"),
        one("game.docs.readme.lang", "schema.additional-properties"),
    ),
    Case(
        "doc-page-title-missing",
        "classic",
        delete_at("game.docs.pages[0].title"),
        one("game.docs.pages[0].title", "schema.required"),
    ),
    Case(
        "tokens-not-required",
        "classic",
        set_at("game.config_schema.required", ["width"]),
        one("game.config_schema.required", "tokens.required"),
    ),
    Case("tokens-undeclared", "classic", delete_at(TOKENS), one(TOKENS, "tokens.declared")),
    Case(
        "tokens-not-array",
        "classic",
        set_at(f"{TOKENS}.type", "string"),
        one(f"{TOKENS}.type", "tokens.string-array"),
    ),
    Case(
        "tokens-items-not-strings",
        "classic",
        set_at(f"{TOKENS}.items", {"type": "integer"}),
        one(f"{TOKENS}.items.type", "tokens.string-array"),
    ),
    Case(
        "tokens-max-missing",
        "classic",
        delete_at(f"{TOKENS}.maxItems"),
        one(f"{TOKENS}.maxItems", "tokens.bounds"),
    ),
    Case(
        "tokens-bounds-differ",
        "classic",
        set_at(f"{TOKENS}.maxItems", 3),
        one(TOKENS, "tokens.fixed-count"),
        contract="classic",
    ),
    Case(
        "tokens-bound-not-integer",
        "classic",
        set_at(f"{TOKENS}.maxItems", "two"),
        one(f"{TOKENS}.maxItems", "json-schema.invalid"),
    ),
    Case(
        "certification-slot-count",
        "classic",
        append_copy("certification.players"),
        one("certification.players", "certification.slot-count"),
    ),
    Case(
        "certification-unknown-player",
        "classic",
        set_at("certification.players[1].player_id", "ghost"),
        one("certification.players[1].player_id", "certification.player-id"),
    ),
    Case("duplicate-role-id", "classic", append_copy("grader"), one("grader[1].id", "ids.unique")),
    Case(
        "duplicate-variant-id",
        "classic",
        set_at("variants[1].id", "default"),
        one("variants[1].id", "ids.unique"),
    ),
    Case(
        "tokens-in-variant-config",
        "classic",
        set_at("variants[0].game_config.tokens", ["a", "b"]),
        one("variants[0].game_config.tokens", "tokens.in-author-config"),
    ),
    Case(
        "tokens-in-certification-config",
        "classic",
        set_at("certification.game_config.tokens", ["a", "b"]),
        one("certification.game_config.tokens", "tokens.in-author-config"),
    ),
    Case(
        "variant-config-below-minimum",
        "classic",
        set_at("variants[1].game_config.width", 1),
        one("variants[1].game_config.width", "config.schema"),
    ),
    Case(
        "variant-config-unknown-key",
        "classic",
        set_at("variants[0].game_config.colour", "red"),
        one("variants[0].game_config.colour", "config.schema"),
    ),
    Case(
        "variant-config-not-object",
        "classic",
        set_at("variants[0].game_config", []),
        one("variants[0].game_config", "schema.type"),
    ),
    Case(
        "certification-config-missing-required",
        "classic",
        delete_at("certification.game_config.width"),
        one("certification.game_config.width", "config.schema"),
    ),
    Case(
        "parent-id-unknown",
        "classic",
        set_at("variants[1].parent_id", "base"),
        one("variants[1].parent_id", "variant.parent-id"),
    ),
    Case(
        "parent-id-self",
        "classic",
        set_at("variants[1].parent_id", "long"),
        one("variants[1].parent_id", "variant.parent-id"),
    ),
    Case(
        "config-schema-invalid-type",
        "classic",
        set_at("game.config_schema.properties.width.type", "int"),
        one("game.config_schema.properties.width.type", "json-schema.invalid"),
    ),
    Case(
        "config-schema-bad-regex",
        "classic",
        set_at("game.config_schema.properties.name", {"type": "string", "pattern": "(["}),
        one("game.config_schema.properties.name.pattern", "json-schema.invalid"),
    ),
    Case(
        "config-schema-unresolvable-ref",
        "classic",
        set_at("game.config_schema.properties.width", {"$ref": "#/$defs/width"}),
        one("game.config_schema.properties.width.$ref", "json-schema.unresolvable-ref"),
    ),
    Case(
        "results-schema-invalid",
        "classic",
        set_at("game.results_schema.required", "scores"),
        one("game.results_schema.required", "json-schema.invalid"),
    ),
    Case(
        "api-version-in-classic",
        "classic",
        set_at("apiVersion", "coworld.softmax.com/v1"),
        one("apiVersion", "api-version"),
        contract="classic",
    ),
]

CURRENT_CASES = [
    Case(
        "api-version-v0",
        "current",
        set_at("apiVersion", "coworld.softmax.com/v0"),
        one("apiVersion", "api-version"),
    ),
    Case("api-version-unknown", "current", set_at("apiVersion", "v1"), one("apiVersion", "api-version")),
    Case("docs-missing", "current", delete_at("game.docs"), one("game.docs", "docs.readme-required")),
    Case("docs-null", "current", set_at("game.docs", None), one("game.docs", "docs.readme-required")),
    Case(
        "readme-missing", "current", set_at("game.docs", {}), one("game.docs.readme", "docs.readme-required")
    ),
    Case(
        "readme-uri-relative",
        "current",
        set_at("game.docs.readme", {"type": "uri", "value": "docs/README.md"}),
        one("game.docs.readme.value", "doc.uri-scheme"),
    ),
    Case(
        "version-not-pep440",
        "current",
        set_at("game.version", "latest"),
        one("game.version", "game.version-pep440"),
    ),
    Case(
        "parent-id-removed",
        "current",
        set_at("variants[1].parent_id", "duel"),
        one("variants[1].parent_id", "variant.parent-id-removed"),
    ),
    Case("tags-too-few", "current", set_at("tags", ["grid", "strategy"]), one("tags", "tags.min-count")),
    Case("tag-empty", "current", set_at("tags", ["grid", "", "duel"]), one("tags[1]", "tags.non-empty")),
    Case(
        "episode-timeout-too-long",
        "current",
        set_at("episode_timeout_minutes", 1441),
        one("episode_timeout_minutes", "episode-timeout.range"),
    ),
    Case(
        "episode-timeout-zero",
        "current",
        set_at("episode_timeout_minutes", 0),
        one("episode_timeout_minutes", "episode-timeout.range"),
    ),
    Case(
        "players-per-user-zero",
        "current",
        set_at("players_per_user", 0),
        one("players_per_user", "schema.minimum"),
    ),
    Case(
        "player-type-mismatch",
        "current",
        set_at("player[0].type", "grader"),
        one("player[0].type", "runnable.type-section"),
    ),
    Case(
        "game-runnable-type-mismatch",
        "current",
        set_at("game.runnable.type", "player"),
        one("game.runnable.type", "runnable.type-section"),
    ),
    Case(
        "game-runnable-type-missing",
        "current",
        delete_at("game.runnable.type"),
        one("game.runnable.type", "schema.required"),
    ),
    Case(
        "optimizer-type-mismatch",
        "current",
        set_at(
            "optimizer",
            [
                {
                    "type": "grader",
                    "id": "opt",
                    "name": "Opt",
                    "description": "Tunes players.",
                    "image": "opt:1",
                }
            ],
        ),
        one("optimizer[0].type", "runnable.type-section"),
    ),
    Case(
        "runnable-closed",
        "current",
        set_at("player[0].cpu", "2"),
        one("player[0].cpu", "schema.additional-properties"),
    ),
    Case(
        "resources-unknown-request",
        "current",
        set_at("game.runnable.resources.requests.disk", "1Gi"),
        one("game.runnable.resources.requests.disk", "schema.additional-properties"),
    ),
    Case(
        "game-env-not-object",
        "current",
        set_at("game.runnable.env", ["A=1"]),
        one("game.runnable.env", "schema.type"),
    ),
    Case(
        "startup-on-grader",
        "current",
        set_at("grader[0].startup", {"port": 9000}),
        one("grader[0].startup", "runnable.startup-players-only"),
    ),
    Case(
        "startup-on-game",
        "current",
        set_at("game.runnable.startup", {"port": 9000}),
        one("game.runnable.startup", "schema.additional-properties"),
    ),
    Case(
        "startup-port-privileged",
        "current",
        set_at("player[0].startup.port", 80),
        one("player[0].startup.port", "runnable.startup-port"),
    ),
    Case(
        "startup-timeout-too-long",
        "current",
        set_at("player[0].startup.timeout_seconds", 1201),
        one("player[0].startup.timeout_seconds", "runnable.startup-timeout"),
    ),
    Case(
        "image-and-file-missing",
        "current",
        delete_at("player[1].image"),
        one("player[1].image", "runnable.image-or-file"),
    ),
    Case(
        "file-needs-game-hosted",
        "current",
        set_at("player[1].file", "players/random.py"),
        one("player[1].file", "runnable.file-game-hosted"),
    ),
    Case(
        "task-environments-three",
        "current",
        set_at("game.task_environments", [{}, {}, {}]),
        one("game.task_environments", "task-environments.max"),
    ),
    Case(
        "replay-viewer-without-bundle",
        "current",
        set_at("game.replay_viewer", {"replay_compression": "gzip"}),
        one("game.replay_viewer.bundle", "replay-viewer.bundle"),
    ),
    Case(
        "replay-compression-unknown",
        "current",
        set_at("game.replay_viewer", {"bundle": "viewer", "replay_compression": "br"}),
        one("game.replay_viewer.replay_compression", "schema.enum"),
    ),
    Case(
        "reporter-as-image",
        "current",
        set_at(
            "reporter[0]",
            {"type": "reporter", "id": "r", "name": "R", "description": "Sums up.", "image": "r:1"},
        ),
        one("reporter[0]", "reporter.reference"),
    ),
    Case(
        "reporter-reference-malformed",
        "current",
        set_at("reporter[0].reporter", "tiles-summary"),
        one("reporter[0].reporter", "reporter.reference"),
    ),
    Case(
        "promo-url-relative",
        "current",
        set_at("game.promo", {"video_url": "promo.mp4"}),
        one("game.promo.video_url", "schema.pattern"),
    ),
    Case(
        "player-runtime-unknown",
        "current",
        set_at("game.player_runtime", "self-hosted"),
        one("game.player_runtime", "schema.enum"),
    ),
    Case(
        "engine-runtime-unknown",
        "current",
        set_at("game.protocols.engine_runtime", "unity"),
        one("game.protocols.engine_runtime", "schema.enum"),
    ),
    Case(
        "achievement-points-zero",
        "current",
        set_at(
            "game.achievements", [{"id": "first", "name": "First", "description": "Win once.", "points": 0}]
        ),
        one("game.achievements[0].points", "schema.exclusive-minimum"),
    ),
    Case(
        "tokens-min-missing",
        "current",
        delete_at(f"{TOKENS}.minItems"),
        one(f"{TOKENS}.minItems", "tokens.bounds"),
    ),
    Case(
        "tokens-bounds-inverted",
        "current",
        set_at(f"{TOKENS}.minItems", 5),
        one(TOKENS, "tokens.bounds-order"),
    ),
    Case(
        "certification-above-bounds",
        "current",
        set_at(f"{TOKENS}.maxItems", 2),
        (
            ("certification.players", "certification.slot-count"),
            ("variants[1].game_config.players", "variant.slot-count"),
        ),
    ),
    Case(
        "certification-config-players-mismatch",
        "current",
        set_at("certification.game_config.players", [{"name": "a"}, {"name": "b"}]),
        one("certification.game_config.players", "certification.config-players"),
    ),
    Case(
        "variant-players-outside-bounds",
        "current",
        set_at("variants[0].game_config.players", [{"name": "solo"}]),
        one("variants[0].game_config.players", "variant.slot-count"),
    ),
    Case(
        "variant-config-wrong-type",
        "current",
        set_at("variants[1].game_config.width", "12"),
        one("variants[1].game_config.width", "config.schema"),
    ),
    Case(
        "certification-config-nested-required",
        "current",
        set_at("certification.game_config.players[1]", {}),
        one("certification.game_config.players[1].name", "config.schema"),
    ),
    Case(
        "duplicate-variant-id",
        "current",
        set_at("variants[1].id", "duel"),
        one("variants[1].id", "ids.unique"),
    ),
    Case(
        "config-schema-not-object",
        "current",
        set_at("game.config_schema", []),
        one("game.config_schema", "schema.type"),
    ),
]

ALL_CASES = CLASSIC_CASES + CURRENT_CASES
BASES = {"classic": "classic", "current": "current_v0"}


def test_there_are_many_distinct_invalid_manifests() -> None:
    assert len({case.param().id for case in ALL_CASES}) == len(ALL_CASES) >= 45


@pytest.mark.parametrize("case", [case.param() for case in ALL_CASES])
def test_invalid_manifest_reports_exactly_its_violation(case: Case, base_document: BaseDocument) -> None:
    document = base_document(BASES[case.base])
    case.mutate(document)

    report = check_document(document, case.contract)

    assert [(found.path, found.rule) for found in report.violations] == list(case.expected)
    assert report.manifest is None
    assert report.generation.is_current is (case.base == "current")


@pytest.mark.parametrize("case", [case.param() for case in ALL_CASES])
def test_every_violation_is_one_line_with_a_hint(case: Case, base_document: BaseDocument) -> None:
    document = base_document(BASES[case.base])
    case.mutate(document)

    for found in check_document(document, case.contract).violations:
        assert found.message and found.hint
        assert "\n" not in found.one_line()


def test_a_document_that_is_not_an_object_is_one_violation_at_the_root() -> None:
    report = check_document([1, 2])

    assert [(found.path, found.rule) for found in report.violations] == [("$", "schema.type")]
    assert report.generation is Generation.CLASSIC
