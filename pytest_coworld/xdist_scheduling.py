"""One worker per certification target under pytest-xdist: a scheduler that keeps a target's checks together.

Every check of a target shares one certification episode and one probe game per process, so the checks of a
target must all run on one worker. pytest-xdist's `loadgroup` cannot promise that here: it groups by a suffix
it writes into node ids, which pytest 9.2's structured node ids ignore (pytest-xdist#1386), so each worker
ran its own episode of the same game. This scheduler reads the target from the check's parameter id instead
(`test_manifest_rules[paint-manifest.schema]`, `test_reconnect[paint]`, …); every other test is its own unit,
exactly as under `--dist load`.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling


class TargetScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
    """`--dist load` where all tests parametrized by one certification target form one work unit."""

    def __init__(self, config: pytest.Config, log: Any, targets: list[str]) -> None:
        super().__init__(config, log)
        self.targets = sorted(targets, key=len, reverse=True)  # `paint-2` before `paint`

    def _split_scope(self, nodeid: str) -> str:
        return target_of(nodeid, self.targets) or nodeid


def target_of(nodeid: str, targets: list[str]) -> str | None:
    """The group of the target whose id starts the test's parameter id, if any."""
    _, bracket, params = nodeid.partition("[")
    if not bracket:
        return None
    for target in targets:
        if params.startswith(target) and params[len(target) : len(target) + 1] in ("-", "]"):
            return f"coworld-{target}"
    return None
