"""`Contract`: the manifest generation `--contract` asks for. Outside `pytest_coworld.manifest` (which
re-exports it) so that the CLI can declare the option without loading the manifest's models and schemas."""

from __future__ import annotations

from enum import StrEnum


class Contract(StrEnum):
    """What `--contract` asks for: detect the generation, or insist on one."""

    AUTO = "auto"
    CLASSIC = "classic"
    CURRENT = "current"
