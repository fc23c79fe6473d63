"""The GitHub Action: `reporting/github.py` on hand-written reports, and action.yml's `run:` steps in bash.

The action's steps run as GitHub runs them (`bash --noprofile --norc -eo pipefail`, fresh `$GITHUB_OUTPUT`
per step, `if: always()` honoured), except the `uses:` and install steps, which need the network. A fake
`coworld` on PATH stands in for the certification where a test is about the action, not the games.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_coworld.examples import apply_defect, example_manifest_path
from pytest_coworld.reporting import github

REPO = Path(__file__).resolve().parents[2]
ACTION = REPO / "action.yml"
TUTORIAL = REPO / "docs" / "tutorial.md"
NETWORK_STEPS = {"Install pytest-coworld", "Install the browser"}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
LONG = "\n".join(f"line {n}" for n in range(1, 21))


# --- hand-written reports -------------------------------------------------------------------------------


def check(check_id: str, outcome: str, message: str = "", level: str = "required") -> dict[str, Any]:
    return {
        "id": check_id,
        "nodeid": f"coworld/test_x.py::{check_id}",
        "level": level,
        "outcome": outcome,
        "duration": 0.5,
        "message": message,
        "properties": {},
    }


def certification(
    verdict: str, *checks: dict[str, Any], reasons: tuple[str, ...] = (), target: str = "paint"
) -> dict[str, Any]:
    warnings = [{"id": c["id"], "message": c["message"]} for c in checks if c["outcome"] == "warning"]
    return {
        "target": target,
        "manifest": {
            "source": "m.json",
            "sha256": "ab",
            "generation": "classic",
            "game": target,
            "version": "1.0",
        },
        "verdict": verdict,
        "reasons": list(reasons),
        "warnings": warnings,
        "summary": dict(Counter(c["outcome"] for c in checks)),
        "checks": list(checks),
    }


def report(*certifications: dict[str, Any]) -> dict[str, Any]:
    verdicts = {c["verdict"] for c in certifications}
    verdict = next((v for v in ("not-certified", "incomplete") if v in verdicts), "certified")
    return {
        "schema_version": 2,
        "kind": "coworld-certification",
        "run_id": "cw-1",
        "artifacts_dir": "/runner/coworld-artifacts/cw-1",
        "verdict": verdict,
        "warnings": sum(len(c["warnings"]) for c in certifications),
        "certifications": list(certifications),
    }


CERTIFIED_WITH_WARNINGS = report(
    certification(
        "certified",
        check("tokens.bad_token", "passed"),
        check(
            "browser.player_address",
            "warning",
            "connected to ws://x:1/player, not\nthe address",
            "recommended",
        ),
        check("game.linger", "warning", "100% lingering, 5 s", "recommended"),
        check("replay.bundle", "skipped"),
    )
)
NOT_CERTIFIED = report(
    certification(
        "not-certified",
        check("runtime.healthz", "passed"),
        check("tokens.bad_token", "failed", f"accepted a | bad token\n{LONG}"),
        check("results.present", "error", "docker went away"),
        reasons=("tokens.bad_token failed",),
    ),
    certification("certified", check("runtime.healthz", "passed"), target="auction"),
)
INCOMPLETE = report(
    certification(
        "incomplete",
        check("runtime.healthz", "passed"),
        reasons=("browser.player_page: unavailable: no browser", "1 required check(s) not run: x.y"),
    )
)


@dataclass
class Shown:
    code: int
    annotations: list[str]
    outputs: str
    summary: str


def show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: Any
) -> Shown:
    """Run `reporting/github.py` on `data` (a dict, or raw text) as the Report step does."""
    path = tmp_path / "coworld-certification.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    outputs, summary = tmp_path / "output", tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code = github.main([str(path)])
    read = [f.read_text() if f.exists() else "" for f in (outputs, summary)]
    return Shown(code, capsys.readouterr().out.splitlines(), *read)


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert github.escape_data("100%\r\nok: a,b") == "100%25%0D%0Aok: a,b"
    assert github.escape_property("100%\r\nok: a,b") == "100%25%0D%0Aok%3A a%2Cb"
    assert github.workflow_command("error", "t: x", "a\nb") == "::error title=t%3A x::a%0Ab"


def test_certified_with_warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    shown = show(tmp_path, monkeypatch, capsys, CERTIFIED_WITH_WARNINGS)
    assert shown.code == 0
    assert shown.annotations == [
        "::warning title=paint%3A browser.player_address::connected to ws://x:1/player, not%0Athe address",
        "::warning title=paint%3A game.linger::100%25 lingering, 5 s",
    ]
    assert shown.outputs == "verdict=certified\nwarnings=2\n"
    assert shown.summary.startswith("## Coworld certification: ✅ CERTIFIED (2 warnings)\n")
    assert (
        "### paint (paint 1.0): ✅ CERTIFIED, 1 passed, 0 failed, 2 warnings, 1 skipped, 0 errors"
        in shown.summary
    )
    assert "| `game.linger` | recommended | warning | 100% lingering, 5 s |" in shown.summary
    assert "| `browser.player_address` | recommended | warning | connected to ws://x:1/player, not |" in (
        shown.summary
    )
    assert "<details><summary>All 4 checks</summary>" in shown.summary
    assert "| `replay.bundle` | required | skipped |  |" in shown.summary
    assert "`/runner/coworld-artifacts/cw-1`" in shown.summary


def test_not_certified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    shown = show(tmp_path, monkeypatch, capsys, NOT_CERTIFIED)
    first_twelve = "%0A".join(["accepted a | bad token", *(f"line {n}" for n in range(1, 12))])
    assert shown.annotations == [
        f"::error title=paint%3A tokens.bad_token failed::{first_twelve}",
        "::error title=paint%3A results.present errored::docker went away",
    ], "one per failed or errored check; the reason naming the failed check is not repeated"
    assert shown.outputs == "verdict=not-certified\nwarnings=0\n"
    assert shown.summary.startswith("## Coworld certification: ❌ NOT CERTIFIED\n")
    assert "### auction (auction 1.0): ✅ CERTIFIED, 1 passed" in shown.summary
    assert "- tokens.bad_token failed" in shown.summary
    assert "| `tokens.bad_token` | required | failed | accepted a \\| bad token |" in shown.summary
    assert "| `results.present` | required | error | docker went away |" in shown.summary
    assert "line 2" not in shown.summary, "the table shows each message's first line only"


def test_not_certified_without_a_failed_check_shows_its_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    data = report(certification("not-certified", check("a.b", "passed"), reasons=("the manifest, broken",)))
    shown = show(tmp_path, monkeypatch, capsys, data)
    assert shown.annotations == ["::error title=paint%3A not certified::the manifest, broken"]


def test_incomplete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    shown = show(tmp_path, monkeypatch, capsys, INCOMPLETE)
    assert shown.annotations == [
        "::warning title=paint%3A incomplete::browser.player_page: unavailable: no browser",
        "::warning title=paint%3A incomplete::1 required check(s) not run: x.y",
    ]
    assert shown.outputs == "verdict=incomplete\nwarnings=0\n"
    assert shown.summary.startswith("## Coworld certification: ⚠️ INCOMPLETE\n")
    assert "- browser.player_page: unavailable: no browser\n" in shown.summary
    assert "| Check | Level | Outcome | Message |\n| --- | --- | --- | --- |\n| `runtime" in shown.summary


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{not json",
        '"a string"',
        json.dumps({"schema_version": 1, "verdict": "passed", "certifications": []}),
    ],
    ids=["empty", "not-json", "not-an-object", "schema-1"],
)
def test_an_unreadable_report_is_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, text: str
) -> None:
    shown = show(tmp_path, monkeypatch, capsys, text)
    assert shown.code == 0
    assert len(shown.annotations) == 1
    assert shown.annotations[0].startswith("::error title=coworld certification::no readable report at ")
    assert shown.outputs == "verdict=incomplete\nwarnings=0\n"
    assert "INCOMPLETE" in shown.summary


def test_a_missing_report_and_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert github.main([str(tmp_path / "missing.json")]) == 0, "without the GitHub files: annotations only"
    assert capsys.readouterr().out.startswith("::error title=coworld certification::no readable report")
    assert github.main([]) == 2
    assert github.main(["a.json", "b.json"]) == 2


# --- the action's own steps -----------------------------------------------------------------------------


@dataclass
class Step:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class ActionRun:
    steps: dict[str, Step]  # by step id, or name
    outputs: dict[str, str]
    summary: str

    def explain(self) -> str:
        return "\n".join(
            f"[{name}] exit {s.code}\n{s.stdout}\n{s.stderr[-3000:]}" for name, s in self.steps.items()
        )


def run_action(folder: Path, path: str = "", **inputs: str) -> ActionRun:
    """Run action.yml's `run:` steps in `folder` with these inputs (`fail_on` for `fail-on`)."""
    action = yaml.safe_load(ACTION.read_text())
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    given = {name.replace("_", "-"): value for name, value in inputs.items()}
    assert set(given) <= set(values), f"no such inputs: {set(given) - set(values)}"
    values.update(given)
    steps: dict[str, Step] = {}

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        scope, _, rest = expression.partition(".")
        if scope == "inputs":
            return values[rest]
        if expression == "github.action_path":
            return str(REPO)
        step_id, _, name = rest.partition(".outputs.")
        if scope == "steps" and name:
            return steps[step_id].outputs.get(name, "") if step_id in steps else ""
        raise AssertionError(f"the test cannot evaluate {match.group(0)}")

    def substitute(text: str) -> str:
        return EXPRESSION.sub(value, text)

    summary = folder / "step-summary.md"
    summary.touch()
    environment = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    environment["PATH"] = os.pathsep.join(
        p for p in (path, str(Path(sys.executable).parent), os.environ["PATH"]) if p
    )
    failed = False
    skipped = [step["name"] for step in action["runs"]["steps"] if step.get("name") in NETWORK_STEPS]
    assert sorted(skipped) == sorted(NETWORK_STEPS), "the test skips the install steps by name"
    for index, step in enumerate(action["runs"]["steps"]):
        assert step.get("if") in (None, "always()"), "the test knows these conditions only"
        if "uses" in step or step["name"] in NETWORK_STEPS or (failed and step.get("if") is None):
            continue
        assert step["shell"] == "bash"
        script, output = folder / f".step-{index}.sh", folder / f".output-{index}"
        script.write_text(substitute(step["run"]))
        output.touch()
        env = {k: substitute(str(v)) for k, v in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=folder,
            env={**environment, **env, "GITHUB_OUTPUT": str(output)},
            capture_output=True,
            text=True,
            timeout=1800,  # a hang guard only
        )
        lines = output.read_text().splitlines()
        outputs = dict(line.split("=", 1) for line in lines)
        steps[step.get("id", step["name"])] = Step(done.returncode, done.stdout, done.stderr, outputs)
        failed = failed or (done.returncode != 0 and not step.get("continue-on-error"))
    outputs = {name: substitute(spec["value"]) for name, spec in action["outputs"].items()}
    return ActionRun(steps, outputs, summary.read_text())


