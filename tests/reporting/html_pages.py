"""Helpers of the HTML report tests: a hand-made run (report and artifacts folder), and the page as Chromium
shows it (verdict, check rows, images, every URL it names, every request it made)."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from pytest_coworld.failures import CoworldCheckFailure

RUN_ID = "cw-handmade"
HOSTILE = "<script>alert('game')</script>"
HOSTILE_LOG = "</pre><img src=x onerror=alert(1)>"
HOSTILE_FILE = "javascript:alert(1).log"
TIMINGS = {"prepare": 0.5, "game_start": 1.5, "healthz": 0.4, "play": 3.0, "collect": 0.3, "total": 6.2}


def png(width: int = 64, height: int = 48) -> bytes:
    """A real PNG of one grey colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _wire_events() -> list[dict[str, Any]]:
    flow = {"messages": 5, "bytes": 120, "control": 0, "first": 10.0, "last": 12.0}
    events: list[dict[str, Any]] = [{"t": 9.0, "e": "listening", "port": 8080}]
    for number, (slot, sent) in enumerate([("0", 3), ("1", 7)], 1):
        up = {**flow, "messages": sent}
        events += [
            {"t": 10.0, "e": "open", "c": number, "peer": f"10.0.0.{number}", "method": "GET",
             "path": "/player", "slot": slot, "token": "abc", "upgrade": True},
            {"t": 10.1, "e": "response", "c": number, "status": 101},
            {"t": 12.0, "e": "close", "c": number, "up": up, "down": flow, "by": "game", "code": 1000},
        ]  # fmt: skip
    events.append(
        {
            "t": 11.0,
            "e": "open",
            "c": 9,
            "peer": "10.0.0.1",
            "method": "GET",
            "path": "/global",
            "upgrade": True,
        }
    )
    return events


def make_artifacts(root: Path, target: str = "paint") -> Path:
    """A run's artifacts folder as the harness leaves it: a screenshot, logs, an episode and its wire."""
    (root / target / "browser").mkdir(parents=True)
    (root / target / "browser" / "global_viewer.png").write_bytes(png())
    (root / target / "browser" / "global_viewer.console.log").write_text(f"console.error: {HOSTILE}\n")
    episode = root / target / "episode"
    episode.mkdir()
    (episode / "game.log").write_text(f"{HOSTILE_LOG}\n")
    (episode / HOSTILE_FILE).write_text("a file the game named\n")
    document = {
        "test": "certification",
        "slot_count": 2,
        "game": {"image": "paint-game", "exit_code": 0, "exited_by_itself": True},
        "players": [
            {"slot": s, "image": "paint-player", "exit_code": 0, "exited_by_itself": True} for s in (0, 1)
        ],
        "timings": TIMINGS,
        "outcome": {"kind": "completed", "message": "all 2 slots played", "log_tail": ""},
        "scores": [3, 4],
    }
    (episode / "episode.json").write_text(json.dumps(document))
    (episode / "wire.jsonl").write_text("".join(json.dumps(event) + "\n" for event in _wire_events()))
    return root


def _check(check_id: str | None, outcome: str, message: str = "", **extra: Any) -> dict[str, Any]:
    properties = {"coworld.target": "paint", **extra.pop("properties", {})}
    if check_id:
        properties["coworld.check"] = check_id
    level = extra.pop("level", "required")
    record = {"id": check_id, "nodeid": f"coworld/test_x.py::test[{check_id}]", "level": level}
    return {
        **record,
        "outcome": outcome,
        "duration": 1.25,
        "message": message,
        "properties": properties,
        **extra,
    }


def handmade_report(recorded_root: str) -> dict[str, Any]:
    """A NOT CERTIFIED report of one target whose artifacts the report says are at `recorded_root`."""
    screenshot = f"{recorded_root}/paint/browser/global_viewer.png"
    failure = CoworldCheckFailure(
        "browser.global_viewer",
        "RUNTIME.md: routes in rollout mode",
        "the live viewer draws the frames it receives",
        f"it draws nothing {HOSTILE}",
        hint="draw the snapshot, then every update",
        log_tail=f"INFO started\n{HOSTILE_LOG}",
        repro="coworld run-episode m.json",
        details=[f"screenshot: {screenshot}"],
    ).render()
    warning = CoworldCheckFailure(
        "browser.player_params",
        "RUNTIME.md: page params",
        "the page keeps its query",
        "coworld_probe=1 dropped",
    ).render()
    checks = [
        _check("manifest.schema", "passed", properties={"coworld.observed": "schema ok"}),
        _check(
            "browser.global_viewer",
            "failed",
            failure,
            properties={
                "coworld.screenshot": screenshot,
                "coworld.console_log": f"{recorded_root}/paint/browser/global_viewer.console.log",
            },
        ),
        _check("browser.player_params", "warning", warning, level="recommended"),
        _check(
            "tokens.bad_token", "error", "Traceback (most recent call last):\n  docker.errors.APIError: 500"
        ),
        _check("replay.bundle", "skipped", "not applicable: no replay bundle", skip_kind="not-applicable"),
        _check(None, "passed"),
    ]
    certification = {
        "target": "paint",
        "manifest": {
            "source": "/games/paint/coworld_manifest.json",
            "sha256": "a" * 64,
            "generation": "classic",
            "game": "paint",
            "version": "1.0.0",
        },
        "variant": None,
        "verdict": "not-certified",
        "reasons": ["browser.global_viewer failed"],
        "chosen_subset": False,
        "warnings": [{"id": "browser.player_params", "message": warning}],
        "required_checks": 40,
        "images": [
            {
                "path": "game.runnable.image",
                "reference": "coworld-examples/paint-game:latest",
                "id": "sha256:" + "b" * 64,
                "repo_digests": [],
                "platform": "linux/amd64",
            }
        ],
        "summary": {"passed": 2, "failed": 1, "warning": 1, "error": 1, "skipped": 1},
        "categories": {"Manifest": "pass", "Browser": "fail", "Tokens": "fail", "Replay": "skip"},
        "checks": checks,
    }
    return {
        "schema_version": 2,
        "kind": "coworld-certification",
        "plugin_version": "0.1.0",
        "run_id": RUN_ID,
        "created_at": "2026-12-01T03:46:40+00:00",
        "verdict": "not-certified",
        "machine": {"python": "3.11.7"},
        "artifacts_dir": recorded_root,
        "certifications": [certification],
        "warnings": 1,
    }


