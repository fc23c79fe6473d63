"""One record per check item, built from pytest's reports the way JUnit XML counts them, and the verdict.

Outcomes: passed; failed (the game broke a required rule); warning (the game broke a recommended rule: pytest
reports it as xfailed, so it is shown but fails nothing); error (setup or teardown could not run: harness or
Docker); skipped, with a kind: `not-applicable` (the check does not apply to this game), `blocked` (an earlier
check it depends on failed, or a harness problem kept it from running) or `unavailable` (a tool such as the
browser is missing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

SKIP_PREFIXES = {"not applicable": "not-applicable", "blocked": "blocked", "unavailable": "unavailable"}


def skip_kind(reason: str) -> str:
    """The kind of a skip from its reason's leading words (`blocked: ...`)."""
    for prefix, kind in SKIP_PREFIXES.items():
        if reason.lower().startswith(prefix):
            return kind
    return "other"


WARNING_PREFIX = "warning: "
REPORT_NAME = "coworld-certification.json"
CERTIFIED, NOT_CERTIFIED, INCOMPLETE = "certified", "not-certified", "incomplete"
VERDICT_WORDS = {CERTIFIED: "CERTIFIED", NOT_CERTIFIED: "NOT CERTIFIED", INCOMPLETE: "INCOMPLETE"}


@dataclass
class CheckRecord:
    nodeid: str
    check_id: str | None
    target: str | None
    properties: dict[str, str] = field(default_factory=dict)
    outcome: str = "passed"
    skip_kind: str | None = None
    message: str = ""
    duration: float = 0.0

    @property
    def level(self) -> str:
        return self.properties.get("coworld.level", "required")

    def as_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": self.check_id,
            "nodeid": self.nodeid,
            "level": self.level,
            "outcome": self.outcome,
            "duration": round(self.duration, 3),
            "message": self.message,
            "properties": self.properties,
        }
        if self.skip_kind:
            record["skip_kind"] = self.skip_kind
        return record


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


class CheckRecorder:
    """Folds setup/call/teardown reports into one `CheckRecord` per node id."""

    def __init__(self) -> None:
        self.records: dict[str, CheckRecord] = {}

    def add(self, report: pytest.TestReport) -> None:
        properties = {str(k): str(v) for k, v in report.user_properties if str(k).startswith("coworld.")}
        record = self.records.setdefault(
            report.nodeid,
            CheckRecord(report.nodeid, properties.get("coworld.check"), properties.get("coworld.target")),
        )
        record.properties.update(properties)
        record.duration += report.duration
        if report.skipped and str(getattr(report, "wasxfail", "")).startswith(WARNING_PREFIX):
            record.outcome, record.message = "warning", report.longreprtext[:4000]
        elif report.skipped:
            record.outcome, record.message = "skipped", _skip_reason(report)
            record.skip_kind = skip_kind(record.message)
        elif report.failed:
            record.outcome = "failed" if report.when == "call" else "error"
            record.message = report.longreprtext[:4000]

    def for_target(self, target_id: str) -> list[CheckRecord]:
        return [record for record in self.records.values() if record.target == target_id]


@dataclass(frozen=True)
class Verdict:
    """A target's verdict, and the reasons behind anything but CERTIFIED (one line each)."""

    verdict: str
    reasons: list[str]
    deselected: bool = False  # INCOMPLETE only because the user ran a subset of the checks


def decide(records: list[CheckRecord], required: frozenset[str], subset_reason: str | None) -> Verdict:
    """NOT CERTIFIED when a required check failed; INCOMPLETE when none failed but a required check did not
    run (deselected, blocked, unavailable) or a check errored; else CERTIFIED (warnings allowed).

    `subset_reason` names how the user chose a subset (`-k`, `--coworld-checks`, ...), if they did: checks
    missing from the run are then their choice, not a fault.
    """
    failed = [r for r in records if r.outcome == "failed"]
    if failed:
        return Verdict(NOT_CERTIFIED, [f"{r.check_id or r.nodeid} failed" for r in failed])
    reasons = [
        f"{r.check_id or r.nodeid}: error (the harness could not run it)"
        for r in records
        if r.outcome == "error"
    ]
    reasons += [
        f"{r.check_id}: {r.message}"
        for r in records
        if r.outcome == "skipped" and r.check_id in required and r.skip_kind != "not-applicable"
    ]
    ran = {r.check_id for r in records}
    missing = sorted(required - ran)
    if missing:
        why = f"not run ({subset_reason})" if subset_reason else "not run"
        reasons.append(f"{len(missing)} required check(s) {why}: {', '.join(missing)}")
    if not reasons:
        return Verdict(CERTIFIED, [])
    only_deselected = bool(missing) and len(reasons) == 1 and subset_reason is not None
    return Verdict(INCOMPLETE, reasons, deselected=only_deselected)
