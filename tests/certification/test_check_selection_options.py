"""`--coworld-checks` and `--coworld-exclude-checks` take check ids and patterns; one that matches no check
is a typo, and a usage error that names it (with the nearest id), never a run that silently skips it."""

from __future__ import annotations

import pytest

from pytest_coworld.options import CoworldOptions


def _options(pytester: pytest.Pytester, *args: str) -> CoworldOptions:
    return CoworldOptions.from_config(pytester.parseconfig(*args))


def test_ids_and_patterns_that_match_checks_are_kept(pytester: pytest.Pytester) -> None:
    options = _options(
        pytester, "--coworld-checks=tokens.*,runtime.healthz", "--coworld-exclude-checks=*.reconnect"
    )
    assert options.checks == ("tokens.*", "runtime.healthz")
    assert options.selects("tokens.bad_token") and not options.selects("manifest.schema")


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        (
            "--coworld-checks=manifest.*,routes.healthz",
            "--coworld-checks: 'routes.healthz' matches no check id; did you mean runtime.healthz?",
        ),
        ("--coworld-exclude-checks=tokenz.*", "--coworld-exclude-checks: 'tokenz.*' matches no check id"),
    ],
    ids=["checks-typo", "exclude-pattern-typo"],
)
def test_a_pattern_that_matches_no_check_is_a_usage_error(
    pytester: pytest.Pytester, arg: str, message: str
) -> None:
    with pytest.raises(pytest.UsageError) as raised:
        _options(pytester, arg)
    assert message in str(raised.value)
    assert "docs/reference/checks.md" in str(raised.value)
