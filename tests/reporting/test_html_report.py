"""The HTML certification report (`reporting/html_report.py`), checked the way people look at it.

Real certifications of the bundled examples (CERTIFIED, NOT CERTIFIED by a defect, INCOMPLETE by a chosen
subset, and the 4-slot auction) write real JSON reports and artifacts; each is rendered and opened in headless
Chromium: the verdict, every check and each failure's text are visible, the screenshots load, and the page
names no URL but `data:` images, links within itself and relative links into the artifacts folder. A
hand-made report (no containers) checks escaping of the game's text and every part of the page.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from html_pages import (
    HOSTILE,
    HOSTILE_FILE,
    HOSTILE_LOG,
    RUN_ID,
    TIMINGS,
    Markup,
    Page,
    handmade_report,
    make_artifacts,
    outside_urls,
    view,
)

from pytest_coworld.reporting import html_report
from pytest_coworld.reporting.html_report import render_html, shape_report, write_html_report
from pytest_coworld.reporting.records import VERDICT_WORDS
from pytest_coworld.reporting.results_json import validate_results
from pytest_coworld.reporting.summary import observed

DEFECT = "blank-global-viewer"  # fails browser.global_viewer, with a screenshot of the blank viewer
RUNS = {
    "certified": (("--example", "paint"), 0),
    "not-certified": (("--example", "paint", "--defect", DEFECT), 1),
    "incomplete": (("--example", "paint", "--checks", "manifest.*"), 3),
    "four-slots": (("--example", "auction"), 0),
}
MAX_BYTES = 5 * 1024 * 1024
PROBLEMS = ("failed", "warning", "error")


@dataclass
class Run:
    report_path: Path
    report: dict[str, Any]

    @property
    def artifacts(self) -> Path:
        return Path(self.report["artifacts_dir"])


@pytest.fixture(scope="module")
def certification(certifiable: None, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """`certification(name)`: the `coworld certify` run of RUNS[name] (run once per module, on demand)."""
    runs: dict[str, Run] = {}

    def run(name: str) -> Run:
        if name not in runs:
            if name == "four-slots":
                from pytest_coworld.examples import build_example

                build_example("auction")
            args, exit_code = RUNS[name]
            folder = tmp_path_factory.mktemp(name)
            # a healthz timeout that a busy 2-core machine needs
            command = ["certify", *args, "--report", "r.json", "--coworld-healthz-timeout=30"]
            finished = subprocess.run(
                [sys.executable, "-m", "pytest_coworld.cli.app", *command],
                cwd=folder,
                capture_output=True,
                text=True,
                check=False,
            )
            assert finished.returncode == exit_code, (finished.stdout + finished.stderr)[-3000:]
            report_path = folder / "r.json"
            runs[name] = Run(report_path, json.loads(report_path.read_text()))
        return runs[name]

    return run


@pytest.fixture(scope="module")
def browser() -> None:
    """A Chromium to look at the pages with (installed when missing, as root on Debian)."""
    from pytest_coworld.provision.browser import ensure_browser

    ensure_browser()


def assert_self_contained(page: Page, artifacts: Path) -> None:
    """Only data: images, links within the page and relative links into `artifacts`; nothing fetched."""
    assert outside_urls(page["urls"], page["ids"], artifacts) == []
    assert [url for url in page.requests if not url.startswith(("file:", "data:"))] == []
    assert "url(" not in page["css"] and "@import" not in page["css"]
    assert all(image["width"] > 0 for image in page["images"]), page["images"]  # every image loaded


# --- a hand-made report: no containers ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["recorded", "moved"])
def test_a_handmade_report_shows_everything_escaped_and_self_contained(tmp_path: Path, where: str) -> None:
    root = make_artifacts(tmp_path / "coworld-artifacts" / RUN_ID)
    # moved: the report names where the run was (another machine); the folder sits beside the HTML file
    report = handmade_report(str(root) if where == "recorded" else f"/runner/work/coworld-artifacts/{RUN_ID}")
    assert validate_results(report) == []
    html_path = tmp_path / "coworld-certification.html"

    html = render_html(report, html_path)
    markup = Markup(html)

    assert "script" not in markup.tags and markup.handlers == []
    assert HOSTILE in markup.text and HOSTILE_LOG in markup.text  # shown as text, never as markup
    assert outside_urls(markup.resolved_urls(html_path), markup.ids, root) == []
    assert len(markup.images) == 2  # the screenshot, with its failure and in the gallery: embedded
    assert all(src.startswith("data:image/png;base64,") for src in markup.images)
    assert any("javascript%3Aalert" in url for url in markup.urls)  # a file the game named stays a file
    text = " ".join(markup.text.split())
    assert "NOT CERTIFIED" in text and "browser.global_viewer failed" in text
    for check in report["certifications"][0]["checks"]:
        assert (check["id"] or check["nodeid"]) in text
    for phrase in ("the live viewer draws the frames it receives", "draw the snapshot, then every update"):
        assert phrase in text
    assert "coworld run-episode m.json" in text and "sha256:" + "b" * 64 in text

    shaped = shape_report(report, html_path)["certifications"][0]
    failure = next(c for g in shaped["groups"] for c in g["checks"] if c["id"] == "browser.global_viewer")
    assert failure["failure"]["observed"] == f"it draws nothing {HOSTILE}"
    assert failure["failure"]["log_tail"] == f"INFO started\n{HOSTILE_LOG}"
    assert (
        failure["failure"]["details"][0][2] == f"coworld-artifacts/{RUN_ID}/paint/browser/global_viewer.png"
    )
    assert failure["console_log"]["href"].endswith("global_viewer.console.log")
    error = next(c for g in shaped["groups"] for c in g["checks"] if c["outcome"] == "error")
    assert error["failure"] is None and error["message"].startswith("Traceback")
    assert [g["name"] for g in shaped["groups"]] == ["Manifest", "Tokens", "Replay", "Browser", "Other"]
    (episode,) = shaped["episodes"]
    assert [bar["name"] for bar in episode["timeline"]["bars"]] == [k for k in TIMINGS if k != "total"]
    assert episode["timeline"]["total"] == "6.20 s" and episode["timeline"]["other"] == "0.50 s"
    assert [(s["slot"], s["wire"]["sent"], s["wire"]["received"]) for s in episode["slots"]] == [
        ("0", 3, 5),
        ("1", 7, 5),
    ]
    assert episode["other_connections"] == ["GET /global: never answered"]
    assert sorted(Path(a["name"]).name for a in shaped["artifacts"]) == sorted(
        [
            "global_viewer.png",
            "global_viewer.console.log",
            "game.log",
            HOSTILE_FILE,
            "episode.json",
            "wire.jsonl",
        ]
    )


def test_without_its_artifacts_folder_the_report_still_renders_the_checks(tmp_path: Path) -> None:
    html = render_html(handmade_report("/nowhere/coworld-artifacts/cw-gone"), tmp_path / "report.html")
    markup = Markup(html)

    assert "browser.global_viewer" in markup.text and "no such folder here" in markup.text
    assert "img" not in markup.tags and all(url.startswith("#") for url in markup.urls)


def test_a_large_screenshot_is_linked_and_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, browser: None
) -> None:
    root = make_artifacts(tmp_path / "coworld-artifacts" / RUN_ID)
    report_path = tmp_path / "coworld-certification.json"
    report_path.write_text(json.dumps(handmade_report(str(root))))
    monkeypatch.setattr(html_report, "EMBED_LIMIT", 100)  # every screenshot is "large"

    html = write_html_report(report_path)
    page = view(html, tmp_path / "report.png")

    assert html == tmp_path / "coworld-certification.html"
    assert page["images"] and {image["src"] for image in page["images"]} == {
        f"coworld-artifacts/{RUN_ID}/paint/browser/global_viewer.png"
    }
    assert_self_contained(page, root)


# --- real certifications -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["certified", "not-certified", "incomplete"])
def test_the_page_shows_a_real_certification(
    certification: Callable[[str], Run], browser: None, tmp_path: Path, name: str
) -> None:
    run = certification(name)
    html = write_html_report(run.report_path)
    page = view(html, tmp_path / "report.png")  # the screenshot stays, as the test's artifact

    assert run.report["verdict"] == name
    assert page["verdict"] == VERDICT_WORDS[name]
    (certified,) = run.report["certifications"]
    rows = {(row["target"], row["id"], row["outcome"]) for row in page["rows"] if row["visible"]}
    assert rows == {(certified["target"], check["id"], check["outcome"]) for check in certified["checks"]}
    assert all(row["id"] in row["text"] for row in page["rows"])
    text = " ".join(page["text"].split())
    for reason in certified["reasons"]:
        assert " ".join(reason.split()) in text
    for check in certified["checks"]:
        if check["outcome"] in PROBLEMS:  # the failure's text, open beneath its row
            shown = " ".join(page["problems"][check["id"]]["text"].split())
            assert " ".join(observed(check["message"]).split()) in shown
            for line in check["message"].splitlines()[1:]:
                if line.startswith(("  expected: ", "  likely cause: ", "  reproduce: ")):
                    assert " ".join(line.split(": ", 1)[1].split()) in shown
    assert_self_contained(page, run.artifacts)

    shots = [c for c in certified["checks"] if "coworld.screenshot" in c["properties"]]
    if name == "incomplete":  # the manifest checks alone: no browser, no episode
        assert (shots, page["images"], page["phases"]) == ([], [], [])
        assert "not run" in text
        return
    pages = {check["properties"]["coworld.screenshot"] for check in shots}
    assert len(page["images"]) >= len(pages) >= 5  # player page, live and replay viewer, and with address
    timings = json.loads(next(run.artifacts.rglob("episode.json")).read_text())["timings"]
    assert page["phases"] == [phase for phase in timings if phase != "total"]
    assert [row.split()[:2] for row in page["slots"]] == [["slot", "0"], ["slot", "1"]]
    if name == "not-certified":
        blank = page["problems"]["browser.global_viewer"]
        assert blank["images"] and all(width > 0 for width in blank["images"])
        assert "blank" in blank["text"] and "reproduce" in blank["text"] and "log tail" in blank["text"]


def test_a_four_slot_report_stays_under_5_mb(certification: Callable[[str], Run]) -> None:
    run = certification("four-slots")
    html_path = run.report_path.with_suffix(".html")

    html = render_html(run.report, html_path)

    assert len(html.encode()) < MAX_BYTES
    (shaped,) = shape_report(run.report, html_path)["certifications"]
    (episode,) = shaped["episodes"]
    assert [s["slot"] for s in episode["slots"]] == ["0", "1", "2", "3"]
    assert all(s["wire"]["sent"] > 0 and s["wire"]["received"] > 0 for s in episode["slots"])
    assert len(shaped["screenshots"]) >= 5 and html.count('data-slot="') == 4
