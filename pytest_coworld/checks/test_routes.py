"""Route checks on the certification episode's game: healthz, the browser clients, the player socket."""

from __future__ import annotations

import pytest

from pytest_coworld.certification import MainEpisode, ProbeGame
from pytest_coworld.checks.catalog import RecordProperty, check_mark, check_param
from pytest_coworld.failures import CoworldCheckFailure


@check_mark("runtime.healthz")
def test_healthz(coworld_episode: MainEpisode) -> None:
    """Testname: Health endpoint.
    Description: The game MUST answer `GET /healthz` with 200 once it is ready for players, within the healthz
    timeout, while listening on 0.0.0.0:8080 (COGAME_HOST/COGAME_PORT).
    """
    healthz = coworld_episode.healthz()
    if not healthz.ok:
        raise CoworldCheckFailure(
            "runtime.healthz",
            "RUNTIME.md: GET /healthz answers 200 once the game is ready for players",
            f"200 from GET /healthz within {healthz.timeout:.0f} s",
            healthz.observed,
            hint=healthz.hint,
            log_tail=healthz.log_tail,
        )


@pytest.mark.parametrize(
    "client", [check_param("routes.player_client", "player"), check_param("routes.global_client", "global")]
)
def test_client_page(record_property: RecordProperty, coworld_episode: MainEpisode, client: str) -> None:
    """Testname: Browser client page.
    Description: The game MUST serve an HTML page for its player client and its live viewer, under the route
    generation it follows: `/client/<name>` (current) or `/clients/<name>` (classic).
    """
    routes = coworld_episode.client_routes(client)
    served = routes.served_by
    record_property("coworld.route_generation", "+".join(served) or "none")
    wanted = coworld_episode.contract
    if not served or (wanted != "auto" and wanted not in served):
        expected = {
            "auto": f"an HTML page at /client/{client} or /clients/{client}",
            "current": f"an HTML page at /client/{client}",
            "classic": f"an HTML page at /clients/{client}",
        }
        raise CoworldCheckFailure(
            f"routes.{client}_client",
            "RUNTIME.md: routes in rollout mode; two generations",
            expected[wanted],
            routes.describe(),
            hint="serve the page with content-type text/html",
        )


@check_mark("routes.player_socket")
def test_player_socket(coworld_game: ProbeGame) -> None:
    """Testname: Player websocket.
    Description: `WEBSOCKET /player?slot=S&token=T` MUST accept a slot with its own token for this episode.
    """
    control = coworld_game.control_attempt()
    if control.rejected:
        raise CoworldCheckFailure(
            "routes.player_socket",
            "RUNTIME.md: WEBSOCKET /player accepts a valid slot and token",
            f"the upgrade accepted for {coworld_game.redacted_player_url(coworld_game.probe_slot)}",
            control.describe(),
            hint="serve the websocket at exactly /player, reading slot and token from the query",
            log_tail=coworld_game.log_tail(),
        )
