"""Where the platform token comes from: `COWORLD_TOKEN`, else the softmax CLI's credentials file.

The softmax credentials file (`~/.softmax/credentials.yaml`) keeps `tokens: {<server>: <token>}`; the older
cogames file (`~/.metta/cogames.yaml`) keeps `login_tokens: {<server>: <token>}`. Tokens are never printed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from pytest_coworld.platform.errors import LOGIN_HINT, PlatformError

TOKEN_ENV = "COWORLD_TOKEN"
SOFTMAX_TOKENS_KEY = "tokens"
LEGACY_TOKENS_KEY = "login_tokens"


def softmax_credentials_path() -> Path:
    return Path.home() / ".softmax" / "credentials.yaml"


def legacy_credentials_path() -> Path:
    return Path.home() / ".metta" / "cogames.yaml"


def _read_mapping(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        reason = str(error).splitlines()[0]
        raise PlatformError(
            f"cannot read {path}: {reason}", hint="fix or delete the file, then log in again"
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise PlatformError(
            f"{path} must hold a YAML mapping; found {type(loaded).__name__}",
            hint="fix or delete the file, then log in again",
        )
    return loaded


def _token_in(path: Path, key: str, server: str) -> str | None:
    tokens = _read_mapping(path).get(key)
    token = tokens.get(server) if isinstance(tokens, dict) else None
    return token if isinstance(token, str) and token else None


def load_token(server: str) -> str | None:
    """The token for `server`: `COWORLD_TOKEN`, the softmax credentials file, then the cogames file."""
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env
    return _token_in(softmax_credentials_path(), SOFTMAX_TOKENS_KEY, server) or _token_in(
        legacy_credentials_path(), LEGACY_TOKENS_KEY, server
    )


def require_token(server: str) -> str:
    """The token for `server`, or a one-line "not logged in" error naming how to log in."""
    token = load_token(server)
    if token is None:
        raise PlatformError(f"not logged in to {server}", hint=LOGIN_HINT)
    return token


def save_token(server: str, token: str) -> Path:
    """Store `token` for `server` in the softmax credentials file (mode 0600), keeping its other entries."""
    path = softmax_credentials_path()
    document = _read_mapping(path)
    tokens = document.get(SOFTMAX_TOKENS_KEY)
    document[SOFTMAX_TOKENS_KEY] = {**(tokens if isinstance(tokens, dict) else {}), server: token}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        yaml.safe_dump(document, handle, default_flow_style=False, sort_keys=True)
    os.replace(staging, path)
    return path