FAKE_COWORLD = """#!/bin/bash
# A stand-in for `coworld certify`: record the arguments, copy $FAKE_REPORT to --report, exit $FAKE_EXIT.
printf '%s\\n' "$@" > coworld-argv.txt
while [ $# -gt 0 ]; do
  if [ "$1" = --report ] && [ -n "$FAKE_REPORT" ]; then cp "$FAKE_REPORT" "$2"; fi
  shift
done
exit "$FAKE_EXIT"
"""


@pytest.fixture
def fake_coworld(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`fake_coworld(report or None, exit code)`: a scratch folder whose PATH has a fake `coworld` first."""
    bin_dir, work = tmp_path / "bin", tmp_path / "work"
    bin_dir.mkdir()
    work.mkdir()
    (bin_dir / "coworld").write_text(FAKE_COWORLD)
    (bin_dir / "coworld").chmod(0o755)

    def prepare(data: dict[str, Any] | None, code: int) -> tuple[Path, str]:
        if data is not None:
            (tmp_path / "fake-report.json").write_text(json.dumps(data))
            monkeypatch.setenv("FAKE_REPORT", str(tmp_path / "fake-report.json"))
        else:
            monkeypatch.delenv("FAKE_REPORT", raising=False)
        monkeypatch.setenv("FAKE_EXIT", str(code))
        return work, str(bin_dir)

    return prepare


@pytest.mark.parametrize(
    ("data", "exit_code", "fail_on", "fails"),
    [
        (CERTIFIED_WITH_WARNINGS, 0, None, False),
        (NOT_CERTIFIED, 1, None, True),
        (INCOMPLETE, 3, None, True),
        (INCOMPLETE, 3, "not-certified", False),
        (CERTIFIED_WITH_WARNINGS, 0, "not-certified incomplete warnings", True),
        (NOT_CERTIFIED, 1, "", False),
        (NOT_CERTIFIED, 0, None, True),  # the report decides, not the exit code
        (CERTIFIED_WITH_WARNINGS, 1, None, False),
    ],
    ids=[
        "certified",
        "not-certified",
        "incomplete",
        "incomplete-tolerated",
        "strict-warnings",
        "never-fail",
        "exit-0-not-certified",
        "exit-1-certified",
    ],
)
def test_the_verdict_comes_from_the_report(
    fake_coworld: Any, data: dict[str, Any], exit_code: int, fail_on: str | None, fails: bool
) -> None:
    work, path = fake_coworld(data, exit_code)
    run = run_action(work, path, **({} if fail_on is None else {"fail_on": fail_on}))
    expected = {"verdict": data["verdict"], "warnings": str(data["warnings"])}
    assert run.steps["report"].outputs == expected, run.explain()
    assert run.outputs == expected
    assert (run.steps["verdict"].code != 0) == fails, run.explain()
    assert run.summary.startswith("## Coworld certification: "), "the Report step wrote the job summary"


def test_the_certify_step_passes_manifest_and_args(fake_coworld: Any) -> None:
    work, path = fake_coworld(CERTIFIED_WITH_WARNINGS, 0)
    run_action(
        work, path, manifest="games/my game.json", args="-n 2 --variant four-players -k 'tokens and not bad'"
    )
    assert (work / "coworld-argv.txt").read_text().splitlines() == [
        "certify",
        "games/my game.json",
        "--junitxml",
        "coworld-junit.xml",
        "--report",
        "coworld-certification.json",
        "--artifacts-dir",
        "coworld-artifacts",
        "-n",
        "2",
        "--variant",
        "four-players",
        "-k",
        "tokens and not bad",
    ]


def test_no_report_is_incomplete_even_with_a_stale_one(fake_coworld: Any) -> None:
    work, path = fake_coworld(None, 4)
    (work / "coworld-certification.json").write_text(json.dumps(CERTIFIED_WITH_WARNINGS))
    run = run_action(work, path)
    assert run.outputs == {"verdict": "incomplete", "warnings": "0"}
    assert run.steps["report"].stdout.startswith("::error title=coworld certification::no readable report")
    assert run.steps["verdict"].code == 1


def test_an_unknown_fail_on_word_fails_the_job(fake_coworld: Any) -> None:
    work, path = fake_coworld(CERTIFIED_WITH_WARNINGS, 0)
    run = run_action(work, path, fail_on="not-certified sometimes")
    assert run.steps["verdict"].code == 1
    assert "::error title=fail-on::unknown 'sometimes'" in run.steps["verdict"].stdout


def test_the_documented_args_are_real_options_and_variants() -> None:
    """The `--variant` and other options the action's inputs and the tutorial show exist."""
    help_text = subprocess.run(
        [Path(sys.executable).parent / "coworld", "certify", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    described = yaml.safe_load(ACTION.read_text())["inputs"]["args"]["description"]
    examples = [text for text in re.findall(r"`([^`]+)`", described) if text.startswith("-")]
    examples += re.findall(r"^ +args: (-.*?) *(?:#.*)?$", TUTORIAL.read_text(), re.MULTILINE)
    shown = [shlex.split(example) for example in examples]
    assert shown
    variants = {v["id"] for name in ("paint", "auction") for v in read_manifest(name).get("variants", [])}
    for words in shown:
        assert re.search(rf"(?<![\w-]){words[0]}\b", help_text), f"coworld certify has no {words[0]}"
        if words[0] == "--variant":
            assert words[1] in variants, f"no example has a variant {words[1]}"


def read_manifest(example: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(example_manifest_path(example).read_text())
    return document


# --- real certifications through the action's steps ----------------------------------------------------

ARGS = "--coworld-healthz-timeout=30"  # what a loaded 2-core machine needs


def test_the_action_certifies_the_paint_example(tmp_path: Path, certifiable: None) -> None:
    run = run_action(tmp_path, manifest=str(example_manifest_path("paint")), args=ARGS)
    assert run.outputs["verdict"] == "certified", run.explain()
    assert run.steps["certify"].code == 0
    assert run.steps["verdict"].code == 0
    assert "::error" not in run.steps["report"].stdout
    assert run.summary.startswith("## Coworld certification: ✅ CERTIFIED")
    for name in ("coworld-junit.xml", "coworld-certification.json", "coworld-artifacts"):
        assert (tmp_path / name).exists(), f"the upload step would miss {name}"


def test_the_action_fails_a_game_without_results(tmp_path: Path, certifiable: None) -> None:
    document = apply_defect(read_manifest("paint"), "no-results")
    document["certification"]["game_config"]["player_connect_timeout_seconds"] = 20  # fail fast, not in 180 s
    manifest = tmp_path / "paint-no-results.json"
    manifest.write_text(json.dumps(document))
    run = run_action(tmp_path, manifest=str(manifest), args=ARGS)
    assert run.outputs["verdict"] == "not-certified", run.explain()
    assert run.steps["verdict"].code != 0
    assert "::error title=paint%3A results.present failed::" in run.steps["report"].stdout
    assert "❌ NOT CERTIFIED" in run.summary
