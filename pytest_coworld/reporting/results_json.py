"""The admission artifact `coworld-certification.json`: schema-versioned facts of one certification run."""

from __future__ import annotations

import datetime
import json
import platform
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_coworld import __version__
from pytest_coworld.checks.catalog import CATEGORIES, CHECKS, required_checks
from pytest_coworld.json_path import schema_error_line
from pytest_coworld.reporting.records import (
    CERTIFIED,
    INCOMPLETE,
    NOT_CERTIFIED,
    CheckRecord,
    CheckRecorder,
    decide,
)

if TYPE_CHECKING:
    from pytest_coworld.session import CoworldSession
    from pytest_coworld.targets import Target

SCHEMA_VERSION = 2
SCHEMA_PATH = Path(__file__).with_name("certification.schema.json")


def _category_status(records: list[CheckRecord]) -> dict[str, str]:
    status = {}
    for category in CATEGORIES:
        outcomes = {r.outcome for r in records if r.check_id and CHECKS[r.check_id].category == category}
        if outcomes & {"failed", "error"}:
            status[category] = "fail"
        elif "warning" in outcomes:
            status[category] = "warn"
        elif "passed" in outcomes:
            status[category] = "pass"
        elif outcomes:
            status[category] = "skip"
    return status


def _images(target: Target, image_facts: dict[str, Any]) -> list[dict[str, Any]]:
    if target.loaded is None:
        return []
    images = []
    for path, reference in target.loaded.manifest.referenced_images():
        facts = image_facts.get(reference)
        images.append(
            {
                "path": path,
                "reference": reference,
                "id": facts.id if facts else None,
                "repo_digests": list(facts.repo_digests) if facts else [],
                "platform": facts.platform if facts else None,
            }
        )
    return images


def _certification(
    session: CoworldSession, target: Target, records: list[CheckRecord], image_facts: dict[str, Any]
) -> dict[str, Any]:
    loaded = target.loaded
    required = required_checks(target.generation, session.options.strict)
    verdict = decide(records, required, session.subset_reason)
    warnings = [r for r in records if r.outcome == "warning"]
    return {
        "target": target.id,
        "manifest": {
            "source": target.reference,
            "sha256": loaded.sha256 if loaded else None,
            "generation": target.generation,
            "game": loaded.manifest.game.name if loaded else None,
            "version": loaded.manifest.game.version if loaded else None,
        },
        "variant": target.variant,
        "verdict": verdict.verdict,
        "reasons": verdict.reasons,
        "chosen_subset": verdict.deselected,
        "warnings": [{"id": r.check_id, "message": r.message} for r in warnings],
        "required_checks": len(required),
        "images": _images(target, image_facts),
        "summary": dict(Counter(record.outcome for record in records)),
        "categories": _category_status(records),
        "checks": [record.as_json() for record in sorted(records, key=lambda r: r.nodeid)],
    }


def build_results(
    session: CoworldSession, recorder: CheckRecorder, image_facts: dict[str, Any]
) -> dict[str, Any]:
    certifications = [
        _certification(session, t, recorder.for_target(t.id), image_facts) for t in session.targets
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "coworld-certification",
        "plugin_version": __version__,
        "run_id": session.run_id,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "verdict": overall_verdict([c["verdict"] for c in certifications]),
        "warnings": sum(len(c["warnings"]) for c in certifications),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "artifacts_dir": str(session.artifacts_root()),
        "certifications": certifications,
    }


def overall_verdict(verdicts: list[str]) -> str:
    """The run's verdict: the worst of its targets' (no target at all is INCOMPLETE)."""
    if NOT_CERTIFIED in verdicts:
        return NOT_CERTIFIED
    return CERTIFIED if verdicts and all(v == CERTIFIED for v in verdicts) else INCOMPLETE


def write_results(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def validate_results(results: dict[str, Any]) -> list[str]:
    """Problems of a report against `certification.schema.json` (empty when valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    return [schema_error_line(error) for error in validator.iter_errors(results)]
