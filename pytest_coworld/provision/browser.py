"""Make sure a Chromium for the browser checks exists: use one that is found, or (root on Debian) install it.

Idempotent and cached: when `pytest_coworld.browser.locate` finds Playwright's browser, `COWORLD_CHROMIUM` or
the system's headless shell, nothing is installed. Otherwise, as root on Debian, `apt-get install
chromium-headless-shell` (also beside a full `chromium`: the shell is the lighter one); elsewhere a found
browser is used as it is, and without one the error says how to get one.
"""

from __future__ import annotations

from pathlib import Path

from pytest_coworld.browser.locate import (
    HEADLESS_SHELL,
    BrowserUnavailable,
    locate_browser,
    playwright_chromium,
)
from pytest_coworld.provision import ProvisionError
from pytest_coworld.provision.engine import _apt_install, _is_root_on_debian

DEBIAN_PACKAGE = HEADLESS_SHELL


def ensure_browser() -> Path:
    """The executable of a usable Chromium, installing Debian's headless shell when it is missing."""
    own = playwright_chromium()
    try:
        found = locate_browser(own)
    except BrowserUnavailable as missing:
        if not _is_root_on_debian():
            raise ProvisionError(
                f"No browser for the browser checks ({missing}). Run `playwright install chromium`, or set "
                "COWORLD_CHROMIUM to a Chromium executable."
            ) from None
    else:
        if not (found.is_full_system_browser and _is_root_on_debian()):
            return found.executable
    _apt_install(DEBIAN_PACKAGE)
    try:
        return locate_browser(own).executable
    except BrowserUnavailable as still_missing:
        raise ProvisionError(
            f"`apt-get install {DEBIAN_PACKAGE}` gave no usable browser: {still_missing}"
        ) from None
