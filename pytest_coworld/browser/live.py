"""The browser's live probes: page probes that run while the games play, not when their checks run.

- `live_probes(options, episode_artifacts_dir)` for `MainEpisode`: each gets the certification episode once
  its game is healthy (the live viewer must be watched while the episode plays); checks read the results
  with `coworld_episode.live_result(name)`.
- `probe_game_probes(options, episode_artifacts_dir)` for `ProbeGame`: each gets the healthy probe game (the
  player page needs its probe slot and token, and the probe game's own episode may be over by check time);
  checks read the results with `coworld_game.live_result(name)`.
- `replay_viewer_probe(options, episode_artifacts_dir)` for `CertificationRun`: gets the replay viewer's URL
  as soon as the replay server is healthy; the check reads the result with `coworld_run.replay_viewer_seen()`.

Asking for either starts launching the browser at once, so it is up when the games are healthy.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Protocol

from pytest_coworld.browser.observations import (
    AddressObservation,
    PageArtifacts,
    PageObservation,
    ViewerObservation,
)
from pytest_coworld.browser.probes import probe_address, probe_player_page, watch_viewer
from pytest_coworld.browser.session import shared_session
from pytest_coworld.browser.urls import PROBE_PARAM, client_page_url, route_generation
from pytest_coworld.failures import CheckBlocked
from pytest_coworld.options import CoworldOptions
from pytest_coworld.probes.routes import ClientRoutes, probe_client

REPLAY_VIEWER = "browser.replay_viewer"
GLOBAL_VIEWER = "browser.global_viewer"
GLOBAL_ADDRESS = "browser.global_address"
PLAYER_PAGE = "browser.player_page"
PLAYER_ADDRESS = "browser.player_address"
PROBE_SECONDS = 90.0


class LiveEpisodeView(Protocol):
    """What the live probes use of `MainEpisode`."""

    @property
    def base_url(self) -> str: ...

    def client_routes(self, client: str) -> ClientRoutes: ...


class ProbeGameView(Protocol):
    """What the player-page probes use of `ProbeGame`."""

    contract: str
    probe_slot: int

    @property
    def base_url(self) -> str: ...

    @property
    def tokens(self) -> list[str]: ...

    def control_attempt(self) -> Any: ...

    def require_player_socket(self) -> None: ...


def browser_artifacts_dir(episode_artifacts_dir: Path) -> Path:
    """Browser artifacts live beside the certification episode's: `<episode>/../browser/`."""
    return episode_artifacts_dir.parent / "browser"


def _selected(probes: dict[str, Any], options: CoworldOptions) -> dict[str, Any]:
    """The probes of the selected checks, with the browser launching ({} without Playwright)."""
    wanted = {name: probe for name, probe in probes.items() if options.selects(name)}
    if not wanted or find_spec("playwright") is None:
        return {}
    shared_session()
    return wanted


def launch_early(options: CoworldOptions) -> None:
    """Start launching the browser now, when any live browser check is selected: it then starts beside
    pytest's collection instead of beside the games."""
    _selected({name: None for name in (GLOBAL_VIEWER, GLOBAL_ADDRESS, PLAYER_PAGE, PLAYER_ADDRESS)}, options)


def live_probes(
    options: CoworldOptions, episode_artifacts_dir: Path
) -> dict[str, Callable[[LiveEpisodeView, Callable[[], None]], Any]]:
    """The certification game's live probes of the selected browser checks: `probe(main_episode, attached)`,
    where the probe calls `attached()` once its page is connected, before the players are started."""
    folder = browser_artifacts_dir(episode_artifacts_dir)
    probes = {
        GLOBAL_VIEWER: partial(watch_live_viewer, folder=folder, contract=options.contract),
        GLOBAL_ADDRESS: partial(probe_global_address, folder=folder, contract=options.contract),
    }
    selected = _selected(probes, options)
    if selected:  # their pages open as the game becomes healthy, and the players wait for them
        shared_session().make_spare_pages([name == GLOBAL_VIEWER for name in selected])  # the viewer holds
    return selected


