"""Browser checks: the client pages and viewers of the game, opened in a real headless Chromium.

Each check saves the page's last screenshot and its console log under `<artifacts>/browser/` and links
them from the report (`coworld.screenshot`, `coworld.console_log`). Without a browser they are skipped
(`unavailable: …`), which leaves the verdict INCOMPLETE.
"""

from __future__ import annotations

import pytest

from pytest_coworld.browser.live import (
    GLOBAL_ADDRESS,
    GLOBAL_VIEWER,
    PLAYER_ADDRESS,
    PLAYER_PAGE,
    browser_artifacts_dir,
)
from pytest_coworld.browser.observations import AddressObservation, PageArtifacts, PageObservation
from pytest_coworld.browser.probes import watch_viewer
from pytest_coworld.browser.session import BrowserSession
from pytest_coworld.browser.static_server import StaticBundleServer
from pytest_coworld.browser.urls import socket_url_of_page
from pytest_coworld.browser.verdicts import (
    address_problem,
    player_page_problem,
    player_params_problem,
    viewer_problem,
)
from pytest_coworld.certification import CertificationRun, MainEpisode, ProbeGame, ReplayHandle
from pytest_coworld.certification.reports import replay_file
from pytest_coworld.checks.catalog import RecordProperty, check_mark
from pytest_coworld.failures import CheckBlocked, CoworldCheckFailure
from pytest_coworld.manifest import LoadedManifest

ADDRESS_RULE = "RUNTIME.md: the address rule for browser clients"
ADDRESS_HINT = (
    "read the page's whole query first; when it has `address`, open exactly that URL (http→ws, https→wss) "
    "and merge nothing into it"
)
PROBE_SECONDS = 90.0


def _linked(record_property: RecordProperty, page: PageObservation) -> list[str]:
    """Link the page's screenshot and console log from the report; the lines that name them in a failure."""
    lines = [f"page: {page.artifacts.redact(page.url)}"]
    for key, path in (("screenshot", page.artifacts.screenshot), ("console_log", page.artifacts.console_log)):
        if path.is_file():
            record_property(f"coworld.{key}", str(path))
            lines.append(f"{key.replace('_', ' ')}: {path}")
    return lines + [f"page error: {error}" for error in page.page_errors[:3]]


@check_mark("browser.player_page")
def test_player_page(
    record_property: RecordProperty, coworld_browser: BrowserSession, coworld_game: ProbeGame
) -> None:
    """Testname: Player page in a browser.
    Description: Opened as `/client(s)/player?slot=S&token=T`, the player page MUST open a websocket to the
    game, whatever its path, and the game MUST accept that connection.
    """
    page: PageObservation = coworld_game.live_result(PLAYER_PAGE)
    details = _linked(record_property, page)
    problem = player_page_problem(page)
    if problem:
        raise CoworldCheckFailure(
            "browser.player_page",
            "RUNTIME.md: routes in rollout mode (GET /client(s)/player is a browser client for one slot)",
            "the page opens a websocket to the game, and the game accepts it",
            page.artifacts.redact(problem),
            hint="connect the page to the game that served it, with the slot and token of the page's query",
            log_tail=coworld_game.log_tail(),
            details=details,
        )


@check_mark("browser.player_params")
def test_player_params(
    record_property: RecordProperty, coworld_browser: BrowserSession, coworld_game: ProbeGame
) -> None:
    """Testname: Player page keeps every page parameter.
    Description: Opened as `/client(s)/player?slot=S&token=T&…`, the player page SHOULD open `/player` with
    every page parameter, unknown ones included.
    """
    page: PageObservation = coworld_game.live_result(PLAYER_PAGE)
    expected = socket_url_of_page(page.url)
    details = _linked(record_property, page)
    problem = player_params_problem(page, expected)
    if problem:
        raise CoworldCheckFailure(
            "browser.player_params",
            ADDRESS_RULE,
            f"the page opens {page.artifacts.redact(expected)} (every page parameter kept)",
            page.artifacts.redact(problem),
            hint="replace /client(s)/player with /player in the page's own URL; keep its whole query string",
            log_tail=coworld_game.log_tail(),
            details=details,
        )


def _address_failure(
    check_id: str, seen: AddressObservation, problem: str, details: list[str], log_tail: str
) -> CoworldCheckFailure:
    artifacts = seen.page.artifacts
    return CoworldCheckFailure(
        check_id,
        ADDRESS_RULE,
        f"every websocket the page opens is exactly {seen.expected_url} (the page was given "
        f"address={seen.address})",
        artifacts.redact(problem),
        hint=ADDRESS_HINT,
        log_tail=log_tail,
        details=[*details, f"our endpoint received: {', '.join(seen.received_paths) or 'no connection'}"],
    )


