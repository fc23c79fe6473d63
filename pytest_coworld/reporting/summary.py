"""The "Coworld certification" section of the terminal summary: a table per target, its warnings, the
verdict with its counts and the reasons behind anything but CERTIFIED."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_coworld.checks.catalog import CATEGORIES, CHECKS
from pytest_coworld.reporting.records import CERTIFIED, NOT_CERTIFIED, VERDICT_WORDS

if TYPE_CHECKING:
    from pytest_coworld.session import CoworldSession

_MARKUP = {
    "pass": {"green": True},
    "warn": {"yellow": True, "bold": True},
    "fail": {"red": True, "bold": True},
    "skip": {"yellow": True},
}
_VERDICT_MARKUP = {CERTIFIED: _MARKUP["pass"], NOT_CERTIFIED: _MARKUP["fail"]}
OUTCOMES = ("passed", "failed", "warning", "error", "skipped")


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
            terminal.write(f"  {category:<10} ")
            terminal.write(f"{status.upper():<5}", **_MARKUP[status])
            terminal.write_line(f" {_counts(certification['checks'], category)}")
        for warning in certification["warnings"]:
            terminal.write_line(f"  warning: {warning['id']}: {observed(warning['message'])}", yellow=True)
        terminal.write("  verdict: ")
        verdict = certification["verdict"]
        terminal.write_line(verdict_line(certification), **_VERDICT_MARKUP.get(verdict, _MARKUP["skip"]))
        for reason in certification["reasons"]:
            terminal.write_line(f"    - {reason.splitlines()[0] if reason else reason}")
    terminal.write_line(f"artifacts: {results['artifacts_dir']}")
    if session.options.results_json:
        terminal.write_line(f"report: {session.options.results_json}")
    if session.options.html:
        terminal.write_line(f"html report: {session.options.html}")
    if session.options.keep_containers:
        terminal.write_line(f"containers kept; remove them with: {session.cleanup_command()}")


def verdict_line(certification: dict[str, Any]) -> str:
    """`CERTIFIED (43 checks, 3 warnings)`, `NOT CERTIFIED (2 failed of 43 checks, …)`, `INCOMPLETE (…)`."""
    checks = certification["checks"]
    warnings = len(certification["warnings"])
    counts = [f"{len(checks)} checks"]
    failed = sum(check["outcome"] == "failed" for check in checks)
    if failed:
        counts = [f"{failed} failed of {len(checks)} checks"]
    counts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    chosen = "; a subset of the checks was chosen" if certification["chosen_subset"] else ""
    return f"{VERDICT_WORDS[certification['verdict']]} ({', '.join(counts)}{chosen})"


def observed(message: str) -> str:
    """The `observed:` line of a rendered check failure (its first line when it has none)."""
    lines = [line.strip() for line in message.splitlines()]
    found = next((line for line in lines if line.startswith("observed: ")), lines[0] if lines else "")
    return found.removeprefix("observed: ")[:300]


def _counts(checks: list[dict[str, Any]], category: str) -> str:
    outcomes = [c["outcome"] for c in checks if c["id"] and CHECKS[c["id"]].category == category]
    return ", ".join(f"{outcomes.count(o)} {o}" for o in OUTCOMES if o in outcomes)
