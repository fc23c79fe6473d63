"""Both bundled examples pass every check, the reports say so, and nothing is left running."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pytest_coworld.checks.catalog import CHECKS
from pytest_coworld.cli.app import app
from pytest_coworld.examples import example_manifest_path
from pytest_coworld.reporting.results_json import validate_results
from pytest_coworld.runtime.engine_events import GamesCreated
from pytest_coworld.runtime.labels import LABEL_RUN_ID


def test_both_examples_certify_in_parallel_with_clean_reports(certify: Any, docker_client: Any) -> None:
    with GamesCreated(docker_client, ("paint", "auction")) as games:
        run = certify(example_manifest_path("paint"), example_manifest_path("auction"), args=("-n", "2"))

    assert run.result.ret == 0, run.result.stdout.str()[-3000:]
    run.result.assert_outcomes(passed=88, skipped=10)  # each example serves one generation of replay mode
    assert "warnings summary" not in run.result.stdout.str()
    run.result.stdout.fnmatch_lines(
        ["*paint*(classic)*", "*verdict: CERTIFIED (4? checks, 0 warnings)*", "*auction*(current-v1)*"]
    )
    assert validate_results(run.report) == []
    assert (run.report["verdict"], run.report["warnings"]) == ("certified", 0)
    not_applicable = {"paint": {"manifest.tags", "manifest.players_certified"}, "auction": set()}
    for target in ("paint", "auction"):
        ran = {c["id"] for c in run.checks(target) if c["outcome"] == "passed"}
        assert ran == set(CHECKS) - {"replay.bundle"} - not_applicable[target]
        assert run.ids_with(target, "failed", "error", "warning") == set()

    suite = ET.parse(run.junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and suite.get("errors") == "0"
    suite_properties = {p.get("name"): p.get("value") for p in suite.iter("property") if p in suite[0]}
    assert suite_properties["coworld.verdict"] == "certified"
    assert suite_properties["coworld.paint.generation"] == "classic"
    assert suite_properties["coworld.auction.image.game.runnable.image"].startswith(
        "coworld-examples/auction-game:latest@sha256:"
    )
    healthz = next(case for case in suite.iter("testcase") if case.get("name") == "test_healthz[paint]")
    case_properties = {p.get("name"): p.get("value") for p in healthz.iter("property")}
    assert case_properties["coworld.check"] == "runtime.healthz"
    assert case_properties["coworld.level"] == "required"
    assert case_properties["coworld.target"] == "paint"

    run_id = run.report["run_id"]
    assert _resources_of(docker_client, run_id) == []
    assert games.count(run_id) == {
        ("paint", "certification"): 1,
        ("paint", "probe"): 1,
        ("auction", "certification"): 1,
        ("auction", "probe"): 1,
    }


def test_a_one_second_episode_is_certified(certify: Any, tmp_path: Path) -> None:
    """A correct game whose whole certification episode is over in about a second passes every live check:
    the viewers attach before the players start, and a late join it leaves no time for is not applicable."""
    document = json.loads(example_manifest_path("paint").read_text())
    document["certification"]["game_config"].update(ticks=10, tick_ms=100)
    manifest = tmp_path / "one-second.json"
    manifest.write_text(json.dumps(document))

    run = certify(manifest)

    assert run.result.ret == 0, run.result.stdout.str()[-3000:]
    assert (run.report["verdict"], run.report["warnings"]) == ("certified", 0)
    assert run.ids_with("paint", "failed", "error", "warning") == set()
    live = {"browser.global_viewer", "browser.player_page", "viewer.first_message", "players.connected"}
    assert live <= run.ids_with("paint", "passed")


def coworld(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest_coworld.cli.app", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)


def test_coworld_certify_example_keeps_every_artifact_then_verify_report(
    tmp_path: Path, example_images: None
) -> None:
    report = tmp_path / "coworld-certification.json"  # the defaults: this file, ./coworld-artifacts/<run id>/
    runner = CliRunner()

    certified = coworld("certify", "--example", "paint", cwd=tmp_path)

    assert certified.returncode == 0, certified.stdout[-3000:]
    named = _paths_named_by(json.loads(report.read_text()))
    assert any(path.endswith(".png") for path in named) and any(path.endswith(".log") for path in named)
    assert all(Path(path).exists() for path in named), named
    subset = coworld(
        "certify",
        "--example",
        "paint",
        "--junitxml=junit.xml",
        "--report=subset.json",
        "-k",
        "healthz",
        cwd=tmp_path,
    )
    assert subset.returncode == 3, subset.stdout[-3000:]  # INCOMPLETE: only a subset ran
    assert "INCOMPLETE" in subset.stdout and "not run (-k)" in subset.stdout
    assert all(Path(path).exists() for path in _paths_named_by(ET.parse(tmp_path / "junit.xml")))
    assert len(list((tmp_path / "coworld-artifacts").glob("cw-*"))) == 2, "both runs' artifacts are kept"

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


def _paths_named_by(report: Any) -> set[str]:
    """Every absolute path a JSON report (dict) or JUnit tree names in its properties and artifacts."""
    if isinstance(report, ET.ElementTree):
        values = [p.get("value") or "" for p in report.getroot().iter("property")]
    else:
        values = [report["artifacts_dir"]]
        for certification in report["certifications"]:
            values += [value for check in certification["checks"] for value in check["properties"].values()]
    return {value for value in values if value.startswith("/")}
