"""The browser checks on the bundled examples in a real Chromium: clean games pass, defects fail exactly the
checks they break, static replay bundles are checked, and a missing browser is reported, never passed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from browser_runs import RUN_SECONDS, certify, defect_manifest

from pytest_coworld.examples import example_manifest_path

BROWSER_CHECKS = {
    "browser.player_page",
    "browser.player_params",
    "browser.player_address",
    "browser.global_viewer",
    "browser.global_address",
    "browser.replay_viewer",
}
EXPECTED_FINDINGS: dict[str | None, set[str]] = {  # failures, or warnings of the recommended checks
    None: set(),
    "ignores-address-param": {"browser.player_address", "browser.global_address"},
    "blank-global-viewer": {"browser.global_viewer"},
    "replay-error-frame": {"browser.replay_viewer"},
    "replay-server-broken": {"browser.replay_viewer"},
}
BUNDLES = Path(__file__).parent / "bundles"


@pytest.mark.parametrize("example", ["paint", "auction"])
def test_clean_games_pass_and_each_defect_fails_exactly_its_checks(
    example_images: None, tmp_path: Path, example: str
) -> None:
    manifests = {
        defect: defect_manifest(tmp_path / (defect or "clean"), example, defect)
        for defect in EXPECTED_FINDINGS
    }
    run = certify(tmp_path, list(manifests.values()), "--coworld-checks=browser.*")
    for defect, manifest in manifests.items():
        outcomes = run.outcomes(manifest)
        assert set(outcomes) == BROWSER_CHECKS, run.output
        found = {check for check, outcome in outcomes.items() if outcome in ("failed", "warning")}
        passed = {check for check, outcome in outcomes.items() if outcome == "passed"}
        assert (found, passed) == (EXPECTED_FINDINGS[defect], BROWSER_CHECKS - found), (defect, run.output)
    clean = manifests[None]
    for check in BROWSER_CHECKS:
        linked = run.properties(clean, check)
        assert Path(linked["coworld.screenshot"]).is_file()
        assert Path(linked["coworld.console_log"]).is_file()


def test_an_address_failure_names_the_url_opened_and_the_one_expected(
    example_images: None, tmp_path: Path
) -> None:
    manifest = defect_manifest(tmp_path / "ignores", "paint", "ignores-address-param")
    run = certify(tmp_path, [manifest], "--coworld-checks=browser.player_address")
    message = run.message(manifest, "browser.player_address")
    expected = message.split("expected: every websocket the page opens is exactly ", 1)[1].split(" ", 1)[0]
    observed = message.split("observed: the page opened ", 1)[1].split("\n", 1)[0]
    assert expected.startswith("ws://127.0.0.1:") and "/coworld-address-probe/player?probe=" in expected
    assert "/player?slot=1&token=<token>&coworld_probe=1&address=http" in observed
    assert "screenshot: " in message


def bundle_manifest(folder: Path, bundle: str) -> Path:
    """The auction manifest with a static replay viewer (`bundles/<bundle>`) instead of its replay mode."""
    document = json.loads(example_manifest_path("auction").read_text())
    document["game"]["replay_viewer"] = {"bundle": "viewer"}
    shutil.copytree(BUNDLES / bundle, folder / "viewer")
    path = folder / "coworld_manifest.json"
    path.write_text(json.dumps(document))
    return path


def test_a_static_replay_bundle_must_play_the_replay(example_images: None, tmp_path: Path) -> None:
    playing, blank = (bundle_manifest(tmp_path / name, name) for name in ("playing", "blank"))
    run = certify(tmp_path, [playing, blank], "--coworld-checks=browser.replay_viewer")
    assert run.outcomes(playing) == {"browser.replay_viewer": "passed"}, run.output
    assert run.outcomes(blank) == {"browser.replay_viewer": "failed"}, run.output
    assert "draws nothing" in run.message(blank, "browser.replay_viewer")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1, and its URL: where a manifest is read from a URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def test_a_manifest_read_from_a_url_has_its_bundle_checked_beside_it(
    example_images: None, tmp_path: Path, served: tuple[Path, str]
) -> None:
    folder, base = served
    playing = bundle_manifest(folder / "playing", "playing")
    missing = bundle_manifest(folder / "missing", "playing")
    shutil.rmtree(missing.parent / "viewer")
    urls = [f"{base}/{path.parent.name}/coworld_manifest.json" for path in (playing, missing)]
    checks = "--coworld-checks=replay.bundle,browser.replay_viewer"
    run = certify(tmp_path, urls, checks)

    assert run.outcomes(urls[0], "") == {"replay.bundle": "passed", "browser.replay_viewer": "passed"}, (
        run.output
    )
    assert run.outcomes(urls[1], "replay.") == {"replay.bundle": "failed"}, run.output
    assert f"{base}/missing/viewer/index.html" in run.message(urls[1], "replay.bundle")
    assert "HTTP 404" in run.message(urls[1], "replay.bundle")


def no_browser(tmp_path: Path) -> dict[str, str]:
    """An environment where no browser can be found: Playwright has none, COWORLD_CHROMIUM names no file."""
    return {
        "COWORLD_CHROMIUM": str(tmp_path / "no-such-chromium"),
        "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "no-browsers"),
    }


def test_without_a_browser_the_checks_are_skipped_as_unavailable_with_the_fix(tmp_path: Path) -> None:
    manifest = example_manifest_path("paint")
    run = certify(tmp_path, [manifest], "--coworld-checks=browser.*", env=no_browser(tmp_path))
    assert run.outcomes(manifest) == dict.fromkeys(BROWSER_CHECKS, "skipped"), run.output
    skips = [line for line in run.output.splitlines() if line.startswith("SKIPPED")]
    reason = f": unavailable: COWORLD_CHROMIUM={tmp_path / 'no-such-chromium'} is not an executable file"
    assert len(skips) == len(BROWSER_CHECKS), run.output
    assert all(reason in skip and "python -m playwright install" in skip for skip in skips), run.output
    assert run.report["verdict"] == "incomplete"


def test_coworld_certify_without_a_browser_is_incomplete_and_exits_non_zero(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pytest_coworld.cli.app", "certify", "--example", "paint"]
    finished = subprocess.run(
        [*command, "--coworld-checks=browser.*"],
        cwd=tmp_path,
        env={**os.environ, **no_browser(tmp_path)},
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    assert finished.returncode == 3, finished.stdout[-3000:]  # INCOMPLETE
    assert "INCOMPLETE" in finished.stdout and "python -m playwright install" in finished.stdout
