"""The browser fixture of the certification checks: `coworld_browser`, a launched headless Chromium.

When no browser can be found or started, a check that uses it is skipped with `unavailable: <why>` and the
one-line fix, which makes the verdict INCOMPLETE (`--coworld-no-browser` leaves the browser checks out on
purpose). The browser code is imported by the fixtures, not here: the plugin imports this module at startup.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_coworld.browser.session import BrowserSession

INSTALL_HINT = "install one with: python -m playwright install --with-deps chromium"


@pytest.fixture(scope="session")
def coworld_browser_session(pytestconfig: pytest.Config) -> Iterator[BrowserSession]:
    """The process's browser session (the live probes use the same one), closed at the end of the run: on a
    thread, beside the removal of the games and the reports, and waited for before pytest exits."""
    import threading

    from pytest_coworld.browser.session import close_shared_session, shared_session

    yield shared_session()
    closing = threading.Thread(target=close_shared_session, name="coworld-browser-close", daemon=True)
    closing.start()
    pytestconfig.add_cleanup(closing.join)


@pytest.fixture
def coworld_browser(coworld_browser_session: BrowserSession) -> BrowserSession:
    """A launched headless Chromium; `coworld_browser.call(probe, ...)` runs a page probe in it."""
    from pytest_coworld.browser.locate import BrowserUnavailable

    try:
        coworld_browser_session.location()
    except BrowserUnavailable as missing:
        pytest.skip(f"unavailable: {missing}; {INSTALL_HINT}")
    return coworld_browser_session
