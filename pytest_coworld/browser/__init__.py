"""Browser-level checks in a real headless Chromium, driven by Playwright (pytest-free; see `fixtures`).

`locate` finds a browser, `session` launches it on a thread of its own, `probes` open client pages and
return plain observations (`observations`), `verdicts` judge them, and `live` holds the probes that watch
the certification episode while it plays.
"""

from __future__ import annotations

from pytest_coworld.browser.live import (
    GLOBAL_ADDRESS,
    GLOBAL_VIEWER,
    PLAYER_ADDRESS,
    PLAYER_PAGE,
    browser_artifacts_dir,
    live_probes,
    probe_game_probes,
)
from pytest_coworld.browser.locate import BrowserLocation, BrowserUnavailable, locate_browser
from pytest_coworld.browser.session import BrowserSession, close_shared_session, shared_session

__all__ = [
    "GLOBAL_ADDRESS",
    "GLOBAL_VIEWER",
    "PLAYER_ADDRESS",
    "PLAYER_PAGE",
    "BrowserLocation",
    "BrowserSession",
    "BrowserUnavailable",
    "browser_artifacts_dir",
    "close_shared_session",
    "live_probes",
    "locate_browser",
    "probe_game_probes",
    "shared_session",
]
