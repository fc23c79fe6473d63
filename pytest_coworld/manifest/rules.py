"""The contract rules beyond JSON Schema (MANIFEST.md "Rules beyond the JSON Schema", current generation).

Every rule reads the document defensively: a part that the schema already rejected is skipped, so one fault
yields one violation, not a cascade.
"""

from __future__ import annotations

from typing import Any

from packaging.version import InvalidVersion, Version

from pytest_coworld.json_path import format_path
from pytest_coworld.manifest.author_schemas import author_schema_violations
from pytest_coworld.manifest.configs import config_schema_violations, token_free_violations
from pytest_coworld.manifest.image_refs import image_violations
from pytest_coworld.manifest.models import Generation
from pytest_coworld.manifest.package_paths import package_path_violations
from pytest_coworld.manifest.sections import ROLE_SECTIONS, indexed
from pytest_coworld.manifest.text_rules import text_violations
from pytest_coworld.manifest.tokens import TOKENS_PATH, TokenBounds, tokens_rule
from pytest_coworld.manifest.violations import Violation, short_json, short_list, violation

ID_SECTIONS = (*ROLE_SECTIONS, "variants")


def rule_violations(document: dict[str, Any], generation: Generation) -> list[Violation]:
    """Every rule violation of `document`, read as `generation`."""
    game = document.get("game")
    if not isinstance(game, dict):
        game = {}
    found = _schema_rules(game, document, generation)
    found += unique_id_violations(document)
    found += token_free_violations(document)
    found += certification_player_violations(document)
    if generation.is_current:
        found += version_violations(game)
        found += hosted_file_violations(document, game)
    else:
        found += parent_id_violations(document)
    return found + text_violations(document) + image_violations(document) + package_path_violations(document)


def _schema_rules(game: dict[str, Any], document: dict[str, Any], generation: Generation) -> list[Violation]:
    """The rules that need `game.config_schema`: its validity, the tokens rule, slot counts, configs."""
    found = []
    results_schema = game.get("results_schema")
    if isinstance(results_schema, dict):
        found += author_schema_violations(results_schema, ("game", "results_schema"))
    config_schema = game.get("config_schema")
    if not isinstance(config_schema, dict):
        return found
    invalid = author_schema_violations(config_schema, ("game", "config_schema"))
    found += invalid
    if _touches_tokens(invalid):
        return found
    tokens_found, bounds = tokens_rule(config_schema, generation)
    found += tokens_found
    if bounds:
        found += slot_count_violations(document, bounds, generation)
    if not invalid:
        found += config_schema_violations(document, config_schema, bounds)
    return found


def _touches_tokens(invalid: list[Violation]) -> bool:
    """True when the config schema is broken where the tokens rule reads it."""
    tokens = format_path(TOKENS_PATH)
    readable = ("game.config_schema", "game.config_schema.properties")
    required = "game.config_schema.required"
    return any(found.path in readable or found.path.startswith((tokens, required)) for found in invalid)


def slot_count_violations(
    document: dict[str, Any], bounds: TokenBounds, generation: Generation
) -> list[Violation]:
    """The certification episode has one player per slot, and its config's `players` list agrees."""
    certification = document.get("certification")
    if not isinstance(certification, dict) or not isinstance(certification.get("players"), list):
        return []
    players = certification["players"]
    if not players:
        return []
    found = []
    slots = len(players)
    if not bounds.admits(slots):
        allowed = (
            f"fixes {bounds.low} slots" if bounds.low == bounds.high else f"allows {bounds.describe()} slots"
        )
        found.append(
            violation(
                ("certification", "players"),
                "certification.slot-count",
                f"{slots} certification players, but the tokens schema {allowed}",
                "list one certification player per slot, or change tokens minItems/maxItems",
            )
        )
    config = certification.get("game_config")
    config_players = config.get("players") if isinstance(config, dict) else None
    if isinstance(config_players, list) and len(config_players) != slots:
        found.append(
            violation(
                ("certification", "game_config", "players"),
                "certification.config-players",
                f"game_config.players has {len(config_players)} entries, certification.players has {slots}",
                "give certification.game_config.players one entry per certification player, in slot order",
            )
        )
    return found


def certification_player_violations(document: dict[str, Any]) -> list[Violation]:
    """Each certification `player_id` names a declared `player[].id` (skipped while a player id is broken)."""
    declared = _ids(document, "player")
    if not declared:
        return []
    certification = document.get("certification")
    players = certification.get("players") if isinstance(certification, dict) else None
    found = []
    for index, slot in enumerate(players if isinstance(players, list) else []):
        player_id = slot.get("player_id") if isinstance(slot, dict) else None
        if isinstance(player_id, str) and player_id and player_id not in declared:
            found.append(
                violation(
                    ("certification", "players", index, "player_id"),
                    "certification.player-id",
                    f"player_id {short_json(player_id)} names no declared player "
                    f"(declared: {short_list(declared)})",
                    "use the id of an entry of the top-level `player` list",
                )
            )
    return found