# --- the page in Chromium --------------------------------------------------------------------------------

PAGE_FACTS = """() => ({
  verdict: document.querySelector('#verdict').innerText,
  rows: [...document.querySelectorAll('tr.check')].map(row => ({
    target: row.closest('section').dataset.target, id: row.dataset.check, outcome: row.dataset.outcome,
    visible: row.checkVisibility(), text: row.innerText})),
  problems: Object.fromEntries([...document.querySelectorAll('tr.problem')].map(row => [row.dataset.problem, {
    text: row.checkVisibility() ? row.innerText : '',
    images: [...row.querySelectorAll('img')].map(img => img.naturalWidth)}])),
  images: [...document.images].map(img => ({src: img.getAttribute('src'), width: img.naturalWidth})),
  urls: [...document.querySelectorAll('[href], [src]')].map(el => ({
    raw: el.getAttribute('href') ?? el.getAttribute('src'), resolved: el.href || el.src})),
  ids: [...document.querySelectorAll('[id]')].map(el => el.id),
  css: [...document.styleSheets].flatMap(sheet => [...sheet.cssRules].map(rule => rule.cssText)).join('\\n'),
  phases: [...document.querySelectorAll('.phase:not(.total) .phase-name')].map(el => el.innerText),
  slots: [...document.querySelectorAll('tr[data-slot]')].map(row => row.innerText),
  text: document.body.innerText,
})"""


@dataclass
class Page:
    facts: dict[str, Any]
    requests: list[str]

    def __getitem__(self, key: str) -> Any:
        return self.facts[key]


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium, found the way the browser checks find theirs (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    from pytest_coworld.browser.locate import locate_browser
    from pytest_coworld.browser.session import CHROMIUM_FLAGS

    with sync_playwright() as playwright:
        location = locate_browser(playwright.chromium.executable_path)
        executable = {} if location.is_playwrights_own else {"executable_path": str(location.executable)}
        browser = playwright.chromium.launch(
            headless=True, chromium_sandbox=False, args=list(CHROMIUM_FLAGS), **executable
        )
        try:
            yield browser
        finally:
            browser.close()


def view(html: Path, screenshot: Path) -> Page:
    """Open `html` as a user does (a file:// URL) in a fresh Chromium; what it shows, every URL it requested.

    The browser lives for one page: Playwright's sync API cannot nest, and fixtures use it to find Chromium.
    """
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(html.resolve().as_uri(), wait_until="load")
        facts = page.evaluate(PAGE_FACTS)
        page.screenshot(path=str(screenshot), full_page=True)
        return Page(facts, requests)


def outside_urls(urls: list[dict[str, str]], ids: list[str], artifacts: Path) -> list[str]:
    """The URLs of the page that are neither `data:` images, links within the page, nor relative links to
    files inside `artifacts`."""
    bad = []
    for url in urls:
        raw, resolved = url["raw"], urlsplit(url["resolved"])
        if raw.startswith("data:image/png;base64,"):
            continue
        if raw.startswith("#"):
            if raw[1:] not in ids:
                bad.append(raw)
            continue
        target = Path(unquote(resolved.path)).resolve()
        relative = urlsplit(raw).scheme == "" and not raw.startswith("/")
        inside = target.is_relative_to(artifacts.resolve()) and target.is_file()
        if not (relative and resolved.scheme == "file" and inside):
            bad.append(raw)
    return bad


# --- the page as markup ------------------------------------------------------------------------------------


class Markup(HTMLParser):
    """The tags, URL attributes, event-handler attributes and text of a page, as a browser parses them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.images: list[str] = []
        self.handlers: list[str] = []
        self.ids: list[str] = []
        self.chunks: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.urls.append(value)
                self.images += [value] if (tag, name) == ("img", "src") else []
            elif name == "id" and value is not None:
                self.ids.append(value)
            elif name.startswith("on"):
                self.handlers.append(name)

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def resolved_urls(self, html_path: Path) -> list[dict[str, str]]:
        """The page's URLs as `outside_urls` takes them, resolved the way a browser resolves them."""
        base = html_path.resolve().as_uri()
        return [{"raw": url, "resolved": urljoin(base, url)} for url in self.urls]
