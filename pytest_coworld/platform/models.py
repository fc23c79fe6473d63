"""The platform's JSON shapes (PLATFORM_API.md). Lenient: a newer server may add fields."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


class ContainerImage(_Response):
    id: str
    name: str
    version: int
    client_hash: str | None = None
    status: str
    image_uri: str | None = None
    image_digest: str | None = None
    public_image_uri: str | None = None


class EcrPushInfo(_Response):
    kind: str
    region: str
    registry: str
    repository: str
    tag: str
    image_uri: str
    endpoint_url: str | None = None
    authorization_token: str


class ImageUploadResponse(_Response):
    image: ContainerImage
    pre_signed_info: EcrPushInfo | None


class CoworldRecord(_Response):
    id: str
    name: str
    version: int
    manifest: dict[str, Any]
    manifest_hash: str | None = None
    size_bytes: int | None = None
    canonical: bool = False
    created_at: str | None = None


class PolicyVersion(_Response):
    id: str
    name: str
    version: int
    submit_error: str | None = None


class PolicyVersionEntry(_Response):
    id: str = Field(validation_alias=AliasChoices("id", "policy_version_id"))
    name: str = Field(validation_alias=AliasChoices("name", "policy_name"))
    version: int


class PolicyVersionPage(_Response):
    entries: list[PolicyVersionEntry]
    total_count: int


class LeagueSubmission(_Response):
    id: str
    status: str
    league_policy_membership_id: str | None = None
    notes: str | None = None


class HostedGame(_Response):
    session_id: str
    join_url: str
    lobby_url: str
    player_count: int
    global_url: str | None = None


class HostedPlayer(_Response):
    slot: int
    label: str


class HostedGameSeat(_Response):
    player_url: str
    slot: int
    player: HostedPlayer
