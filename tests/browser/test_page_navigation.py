"""A page load that Chromium aborts because the host's network changed (Docker adding or removing a bridge
beside it) is the harness's weather, not the game's answer: it is tried again, and only a real failure, or
the same abort every time, becomes the page's load problem."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Error as PlaywrightError

from pytest_coworld.browser import page_watch
from pytest_coworld.browser.page_watch import ERROR_PAGE, NAVIGATION_ATTEMPTS, NETWORK_CHANGED, PageWatch

URL = "http://127.0.0.1:9/clients/global"
INTERRUPTED = f"Page.goto: Navigation to {URL} is interrupted by another navigation to {ERROR_PAGE}"


class Page:
    """Answers `goto` with the given errors in turn, then with `None` (a load without a response)."""

    def __init__(self, *errors: str) -> None:
        self.errors = list(errors)
        self.loads = 0

    def on(self, event: str, handler: Any) -> None:
        pass

    async def goto(self, url: str, **options: Any) -> None:
        self.loads += 1
        if self.errors:
            raise PlaywrightError(self.errors.pop(0))


def navigate(page: Page, monkeypatch: Any) -> PageWatch:
    monkeypatch.setattr(page_watch, "NETWORK_SETTLE_SECONDS", 0.0)
    watch = PageWatch(context=None, page=page, url=URL)  # type: ignore[arg-type]
    asyncio.run(watch._navigate())
    return watch


def test_a_load_aborted_by_a_network_change_is_tried_again(monkeypatch: Any) -> None:
    page = Page(f"Page.goto: {NETWORK_CHANGED} at {URL}")
    watch = navigate(page, monkeypatch)
    assert (watch.load_problem, page.loads) == (None, 2)


def test_a_refused_load_is_the_pages_problem_at_once(monkeypatch: Any) -> None:
    page = Page(f"Page.goto: net::ERR_CONNECTION_REFUSED at {URL}")
    watch = navigate(page, monkeypatch)
    assert watch.load_problem == f"the page did not load: Page.goto: net::ERR_CONNECTION_REFUSED at {URL}"
    assert page.loads == 1


def test_a_network_that_keeps_changing_ends_the_attempts(monkeypatch: Any) -> None:
    page = Page(*[f"Page.goto: {NETWORK_CHANGED} at {URL}"] * NAVIGATION_ATTEMPTS)
    watch = navigate(page, monkeypatch)
    assert watch.load_problem is not None and NETWORK_CHANGED in watch.load_problem
    assert page.loads == NAVIGATION_ATTEMPTS


def test_the_aborted_loads_error_page_interrupting_the_next_attempt_is_tried_again(monkeypatch: Any) -> None:
    """Seen in CI: the network aborted a load, and its error page landed during the second attempt."""
    page = Page(f"Page.goto: {NETWORK_CHANGED} at {URL}", INTERRUPTED)
    watch = navigate(page, monkeypatch)
    assert (watch.load_problem, page.loads) == (None, 3)


def test_an_error_page_without_a_network_change_is_the_pages_problem(monkeypatch: Any) -> None:
    page = Page(INTERRUPTED)
    watch = navigate(page, monkeypatch)
    assert watch.load_problem == f"the page did not load: {INTERRUPTED}"
    assert page.loads == 1
