"""The runtime's exceptions: each carries a one-line message that says what happened and how to fix it."""

from __future__ import annotations


class CoworldRuntimeError(Exception):
    """Base of the runtime's errors; `str(error)` is a complete one-line explanation."""


class EpisodeSetupError(CoworldRuntimeError):
    """The episode cannot be set up as asked (bad config, wrong number of images): a usage error."""


class InfrastructureError(CoworldRuntimeError):
    """Docker (or the host) failed: the engine is down, an image is missing, a call was refused."""


class ReplayNotSupported(CoworldRuntimeError):
    """The game has no replay mode (it ships a static replay viewer bundle), or the episode has no replay."""


class EpisodeCancelled(CoworldRuntimeError):
    """The run was cancelled (Ctrl-C, SIGTERM) while this episode was running."""
