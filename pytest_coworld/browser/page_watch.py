"""`PageWatch`: one page in its own browser context, with its websockets, console and errors recorded.

Websockets are seen twice: in the page (`page_hooks.js`: did the upgrade succeed, how many messages, the close
code; optionally holding messages back) and on the wire (Playwright's events: frames and handshake errors).
`finish()` saves the last screenshot and the console log, then closes the context.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from pytest_coworld.browser.observations import PageArtifacts, PageObservation, SocketSeen

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, WebSocket

HOOKS_JS = (Path(__file__).parent / "page_hooks.js").read_text(encoding="utf-8")
VIEWPORT = {"width": 1024, "height": 768}
NAVIGATION_SECONDS = 15.0
NETWORK_CHANGED = "net::ERR_NETWORK_CHANGED"  # Chromium aborts loads when the host's interfaces change
ERROR_PAGE = "chrome-error://chromewebdata/"  # where an aborted load lands, possibly during the next attempt
NAVIGATION_ATTEMPTS = 4  # Docker adds and removes bridges and veths as games start and stop beside the page
NETWORK_SETTLE_SECONDS = 0.5
POLL_SECONDS = 0.05
FIRST_FRAME_CHARS = 65_536

BlankPage = tuple["BrowserContext", "Page"]
_spare_pages: WeakKeyDictionary[Browser, dict[bool, list[asyncio.Task[BlankPage]]]] = WeakKeyDictionary()


async def _blank_page(browser: Browser, hold: bool) -> BlankPage:
    """A fresh context with our hooks installed (`hold`: incoming websocket messages wait), and its page."""
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    await context.add_init_script(HOOKS_JS.replace("__HOLD__", "true" if hold else "false"))
    return context, await context.new_page()


def make_spare_pages(browser: Browser, holds: Iterable[bool]) -> None:
    """Start making blank pages, on the browser's running loop, for pages about to be opened (one per
    `hold` given): `PageWatch.open` then takes one and only navigates (a context and a page cost about
    0.1 s, which is then spent while the game boots, not while play waits for the page)."""
    spares = _spare_pages.setdefault(browser, {})
    for hold in holds:
        task = asyncio.get_running_loop().create_task(_blank_page(browser, hold))
        task.add_done_callback(lambda done: done.cancelled() or done.exception())  # a failed one is not taken
        spares.setdefault(hold, []).append(task)


async def _page(browser: Browser, hold: bool) -> BlankPage:
    """A spare blank page of this `hold`, when one was made and it worked; else a new one."""
    waiting = _spare_pages.get(browser, {}).get(hold)
    while waiting:
        with suppress(Exception):
            return await waiting.pop(0)
    return await _blank_page(browser, hold)


@dataclass
class _Wire:
    """A websocket as Playwright saw it on the network."""

    url: str
    frames: int = 0
    first_frame: str | None = None
    error: str | None = None
    closed: bool = False


class PageWatch:
    """A page under observation; open it with `PageWatch.open(browser, url, hold)`."""

    def __init__(self, context: BrowserContext, page: Page, url: str) -> None:
        self.context = context
        self.page = page
        self.url = url
        self.load_problem: str | None = None
        self.last_screenshot: bytes | None = None
        self._wire: list[_Wire] = []
        self._log: list[str] = []
        self._page_errors: list[str] = []
        self._started = time.monotonic()
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self._note_page_error(str(error)))
        page.on(
            "requestfailed", lambda request: self._note(f"request failed: {request.url} ({request.failure})")
        )
        page.on("websocket", self._on_websocket)

    @classmethod
    async def open(cls, browser: Browser, url: str, hold: bool = False) -> PageWatch:
        """Open `url` in a fresh context; with `hold`, incoming websocket messages wait for `release()`."""
        context, page = await _page(browser, hold)
        watch = cls(context, page, url)
        await watch._navigate()
        return watch

    async def _navigate(self) -> None:
        from playwright.async_api import Error as PlaywrightError

        network_changed = False
        for attempt in range(1, NAVIGATION_ATTEMPTS + 1):
            self._note(f"open {self.url}")
            try:
                response = await self.page.goto(
                    self.url, wait_until="domcontentloaded", timeout=NAVIGATION_SECONDS * 1000
                )
                break
            except PlaywrightError as error:
                first_line = str(error).strip().splitlines()[0]
                # the error page of a load the network aborted can land during the next attempt
                stale_error_page = network_changed and ERROR_PAGE in first_line
                network_changed = network_changed or NETWORK_CHANGED in first_line
                if not (NETWORK_CHANGED in first_line or stale_error_page) or attempt == NAVIGATION_ATTEMPTS:
                    self.load_problem = f"the page did not load: {first_line}"
                    return
                self._note(
                    "the load was aborted by a network change on this host (not the game): again"
                    if not stale_error_page
                    else "the error page of the load the network aborted interrupted this one: again"
                )
                await asyncio.sleep(NETWORK_SETTLE_SECONDS)
        if response is not None and response.status >= 400:
            self.load_problem = f"GET {self.url} answered HTTP {response.status}"

    # -- recording -----------------------------------------------------------------------------------------

    def _note(self, line: str) -> None:
        self._log.append(f"{time.monotonic() - self._started:7.3f}s {line}")

    def _note_page_error(self, text: str) -> None:
        self._page_errors.append(text)
        self._note(f"page error: {text}")

    def _on_console(self, message: ConsoleMessage) -> None:
        source = message.location.get("url")
        self._note(f"console.{message.type}: {message.text}" + (f" ({source})" if source else ""))

    def _on_websocket(self, socket: WebSocket) -> None:
        wire = _Wire(socket.url)
        self._wire.append(wire)
        self._note(f"websocket {socket.url}")

        def received(payload: str | bytes) -> None:
            wire.frames += 1
            if wire.first_frame is None:
                text = payload.decode(errors="replace") if isinstance(payload, bytes) else payload
                wire.first_frame = text[:FIRST_FRAME_CHARS]
                self._note(f"first frame on {socket.url}: {wire.first_frame[:160]}")

        def failed(error: str) -> None:
            wire.error = error
            self._note(f"websocket error on {socket.url}: {error}")

        def closed(_: Any) -> None:
            wire.closed = True
            self._note(f"websocket closed: {socket.url} after {wire.frames} frame(s)")

        socket.on("framereceived", received)
        socket.on("socketerror", failed)
        socket.on("close", closed)

    # -- reading -------------------------------------------------------------------------------------------

    async def sockets(self) -> tuple[SocketSeen, ...]:
        """Every websocket the page opened so far, in the page's order (wire-only ones after)."""
        from playwright.async_api import Error as PlaywrightError

        try:
            entries: list[dict[str, Any]] = await self.page.evaluate("window.__coworld.sockets")
        except PlaywrightError:
            entries = []
        unmatched = list(self._wire)
        seen = []
        for entry in entries:
            wire = next((w for w in unmatched if w.url == entry["url"]), None)
            if wire is not None:
                unmatched.remove(wire)
            seen.append(_merge(entry, wire))
        seen += [_merge(None, wire) for wire in unmatched]
        return tuple(seen)

    async def wait_for(self, condition: Callable[[tuple[SocketSeen, ...]], bool], seconds: float) -> bool:
        """Poll the page's websockets until `condition` holds (True) or `seconds` pass (False)."""
        deadline = time.monotonic() + seconds
        while True:
            if condition(await self.sockets()):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL_SECONDS)

    async def screenshot(self) -> bytes:
        self.last_screenshot = await self.page.screenshot(animations="disabled", caret="hide", timeout=10_000)
        return self.last_screenshot

    async def release(self) -> None:
        """Deliver the held websocket messages to the page."""
        await self.page.evaluate("window.__coworld.release()")

    async def finish(self, artifacts: PageArtifacts, just_shot: bool = False) -> PageObservation:
        """Save the screenshot (a new one, unless the caller `just_shot` the page) and the console log, close
        the page, and return what was seen."""
        from playwright.async_api import Error as PlaywrightError

        sockets = await self.sockets()
        artifacts.folder.mkdir(parents=True, exist_ok=True)
        try:
            if not (just_shot and self.last_screenshot is not None):
                await self.screenshot()
        except PlaywrightError as error:
            self._note(f"no screenshot: {error}")
        if self.last_screenshot is not None:
            artifacts.screenshot.write_bytes(self.last_screenshot)
        self._log += [f"summary: {socket.describe()}" for socket in sockets]
        log = artifacts.redact("\n".join(self._log) + "\n")
        artifacts.console_log.write_text(log, encoding="utf-8")
        await self.context.close()
        return PageObservation(self.url, sockets, artifacts, self.load_problem, tuple(self._page_errors))


def _merge(entry: dict[str, Any] | None, wire: _Wire | None) -> SocketSeen:
    """One socket from the page's record and the wire's (a socket made by a worker has only the wire's)."""
    frames = wire.frames if wire else 0
    if entry is None:
        assert wire is not None
        return SocketSeen(wire.url, frames > 0, frames, wire.first_frame, None, wire.error)
    return SocketSeen(
        url=entry["url"],
        opened=bool(entry["opened"]),
        frames=max(frames, int(entry["messages"])),
        first_frame=wire.first_frame if wire else None,
        close_code=entry["closeCode"],
        error=(wire.error if wire else None) or ("the page saw an error event" if entry["errored"] else None),
    )
