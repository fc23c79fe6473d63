"""The one switch for the deliberate defects of the defect zoo (see examples/defects.json)."""

from __future__ import annotations

import os

from coworld_kit import KitError

GAME_DEFECT_VARIABLE = "COWORLD_EXAMPLE_DEFECT"
PLAYER_DEFECT_VARIABLE = "COWORLD_EXAMPLE_PLAYER_DEFECT"

GAME_DEFECTS = frozenset(
    {
        "never-healthy",
        "crash-mid-episode",
        "hang-after-episode",
        "lingers-60s-after-results",
        "ignores-sigterm-after-episode",
        "accepts-bad-token",
        "accepts-other-slots-token",
        "error-500-on-bad-token",
        "hang-on-bad-token",
        "crash-on-bad-token",
        "ignores-slot-bounds",
        "no-late-viewer-state",
        "empty-late-snapshot",
        "refuses-reconnect",
        "reconnect-resets-state",
        "ignores-address-param",
        "drops-page-params",
        "blank-global-viewer",
        "invalid-results",
        "wrong-score-count",
        "no-results",
        "no-replay",
        "replay-server-broken",
        "replay-error-frame",
        "no-pong",
        "binds-loopback-only",
        "player-route-404",
    }
)
PLAYER_DEFECTS = frozenset(
    {
        "crash-on-start",
        "never-connects",
        "never-exits",
        "player-talks-to-global-only",
        "player-retries-refused-handshake",
    }
)


def selected_defect(variable: str, known: frozenset[str]) -> str | None:
    """The defect id switched on by `variable`, None when unset; an unknown id is a KitError."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    if value not in known:
        raise KitError(f"{variable}={value!r} is not a known defect; use one of: {', '.join(sorted(known))}")
    return value
