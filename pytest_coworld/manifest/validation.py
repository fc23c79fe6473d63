"""Check a manifest document: its generation, every schema error and every rule violation, all at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_coworld.manifest.generation import Contract, detect_generation
from pytest_coworld.manifest.manifest_schema import manifest_schema_violations
from pytest_coworld.manifest.models import Generation, Manifest
from pytest_coworld.manifest.rules import rule_violations
from pytest_coworld.manifest.violations import Violation


@dataclass(frozen=True)
class ManifestReport:
    """The outcome of a check: the generation the document follows, what is wrong, the model if nothing is."""

    generation: Generation
    violations: list[Violation] = field(default_factory=list)
    manifest: Manifest | None = None

    @property
    def valid(self) -> bool:
        return not self.violations


class ManifestInvalid(Exception):
    """The manifest breaks the contract; `report` holds every violation."""

    def __init__(self, report: ManifestReport, source: str = "manifest") -> None:
        self.report = report
        self.source = source
        super().__init__(describe_violations(report, source))


def describe_violations(report: ManifestReport, source: str) -> str:
    """A header line, then one line per violation."""
    count = len(report.violations)
    header = f"{source} is not a valid {report.generation} manifest ({count} violation{'s' * (count != 1)}):"
    return "\n".join([header, *(f"  {found.one_line()}" for found in report.violations)])


def check_document(document: Any, contract: Contract | str = Contract.AUTO) -> ManifestReport:
    """Every violation of `document` under `contract` (`auto`, `classic` or `current`)."""
    is_object = isinstance(document, dict)
    generation = detect_generation(document if is_object else {}, contract)
    found = manifest_schema_violations(document, generation)
    if is_object:
        found += rule_violations(document, generation)
    violations = list(dict.fromkeys(found))
    manifest = None if violations else Manifest.model_validate(document)
    return ManifestReport(generation, violations, manifest)
