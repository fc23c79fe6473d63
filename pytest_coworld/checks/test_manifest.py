"""Manifest checks: the manifest validates, one item per rule family (MANIFEST.md)."""

from __future__ import annotations

import pytest

from pytest_coworld.checks.catalog import check_param
from pytest_coworld.failures import CoworldCheckFailure, NotApplicable
from pytest_coworld.fixtures import target_of
from pytest_coworld.manifest import LoadedManifest
from pytest_coworld.manifest.families import FAMILIES, family_of
from pytest_coworld.manifest.rules import platform_certification_violations

FAMILY_PARAMS = [check_param(family, family) for family in FAMILIES]
PLATFORM_RULES = {
    "manifest.tags": "certification.tags",
    "manifest.players_certified": "certification.unused-player",
}
PLATFORM_PARAMS = [check_param(check_id, check_id) for check_id in PLATFORM_RULES]


@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_manifest_rules(request: pytest.FixtureRequest, coworld_target: str, family: str) -> None:
    """Testname: Manifest rule family.
    Description: The manifest MUST load as JSON and satisfy every rule of this family: the JSON Schema of its
    generation (`manifest.schema`), a known generation, the tokens rule, certification slots, unique ids,
    token-free valid author configs, and resolvable references (MANIFEST.md).
    """
    target = target_of(request, coworld_target)
    if target.load_error:
        if family != "manifest.schema":
            pytest.skip("blocked: the manifest could not be loaded (see manifest.schema)")
        raise CoworldCheckFailure(
            family,
            "MANIFEST.md: a manifest is one JSON object",
            "a readable JSON manifest",
            target.load_error,
            hint="fix the path or the JSON syntax",
            repro=f"coworld validate {target.reference}",
        )
    broken = [v for v in target.violations if family_of(v.rule) == family]
    if broken:
        raise CoworldCheckFailure(
            family,
            f"MANIFEST.md ({family})",
            "no violation of this rule family",
            f"{len(broken)} violation(s)",
            details=[v.one_line() for v in broken],
            hint=broken[0].hint,
            repro=f"coworld validate {target.reference}",
        )


@pytest.mark.parametrize("check_id", PLATFORM_PARAMS)
def test_platform_certification_rules(coworld_manifest: LoadedManifest, check_id: str) -> None:
    """Testname: Platform certification rule.
    Description: A current-generation manifest MUST have at least 3 non-empty `tags` (`manifest.tags`) and
    MUST use every declared `player[]` entry in a certification slot (`manifest.players_certified`): the
    platform's certifier refuses it otherwise, although the schema allows it (MANIFEST.md).
    """
    if not coworld_manifest.generation.is_current:
        raise NotApplicable("the classic generation has no such rule")
    rule = PLATFORM_RULES[check_id]
    broken = [v for v in platform_certification_violations(coworld_manifest.document) if v.rule == rule]
    if broken:
        raise CoworldCheckFailure(
            check_id,
            "MANIFEST.md: the current generation (what certification also requires)",
            "a manifest the platform's certifier accepts",
            f"{len(broken)} violation(s)",
            details=[v.one_line() for v in broken],
            hint=broken[0].hint,
        )
