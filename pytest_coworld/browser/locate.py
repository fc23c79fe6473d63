"""Which Chromium the browser checks drive: Playwright's own, else `COWORLD_CHROMIUM`, else the system's.

The order: the browser `playwright install chromium` put in Playwright's registry (honours
`PLAYWRIGHT_BROWSERS_PATH`; Playwright launches its headless shell from there); then the executable named by
`COWORLD_CHROMIUM` (when it is set but unusable, that is the answer: nothing else is tried behind the user's
back); then, on the system, `chromium-headless-shell` before `chromium` or `chromium-browser`: the headless
shell is the lightest headless mode (a full Chromium in headless mode spent four times its CPU on the same
certification, see docs/benchmarks.md). No browser at all raises `BrowserUnavailable` with the reason, which
the checks report as a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_ENV = "COWORLD_CHROMIUM"
HEADLESS_SHELL = "chromium-headless-shell"
SYSTEM_NAMES = (HEADLESS_SHELL, "chromium", "chromium-browser")
SYSTEM_PATHS = tuple(Path("/usr/bin") / name for name in SYSTEM_NAMES)


class BrowserUnavailable(RuntimeError):
    """No browser can be found or started; the message says what was tried and how to get one."""


@dataclass(frozen=True)
class BrowserLocation:
    """A Chromium executable and where it was found (`playwright`, `COWORLD_CHROMIUM` or `system`)."""

    executable: Path
    source: str

    @property
    def is_playwrights_own(self) -> bool:
        return self.source == "playwright"

    @property
    def is_full_system_browser(self) -> bool:
        """A system Chromium that is not the headless shell (which is lighter for the same checks)."""
        return self.source == "system" and self.executable.name != HEADLESS_SHELL


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _system_browser(env: Mapping[str, str]) -> Path | None:
    for name in SYSTEM_NAMES:
        found = shutil.which(name, path=env.get("PATH", os.defpath))
        if found:
            return Path(found)
    return next((path for path in SYSTEM_PATHS if _is_executable(path)), None)


def playwright_chromium() -> str | None:
    """Where Playwright's own Chromium is (or would be) installed; None without the playwright package.

    Uses Playwright's synchronous API: call it from a script or a thread without a running event loop.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as playwright:
        return playwright.chromium.executable_path


def locate_browser(
    playwright_executable: str | None = None, env: Mapping[str, str] | None = None
) -> BrowserLocation:
    """The browser to launch; `playwright_executable` is where Playwright's own Chromium would be."""
    env = os.environ if env is None else env
    if playwright_executable and _is_executable(Path(playwright_executable)):
        return BrowserLocation(Path(playwright_executable), "playwright")
    chosen = env.get(CHROMIUM_ENV, "").strip()
    if chosen:
        if _is_executable(Path(chosen)):
            return BrowserLocation(Path(chosen), CHROMIUM_ENV)
        raise BrowserUnavailable(
            f"{CHROMIUM_ENV}={chosen} is not an executable file (and Playwright's Chromium is not "
            f"installed); point {CHROMIUM_ENV} at a Chromium executable or unset it"
        )
    system = _system_browser(env)
    if system is not None:
        return BrowserLocation(system, "system")
    raise BrowserUnavailable(
        "no Chromium found: Playwright's own is not installed (`playwright install chromium`), "
        f"{CHROMIUM_ENV} is not set, and neither chromium nor chromium-browser is on PATH"
    )
