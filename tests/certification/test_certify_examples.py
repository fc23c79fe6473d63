"""Both bundled examples pass every check, the reports say so, and nothing is left running."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from typer.testing import CliRunner

from pytest_coworld.checks.catalog import CHECKS
from pytest_coworld.cli.app import app
from pytest_coworld.examples import example_manifest_path
from pytest_coworld.reporting.results_json import validate_results
from pytest_coworld.runtime.labels import LABEL_RUN_ID


def test_both_examples_certify_in_parallel_with_clean_reports(certify: Any, docker_client: Any) -> None:
    run = certify(example_manifest_path("paint"), example_manifest_path("auction"), args=("-n", "2"))

    assert run.result.ret == 0, run.result.stdout.str()[-3000:]
    run.result.assert_outcomes(passed=88, skipped=2)
    assert "warnings summary" not in run.result.stdout.str()
    run.result.stdout.fnmatch_lines(["*paint*(classic)*", "*verdict: CERTIFIED*", "*auction*(current-v1)*"])
    assert validate_results(run.report) == []
    assert run.report["verdict"] == "passed"
    for target in ("paint", "auction"):
        ran = {c["id"] for c in run.checks(target) if c["outcome"] == "passed"}
        assert ran == set(CHECKS) - {"replay.bundle"}
        assert run.ids_with(target, "failed", "error") == set()

    suite = ET.parse(run.junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and suite.get("errors") == "0"
    suite_properties = {p.get("name"): p.get("value") for p in suite.iter("property") if p in suite[0]}
    assert suite_properties["coworld.verdict"] == "passed"
    assert suite_properties["coworld.paint.generation"] == "classic"
    assert suite_properties["coworld.auction.image.game.runnable.image"].startswith(
        "coworld-examples/auction-game:latest@sha256:"
    )
    healthz = next(case for case in suite.iter("testcase") if case.get("name") == "test_healthz[paint]")
    case_properties = {p.get("name"): p.get("value") for p in healthz.iter("property")}
    assert case_properties["coworld.check"] == "runtime.healthz"
    assert case_properties["coworld.target"] == "paint"

    run_id = run.report["run_id"]
    assert _resources_of(docker_client, run_id) == []


def test_coworld_certify_example_then_verify_report(tmp_path: Any, example_images: None) -> None:
    report = tmp_path / "coworld-certification.json"
    junit = tmp_path / "junit.xml"
    runner = CliRunner()
    import subprocess
    import sys

    certified = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_coworld.cli.app",
            "certify",
            "--example",
            "paint",
            "--json",
            str(report),
            "--junitxml",
            str(junit),
            "--artifacts-dir",
            str(tmp_path / "artifacts"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert certified.returncode == 0, certified.stdout[-3000:]
    assert junit.is_file()

    admitted = runner.invoke(app, ["verify-report", str(report), "--example", "paint"])
    assert admitted.exit_code == 0, admitted.output
    assert "admitted" in admitted.output

    tampered = json.loads(report.read_text())
    tampered["certifications"][0]["images"][0]["id"] = "sha256:" + "0" * 64
    report.write_text(json.dumps(tampered))
    refused = runner.invoke(app, ["verify-report", str(report), "--example", "paint"])
    assert refused.exit_code == 1
    assert "not admitted: image coworld-examples/paint-game:latest" in refused.output


def test_kept_containers_stay_until_gc_removes_their_run(certify: Any, docker_client: Any) -> None:
    run = certify(
        example_manifest_path("paint"), args=("--coworld-keep-containers", "--coworld-checks=runtime.healthz")
    )
    run_id = run.report["run_id"]
    run.result.stdout.fnmatch_lines([f"containers kept; remove them with: coworld gc --run-id {run_id}"])
    assert _resources_of(docker_client, run_id)

    removed = CliRunner().invoke(app, ["gc", "--run-id", run_id])

    assert removed.exit_code == 0, removed.output
    assert f"run {run_id}'s container(s)" in removed.output
    assert _resources_of(docker_client, run_id) == []


def _resources_of(client: Any, run_id: str) -> list[str]:
    """Names of the containers and networks of `run_id` and of its targets' runs (`<run id>-<target>`)."""
    labelled = {"label": LABEL_RUN_ID}
    found = client.containers.list(all=True, filters=labelled, ignore_removed=True)
    containers = [(c.name, c.labels) for c in found]
    networks = [(n.name, n.attrs["Labels"]) for n in client.networks.list(filters=labelled)]
    return [name for name, labels in containers + networks if labels[LABEL_RUN_ID].startswith(run_id)]
