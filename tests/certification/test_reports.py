"""Report pieces that need no episode: skip kinds, the verdict, GitHub annotations, generated docs."""

from __future__ import annotations

from pytest_coworld.checks.catalog import REQUIRED_CHECKS
from pytest_coworld.reference import DOCS_DIR, PAGES
from pytest_coworld.reporting.github import annotations
from pytest_coworld.reporting.records import CheckRecord, skip_kind, verdict


def test_skip_kinds_come_from_the_reason() -> None:
    assert skip_kind("blocked: the game never became healthy") == "blocked"
    assert skip_kind("not applicable: static bundle") == "not-applicable"
    assert skip_kind("unavailable: no browser") == "unavailable"
    assert skip_kind("something else") == "other"


def test_verdict_fails_on_failures_errors_and_blocked_checks() -> None:
    every = [CheckRecord(check_id, check_id, "t") for check_id in sorted(REQUIRED_CHECKS)]
    not_applicable = CheckRecord("b", "replay.bundle", "t", outcome="skipped", skip_kind="not-applicable")
    assert verdict([*every, not_applicable]) == "passed"
    assert verdict(every[1:]) == "failed", "a required check that did not run"
    assert verdict([]) == "failed"
    for bad in (
        CheckRecord("c", "x", "t", outcome="failed"),
        CheckRecord("d", "x", "t", outcome="error"),
        CheckRecord("e", "x", "t", outcome="skipped", skip_kind="blocked"),
    ):
        assert verdict([*every, bad]) == "failed"


def test_github_annotations_name_each_failed_check() -> None:
    report = {
        "certifications": [
            {
                "target": "paint",
                "verdict": "failed",
                "checks": [
                    {
                        "id": "tokens.bad_token",
                        "nodeid": "n1",
                        "outcome": "failed",
                        "message": "accepted\n100% wrong",
                    },
                    {"id": "runtime.healthz", "nodeid": "n2", "outcome": "passed", "message": ""},
                ],
            }
        ]
    }
    assert annotations(report) == ["::error title=paint: tokens.bad_token failed::accepted%0A100%25 wrong"]


def test_reference_docs_are_current() -> None:
    for name, render in PAGES.items():
        assert (DOCS_DIR / name).read_text() == render(), f"run `python -m pytest_coworld.reference` ({name})"
