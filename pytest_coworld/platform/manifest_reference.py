"""Manifest arguments may be a path, a `file://`/`http(s)://` URI, or a `cow_…` id resolved on the server."""

from __future__ import annotations

from typing import Any

from pytest_coworld.platform.server import DEFAULT_SERVER, normalize_server

COWORLD_ID_PREFIX = "cow_"


def is_coworld_id(reference: str) -> bool:
    return reference.startswith(COWORLD_ID_PREFIX)


def resolve_manifest_reference(reference: str, server: str = DEFAULT_SERVER) -> str | dict[str, Any]:
    """The manifest document of a `cow_…` id (`GET /v2/coworlds/{id}`); any other reference unchanged.

    Raises `PlatformError` (one-line message and hint) when the server cannot be reached or has no such id.
    """
    if not is_coworld_id(reference):
        return reference
    from pytest_coworld.platform.client import PlatformClient
    from pytest_coworld.platform.credentials import load_token

    normalized = normalize_server(server)
    with PlatformClient(normalized, load_token(normalized)) as client:
        return client.get_coworld(reference).manifest
