"""What one episode runs: the manifest, the config, and an image (with run/env) for each player slot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_coworld.manifest.models import LoadedManifest, Runnable
from pytest_coworld.runtime.config import make_tokens, select_game_config, validate_config
from pytest_coworld.runtime.errors import EpisodeSetupError
from pytest_coworld.runtime.settings import ResourceLimits, Timeouts


@dataclass(frozen=True)
class PlayerSlot:
    """The player of one slot. `secret_env` reaches the container only: never printed nor stored."""

    image: str
    run: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    secret_env: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class EpisodeSpec:
    """One episode to run. `config_source` says where `game_config` came from (for the record)."""

    loaded: LoadedManifest
    game_config: dict[str, Any]
    players: tuple[PlayerSlot, ...]
    config_source: str = "certification"
    timeouts: Timeouts = field(default_factory=Timeouts)
    limits: ResourceLimits = field(default_factory=ResourceLimits)

    @property
    def slot_count(self) -> int:
        return len(self.players)

    @property
    def game(self) -> Runnable:
        return self.loaded.manifest.game.runnable

    def secret_env(self) -> list[tuple[str, str]]:
        """Every slot's secret env as (name, value) pairs (slots may give one name different values)."""
        return [pair for player in self.players for pair in player.secret_env.items()]

    @property
    def resolved_timeouts(self) -> Timeouts:
        return self.timeouts.resolved(self.loaded.manifest, self.loaded.generation)

    def check(self) -> None:
        """Raise EpisodeSetupError unless the config, with tokens for every slot, fits the schema."""
        if not self.game.image:
            raise EpisodeSetupError("the manifest's game.runnable has no image to run")
        config = {**self.game_config, "tokens": make_tokens(self.slot_count)}
        validate_config(self.loaded.manifest.game.config_schema, config, self.config_source)


def build_episode_spec(
    loaded: LoadedManifest,
    *,
    variant: str | None = None,
    config_file: Path | None = None,
    images: Sequence[str] = (),
    run: list[str] | None = None,
    env: dict[str, str] | None = None,
    secret_env: dict[str, str] | None = None,
    slot_secret_env: Mapping[int, dict[str, str]] | None = None,
    timeouts: Timeouts | None = None,
    limits: ResourceLimits | None = None,
) -> EpisodeSpec:
    """An episode spec from CLI-style choices, checked (usage errors raise EpisodeSetupError).

    `images`: none = the manifest's certification players (cycled when the config has another slot count);
    one = that image for every slot; else exactly one per slot. An image the manifest declares for a player
    keeps that player's `run` and `env`; `run` replaces and `env` extends them for every slot. `secret_env`
    goes to every slot, `slot_secret_env` (the platform's policy secrets) to the slots it names.
    """
    game_config, source = select_game_config(loaded, variant, config_file)
    slot_count = loaded.manifest.slot_count(game_config)
    base = _base_players(loaded, list(images), slot_count)
    by_slot = dict(slot_secret_env or {})
    if unknown := sorted(set(by_slot) - set(range(slot_count))):
        raise EpisodeSetupError(
            f"secrets for slot {', '.join(map(str, unknown))}: the episode's slots are 0-{slot_count - 1}"
        )
    players = tuple(
        PlayerSlot(
            image=player.image or "",
            run=list(run) if run else player.run,
            env={**player.env, **(env or {})},
            secret_env={**(secret_env or {}), **by_slot.get(slot, {})},
        )
        for slot, player in enumerate(base)
    )
    spec = EpisodeSpec(
        loaded, game_config, players, source, timeouts or Timeouts(), limits or ResourceLimits()
    )
    spec.check()
    return spec


def _base_players(loaded: LoadedManifest, images: list[str], slot_count: int) -> list[Runnable]:
    manifest = loaded.manifest
    if not images:
        declared = manifest.certification_player_specs()
        missing = [spec.id for spec in declared if not spec.image]
        if missing:
            raise EpisodeSetupError(
                f"certification player(s) {', '.join(missing)} have no image; pass player IMAGE arguments"
            )
        return [declared[slot % len(declared)] for slot in range(slot_count)]
    if len(images) not in (1, slot_count):
        raise EpisodeSetupError(
            f"got {len(images)} player images for {slot_count} slots; give none (the manifest's "
            f"certification players), one (used for every slot) or {slot_count} (one per slot)"
        )
    chosen = images * slot_count if len(images) == 1 else images
    return [_declared_or_bare(loaded, image) for image in chosen]


def _declared_or_bare(loaded: LoadedManifest, image: str) -> Runnable:
    for spec in loaded.manifest.player:
        if spec.image == image:
            return spec
    return Runnable(image=image)