def unique_id_violations(document: dict[str, Any]) -> list[Violation]:
    """Ids are unique within each role section, and variant ids are unique."""
    found = []
    for section in ID_SECTIONS:
        first_seen: dict[str, int] = {}
        for index, entry in indexed(document, section):
            entry_id = entry.get("id")
            if not isinstance(entry_id, str):
                continue
            if entry_id in first_seen:
                found.append(
                    violation(
                        (section, index, "id"),
                        "ids.unique",
                        f"id {short_json(entry_id)} is already used by {section}[{first_seen[entry_id]}]",
                        f"give every entry of `{section}` its own id",
                    )
                )
            else:
                first_seen[entry_id] = index
    return found


def parent_id_violations(document: dict[str, Any]) -> list[Violation]:
    """Classic: a variant's `parent_id`, when set, names another variant (skipped while an id is broken)."""
    variants = indexed(document, "variants")
    if not _ids(document, "variants"):
        return []
    found = []
    for index, variant in variants:
        parent = variant.get("parent_id")
        if not isinstance(parent, str) or not parent:
            continue
        others = [other.get("id") for other_index, other in variants if other_index != index]
        if parent not in others:
            found.append(
                violation(
                    ("variants", index, "parent_id"),
                    "variant.parent-id",
                    f"parent_id {short_json(parent)} names no other variant",
                    "set parent_id to the id of another variant, or remove it",
                )
            )
    return found


def version_violations(game: dict[str, Any]) -> list[Violation]:
    """Current: `game.version` is a PEP 440 version."""
    version = game.get("version")
    if not isinstance(version, str) or not version:
        return []
    try:
        Version(version)
    except InvalidVersion:
        return [
            violation(
                ("game", "version"),
                "game.version-pep440",
                f"{short_json(version)} is not a PEP 440 version",
                'use a version such as "1.2.0", "0.3.1rc1" or "2.0.0.post1"',
            )
        ]
    return []


def hosted_file_violations(document: dict[str, Any], game: dict[str, Any]) -> list[Violation]:
    """Current: a role entry may carry `file` instead of `image` only when the game hosts the players."""
    if game.get("player_runtime") == "game-hosted":
        return []
    return [
        violation(
            (section, index, "file"),
            "runnable.file-game-hosted",
            "`file` is only for game-hosted players, but game.player_runtime is platform-hosted",
            'set game.player_runtime to "game-hosted", or give an image instead of file',
        )
        for section in ROLE_SECTIONS
        for index, entry in indexed(document, section)
        if isinstance(entry.get("file"), str)
    ]


def _ids(document: dict[str, Any], section: str) -> list[str]:
    """The ids of a section's entries; empty unless every entry is an object with a non-empty string id."""
    entries = document.get(section)
    if not isinstance(entries, list):
        return []
    ids = [entry.get("id") if isinstance(entry, dict) else None for entry in entries]
    valid = [entry_id for entry_id in ids if isinstance(entry_id, str) and entry_id]
    return valid if len(valid) == len(ids) else []


MIN_TAGS = 3


def platform_certification_violations(document: dict[str, Any]) -> list[Violation]:
    """What the platform's certifier also demands of a current-generation manifest, beyond validity:
    at least 3 non-empty `tags`, and every declared `player[]` entry used by a certification slot."""
    found = []
    tags = document.get("tags")
    usable = [tag for tag in tags if isinstance(tag, str) and tag.strip()] if isinstance(tags, list) else []
    if len(usable) < MIN_TAGS:
        found.append(
            violation(
                ("tags",),
                "certification.tags",
                f"{len(usable)} non-empty tag(s); the platform certifies only {MIN_TAGS} or more",
                'add `"tags": ["genre", "turn-based", "2-player"]` (at least 3 non-empty strings)',
            )
        )
    certification = document.get("certification")
    slots = certification.get("players") if isinstance(certification, dict) else None
    used = {slot.get("player_id") for slot in slots or [] if isinstance(slot, dict)}
    for index, entry in indexed(document, "player"):
        if entry.get("id") not in used:
            found.append(
                violation(
                    ("player", index),
                    "certification.unused-player",
                    f"player[{index}] ({short_json(entry.get('id'))}) has no certification slot, "
                    "so it never ran",
                    "give it a slot in certification.players, or remove it from `player`",
                )
            )
    return found
