"""The token matrix: every wrong slot/token pair is rejected at `/player` (probe game, before play)."""

from __future__ import annotations

import pytest

from pytest_coworld.certification import ProbeGame
from pytest_coworld.checks.catalog import RecordProperty, check_param
from pytest_coworld.failures import CoworldCheckFailure

CASES = [
    check_param("tokens.bad_token", "bad_token"),
    check_param("tokens.missing_token", "missing_token"),
    check_param("tokens.other_slot_token", "other_slot_token"),
    check_param("tokens.slot_out_of_range", "slot_out_of_range"),
    check_param("tokens.malformed_slot", "malformed_slot"),
]
RULE = (
    "RUNTIME.md: WEBSOCKET /player rejects a slot/token pair that is not valid for this episode "
    "(HTTP 401/403 at the handshake, or (current generation) accept then close within 2 s without a data "
    "frame), and goes on serving"
)
FAULT_HINT = (
    "refuse the handshake with 401 or 403; a crash, a hang, a reset or a 5xx is not a refusal, and the "
    "game must go on serving the episode"
)
CRASH_HINT = "a wrong slot or token must not crash the game: refuse the handshake and go on serving"


@pytest.mark.parametrize("case", CASES)
def test_token_rejected(record_property: RecordProperty, coworld_game: ProbeGame, case: str) -> None:
    """Testname: Token matrix.
    Description: `/player` MUST refuse a wrong token, a missing token, another slot's token, a slot beyond
    the slot count and a slot that is not a number with a 4xx at the handshake (401/403); a game of the
    current generation MAY instead accept the upgrade and close within 2 s without sending a data frame.
    A reset, a timeout or a 5xx is not a refusal, and the game MUST still answer `/healthz` afterwards: a game
    that stops serving fails the case that stopped it, and blocks the probes of that game after it.
    """
    probe = coworld_game.token_attempt(case)
    seen = probe.attempt
    record_property("coworld.observed", seen.describe())
    classic_late_close = seen.closed_without_data and coworld_game.contract == "classic"
    if probe.stopped is not None:
        observed, hint = f"{seen.describe()}; then the game stopped answering: {probe.stopped}", CRASH_HINT
    elif seen.refused and not classic_late_close:
        return
    elif seen.accepted and not seen.closed_without_data:
        observed, hint = f"accepted: {seen.describe()}", probe.hint
    else:
        observed, hint = f"not a refusal: {seen.describe()}", FAULT_HINT
    raise CoworldCheckFailure(
        f"tokens.{case}",
        RULE,
        f"{probe.description} is refused, and the game goes on serving",
        observed,
        details=[f"url: {probe.redacted_url}"],
        hint=hint,
        log_tail=coworld_game.log_tail(),
    )
