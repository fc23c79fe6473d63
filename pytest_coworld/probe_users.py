"""Which collected checks still need each target's probe game, so that it is removed as soon as the last one
has run instead of at the end of the session (its removal then overlaps the checks still running)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from pytest_coworld.targets import target_id_of

PROBE_FIXTURE = "coworld_game"


class ProbeGameUsers:
    """The node ids of the selected tests that use `coworld_game` (directly or through another fixture), by
    target. Under xdist a worker counts every collected test but runs only its share: a target whose tests
    are not all run here never reaches zero, and its probe game goes at the end, as before."""

    def __init__(self, items: Iterable[pytest.Item]) -> None:
        self._pending: dict[str, set[str]] = {}
        self._target_of: dict[str, str] = {}
        for item in items:
            target = target_id_of(item)
            if target is not None and PROBE_FIXTURE in getattr(item, "fixturenames", ()):
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
