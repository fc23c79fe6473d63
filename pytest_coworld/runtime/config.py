"""The concrete game config of an episode: the author's config plus fresh tokens, checked by the schema."""

from __future__ import annotations

import copy
import json
import secrets
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match

from pytest_coworld.json_path import schema_error_line
from pytest_coworld.manifest.models import LoadedManifest
from pytest_coworld.runtime.errors import EpisodeSetupError

TOKEN_BYTES = 24
CERTIFICATION_SOURCE = "certification"


def make_tokens(count: int) -> list[str]:
    """One fresh, URL-safe, unguessable token per slot."""
    return [secrets.token_urlsafe(TOKEN_BYTES) for _ in range(count)]


def concrete_config(game_config: dict[str, Any], tokens: list[str]) -> dict[str, Any]:
    """A copy of `game_config` with `tokens` injected."""
    return {**copy.deepcopy(game_config), "tokens": list(tokens)}


def redacted_config(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of a concrete config whose tokens are replaced by placeholders."""
    tokens = config.get("tokens") or []
    return {**copy.deepcopy(config), "tokens": [f"<redacted:token:{slot}>" for slot in range(len(tokens))]}


def validate_config(schema: dict[str, Any], config: dict[str, Any], source: str) -> None:
    """Raise EpisodeSetupError when the concrete config does not validate against `game.config_schema`."""
    try:
        error = best_match(Draft202012Validator(schema).iter_errors(config))
    except SchemaError as broken:
        raise EpisodeSetupError(f"game.config_schema is not a valid JSON Schema: {broken.message}") from None
    if error is not None:
        raise EpisodeSetupError(
            f"the {source} config does not validate against game.config_schema at {schema_error_line(error)} "
            "— fix the config (or pick another variant)"
        )


def select_game_config(
    loaded: LoadedManifest, variant: str | None = None, config_file: Path | None = None
) -> tuple[dict[str, Any], str]:
    """`(game_config, source)`: a variant's, a user file's, or (default) the certification config."""
    if variant and config_file:
        raise EpisodeSetupError("give either a variant or a config file, not both")
    if variant:
        try:
            return copy.deepcopy(loaded.manifest.variant(variant).game_config), f"variant {variant}"
        except KeyError as error:
            raise EpisodeSetupError(str(error.args[0])) from None
    if config_file:
        return _read_config_file(config_file), f"file {config_file}"
    return copy.deepcopy(loaded.manifest.certification.game_config), CERTIFICATION_SOURCE


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise EpisodeSetupError(f"cannot read config file {path}: {error.strerror}") from None
    except ValueError as error:
        raise EpisodeSetupError(f"config file {path} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise EpisodeSetupError(f"config file {path} must hold a JSON object, not {type(document).__name__}")
    if "tokens" in document:
        raise EpisodeSetupError(
            f"config file {path} contains `tokens`; remove them — the runner injects tokens"
        )
    return document
