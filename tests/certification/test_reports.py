"""Report pieces that need no episode: skip kinds, levels, the verdict, exit status."""

from __future__ import annotations

import pytest

from pytest_coworld.checks.catalog import CHECKS, RECOMMENDED, level_of, required_checks
from pytest_coworld.reporting.plugin import exit_status
from pytest_coworld.reporting.records import CheckRecord, decide, skip_kind

REQUIRED = required_checks("current-v1")


def test_skip_kinds_come_from_the_reason() -> None:
    assert skip_kind("blocked: the game never became healthy") == "blocked"
    assert skip_kind("not applicable: static bundle") == "not-applicable"
    assert skip_kind("unavailable: no browser") == "unavailable"
    assert skip_kind("something else") == "other"


def record(check_id: str, outcome: str = "passed", skip: str | None = None, message: str = "") -> CheckRecord:
    return CheckRecord(f"node-{check_id}", check_id, "t", outcome=outcome, skip_kind=skip, message=message)


def test_every_required_check_passing_is_certified_with_warnings_counted_apart() -> None:
    every = [record(check_id) for check_id in sorted(REQUIRED)]
    warning = record("browser.player_address", "warning", message="the page opened …")
    not_applicable = record("replay.bundle", "skipped", "not-applicable")
    assert decide([*every, warning, not_applicable], REQUIRED, None).verdict == "certified"


def test_a_failed_required_check_is_not_certified() -> None:
    every = [record(check_id) for check_id in sorted(REQUIRED - {"tokens.bad_token"})]
    verdict = decide([*every, record("tokens.bad_token", "failed")], REQUIRED, None)
    assert (verdict.verdict, verdict.reasons) == ("not-certified", ["tokens.bad_token failed"])


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (record("x", "error"), "x: error (the harness could not run it)"),
        (record("runtime.healthz", "skipped", "blocked", "blocked: docker failed"), "blocked: docker failed"),
        (
            record("browser.global_viewer", "skipped", "unavailable", "unavailable: no Chromium"),
            "no Chromium",
        ),
    ],
)
def test_a_required_check_that_did_not_run_is_incomplete(bad: CheckRecord, reason: str) -> None:
    every = [record(check_id) for check_id in sorted(REQUIRED - {bad.check_id})]
    verdict = decide([*every, bad], REQUIRED, None)
    assert verdict.verdict == "incomplete" and not verdict.deselected
    assert any(reason in line for line in verdict.reasons), verdict.reasons


def test_missing_checks_are_incomplete_and_the_users_choice_only_with_a_subset_reason() -> None:
    some = [record(check_id) for check_id in sorted(REQUIRED)[1:]]
    involuntary = decide(some, REQUIRED, None)
    chosen = decide(some, REQUIRED, "-k")
    assert (involuntary.verdict, involuntary.deselected) == ("incomplete", False)
    assert (chosen.verdict, chosen.deselected) == ("incomplete", True)
    assert "not run (-k)" in chosen.reasons[0]
    assert decide([], REQUIRED, None).verdict == "incomplete"


def test_levels_come_from_the_catalog_the_generation_and_strictness() -> None:
    assert level_of("browser.player_address", "current-v1") == RECOMMENDED
    assert level_of("browser.player_address", "current-v1", strict=True) == "required"
    assert level_of("viewer.ping_pong", "classic") == RECOMMENDED
    assert level_of("viewer.ping_pong", "current-v0") == "required"
    assert {"browser.global_viewer", "browser.player_page", "viewer.late_state"} <= REQUIRED
    assert all(CHECKS[c].level in ("required", "recommended") for c in CHECKS)


def certification(verdict: str, chosen: bool = False) -> dict[str, object]:
    return {"verdict": verdict, "certifications": [{"verdict": verdict, "chosen_subset": chosen}]}


@pytest.mark.parametrize(
    ("results", "status"),
    [
        (certification("certified"), 0),
        (certification("not-certified"), 1),
        (certification("incomplete"), 1),
        (certification("incomplete", chosen=True), 0),
    ],
)
def test_pytest_exits_non_zero_unless_certified_or_a_chosen_subset(results: dict, status: int) -> None:
    assert exit_status(pytest.ExitCode.OK, results) == status
    assert exit_status(pytest.ExitCode.INTERRUPTED, results) == pytest.ExitCode.INTERRUPTED
