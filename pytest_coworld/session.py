"""`CoworldSession`: the state of one certification run, kept on the pytest config stash.

It resolves the targets (each manifest with the config its episode uses) once per process and holds their
certification runs: created on first use (`run_for`), or started early when this process runs every check;
removed by the `coworld_runs` session fixture, or by `close_runs` at the session's end when no test got to
use them (a collection interrupted, or that failed).
"""

from __future__ import annotations

import threading
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_coworld.options import CoworldOptions
from pytest_coworld.targets import Target, UnknownVariant, load_target

if TYPE_CHECKING:
    from pytest_coworld.certification import CertificationRun
    from pytest_coworld.game_users import ProbeGameUsers

SESSION_KEY = pytest.StashKey["CoworldSession"]()
NAMED_PATHS = (
    "test paths named on the command line: the checks are collected only when none are, or name them "
    "too with `--pyargs pytest_coworld.checks`"
)


def _pytest_selection(config: pytest.Config) -> list[str]:
    """How pytest's own options narrow the run (`-k`, `-m`, node ids, `--lf`): known only once collected."""
    return [
        flag
        for flag, given in (
            ("-k", config.option.keyword),
            ("-m", config.option.markexpr),
            (NAMED_PATHS, config.args_source == pytest.Config.ArgsSource.ARGS),
            ("--lf", getattr(config.option, "lf", False)),
        )
        if given
    ]


def _subset_reason(config: pytest.Config, options: CoworldOptions) -> str | None:
    """How the user narrowed the run to a subset of the checks (`-k`, `-m`, node ids, options), if at all."""
    chosen = _pytest_selection(config)
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
    selected_by_pytest: bool = False  # `-k`, `-m`, node ids or `--lf` chose the tests (see `games_will_run`)
    runs: dict[str, CertificationRun] = field(default_factory=dict)  # by target id (see `run_for`)
    probe_users: ProbeGameUsers | None = None  # set once the tests are collected
    replay_targets: set[str] = field(default_factory=set)  # whose replay servers a collected check uses
    _runs_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run_for(self, target_id: str) -> CertificationRun:
        """The target's certification run in this process, created (not started) on first use."""
        with self._runs_lock:
            if target_id not in self.runs:
                from pytest_coworld.certification import CertificationRun

                self.runs[target_id] = CertificationRun(
                    target=self.target(target_id),
                    options=self.options,
                    run_id=self.run_id,
                    worker=self.worker,
                    artifacts_dir=self.artifacts_root() / target_id,
                    replays_wanted=lambda: target_id in self.replay_targets,
                )
            return self.runs[target_id]

    def games_will_run(self) -> bool:
        """Whether a selected check surely observes a game, before collection: `--coworld-checks` keeps one
        that needs a game, and pytest's own selection cannot have left it out."""
        from pytest_coworld.checks.catalog import CHECKS, needs_a_game

        chosen = (check for check in CHECKS if self.options.selects(check))
        return not self.selected_by_pytest and any(map(needs_a_game, chosen))

    def start_runs_early(self) -> None:
        """Start each valid target's certification run now, on a thread, beside pytest's collection rather
        than when the first check asks for it. A run that fails to start is started again by that check's
        fixture, which reports the failure."""

        def start(target_id: str) -> None:
            with suppress(Exception):
                self.run_for(target_id).start()

        for target in self.targets:
            if target.loaded is not None:
                name = f"coworld-early-{target.id}"
                threading.Thread(target=start, args=(target.id,), name=name, daemon=True).start()

    def close_runs(self, keep: bool = False) -> None:
        """Remove every run's containers, the runs all at once (with `keep`, leave them for debugging); a
        closed run is skipped."""
        from concurrent.futures import ThreadPoolExecutor

        with self._runs_lock:
            runs = list(self.runs.values())
        with ThreadPoolExecutor(max(1, len(runs))) as pool:
            list(pool.map(lambda run: run.close(keep=keep), runs))

    def collected(self, items: list[pytest.Item]) -> None:
        """Note what the collected checks use of each target's games (see `game_users`)."""
        from pytest_coworld.game_users import ProbeGameUsers, replay_server_targets

        self.probe_users = ProbeGameUsers(items)
        self.replay_targets.update(replay_server_targets(items))

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
        return cls(
            options,
            run_id,
            worker,
            targets,
            subset_reason=_subset_reason(config, options),
            selected_by_pytest=bool(_pytest_selection(config)),
        )

    @property
    def is_controller(self) -> bool:
        return self.worker == "main"

    def target(self, target_id: str) -> Target:
        return next(target for target in self.targets if target.id == target_id)

    def artifacts_root(self) -> Path:
        return self.options.artifacts_dir / self.run_id

    def cleanup_command(self) -> str:
        return f"coworld gc --run-id {self.run_id}"
