"""The "Coworld certification" section of the terminal summary: a table per target and the verdict."""

from __future__ import annotations

from typing import Any

from pytest_coworld.checks.catalog import CATEGORIES
from pytest_coworld.session import CoworldSession

_MARKUP = {"pass": {"green": True}, "fail": {"red": True, "bold": True}, "skip": {"yellow": True}}


def write_summary(terminal: Any, results: dict[str, Any], session: CoworldSession) -> None:
    terminal.section("Coworld certification")
    for certification in results["certifications"]:
        manifest = certification["manifest"]
        terminal.write_line(
            f"{certification['target']}: {manifest['source']} ({manifest['generation'] or 'invalid'})"
        )
        statuses = certification["categories"]
        for category in CATEGORIES:
            status = statuses.get(category)
            if status is None:
                continue
            counts = _counts(certification["checks"], category)
            terminal.write(f"  {category:<10} ")
            terminal.write(f"{status.upper():<5}", **_MARKUP[status])
            terminal.write_line(f" {counts}")
        verdict = certification["verdict"]
        terminal.write("  verdict: ")
        terminal.write_line("CERTIFIED" if verdict == "passed" else "NOT CERTIFIED", **_MARKUP[verdict[:4]])
    terminal.write_line(f"artifacts: {results['artifacts_dir']}")
    if session.options.results_json:
        terminal.write_line(f"report: {session.options.results_json}")
    if session.options.keep_containers:
        terminal.write_line(f"containers kept; remove them with: {session.cleanup_command()}")


def _counts(checks: list[dict[str, Any]], category: str) -> str:
    from pytest_coworld.checks.catalog import CHECKS

    outcomes = [c["outcome"] for c in checks if c["id"] and CHECKS[c["id"]].category == category]
    return ", ".join(
        f"{outcomes.count(o)} {o}" for o in ("passed", "failed", "error", "skipped") if o in outcomes
    )
