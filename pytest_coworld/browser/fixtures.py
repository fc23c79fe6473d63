"""The browser fixture of the certification checks: `coworld_browser`, a launched headless Chromium.

When no browser can be found or started, a check that uses it is skipped with `unavailable: <why>`; with
`--coworld-require-browser` (ini `coworld_require_browser`) it errors with the same reason instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_coworld.browser.locate import BrowserUnavailable
from pytest_coworld.browser.session import BrowserSession, close_shared_session, shared_session
from pytest_coworld.options import CoworldOptions


@pytest.fixture(scope="session")
def coworld_browser_session() -> Iterator[BrowserSession]:
    """The process's browser session (the live probes use the same one), closed at the end of the run."""
    yield shared_session()
    close_shared_session()


@pytest.fixture
def coworld_browser(
    request: pytest.FixtureRequest, coworld_browser_session: BrowserSession
) -> BrowserSession:
    """A launched headless Chromium; `coworld_browser.call(probe, ...)` runs a page probe in it."""
    try:
        coworld_browser_session.location()
    except BrowserUnavailable as missing:
        if CoworldOptions.from_config(request.config).require_browser:
            pytest.fail(
                f"unavailable: {missing} (a browser is required: --coworld-require-browser)", pytrace=False
            )
        pytest.skip(f"unavailable: {missing}")
    return coworld_browser_session
