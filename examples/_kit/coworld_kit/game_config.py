"""Read a game config with one-line errors; keys a game does not declare are refused."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from coworld_kit import KitError
from coworld_kit.storage import read_uri

KIT_CONFIG_KEYS = frozenset({"tokens", "player_connect_timeout_seconds"})
DEFAULT_CONNECT_TIMEOUT_SECONDS = 180.0
MAX_CONNECT_SECONDS = 3600.0


def load_config(uri: str | None) -> dict[str, Any]:
    """The game config stored at `uri` (COGAME_CONFIG_URI)."""
    if uri is None:
        raise KitError(
            "COGAME_CONFIG_URI is not set; point it at the game config, e.g. file:///coworld/config.json"
        )
    try:
        config = json.loads(read_uri(uri))
    except json.JSONDecodeError as error:
        raise KitError(f"the config at {uri} is not JSON ({error}); write one JSON object") from None
    if not isinstance(config, dict):
        raise KitError(f"the config at {uri} is a JSON {type(config).__name__}; it must be a JSON object")
    return config


class ConfigReader:
    """Typed access to one config; construction fails on keys outside the kit's and the game's."""

    def __init__(self, config: dict[str, Any], game_keys: Iterable[str]) -> None:
        allowed = KIT_CONFIG_KEYS | set(game_keys)
        unknown = sorted(set(config) - allowed)
        if unknown:
            raise KitError(f"config key(s) {unknown} are not allowed; allowed keys: {sorted(allowed)}")
        self.config = config

    def integer(self, key: str, default: int, minimum: int, maximum: int) -> int:
        value = self.config.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise KitError(f"config {key}={value!r} must be an integer from {minimum} to {maximum}")
        return value

    def tokens(self) -> list[str]:
        tokens = self.config.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(token, str) and token for token in tokens):
            raise KitError(
                "config tokens must be a list of non-empty strings, one per slot (the runner injects it)"
            )
        return tokens

    def connect_timeout_seconds(self) -> float:
        key = "player_connect_timeout_seconds"
        value = self.config.get(key, DEFAULT_CONNECT_TIMEOUT_SECONDS)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 < value <= MAX_CONNECT_SECONDS
        ):
            raise KitError(
                f"config {key}={value!r} must be a number above 0 and at most {MAX_CONNECT_SECONDS:.0f}"
            )
        return float(value)
