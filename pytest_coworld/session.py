"""`CoworldSession`: the state of one certification run, kept on the pytest config stash.

It resolves the targets (each manifest with the config its episode uses) once per process, hands out one
`CertificationRun` per target (shared by every check of that target), and tears them all down at the end.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_coworld.options import CoworldOptions

if TYPE_CHECKING:
    from pytest_coworld.certification import CertificationRun
    from pytest_coworld.manifest import LoadedManifest, Violation

SESSION_KEY = pytest.StashKey["CoworldSession"]()


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

    @property
    def usable(self) -> bool:
        return self.loaded is not None

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


def load_target(reference: str, options: CoworldOptions, taken: set[str]) -> Target:
    """Load and validate one manifest; a broken one still becomes a target, so its checks can fail clearly."""
    from pytest_coworld.manifest import ManifestInvalid, ManifestLoadError, load_manifest

    loaded, violations, error, generation = None, [], None, None
    try:
        loaded = load_manifest(reference, contract=options.contract)
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
    if loaded and options.variant:
        try:
            loaded.manifest.variant(options.variant)
        except KeyError as missing:
            raise pytest.UsageError(f"--coworld-variant for {reference}: {missing.args[0]}") from None
    return Target(target_id, reference, loaded, violations, error, generation, options.variant)


def _subset_reason(config: pytest.Config, options: CoworldOptions) -> str | None:
    """How the user narrowed the run to a subset of the checks (`-k`, `-m`, node ids, options), if at all."""
    chosen = [
        flag
        for flag, given in (
            ("-k", config.option.keyword),
            ("-m", config.option.markexpr),
            ("test ids on the command line", any("::" in arg for arg in config.args)),
            ("--lf", getattr(config.option, "lf", False)),
        )
        if given
    ]
    from_options = options.chosen_subset()
    return ", ".join([*chosen, *([from_options] if from_options else [])]) or None


@dataclass
class CoworldSession:
    """Everything one pytest run of the certification suite shares."""

    options: CoworldOptions
    run_id: str
    worker: str
    targets: list[Target]
    runs: dict[str, CertificationRun] = field(default_factory=dict)
    subset_reason: str | None = None  # how the user ran a subset of the checks, if they did

    @classmethod
    def create(cls, config: pytest.Config, options: CoworldOptions) -> CoworldSession:
        workerinput = getattr(config, "workerinput", None)
        run_id = workerinput["coworld_run_id"] if workerinput else f"cw-{uuid.uuid4().hex[:10]}"
        worker = workerinput["workerid"] if workerinput else "main"
        taken: set[str] = set()
        targets = [load_target(reference, options, taken) for reference in options.manifests]
        return cls(options, run_id, worker, targets, subset_reason=_subset_reason(config, options))

    @property
    def is_controller(self) -> bool:
        return self.worker == "main"

    def target(self, target_id: str) -> Target:
        return next(target for target in self.targets if target.id == target_id)

    def run_for(self, target: Target) -> CertificationRun:
        """The one certification run of `target` in this process, created on first use."""
        if target.id not in self.runs:
            from pytest_coworld.certification import CertificationRun

            self.runs[target.id] = CertificationRun(
                target=target,
                options=self.options,
                run_id=self.run_id,
                worker=self.worker,
                artifacts_dir=self.options.artifacts_dir / self.run_id / target.id,
            )
        return self.runs[target.id]

    def close(self) -> None:
        for run in self.runs.values():
            run.close(keep=self.options.keep_containers)
        self.runs.clear()

    def artifacts_root(self) -> Path:
        return self.options.artifacts_dir / self.run_id

    def cleanup_command(self) -> str:
        return f"coworld gc --run-id {self.run_id}"
