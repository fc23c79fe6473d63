"""`python -m pytest_coworld.reporting.github REPORT`: a certification report, shown on GitHub Actions.

Reads `coworld-certification.json` and
- prints workflow-command annotations: `::error` per failed or errored check, `::warning` per warning, and
  one per reason a certification is incomplete (or not certified without a failed check to show);
- writes the outputs `verdict` (certified, not-certified or incomplete) and `warnings` (a count) to the file
  named by `$GITHUB_OUTPUT`;
- appends a Markdown job summary to the file named by `$GITHUB_STEP_SUMMARY`.

A missing or unreadable report is an `::error` and the verdict `incomplete`. Exits 0 (2 on a usage error):
the action's Verdict step decides whether the job fails.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
from pathlib import Path
from typing import Any

from pytest_coworld.reporting.records import CERTIFIED, INCOMPLETE, NOT_CERTIFIED

HEADLINES = {CERTIFIED: "✅ CERTIFIED", NOT_CERTIFIED: "❌ NOT CERTIFIED", INCOMPLETE: "⚠️ INCOMPLETE"}
MESSAGE_LINES = 12  # of a check's message in its annotation
SHOWN_OUTCOMES = ("failed", "error", "warning")  # the checks in the summary's main table
COUNTED = {
    "passed": "passed",
    "failed": "failed",
    "warning": "warnings",
    "skipped": "skipped",
    "error": "errors",
}


class ReportError(Exception):
    """The report is missing, not JSON, or not a certification report."""


def escape_data(text: str) -> str:
    """Workflow-command escaping of a message: `%`, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Workflow-command escaping of a property such as `title=`: also `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(kind: str, title: str, message: str) -> str:
    """`::error title=...::message` (or `::warning`), escaped."""
    return f"::{kind} title={escape_property(title)}::{escape_data(message)}"


def load_report(path: Path) -> dict[str, Any]:
    """The report at `path`; `ReportError` unless it is JSON with a known verdict."""
    try:
        report = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ReportError(str(error)) from None
    if (
        not isinstance(report, dict)
        or report.get("verdict") not in HEADLINES
        or not isinstance(report.get("warnings", 0), int)
    ):
        raise ReportError("not a coworld-certification report of schema version 2")
    return report


def _check_name(check: dict[str, Any]) -> str:
    return str(check.get("id") or check.get("nodeid") or "?")


def _first_lines(text: str | None, count: int) -> str:
    return "\n".join((text or "").strip().splitlines()[:count])


def annotation_lines(report: dict[str, Any]) -> list[str]:
    """One annotation per failed or errored check, per warning, and per reason behind a bad verdict."""
    lines = []
    for certification in report.get("certifications", []):
        target = certification.get("target", "?")
        failing = [c for c in certification.get("checks", []) if c.get("outcome") in ("failed", "error")]
        for check in failing:
            what = "failed" if check["outcome"] == "failed" else "errored"
            message = _first_lines(check.get("message"), MESSAGE_LINES) or check.get("nodeid", "")
            lines.append(workflow_command("error", f"{target}: {_check_name(check)} {what}", message))
        for warning in certification.get("warnings", []):
            title = f"{target}: {warning.get('id') or 'warning'}"
            lines.append(workflow_command("warning", title, warning.get("message", "")))
        reasons = certification.get("reasons") or ["see the certification report"]
        if certification.get("verdict") == INCOMPLETE:
            lines += [workflow_command("warning", f"{target}: incomplete", reason) for reason in reasons]
        elif certification.get("verdict") == NOT_CERTIFIED and not failing:
            lines += [workflow_command("error", f"{target}: not certified", reason) for reason in reasons]
    if not report.get("certifications") and report.get("verdict") != CERTIFIED:
        lines.append(workflow_command("error", "coworld certification", "the report certifies no manifest"))
    return lines


def outputs(report: dict[str, Any]) -> dict[str, str]:
    """The step outputs: the run's verdict and its number of warnings."""
    return {"verdict": str(report["verdict"]), "warnings": str(int(report.get("warnings", 0)))}


def _cell(text: str) -> str:
    """Text that is safe in a Markdown table cell."""
    return html.escape(text, quote=False).replace("|", "\\|")


def _table(checks: list[dict[str, Any]]) -> list[str]:
    rows = ["| Check | Level | Outcome | Message |", "| --- | --- | --- | --- |"]
    for check in checks:
        message = _cell(_first_lines(check.get("message"), 1))
        rows.append(f"| `{_check_name(check)}` | {check.get('level', '')} | {check['outcome']} | {message} |")
    return rows


def _counts(summary: dict[str, int]) -> str:
    return ", ".join(f"{summary.get(outcome, 0)} {label}" for outcome, label in COUNTED.items())


def _certification_summary(certification: dict[str, Any]) -> list[str]:
    manifest = certification.get("manifest") or {}
    game = " ".join(str(manifest[k]) for k in ("game", "version") if manifest.get(k))
    checks = certification.get("checks", [])
    title = certification.get("target", "?") + (f" ({game})" if game else "")
    headline = HEADLINES.get(certification.get("verdict", ""), "?")
    lines = [f"### {title}: {headline}, {_counts(certification.get('summary') or {})}"]
    if certification.get("reasons"):
        lines += ["", *(f"- {_cell(reason)}" for reason in certification["reasons"])]
    shown = [check for check in checks if check.get("outcome") in SHOWN_OUTCOMES]
    if shown:
        lines += ["", *_table(shown)]
    if checks:
        lines += ["", f"<details><summary>All {len(checks)} checks</summary>", ""]
        lines += [*_table(checks), "", "</details>"]
    return lines


def summary(report: dict[str, Any]) -> str:
    """The job summary in Markdown: the verdict, each certification's counts, checks and reasons."""
    warnings = int(report.get("warnings", 0))
    lines = [f"## Coworld certification: {HEADLINES[report['verdict']]}"]
    if warnings:
        lines[0] += f" ({warnings} warning{'s' if warnings != 1 else ''})"
    for certification in report.get("certifications", []):
        lines += ["", *_certification_summary(certification)]
    if report.get("artifacts_dir"):
        lines += ["", f"Episode artifacts (logs, replays, screenshots): `{report['artifacts_dir']}`."]
    return "\n".join(lines) + "\n"


def _append(variable: str, text: str) -> None:
    """Append `text` to the file named by environment `variable`, when it is set."""
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_coworld.reporting.github",
        description="Show a coworld-certification.json on GitHub Actions: annotations, outputs, job summary.",
    )
    parser.add_argument("report", type=Path, help="the coworld-certification.json to show")
    try:
        path = parser.parse_args(argv).report
    except SystemExit as usage:
        return int(usage.code or 0)
    try:
        report = load_report(path)
    except ReportError as error:
        message = f"no readable report at {path} ({error}); see the Certify step's log"
        print(workflow_command("error", "coworld certification", message))
        _append("GITHUB_OUTPUT", f"verdict={INCOMPLETE}\nwarnings=0\n")
        _append("GITHUB_STEP_SUMMARY", f"## Coworld certification: {HEADLINES[INCOMPLETE]}\n\n{message}\n")
        return 0
    for line in annotation_lines(report):
        print(line)
    _append("GITHUB_OUTPUT", "".join(f"{name}={value}\n" for name, value in outputs(report).items()))
    _append("GITHUB_STEP_SUMMARY", summary(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
