"""What the collected checks use of each target's games: its probe game, removed as soon as the last check
that uses it has run instead of at the end of the session (its removal then overlaps the checks still
running), and its replay servers, made ready while the episode plays when a check will use them."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from pytest_coworld.checks.catalog import REPLAY_SERVER_CHECKS, check_id_of
from pytest_coworld.targets import target_id_of

PROBE_FIXTURE = "coworld_game"


def replay_server_targets(items: Iterable[pytest.Item]) -> set[str]:
    """The targets of which a collected check observes a replay server."""
    return {
        target
        for item in items
        if (target := target_id_of(item)) is not None and check_id_of(item) in REPLAY_SERVER_CHECKS
    }


def uses_probe_game(item: pytest.Item) -> bool:
    """Whether the test uses the probe game (directly or through another fixture)."""
    return PROBE_FIXTURE in getattr(item, "fixturenames", ())


class ProbeGameUsers:
    """The node ids of the selected tests that use `coworld_game` (directly or through another fixture), by
    target. Under xdist a worker counts every collected test but runs only its share: a target whose tests
    are not all run here never reaches zero, and its probe game goes at the end, as before."""

    def __init__(self, items: Iterable[pytest.Item]) -> None:
        self._pending: dict[str, set[str]] = {}
        self._target_of: dict[str, str] = {}
        for item in items:
            target = target_id_of(item)
            if target is not None and uses_probe_game(item):
                self._pending.setdefault(target, set()).add(item.nodeid)
                self._target_of[item.nodeid] = target

    def finished(self, nodeid: str) -> str | None:
        """Note that test `nodeid` has run (teardown included); the target whose last user it was, if any."""
        target = self._target_of.pop(nodeid, None)
        if target is None:
            return None
        pending = self._pending[target]
        pending.discard(nodeid)
        return target if not pending else None
