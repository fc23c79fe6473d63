"""`BrowserSession`: one headless Chromium, driven by Playwright's async API on a thread of its own.

Playwright's objects must stay on the thread (and event loop) that made them, while probes are asked for
from the pytest thread and from live-probe threads. So the session owns an event loop on a dedicated thread;
`call(probe, ...)` runs the coroutine `probe(browser, ...)` there and waits for its result. Launching starts
at once in the background, so the browser is up by the time the first probe needs it.

One session per process (`shared_session()`), closed by `close_shared_session()` or at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_coworld.browser.locate import BrowserLocation, BrowserUnavailable, locate_browser

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

# Playwright adds --headless (headless=True) and --no-sandbox (chromium_sandbox=False), and launches every
# browser with a fresh temporary --user-data-dir that it removes on close.
CHROMIUM_FLAGS = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
)
LAUNCH_SECONDS = 60.0
CLOSE_SECONDS = 10.0

T = TypeVar("T")


class BrowserSession:
    """A Chromium on its own event-loop thread; `call` runs a probe coroutine there."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="coworld-browser", daemon=True)
        self._ready: Future[tuple[BrowserLocation, Browser]] | None = None
        self._playwright: Playwright | None = None
        self._lock = threading.Lock()

    def start(self) -> BrowserSession:
        """Start launching the browser in the background (once); `location()` waits for it."""
        with self._lock:
            if self._ready is None:
                self._thread.start()
                self._ready = asyncio.run_coroutine_threadsafe(self._launch(), self._loop)
        return self

    def location(self) -> BrowserLocation:
        """The launched browser's executable; raises BrowserUnavailable when there is none, or it fails."""
        return self._browser()[0]

    def _browser(self) -> tuple[BrowserLocation, Browser]:
        ready = self.start()._ready
        assert ready is not None
        return ready.result(timeout=LAUNCH_SECONDS + 5)

    def call(
        self, probe: Callable[..., Coroutine[Any, Any, T]], *args: Any, timeout: float = 60.0, **kwargs: Any
    ) -> T:
        """Run `await probe(browser, *args, **kwargs)` on the browser's thread and return its result."""
        _, browser = self._browser()
        future = asyncio.run_coroutine_threadsafe(probe(browser, *args, **kwargs), self._loop)
        return future.result(timeout=timeout)

    def make_spare_pages(self, holds: list[bool]) -> None:
        """Make blank pages ahead, in the background once the browser is up, for pages about to be opened
        (`page_watch.make_spare_pages`)."""
        from pytest_coworld.browser.page_watch import make_spare_pages

        async def make() -> None:
            ready = self.start()._ready
            assert ready is not None
            _, browser = await asyncio.wrap_future(ready)
            make_spare_pages(browser, holds)

        asyncio.run_coroutine_threadsafe(make(), self._loop)

    async def _launch(self) -> tuple[BrowserLocation, Browser]:
        try:
            from playwright.async_api import Error as PlaywrightError
            from playwright.async_api import async_playwright
        except ImportError:
            raise BrowserUnavailable(
                "the playwright package is not installed (pip install pytest-coworld)"
            ) from None
        self._playwright = await async_playwright().start()
        chromium = self._playwright.chromium
        location = locate_browser(chromium.executable_path)
        executable = {} if location.is_playwrights_own else {"executable_path": str(location.executable)}
        try:
            browser = await chromium.launch(
                headless=True,
                chromium_sandbox=False,
                args=list(CHROMIUM_FLAGS),
                timeout=LAUNCH_SECONDS * 1000,
                **executable,  # type: ignore[arg-type]
            )
        except PlaywrightError as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise BrowserUnavailable(
                f"{location.executable} ({location.source}) did not start: {first_line}"
            ) from None
        return location, browser

    def close(self) -> None:
        """Close the browser and Playwright, then stop the loop thread (idempotent)."""
        with self._lock:
            if self._ready is None or not self._thread.is_alive():
                return
            closing = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            try:
                closing.result(timeout=CLOSE_SECONDS)
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(timeout=CLOSE_SECONDS)

    async def _shutdown(self) -> None:
        assert self._ready is not None
        try:
            _, browser = await asyncio.wrap_future(self._ready)
        except Exception:  # a browser that never launched has nothing to close
            browser = None
        if browser is not None:
            await browser.close()
        if self._playwright is not None:
            await self._playwright.stop()


_shared: BrowserSession | None = None
_shared_lock = threading.Lock()


def shared_session() -> BrowserSession:
    """The process's browser session, started on first use and closed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = BrowserSession().start()
            atexit.register(close_shared_session)
        return _shared


def close_shared_session() -> None:
    """Close the process's browser session, if one was started; a later `shared_session()` starts anew."""
    global _shared
    with _shared_lock:
        session, _shared = _shared, None
    if session is not None:
        session.close()
