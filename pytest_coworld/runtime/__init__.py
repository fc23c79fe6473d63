"""The pytest-free episode runtime on Docker: Coworld episodes in real containers, exactly per the contract.

The one-call form::

    with RunContext() as run:
        spec = build_episode_spec(load_manifest("coworld_manifest.json"))
        result = run_episode(spec, Path("artifacts"), run)

`Episode` offers the same in steps; `EpisodeNetworks`, `GameContainer`, `PlayerContainer` and `ReplayServer`
are the building blocks. Every resource carries the labels of `labels.py` and is removed on every exit path.
"""

from pytest_coworld.runtime.cleanup import RemovalReport, collect_garbage, remove_run, sweep_stale
from pytest_coworld.runtime.containers import ContainerSpec, GameContainer, HealthCheck, PlayerContainer
from pytest_coworld.runtime.episode import Episode, run_episode
from pytest_coworld.runtime.errors import (
    CoworldRuntimeError,
    EpisodeCancelled,
    EpisodeSetupError,
    InfrastructureError,
    ReplayNotSupported,
)
from pytest_coworld.runtime.labels import LABEL_RUN_ID
from pytest_coworld.runtime.networks import GAME_ALIAS, EpisodeNetworks
from pytest_coworld.runtime.observer import EpisodeObserver, Phase, SlotState
from pytest_coworld.runtime.outcome import Outcome, OutcomeKind
from pytest_coworld.runtime.record import EpisodeResult
from pytest_coworld.runtime.replay import ReplayMode, ReplayServer
from pytest_coworld.runtime.run import RunContext
from pytest_coworld.runtime.settings import NO_LIMITS, ResourceLimits, Timeouts
from pytest_coworld.runtime.spec import EpisodeSpec, PlayerSlot, build_episode_spec
from pytest_coworld.wire.transcript import SlotWire

__all__ = [
    "GAME_ALIAS",
    "LABEL_RUN_ID",
    "NO_LIMITS",
    "ContainerSpec",
    "CoworldRuntimeError",
    "Episode",
    "EpisodeCancelled",
    "EpisodeNetworks",
    "EpisodeObserver",
    "EpisodeResult",
    "EpisodeSetupError",
    "EpisodeSpec",
    "GameContainer",
    "HealthCheck",
    "InfrastructureError",
    "Outcome",
    "OutcomeKind",
    "Phase",
    "PlayerContainer",
    "PlayerSlot",
    "RemovalReport",
    "ReplayMode",
    "ReplayNotSupported",
    "ReplayServer",
    "ResourceLimits",
    "RunContext",
    "SlotState",
    "SlotWire",
    "Timeouts",
    "build_episode_spec",
    "collect_garbage",
    "remove_run",
    "run_episode",
    "sweep_stale",
]
