"""The page probes: coroutines run on the browser's thread (`BrowserSession.call`), each returning plain data.

- `probe_player_page`: which websocket a client page opens, and whether it is accepted;
- `probe_address`: the same page told `address=<our endpoint>`: what it connects to;
- `watch_viewer`: a viewer page (live or replay) fed its data: does it draw it, does the drawing move on.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pytest_coworld.browser.observations import (
    AddressObservation,
    PageArtifacts,
    PageObservation,
    SocketSeen,
    ViewerObservation,
)
from pytest_coworld.browser.page_watch import PageWatch
from pytest_coworld.browser.recorder import SocketRecorder
from pytest_coworld.browser.static_server import StaticBundleServer
from pytest_coworld.browser.urls import as_websocket_url, with_param
from pytest_coworld.probes.sockets import is_error_frame, snippet

if TYPE_CHECKING:
    from playwright.async_api import Browser

PAGE_SOCKET_SECONDS = 10.0  # how long a page may take to open its websocket
ACCEPT_GRACE_SECONDS = 2.0  # an accepted socket gets a frame, or at least stays open, this long
ADDRESS_SETTLE_SECONDS = 0.5  # after the first websocket, how long we watch for others
FIRST_DATA_SECONDS = 10.0  # how long a viewer may take to receive its first frame (or request its replay)
BASELINE_SETTLE_SECONDS = 0.1
SAMPLE_SECONDS = 0.15
WATCH_SECONDS = 6.0  # how long we watch a viewer draw once its data is released
FRAMES_WITHOUT_CHANGE = 10  # this many frames with no change to the page: it does not draw them
CLOSED_GRACE_SECONDS = 1.0  # once its stream closed (unseen by the page), how long a page may take to draw


async def probe_player_page(browser: Browser, page_url: str, artifacts: PageArtifacts) -> PageObservation:
    """Open a client page; wait for its websocket to open and to get a frame (or stay open) or be refused."""
    watch = await PageWatch.open(browser, page_url)
    if watch.load_problem is None:
        await watch.wait_for(lambda sockets: any(map(_settled_handshake, sockets)), PAGE_SOCKET_SECONDS)
        await watch.wait_for(lambda sockets: any(map(_has_outcome, sockets)), ACCEPT_GRACE_SECONDS)
    return await watch.finish(artifacts)


def _settled_handshake(socket: SocketSeen) -> bool:
    return socket.opened or socket.error is not None or socket.close_code is not None


def _has_outcome(socket: SocketSeen) -> bool:
    return socket.frames > 0 or socket.close_code is not None


async def probe_address(
    browser: Browser,
    page_url: str,
    client: str,
    artifacts: PageArtifacts,
    attached: Callable[[], None] = lambda: None,
) -> AddressObservation:
    """Open `page_url` with `address=http://127.0.0.1:<ours>/…`; record what the page connects to.

    `attached()` is called once the page has opened its websocket (or cannot): a live game may start play.
    """
    async with SocketRecorder() as recorder:
        address = recorder.http_url(f"/coworld-address-probe/{client}?probe={secrets.token_hex(4)}")
        watch = await PageWatch.open(browser, with_param(page_url, "address", address))
        connected = watch.load_problem is None and await watch.wait_for(bool, PAGE_SOCKET_SECONDS)
        attached()
        if connected:
            await asyncio.sleep(ADDRESS_SETTLE_SECONDS)
        page = await watch.finish(artifacts)
        return AddressObservation(page, address, as_websocket_url(address), tuple(recorder.paths))


async def watch_viewer(
    browser: Browser,
    page_url: str,
    artifacts: PageArtifacts,
    advance: bool,
    bundle: StaticBundleServer | None = None,
    attached: Callable[[], None] = lambda: None,
) -> ViewerObservation:
    """Open a viewer, hold its data back for a baseline screenshot, release it and watch the page change.

    Websocket messages are held in the page; a static bundle's replay file is held by `bundle`'s server.
    The page drew its data when it looks different from the baseline, and advanced when it changed again.
    `attached()` is called once the page's websocket has settled (open, refused, or none): a live game may
    start play then, and a short episode is not over before the viewer is there to see it.
    """
    watch = await PageWatch.open(browser, page_url, hold=bundle is None)
    if watch.load_problem is None and bundle is None:
        await watch.wait_for(lambda sockets: any(map(_settled_handshake, sockets)), PAGE_SOCKET_SECONDS)
    attached()
    if watch.load_problem is not None:
        return _viewer(await watch.finish(artifacts), note=watch.load_problem)
    if not await _data_arrived(watch, bundle):
        what = "never requested its replay file" if bundle else "received no websocket frame"
        return _viewer(
            await watch.finish(artifacts), note=f"the page {what} within {FIRST_DATA_SECONDS:.0f} s"
        )
    error_frame = next(
        (s.first_frame for s in await watch.sockets() if s.first_frame and is_error_frame(s.first_frame)),
        None,
    )
    if error_frame is not None:
        await watch.release()
        page = await watch.finish(artifacts)
        return _viewer(page, data_arrived=True, error_frame=error_frame, note="the first frame is an error")
    await asyncio.sleep(BASELINE_SETTLE_SECONDS)
    return await _watch_changes(watch, artifacts, advance, bundle)


async def _data_arrived(watch: PageWatch, bundle: StaticBundleServer | None) -> bool:
    if bundle is None:
        return await watch.wait_for(lambda sockets: any(s.frames > 0 for s in sockets), FIRST_DATA_SECONDS)
    deadline = time.monotonic() + FIRST_DATA_SECONDS
    while not bundle.replay_requested and time.monotonic() < deadline:
        await asyncio.sleep(SAMPLE_SECONDS)
    return bundle.replay_requested


async def _frames(watch: PageWatch) -> tuple[int, bool]:
    """Frames received so far on the sockets that carry data, and whether one of them has closed."""
    carrying = [s for s in await watch.sockets() if s.frames > 0]
    return sum(s.frames for s in carrying), any(s.close_code is not None for s in carrying)


async def _watch_changes(
    watch: PageWatch, artifacts: PageArtifacts, advance: bool, bundle: StaticBundleServer | None
) -> ViewerObservation:
    last = await watch.screenshot()
    released_at, _ = await _frames(watch)
    if bundle is None:
        await watch.release()
    else:
        bundle.release()
    changes, frames_at_change, needed = 0, released_at, 2 if advance else 1
    deadline = time.monotonic() + WATCH_SECONDS
    note, closed_at = "", None
    while changes < needed:
        await asyncio.sleep(SAMPLE_SECONDS)
        shot = await watch.screenshot()
        frames, closed = await _frames(watch)
        if shot != last:
            changes, last, frames_at_change, closed_at = changes + 1, shot, frames, None
        elif closed and bundle is None:  # the page has all the data it will get (and never sees the close)
            closed_at = closed_at or time.monotonic()
            if time.monotonic() - closed_at >= CLOSED_GRACE_SECONDS:
                note = f"the websocket closed after {frames - released_at} frame(s)"
                break
        elif bundle is None and frames - frames_at_change >= FRAMES_WITHOUT_CHANGE:
            note = f"{frames - frames_at_change} frames arrived with no change to the page"
            break
        if time.monotonic() >= deadline:
            note = f"watched for {WATCH_SECONDS:.0f} s"
            break
    frames, _ = await _frames(watch)
    page = await watch.finish(artifacts, just_shot=True)  # the last sample is the page as it ended
    return ViewerObservation(page, True, changes >= 1, changes >= 2, frames - released_at, None, note)


def _viewer(
    page: PageObservation, data_arrived: bool = False, error_frame: str | None = None, note: str = ""
) -> ViewerObservation:
    return ViewerObservation(
        page, data_arrived, False, False, 0, snippet(error_frame) if error_frame else None, note
    )
