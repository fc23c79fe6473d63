"""Replay checks: the episode's replay is written, and replay mode (or the static bundle) shows it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from pytest_coworld.certification import MainEpisode, ReplayHandle
from pytest_coworld.checks.catalog import check_mark
from pytest_coworld.failures import CoworldCheckFailure
from pytest_coworld.manifest import LoadedManifest


@check_mark("replay.written")
def test_replay_written(coworld_episode: MainEpisode) -> None:
    """Testname: Replay written.
    Description: At the end of the episode the game MUST write its replay artifact to COGAME_SAVE_REPLAY_URI.
    """
    problem = coworld_episode.replay_problem()
    if problem:
        raise CoworldCheckFailure(
            "replay.written",
            "RUNTIME.md: episode lifecycle 8 (the game writes its replay)",
            "a non-empty replay at COGAME_SAVE_REPLAY_URI",
            problem,
            hint="write the replay before exiting, to the path of COGAME_SAVE_REPLAY_URI",
            log_tail=coworld_episode.game_log_tail(),
        )


REPLAY_MODES = pytest.mark.parametrize("coworld_replay_mode", ["classic", "current"])


@check_mark("replay.healthz")
@REPLAY_MODES
def test_replay_healthz(coworld_replay_server: ReplayHandle) -> None:
    """Testname: Replay mode health.
    Description: The game image started in replay mode MUST answer `GET /healthz` with 200.
    """
    if coworld_replay_server.healthz_problem:
        raise CoworldCheckFailure(
            "replay.healthz",
            "RUNTIME.md: replay mode, GET /healthz",
            f"200 from GET /healthz in replay mode ({coworld_replay_server.mode})",
            coworld_replay_server.healthz_problem,
            hint=coworld_replay_server.hint,
            log_tail=coworld_replay_server.log_tail(),
        )


@check_mark("replay.client_page")
@REPLAY_MODES
def test_replay_client_page(coworld_replay_server: ReplayHandle) -> None:
    """Testname: Replay viewer page.
    Description: Replay mode MUST serve its HTML replay viewer (`/clients/replay?uri=U` classic,
    `/client/replay` current).
    """
    coworld_replay_server.require_healthy()
    page = coworld_replay_server.client_page()
    if not page.is_html:
        raise CoworldCheckFailure(
            "replay.client_page",
            "RUNTIME.md: replay mode, the replay viewer page",
            f"an HTML page at {page.path}",
            page.describe(),
            hint="serve the viewer page in replay mode",
            log_tail=coworld_replay_server.log_tail(),
        )


@check_mark("replay.first_frame")
@REPLAY_MODES
def test_replay_first_frame(coworld_replay_server: ReplayHandle) -> None:
    """Testname: Replay stream.
    Description: The replay websocket MUST load the episode's replay and stream it: its first message is
    replay data, not an error frame.
    """
    coworld_replay_server.require_healthy()
    frame = coworld_replay_server.first_frame()
    if frame.problem:
        raise CoworldCheckFailure(
            "replay.first_frame",
            "RUNTIME.md: replay mode, WEBSOCKET /replay streams the replay",
            "a first replay message that is not an error",
            frame.problem,
            details=[f"url: {frame.url}"],
            hint="load the replay from the URI you are given and stream its frames",
            log_tail=coworld_replay_server.log_tail(),
        )


@check_mark("replay.bundle")
def test_replay_bundle(coworld_manifest: LoadedManifest) -> None:
    """Testname: Static replay bundle.
    Description: A game that declares `game.replay_viewer.bundle` MUST ship that folder with an `index.html`
    (it then has no replay mode).
    """
    location = coworld_manifest.replay_bundle()
    if location is None:
        pytest.skip("not applicable: the game has a replay mode, not a static replay bundle")
    index, problem = _bundle_index(location)
    if problem:
        raise CoworldCheckFailure(
            "replay.bundle",
            "RUNTIME.md: two generations (static replay viewer)",
            f"{index} exists",
            problem,
            hint="point replay_viewer.bundle at the built viewer folder (relative to the manifest)",
        )


def _bundle_index(location: Path | str) -> tuple[str, str | None]:
    """The bundle's `index.html` and, when it is not there, what was found instead."""
    if isinstance(location, Path):
        index = location / "index.html"
        return str(index), None if index.is_file() else "no index.html there"
    index_url = urljoin(location, "index.html")
    try:
        status = httpx.get(index_url, timeout=30, follow_redirects=True, trust_env=False).status_code
    except httpx.HTTPError as error:
        return index_url, f"GET failed: {type(error).__name__}: {error}"
    return index_url, None if status == 200 else f"GET answered HTTP {status}"
