"""The knobs of an episode: per-phase timeouts and per-container resource limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import docker.errors
from docker.utils import parse_bytes

from pytest_coworld.manifest.models import Generation, Manifest

DEFAULT_HEALTHZ_SECONDS = 60.0
DEFAULT_EPISODE_MINUTES = 20.0
PLAYER_EXIT_SECONDS = {False: 10.0, True: 30.0}


@dataclass(frozen=True)
class Timeouts:
    """Per-phase timeouts in seconds; None means the contract's default for the manifest.

    - healthz: from the game's start until `GET /healthz` answers 200 (default 60 s).
    - episode: from the start of play until the game writes results or exits (default: the manifest's
      `episode_timeout_minutes`, else 20 min).
    - player_exit: how long players may keep running after the episode ended (10 s classic, 30 s current).
    - game_exit: how long the game may linger after writing results before it is stopped (same defaults);
      lingering is recorded, not a failure.
    """

    healthz: float | None = None
    episode: float | None = None
    player_exit: float | None = None
    game_exit: float | None = None

    def resolved(self, manifest: Manifest, generation: Generation) -> Timeouts:
        """A copy with every None replaced by the default for `manifest`."""
        exit_default = PLAYER_EXIT_SECONDS[generation.is_current]
        minutes = manifest.episode_timeout_minutes or DEFAULT_EPISODE_MINUTES
        return Timeouts(
            healthz=DEFAULT_HEALTHZ_SECONDS if self.healthz is None else self.healthz,
            episode=minutes * 60 if self.episode is None else self.episode,
            player_exit=exit_default if self.player_exit is None else self.player_exit,
            game_exit=exit_default if self.game_exit is None else self.game_exit,
        )

    def seconds(self, phase: str) -> float:
        """The timeout of `phase` (call on a resolved copy)."""
        value = getattr(self, phase)
        if value is None:
            raise ValueError(f"timeout {phase!r} is not resolved; call Timeouts.resolved() first")
        return float(value)


@dataclass(frozen=True)
class ResourceLimits:
    """CPU and memory limits of every container of an episode (default 1 CPU, 1 GiB); disabled: none."""

    cpus: float = 1.0
    memory_bytes: int = 1024**3
    enabled: bool = True

    def docker_kwargs(self) -> dict[str, Any]:
        if not self.enabled:
            return {}
        return {"nano_cpus": int(self.cpus * 1e9), "mem_limit": self.memory_bytes}


NO_LIMITS = ResourceLimits(enabled=False)
MIN_MEMORY_BYTES = 6 * 1024 * 1024  # Docker's own lower bound for a container's memory limit


def memory_bytes(size: str) -> int:
    """A memory size as Docker writes it (`512m`, `2g`) in bytes; ValueError for anything else or below 6m."""
    try:
        parsed = int(parse_bytes(size))
    except docker.errors.DockerException:
        parsed = 0
    if parsed < MIN_MEMORY_BYTES:
        raise ValueError(f"a memory size is at least 6m, such as 512m or 2g, not {size!r}")
    return parsed