@check_mark("browser.player_address")
def test_player_address(
    record_property: RecordProperty, coworld_browser: BrowserSession, coworld_game: ProbeGame
) -> None:
    """Testname: Player page with `address`.
    Description: Given `address=<URL>`, the player page MUST open exactly that websocket URL (`http` turned
    into `ws`), with no other page parameter merged into it.
    """
    seen: AddressObservation = coworld_game.live_result(PLAYER_ADDRESS)
    details = _linked(record_property, seen.page)
    problem = address_problem(seen)
    if problem:
        raise _address_failure("browser.player_address", seen, problem, details, coworld_game.log_tail())


@check_mark("browser.global_address")
def test_global_address(
    record_property: RecordProperty, coworld_browser: BrowserSession, coworld_episode: MainEpisode
) -> None:
    """Testname: Live viewer page with `address`.
    Description: Given `address=<URL>`, the live viewer page MUST open exactly that websocket URL (`http`
    turned into `ws`), with no other page parameter merged into it.
    """
    seen: AddressObservation = coworld_episode.live_result(GLOBAL_ADDRESS)
    details = _linked(record_property, seen.page)
    problem = address_problem(seen)
    if problem:
        coworld_episode.require_finished()
        raise _address_failure(
            "browser.global_address",
            seen,
            problem,
            details,
            coworld_episode.game_log_tail(),
        )


@check_mark("browser.global_viewer")
def test_global_viewer(
    record_property: RecordProperty, coworld_browser: BrowserSession, coworld_episode: MainEpisode
) -> None:
    """Testname: Live viewer in a browser.
    Description: While the certification episode plays, the live viewer page MUST open `/global`, receive
    frames and draw them: the page looks different once its frames arrived.
    """
    seen = coworld_episode.live_result(GLOBAL_VIEWER)
    details = _linked(record_property, seen.page)
    problem = viewer_problem(seen, advance=False)
    if problem:
        coworld_episode.require_finished()
        late_problem = coworld_episode.viewers().late_problem()
        if late_problem:  # a page that joined after the start has nothing to draw from
            raise CheckBlocked(f"the game gives a late viewer no state (viewer.late_state: {late_problem})")
        raise CoworldCheckFailure(
            "browser.global_viewer",
            "RUNTIME.md: routes in rollout mode (GET /client(s)/global is an HTML live viewer)",
            "the live viewer receives frames on /global and draws them while the episode plays",
            problem,
            details=[*details, *(f"websocket: {socket.describe()}" for socket in seen.page.sockets)],
            hint="draw the state the viewer receives on /global: the snapshot first, then every update",
            log_tail=coworld_episode.game_log_tail(),
        )


@check_mark("browser.replay_viewer")
def test_replay_viewer(
    request: pytest.FixtureRequest,
    record_property: RecordProperty,
    coworld_browser: BrowserSession,
    coworld_manifest: LoadedManifest,
    coworld_episode: MainEpisode,
    coworld_run: CertificationRun,
) -> None:
    """Testname: Replay viewer in a browser.
    Description: The replay viewer (replay mode, or the static `replay_viewer.bundle` given `#replay=`/
    `?replay=`) MUST load the episode's replay and play it: no error frame, and the page draws and advances.
    """
    artifacts = PageArtifacts(browser_artifacts_dir(coworld_episode.artifacts_dir), "replay_viewer")
    bundle = coworld_manifest.manifest.game.replay_viewer
    if bundle is None:
        server: ReplayHandle = request.getfixturevalue("coworld_replay_server")
        if server.healthz_problem:
            unopened = f"the replay viewer could not be opened: {server.healthz_problem}"
            raise _replay_failure(unopened, [], server.log_tail())
        seen = coworld_run.replay_viewer_seen(server.mode) or coworld_browser.call(
            watch_viewer, server.server.viewer_url, artifacts, True, timeout=PROBE_SECONDS
        )
        log_tail = server.log_tail()
    else:
        problem = coworld_episode.replay_problem()
        if problem:
            raise CheckBlocked(f"the episode has no replay (replay.written: {problem})")
        replay = replay_file(coworld_episode.result())
        assert replay is not None
        location = coworld_manifest.replay_bundle()
        assert location is not None
        with StaticBundleServer(location, replay) as static:
            url = static.viewer_url()
            seen = coworld_browser.call(watch_viewer, url, artifacts, True, static, timeout=PROBE_SECONDS)
        log_tail = ""
    details = _linked(record_property, seen.page)
    problem = viewer_problem(seen, advance=True)
    if problem:
        raise _replay_failure(problem, details, log_tail)


def _replay_failure(problem: str, details: list[str], log_tail: str) -> CoworldCheckFailure:
    return CoworldCheckFailure(
        "browser.replay_viewer",
        "RUNTIME.md: replay mode; two generations (static replay viewer)",
        "the replay viewer loads the episode's replay, draws it and advances",
        problem,
        details=details,
        hint="load the replay you are given, report errors on the page, and draw its frames as they play",
        log_tail=log_tail,
    )
