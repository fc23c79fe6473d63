"""Run the certification suite the way users do: pytest (or `coworld certify`) in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from certification_runs import EXAMPLES, Certification

from pytest_coworld.examples import build_example


@pytest.fixture(scope="session")
def example_images(docker_client: Any) -> None:
    """Both examples' images, built once (cached by content)."""
    for name in EXAMPLES:
        build_example(name)


@pytest.fixture
def certify(pytester: pytest.Pytester, example_images: None) -> Any:
    """`certify(manifest, ...pytest args)`: run the suite in a subprocess; its report and JUnit file."""

    def run(*manifests: Path, args: tuple[str, ...] = ()) -> Certification:
        report, junit = pytester.path / "report.json", pytester.path / "junit.xml"
        result = pytester.runpytest_subprocess(
            "-p",
            "no:cacheprovider",
            "-rA",
            *(f"--coworld-manifest={m}" for m in manifests),
            f"--coworld-results-json={report}",
            f"--coworld-artifacts-dir={pytester.path / 'artifacts'}",
            f"--junitxml={junit}",
            "-o",
            "junit_family=xunit1",
            "--coworld-healthz-timeout=30",  # what a loaded 2-core machine needs
            *args,
        )
        return Certification(result, json.loads(report.read_text()), junit)

    return run
