"""The catalogue's endpoints (PLATFORM_API.md, "Catalogue"): coworlds, container images and hosted games, plus
an outline of a stored manifest for people to read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pytest_coworld.json_path import format_path
from pytest_coworld.manifest.sections import indexed, runnables
from pytest_coworld.platform.client import PlatformClient
from pytest_coworld.platform.errors import PlatformError
from pytest_coworld.platform.models import ContainerImage, CoworldRecord, HostedGame, HostedGameSeat

COWORLDS = "/v2/coworlds"
CONTAINER_IMAGES = "/v2/container_images"
PLAY_SESSIONS = "/v2/coworlds/play/session"
LIST_PAGE = 200


def _segment(identifier: str) -> str:
    """`identifier` as exactly one URL path segment."""
    return quote(identifier, safe="")


def list_coworlds(client: PlatformClient, limit: int, offset: int) -> list[CoworldRecord]:
    """One page of the platform's coworlds (no login needed)."""
    params = {"limit": limit, "offset": offset}
    return client.get(COWORLDS, list[CoworldRecord], params=params, auth_required=False)


def find_coworld_by_id(client: PlatformClient, coworld_id: str) -> CoworldRecord:
    """The coworld `coworld_id`: its detail, else (a 404) its entry in the list, paged 200 at a time; else
    "Coworld not found"."""
    try:
        return client.get_coworld(coworld_id)
    except PlatformError as error:
        if error.status != 404:  # a server without the detail may still list the coworld; an error stands
            raise
    found = next((record for record in client.list_coworlds(LIST_PAGE) if record.id == coworld_id), None)
    if found is None:
        raise PlatformError(
            f"Coworld not found: {coworld_id} on {client.server}",
            hint="`coworld list` shows the coworlds and their ids (cow_…)",
        )
    return found


def list_images(client: PlatformClient, limit: int, offset: int) -> list[ContainerImage]:
    """One page of the container images (needs a login)."""
    params = {"limit": limit, "offset": offset}
    return client.get(CONTAINER_IMAGES, list[ContainerImage], params=params)


def create_hosted_game(
    client: PlatformClient, coworld_id: str, variant_id: str | None, allow_spectators: bool
) -> HostedGame:
    """Start a game of `coworld_id` hosted by the platform (its certification config unless `variant_id`)."""
    body = {"coworld_id": coworld_id, "variant_id": variant_id, "allow_spectators": allow_spectators}
    return client.post(PLAY_SESSIONS, body, HostedGame)


def join_hosted_game(client: PlatformClient, session_id: str) -> HostedGameSeat:
    """Take the next free seat of the hosted game `session_id`."""
    return client.post(f"{PLAY_SESSIONS}/{_segment(session_id)}/join", {}, HostedGameSeat)


@dataclass(frozen=True)
class ManifestOutline:
    """What a person wants to know of a stored manifest; read defensively, a malformed part is left out."""

    game: str | None
    owner: str | None
    description: str | None
    images: list[tuple[str, str]]
    """`(where, image)`: `game.runnable.image`, `player[0].image`, …"""
    variants: list[tuple[str, str | None]]
    """`(id, name)` of each variant."""


def _text(mapping: object, key: str) -> str | None:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if isinstance(value, str) and value else None


def outline_manifest(document: dict[str, Any]) -> ManifestOutline:
    """The game's name and version, owner, description, every image it references and its variants."""
    game = document.get("game")
    title = " ".join(part for part in (_text(game, "name"), _text(game, "version")) if part)
    images = [
        (format_path((*path, "image")), image)
        for path, runnable in runnables(document)
        if (image := _text(runnable, "image"))
    ]
    variants = [
        (variant_id, _text(entry, "name"))
        for _, entry in indexed(document, "variants")
        if (variant_id := _text(entry, "id"))
    ]
    return ManifestOutline(
        game=title or None,
        owner=_text(game, "owner"),
        description=_text(game, "description"),
        images=images,
        variants=variants,
    )
