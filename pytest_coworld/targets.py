"""`Target`: one manifest to certify, as loaded, with the config its certification episode uses.

pytest-free: the plugin's session loads the targets, and the certification runs and reports read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

    from pytest_coworld.manifest import LoadedManifest, Violation


class UnknownVariant(ValueError):
    """The variant asked for is not one of the manifest's."""


@dataclass
class Target:
    """One manifest to certify, as loaded, with the config its certification episode uses."""

    id: str
    reference: str
    loaded: LoadedManifest | None
    violations: list[Violation]
    load_error: str | None
    generation: str | None
    variant: str | None

    def game_config(self) -> dict[str, Any]:
        assert self.loaded is not None
        manifest = self.loaded.manifest
        return (
            manifest.variant(self.variant).game_config if self.variant else manifest.certification.game_config
        )

    def slot_count(self) -> int:
        if self.loaded is None:
            return 0
        return self.loaded.manifest.slot_count(self.game_config())


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "manifest"


def load_target(reference: str, contract: str, variant: str | None, taken: set[str]) -> Target:
    """Load and validate one manifest; a broken one still becomes a target, so its checks can fail clearly.

    The target's id is unique among `taken` (which it joins); an unknown `variant` raises `UnknownVariant`.
    """
    from pytest_coworld.manifest import ManifestInvalid, ManifestLoadError, load_manifest

    loaded, violations, error, generation = None, [], None, None
    try:
        loaded = load_manifest(reference, contract=contract)
        generation = loaded.generation.value
    except ManifestInvalid as invalid:
        violations = list(invalid.report.violations)
        generation = invalid.report.generation.value if invalid.report.generation else None
    except ManifestLoadError as load_error:
        error = str(load_error)
    name = loaded.manifest.game.name if loaded else Path(reference.rstrip("/")).stem
    target_id = _slug(name)
    while target_id in taken:
        target_id += "_"
    taken.add(target_id)
    if loaded and variant:
        try:
            loaded.manifest.variant(variant)
        except KeyError as missing:
            raise UnknownVariant(f"{reference}: {missing.args[0]}") from None
    return Target(target_id, reference, loaded, violations, error, generation, variant)


def target_id_of(item: pytest.Item) -> str | None:
    """The id of the target a collected test certifies (its `coworld_target` parameter), if it has one."""
    callspec = getattr(item, "callspec", None)
    target_id = callspec.params.get("coworld_target") if callspec else None
    return target_id if isinstance(target_id, str) else None  # an empty parameter set has none