def probe_game_probes(
    options: CoworldOptions, episode_artifacts_dir: Path
) -> dict[str, Callable[[ProbeGameView], Any]]:
    """The probe game's live probes of the selected browser checks."""
    folder = browser_artifacts_dir(episode_artifacts_dir)
    probes = {
        PLAYER_PAGE: partial(probe_live_player_page, folder=folder),
        PLAYER_ADDRESS: partial(probe_player_address, folder=folder),
    }
    return _selected(probes, options)


def replay_viewer_probe(
    options: CoworldOptions, episode_artifacts_dir: Path
) -> Callable[[str], ViewerObservation] | None:
    """The replay viewer's probe, `probe(viewer_url)`, when its check is selected."""
    folder = browser_artifacts_dir(episode_artifacts_dir)
    probe = partial(watch_replay_viewer, folder=folder)
    return _selected({REPLAY_VIEWER: probe}, options).get(REPLAY_VIEWER)


def expect_replay_viewer() -> None:
    """The replay viewer is about to be opened (its server is starting): make its page ahead."""
    shared_session().make_spare_pages([True])


def watch_replay_viewer(viewer_url: str, folder: Path) -> ViewerObservation:
    """Open the replay viewer of a replay server and watch it draw and advance."""
    artifacts = PageArtifacts(folder, "replay_viewer")
    return shared_session().call(watch_viewer, viewer_url, artifacts, True, timeout=PROBE_SECONDS)


def page_url(
    base_url: str,
    contract: str,
    client: str,
    query: list[tuple[str, str]],
    routes: ClientRoutes | None = None,
) -> str:
    """The client page of the generation the game serves (blocked when it serves none); `routes`: the client's
    routes when already probed."""
    routes = routes or probe_client(base_url, client)
    generation = route_generation(routes.served_by, contract)
    if generation is None:
        raise CheckBlocked(f"the game serves no {client} page (routes.{client}_client: {routes.describe()})")
    return client_page_url(base_url, generation, client, query)


def player_page_url(game: ProbeGameView) -> str:
    """The probe slot's player page, with its token and a parameter no game knows."""
    slot = game.probe_slot
    query = [("slot", str(slot)), ("token", game.tokens[slot]), PROBE_PARAM]
    return page_url(game.base_url, game.contract, "player", query)


def probe_live_player_page(game: ProbeGameView, folder: Path) -> PageObservation:
    """Open the probe slot's player page: which websocket does it open, and is it accepted?"""
    game.require_player_socket()
    artifacts = PageArtifacts(folder, "player_page", tuple(game.tokens))
    return shared_session().call(probe_player_page, player_page_url(game), artifacts, timeout=PROBE_SECONDS)


def probe_player_address(game: ProbeGameView, folder: Path) -> AddressObservation:
    """Open the probe slot's player page with `address=` pointing at our own endpoint.

    The host's own connection of the probe slot goes first, as for every other probe of the slot: a page
    that ignores `address` connects to the game as that slot too.
    """
    game.control_attempt()
    artifacts = PageArtifacts(folder, "player_address", tuple(game.tokens))
    url = player_page_url(game)
    return shared_session().call(probe_address, url, "player", artifacts, timeout=PROBE_SECONDS)


def watch_live_viewer(
    episode: LiveEpisodeView, attached: Callable[[], None], folder: Path, contract: str
) -> ViewerObservation:
    """Open the live viewer before play and watch it draw the frames it receives once play starts."""
    url = page_url(episode.base_url, contract, "global", [], episode.client_routes("global"))
    artifacts = PageArtifacts(folder, "global_viewer")
    return shared_session().call(
        watch_viewer, url, artifacts, False, attached=attached, timeout=PROBE_SECONDS
    )


def probe_global_address(
    episode: LiveEpisodeView, attached: Callable[[], None], folder: Path, contract: str
) -> AddressObservation:
    """Open the live viewer with `address=` pointing at our own endpoint: where does it connect?"""
    url = page_url(episode.base_url, contract, "global", [PROBE_PARAM], episode.client_routes("global"))
    artifacts = PageArtifacts(folder, "global_address")
    return shared_session().call(
        probe_address, url, "global", artifacts, attached=attached, timeout=PROBE_SECONDS
    )
