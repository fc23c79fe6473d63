"""The token matrix: every wrong slot/token pair is rejected at `/player` (probe game, before play)."""

from __future__ import annotations

import pytest

from pytest_coworld.certification import ProbeGame
from pytest_coworld.checks.catalog import check_param
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
    "(HTTP 401/403 at the handshake, a refused handshake, or (current generation) accept then close "
    "within 2 s without a data frame)"
)


@pytest.mark.parametrize("case", CASES)
def test_token_rejected(record_property: pytest.RecordProperty, coworld_game: ProbeGame, case: str) -> None:
    """Testname: Token matrix.
    Description: `/player` MUST reject a wrong token, a missing token, another slot's token, a slot beyond
    the slot count and a slot that is not a number, at the handshake (401/403 or refused); a game of the
    current generation MAY instead accept the upgrade and close within 2 s without sending a data frame.
    """
    probe = coworld_game.token_attempt(case)
    record_property("coworld.observed", probe.attempt.describe())
    if probe.attempt.rejected and not (
        probe.attempt.closed_without_data and coworld_game.contract == "classic"
    ):
        return
    raise CoworldCheckFailure(
        f"tokens.{case}",
        RULE,
        f"{probe.description} is rejected",
        probe.attempt.describe(),
        details=[f"url: {probe.redacted_url}"],
        hint=probe.hint,
        log_tail=coworld_game.log_tail(),
        repro=coworld_game.repro,
    )
