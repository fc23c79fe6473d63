"""Which browser the checks drive: Playwright's own, then COWORLD_CHROMIUM, then the system's, else none."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_coworld.browser import locate
from pytest_coworld.browser.locate import BrowserUnavailable, locate_browser


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_playwrights_own_browser_comes_first(tmp_path: Path) -> None:
    own = executable(tmp_path / "ms-playwright" / "chrome")
    chosen = executable(tmp_path / "chosen" / "chromium")
    found = locate_browser(str(own), {"COWORLD_CHROMIUM": str(chosen), "PATH": str(chosen.parent)})
    assert (found.executable, found.source) == (own, "playwright")


def test_coworld_chromium_comes_before_the_system_browser(tmp_path: Path) -> None:
    chosen = executable(tmp_path / "chosen" / "my-chromium")
    system = executable(tmp_path / "bin" / "chromium")
    missing_own = str(tmp_path / "ms-playwright" / "chrome")
    found = locate_browser(missing_own, {"COWORLD_CHROMIUM": str(chosen), "PATH": str(system.parent)})
    assert (found.executable, found.source) == (chosen, "COWORLD_CHROMIUM")


def test_an_unusable_coworld_chromium_is_the_answer(tmp_path: Path) -> None:
    system = executable(tmp_path / "bin" / "chromium")
    missing = tmp_path / "no-such-chromium"
    with pytest.raises(BrowserUnavailable, match=f"COWORLD_CHROMIUM={missing} is not an executable file"):
        locate_browser(None, {"COWORLD_CHROMIUM": str(missing), "PATH": str(system.parent)})


@pytest.mark.parametrize("name", ["chromium-headless-shell", "chromium", "chromium-browser"])
def test_the_system_browser_is_found_on_path(tmp_path: Path, name: str) -> None:
    system = executable(tmp_path / "bin" / name)
    found = locate_browser(None, {"PATH": str(system.parent)})
    assert (found.executable, found.source) == (system, "system")
    assert found.is_full_system_browser is (name != "chromium-headless-shell")


def test_the_headless_shell_comes_before_a_full_system_chromium(tmp_path: Path) -> None:
    full = executable(tmp_path / "bin" / "chromium")
    shell = executable(tmp_path / "shell" / "chromium-headless-shell")
    found = locate_browser(None, {"PATH": f"{full.parent}:{shell.parent}"})
    assert found.executable == shell


def test_no_browser_at_all_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locate, "SYSTEM_PATHS", ())
    with pytest.raises(BrowserUnavailable, match="playwright install chromium"):
        locate_browser(str(tmp_path / "chrome"), {"PATH": str(tmp_path)})


def test_ensure_browser_gives_an_executable(browser_executable: Path) -> None:
    assert browser_executable.is_file()
    assert os.access(browser_executable, os.X_OK)
