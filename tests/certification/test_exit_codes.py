"""The exit-code table of docs/tutorial.md, cell by cell: pytest and `coworld certify`, by verdict and cause.

CERTIFIED (0, 0) is asserted by test_certify_examples.py, NOT CERTIFIED (1, 1) by the defect zoo and
test_fresh_install.py, a missing browser by tests/browser; these are the INCOMPLETE and usage-error cells.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_coworld.examples import example_manifest_path

BROKEN_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}  # every Docker call fails at once


def run(
    tmp_path: Path, *command: str, env: dict[str, str] | None = None
) -> tuple[int, str, dict[str, object]]:
    """Run `command` in `tmp_path`: its exit code, its output and the report it wrote."""
    finished = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    report = tmp_path / "coworld-certification.json"
    written = json.loads(report.read_text()) if report.is_file() else {}
    return finished.returncode, finished.stdout + finished.stderr, written


def pytest_run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, dict[str, object]]:
    manifest = f"--coworld-manifest={example_manifest_path('paint')}"
    report = f"--coworld-results-json={tmp_path / 'coworld-certification.json'}"
    return run(tmp_path, "pytest", "-p", "no:cacheprovider", manifest, report, *args, env=env)


def certify_run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, dict[str, object]]:
    return run(tmp_path, "pytest_coworld.cli", "certify", *args, env=env)


@pytest.mark.parametrize(
    "subset", [["-k", "healthz"], ["--coworld-exclude-checks=tokens.*,browser.*,replay.*"]]
)
def test_a_subset_you_chose_is_incomplete_pytest_exits_0_certify_exits_3(
    tmp_path: Path, example_images: None, subset: list[str]
) -> None:
    code, output, report = pytest_run(tmp_path, *subset)
    assert (code, report["verdict"]) == (0, "incomplete"), output[-3000:]
    assert "INCOMPLETE" in output and "a subset of the checks was chosen" in output

    code, output, report = certify_run(tmp_path, "--example", "paint", *subset)
    assert (code, report["verdict"]) == (3, "incomplete"), output[-3000:]


def test_named_test_paths_run_without_the_checks_and_say_so(tmp_path: Path) -> None:
    (tmp_path / "test_mine.py").write_text("def test_mine():\n    pass\n")

    code, output, report = pytest_run(tmp_path, "test_mine.py")

    assert (code, report["verdict"]) == (0, "incomplete"), output[-3000:]
    assert "1 passed" in output
    assert "coworld: no certification check was collected" in output
    assert "--pyargs pytest_coworld.checks" in output


def test_certify_json_prints_the_report_of_the_chosen_checks_on_stdout(
    tmp_path: Path, example_images: None
) -> None:
    chosen = ["--checks", "manifest.*", "--report", "chosen.json", "--json"]
    finished = subprocess.run(
        [sys.executable, "-m", "pytest_coworld.cli", "certify", "--example", "paint", *chosen],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    printed = json.loads(finished.stdout)  # stdout holds the report alone; pytest's output went to stderr

    assert (finished.returncode, printed["verdict"]) == (3, "incomplete"), finished.stderr[-3000:]
    assert printed == json.loads((tmp_path / "chosen.json").read_text())
    assert "INCOMPLETE" in (tmp_path / "chosen.html").read_text()  # the same report as one HTML page
    checks = printed["certifications"][0]["checks"]
    assert checks and all(check["id"].startswith("manifest.") for check in checks)
    assert "INCOMPLETE" in finished.stderr


def test_a_docker_failure_is_incomplete_and_never_exits_0(tmp_path: Path) -> None:
    code, output, report = pytest_run(tmp_path, env=BROKEN_DOCKER)
    assert code == 1 and report["verdict"] == "incomplete", output[-3000:]
    reasons = report["certifications"][0]["reasons"]  # type: ignore[index]
    assert reasons and "NOT CERTIFIED" not in output, output[-3000:]

    code, output, report = certify_run(tmp_path, "--example", "paint", env=BROKEN_DOCKER)
    assert (code, report["verdict"]) == (3, "incomplete"), output[-3000:]


@pytest.mark.parametrize(
    "args",
    [[], ["--defect", "no-results"], ["--example", "paint", "--defect", "no-such-defect"]],
    ids=["no-manifest", "defect-without-example", "unknown-defect"],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    code, output, _ = certify_run(tmp_path, *args)
    assert code == 2, output
    assert "error:" in output and "Traceback" not in output
