"""One record per check item, built from pytest's reports the way JUnit XML counts them.

Outcomes: passed; failed (the game broke the rule); error (setup or teardown could not run: harness or
Docker); skipped, with a kind: `not-applicable` (the check does not apply to this game), `blocked` (an earlier
check it depends on failed) or `unavailable` (a tool such as the browser is missing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

SKIP_PREFIXES = {"not applicable": "not-applicable", "blocked": "blocked", "unavailable": "unavailable"}


def skip_kind(reason: str) -> str:
    """The kind of a skip from its reason's leading words (`blocked: ...`)."""
    for prefix, kind in SKIP_PREFIXES.items():
        if reason.lower().startswith(prefix):
            return kind
    return "other"


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

    def as_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": self.check_id,
            "nodeid": self.nodeid,
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
        if report.skipped:
            record.outcome, record.message = "skipped", _skip_reason(report)
            record.skip_kind = skip_kind(record.message)
        elif report.failed:
            record.outcome = "failed" if report.when == "call" else "error"
            record.message = report.longreprtext[:4000]

    def for_target(self, target_id: str) -> list[CheckRecord]:
        return [record for record in self.records.values() if record.target == target_id]


def verdict(records: list[CheckRecord]) -> str:
    """`passed` when every required check ran and none failed, errored or was blocked; else `failed`."""
    from pytest_coworld.checks.catalog import REQUIRED_CHECKS

    bad = [r for r in records if r.outcome in ("failed", "error") or r.skip_kind in ("blocked", "other")]
    missing = REQUIRED_CHECKS - {r.check_id for r in records}
    return "failed" if bad or missing else "passed"
