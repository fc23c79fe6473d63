"""The episode's Secrets: the game's concrete config (with the tokens), and each player's websocket URL (with
its token) and secret env. Pods only refer to them, so no token or secret value is in a pod spec."""

from __future__ import annotations

import json
import re
from typing import Any

from pytest_coworld.kubernetes.identity import EpisodeIdentity
from pytest_coworld.runtime.errors import EpisodeSetupError
from pytest_coworld.runtime.workspace import CONFIG_FILE

WS_URL_KEY = "ws-url"
SECRETS_DIR = "/var/run/secrets/coworld"
SECRETS_DIR_ENV = "COWORLD_PLAYER_SECRETS_DIR"
"""Ours, not the contract's: the folder holding one file per secret env variable, named for it."""
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def config_secret(identity: EpisodeIdentity, config: dict[str, Any]) -> dict[str, Any]:
    """The concrete config, mounted in the game at /coworld/config.json."""
    return _secret(
        identity, identity.config_secret, identity.labels("game"), {CONFIG_FILE: json.dumps(config, indent=2)}
    )


def player_secret(
    identity: EpisodeIdentity, slot: int, url: str, secret_env: dict[str, str]
) -> dict[str, Any]:
    """The slot's websocket URL (under `ws-url`) and its secret env (one key per variable)."""
    bad = [name for name in secret_env if not ENV_NAME.match(name)]
    if bad:
        raise EpisodeSetupError(f"secret env names must be variable names (letters, digits, _): {bad}")
    data = {WS_URL_KEY: url, **secret_env}
    return _secret(identity, identity.player_secret(slot), identity.labels("player", slot), data)


def _secret(
    identity: EpisodeIdentity, name: str, labels: dict[str, str], data: dict[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": identity.metadata(name, labels),
        "type": "Opaque",
        "immutable": True,
        "stringData": data,
    }
