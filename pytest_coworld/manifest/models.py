"""Typed views of a validated manifest, for the runtime, the checks and the CLI.

These models are built only after validation succeeded, so they are lenient (`extra="allow"`): the JSON
Schemas in `schemas/` and the rules in `rules.py` are what enforce the contract.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict, Field

SUPPORTING_ROLES = ("grader", "reporter", "commissioner", "diagnoser", "optimizer")


class Generation(StrEnum):
    """Which generation of the manifest/runtime contract a manifest follows (MANIFEST.md)."""

    CLASSIC = "classic"
    CURRENT_V0 = "current-v0"
    CURRENT_V1 = "current-v1"

    @property
    def is_current(self) -> bool:
        return self is not Generation.CLASSIC


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Runnable(_Lenient):
    image: str | None = None
    file: str | None = None
    run: list[str] | None = None
    env: dict[str, str] = Field(default_factory=dict)
    type: str | None = None


class RoleSpec(Runnable):
    id: str
    name: str
    description: str


class ReplayViewer(_Lenient):
    bundle: str
    replay_compression: str = "identity"


class Game(_Lenient):
    name: str
    version: str
    description: str
    owner: str
    runnable: Runnable
    config_schema: dict[str, Any]
    results_schema: dict[str, Any]
    protocols: dict[str, Any]
    docs: dict[str, Any] | None = None
    replay_viewer: ReplayViewer | None = None
    player_runtime: str = "platform-hosted"


class Variant(_Lenient):
    id: str
    name: str
    description: str
    game_config: dict[str, Any]
    parent_id: str | None = None


class CertificationPlayer(_Lenient):
    player_id: str


class Certification(_Lenient):
    game_config: dict[str, Any]
    players: list[CertificationPlayer]


class Manifest(_Lenient):
    api_version: str | None = Field(default=None, alias="apiVersion")
    game: Game
    player: list[RoleSpec]
    variants: list[Variant]
    certification: Certification
    grader: list[dict[str, Any]] | None = None
    reporter: list[dict[str, Any]] | None = None
    commissioner: list[dict[str, Any]] | None = None
    diagnoser: list[dict[str, Any]] | None = None
    optimizer: list[dict[str, Any]] | None = None
    episode_timeout_minutes: float | None = None

    def token_bounds(self) -> tuple[int, int]:
        """`(minItems, maxItems)` of `game.config_schema.properties.tokens`."""
        tokens = self.game.config_schema["properties"]["tokens"]
        return int(tokens["minItems"]), int(tokens["maxItems"])

    def slot_count(self, game_config: dict[str, Any] | None = None) -> int:
        """Slots of an episode with `game_config` (default: the certification config).

        A config with a `players` list fixes the count (current generation); otherwise the count is that of
        the certification players, which the rules guarantee lies within the token bounds.
        """
        config = self.certification.game_config if game_config is None else game_config
        players = config.get("players")
        if isinstance(players, list):
            return len(players)
        return len(self.certification.players)

    def player_by_id(self, player_id: str) -> RoleSpec:
        for spec in self.player:
            if spec.id == player_id:
                return spec
        raise KeyError(player_id)

    def variant(self, variant_id: str) -> Variant:
        for variant in self.variants:
            if variant.id == variant_id:
                return variant
        known = ", ".join(v.id for v in self.variants)
        raise KeyError(f"no variant {variant_id!r}; the manifest declares: {known}")

    def certification_player_specs(self) -> list[RoleSpec]:
        """The player spec for each certification slot, in slot order."""
        return [self.player_by_id(p.player_id) for p in self.certification.players]

    def referenced_images(self) -> list[tuple[str, str]]:
        """`(json path, image)` for every image the manifest references, the game first."""
        found = [("game.runnable.image", self.game.runnable.image)] if self.game.runnable.image else []
        found += [(f"player[{i}].image", p.image) for i, p in enumerate(self.player) if p.image]
        for role in SUPPORTING_ROLES:
            for i, entry in enumerate(getattr(self, role) or []):
                if isinstance(entry, dict) and isinstance(entry.get("image"), str):
                    found.append((f"{role}[{i}].image", entry["image"]))
        return found


@dataclass(frozen=True)
class LoadedManifest:
    """A manifest that passed validation, with where it came from."""

    source: str
    base_dir: Path | None
    raw: bytes
    document: dict[str, Any]
    generation: Generation
    manifest: Manifest

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def replay_bundle(self) -> Path | str | None:
        """Where `game.replay_viewer.bundle` is: a folder beside a local manifest, or, for a manifest read
        from an http(s) URL, the URL the relative bundle path resolves to (ending in `/`)."""
        viewer = self.manifest.game.replay_viewer
        if viewer is None:
            return None
        if self.base_dir is not None:
            return self.base_dir / viewer.bundle
        return urljoin(self.source, viewer.bundle.rstrip("/") + "/")

    def with_document(self, document: dict[str, Any]) -> LoadedManifest:
        """A copy with a changed document (e.g. a defect switched on); the digest follows the new bytes."""
        return LoadedManifest(
            source=self.source,
            base_dir=self.base_dir,
            raw=json.dumps(document, indent=2, sort_keys=True).encode(),
            document=document,
            generation=self.generation,
            manifest=Manifest.model_validate(document),
        )
