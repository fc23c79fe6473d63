"""`CoworldSession`: the state of one certification run, kept on the pytest config stash.

It resolves the targets (each manifest with the config its episode uses) once per process; their
certification runs are created and removed by the `coworld_runs` session fixture.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_coworld.options import CoworldOptions
from pytest_coworld.targets import Target, UnknownVariant, load_target

if TYPE_CHECKING:
    from pytest_coworld.certification import CertificationRun
    from pytest_coworld.probe_users import ProbeGameUsers

SESSION_KEY = pytest.StashKey["CoworldSession"]()
NAMED_PATHS = (
    "test paths named on the command line: the checks are collected only when none are, or name them "
    "too with `--pyargs pytest_coworld.checks`"
)


def _subset_reason(config: pytest.Config, options: CoworldOptions) -> str | None:
    """How the user narrowed the run to a subset of the checks (`-k`, `-m`, node ids, options), if at all."""
    chosen = [
        flag
        for flag, given in (
            ("-k", config.option.keyword),
            ("-m", config.option.markexpr),
            (NAMED_PATHS, config.args_source == pytest.Config.ArgsSource.ARGS),
            ("--lf", getattr(config.option, "lf", False)),
        )
        if given
    ]
    from_options = options.chosen_subset()
    return ", ".join([*chosen, *([from_options] if from_options else [])]) or None


def _load_targets(options: CoworldOptions) -> list[Target]:
    taken: set[str] = set()
    try:
        return [load_target(ref, options.contract, options.variant, taken) for ref in options.manifests]
    except UnknownVariant as unknown:
        raise pytest.UsageError(f"--coworld-variant for {unknown}") from None


@dataclass
class CoworldSession:
    """Everything one pytest run of the certification suite shares."""

    options: CoworldOptions
    run_id: str
    worker: str
    targets: list[Target]
    subset_reason: str | None = None  # how the user ran a subset of the checks, if they did
    runs: dict[str, CertificationRun] = field(default_factory=dict)  # by target id, owned by `coworld_runs`
    probe_users: ProbeGameUsers | None = None  # set once the tests are collected

    def test_finished(self, nodeid: str) -> None:
        """After each test: remove a target's probe game once its last user has run."""
        target = self.probe_users.finished(nodeid) if self.probe_users else None
        if target is not None and target in self.runs:
            self.runs[target].release_probe_game()

    @classmethod
    def create(cls, config: pytest.Config, options: CoworldOptions) -> CoworldSession:
        workerinput = getattr(config, "workerinput", None)
        run_id = workerinput["coworld_run_id"] if workerinput else f"cw-{uuid.uuid4().hex[:10]}"
        worker = workerinput["workerid"] if workerinput else "main"
        targets = _load_targets(options)
        return cls(options, run_id, worker, targets, subset_reason=_subset_reason(config, options))

    @property
    def is_controller(self) -> bool:
        return self.worker == "main"

    def target(self, target_id: str) -> Target:
        return next(target for target in self.targets if target.id == target_id)

    def artifacts_root(self) -> Path:
        return self.options.artifacts_dir / self.run_id

    def cleanup_command(self) -> str:
        return f"coworld gc --run-id {self.run_id}"
