"""Policy uploads and league submissions: the request bodies, and finding the policy version to submit."""

from __future__ import annotations

import re
from typing import Any

from pytest_coworld.platform.client import PlatformClient
from pytest_coworld.platform.errors import PlatformError
from pytest_coworld.platform.models import PolicyVersionEntry

BEDROCK_ENV = ("USE_BEDROCK", "true")
LEAGUE_ID_PREFIX = "league_"
_POLICY_VERSION = re.compile(r"^v?(\d+)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_secret_env(assignments: list[str], use_bedrock: bool) -> dict[str, str]:
    """`--secret-env K=V` values as a mapping; messages name the argument's position, never its value."""
    secrets: dict[str, str] = {}
    for position, assignment in enumerate(assignments, start=1):
        name, separator, value = assignment.partition("=")
        if not separator or not _ENV_NAME.match(name):
            raise PlatformError(
                f"--secret-env #{position} must be KEY=VALUE with KEY a variable name (letters, digits, _)",
                hint="e.g. --secret-env OPENAI_API_KEY=...",
            )
        secrets[name] = value
    if use_bedrock:
        secrets[BEDROCK_ENV[0]] = BEDROCK_ENV[1]
    return secrets


def policy_completion_body(
    name: str, container_image_id: str, run: list[str], secret_env: dict[str, str]
) -> dict[str, Any]:
    """The `POST /stats/policies/docker-img/complete` body: `run` and `policy_secret_env` only when given."""
    body: dict[str, Any] = {"name": name, "container_image_id": container_image_id}
    if run:
        body["run"] = run
    if secret_env:
        body["policy_secret_env"] = secret_env
    return body


class InvalidPolicyReference(PlatformError):
    """A policy reference that is not NAME, NAME:vN or NAME:N (a usage error)."""


def parse_policy_reference(reference: str) -> tuple[str, int | None]:
    """`NAME` (the latest version), `NAME:vN` or `NAME:N` as `(name, version or None)`; split on the last
    colon (PLATFORM_API.md)."""
    text = reference.strip()
    name, colon, version = text.rpartition(":")
    if not colon:
        name, version = text, ""
    if not name:
        raise InvalidPolicyReference(
            f"a policy reference needs a name (NAME, NAME:vN or NAME:N); got {reference!r}"
        )
    if not colon:
        return name, None
    match = _POLICY_VERSION.match(version)
    if match is None:
        raise InvalidPolicyReference(
            f"Invalid policy version: {version!r} (give NAME, NAME:vN or NAME:N)", hint="e.g. my-bot:v3"
        )
    return name, int(match[1])


def require_league_id(league: str) -> str:
    if not league.startswith(LEAGUE_ID_PREFIX) or league == LEAGUE_ID_PREFIX:
        raise PlatformError(
            f"--league must be a league id ({LEAGUE_ID_PREFIX}…); got {league!r}",
            hint="copy the league id from the league's page on the platform",
        )
    return league


def find_policy_version(client: PlatformClient, reference: str) -> PolicyVersionEntry:
    """The named policy version (the latest when no `:vN`), or "not found" naming upload-policy."""
    name, version = parse_policy_reference(reference)
    entries = [
        entry
        for entry in client.find_policy_versions(name, version).entries
        if entry.name == name and (version is None or entry.version == version)
    ]
    if not entries:
        raise PlatformError(f"Policy '{reference}' not found — upload it with upload-policy")
    return max(entries, key=lambda entry: entry.version)
