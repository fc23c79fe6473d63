"""Which generation of the manifest contract a document follows (MANIFEST.md, "The current generation")."""

from __future__ import annotations

from typing import Any

from pytest_coworld.contract import Contract as Contract  # re-exported: the manifest package names it here
from pytest_coworld.manifest.models import SUPPORTING_ROLES, Generation

API_VERSION_V1 = "coworld.softmax.com/v1"

CURRENT_ONLY_GAME_KEYS = (
    "replay_viewer",
    "player_runtime",
    "promo",
    "achievements",
    "log",
    "memory",
    "task_environments",
)
CURRENT_ONLY_TOP_KEYS = ("tags", "players_per_user", "episode_timeout_minutes")
CURRENT_ONLY_RUNNABLE_KEYS = ("source_url", "resources", "startup", "file")
CURRENT_ONLY_ROLE_KEYS = ("repository_url",)


def detect_generation(document: dict[str, Any], contract: Contract | str = Contract.AUTO) -> Generation:
    """The generation to validate `document` against.

    `apiVersion` v1 means current v1. Any other `apiVersion` is validated as current v0, whose schema
    then rejects the value. Without `apiVersion`, `auto` picks current v0 only when the document uses
    something that exists only in the current generation.
    """
    contract = Contract(contract)
    if contract is Contract.CLASSIC:
        return Generation.CLASSIC
    api_version = document.get("apiVersion")
    if api_version == API_VERSION_V1:
        return Generation.CURRENT_V1
    if contract is Contract.CURRENT or "apiVersion" in document or uses_current_features(document):
        return Generation.CURRENT_V0
    return Generation.CLASSIC


def uses_current_features(document: dict[str, Any]) -> bool:
    """True when the document uses a key or form that only the current generation has."""
    if any(key in document for key in CURRENT_ONLY_TOP_KEYS):
        return True
    game = document.get("game")
    if isinstance(game, dict) and _game_is_current(game):
        return True
    for section in ("player", *SUPPORTING_ROLES):
        entries = document.get(section)
        if isinstance(entries, list) and any(_role_is_current(entry) for entry in entries):
            return True
    return False


def _game_is_current(game: dict[str, Any]) -> bool:
    if any(key in game for key in CURRENT_ONLY_GAME_KEYS):
        return True
    protocols = game.get("protocols")
    if isinstance(protocols, dict) and "engine_runtime" in protocols:
        return True
    runnable = game.get("runnable")
    if isinstance(runnable, dict) and any(key in runnable for key in CURRENT_ONLY_RUNNABLE_KEYS):
        return True
    return _has_token_range(game.get("config_schema"))


def _role_is_current(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    keys = (*CURRENT_ONLY_RUNNABLE_KEYS, *CURRENT_ONLY_ROLE_KEYS, "reporter", "wasm")
    return any(key in entry for key in keys)


def _has_token_range(config_schema: object) -> bool:
    """True for `tokens` bounds with `minItems < maxItems` (variable slot counts are current-only)."""
    if not isinstance(config_schema, dict):
        return False
    properties = config_schema.get("properties")
    tokens = properties.get("tokens") if isinstance(properties, dict) else None
    if not isinstance(tokens, dict):
        return False
    low, high = tokens.get("minItems"), tokens.get("maxItems")
    return type(low) is int and type(high) is int and low < high
