"""Probes of a running example game waiting for its players: routes, handshakes, reconnect, viewers, pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from example_containers import (
    GENERATIONS,
    PAGE_KINDS,
    QUICK_CONFIGS,
    ExampleContainers,
    Game,
    other_generation,
    run_page,
)
from websockets.exceptions import ConnectionClosedOK, InvalidStatus
from websockets.sync.client import connect

HUMAN_TURN_MS = 45_000


@pytest.fixture(scope="module", params=["paint", "auction"])
def example(request: pytest.FixtureRequest) -> str:
    """The example under probe: paint speaks only the classic generation, auction only the current one."""
    return str(request.param)


@pytest.fixture(scope="module")
def idle_game(
    example: str, module_containers: ExampleContainers, tmp_path_factory: pytest.TempPathFactory
) -> Game:
    """A game whose episode never starts in this module: only slot 0 (and 1 in the auction) ever connect."""
    config = {**QUICK_CONFIGS[example], "player_connect_timeout_seconds": 900}
    if example == "auction":
        config["human_turn_ms"] = HUMAN_TURN_MS
    game = module_containers.game(example, tmp_path_factory.mktemp(example), config)
    game.wait_healthy()
    return game


def test_healthz_answers_200(idle_game: Game) -> None:
    assert idle_game.http_status("/healthz") == 200


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_pages_are_served_on_the_routes_of_its_generation(idle_game: Game, example: str, kind: str) -> None:
    response = httpx.get(f"{idle_game.http}{GENERATIONS[example].page(kind)}?slot=0&token=abc")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script id="coworld-address">' in response.text


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_the_other_generations_pages_answer_404(idle_game: Game, example: str, kind: str) -> None:
    assert idle_game.http_status(f"{other_generation(example).page(kind)}?slot=0&token=abc") == 404


@pytest.mark.parametrize("path", ["/nope", "/replay", "/clients/admin", "/client/admin", "/client"])
def test_unknown_paths_answer_404(idle_game: Game, path: str) -> None:
    assert idle_game.http_status(path) == 404


def _refusal(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=30):
        pass
    return refused.value.response.status_code


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong token", 401),
        ("missing token", 401),
        ("other slot's token", 401),
        ("slot out of range", 403),
        ("malformed slot", 400),
    ],
)
def test_player_handshake_is_refused(idle_game: Game, case: str, expected: int) -> None:
    urls = {
        "wrong token": idle_game.player_url(0, token="not-the-token"),
        "missing token": f"{idle_game.ws}/player?slot=0",
        "other slot's token": idle_game.player_url(0, token=idle_game.tokens[1]),
        "slot out of range": idle_game.player_url(len(idle_game.tokens)),
        "malformed slot": idle_game.player_url("one"),
    }
    assert _refusal(urls[case]) == expected


def test_a_slot_reconnects_and_gets_its_state_at_once(idle_game: Game) -> None:
    with connect(idle_game.player_url(0), open_timeout=30) as first:
        assert json.loads(first.recv(timeout=30))["you"] == 0
        with connect(idle_game.player_url(0), open_timeout=30) as second:
            assert json.loads(second.recv(timeout=30))["you"] == 0
            with pytest.raises(ConnectionClosedOK):
                first.recv(timeout=30)
    assert first.close_code == 1000


def test_a_viewer_gets_a_snapshot_first_and_pongs(idle_game: Game) -> None:
    with connect(f"{idle_game.ws}/global", open_timeout=30) as viewer:
        first = json.loads(viewer.recv(timeout=30))
        assert first["type"] == "snapshot"
        assert first["frame"] == 0
        assert isinstance(first["state"], dict)
        assert viewer.ping().wait(30)


@pytest.mark.parametrize("example", ["auction"], indirect=True)
def test_the_auction_role_parameter_gives_a_human_the_long_turn(idle_game: Game) -> None:
    with connect(idle_game.player_url(1, role="human"), open_timeout=30) as human:
        turn = json.loads(human.recv(timeout=30))
    assert turn["deadline_ms"] == HUMAN_TURN_MS
    assert turn["players"][1]["role"] == "human"


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_pages_follow_the_address_rule(idle_game: Game, example: str, kind: str, tmp_path: Path) -> None:
    page = f"{idle_game.http}{GENERATIONS[example].page(kind)}"
    html = httpx.get(page).text
    own = run_page(html, f"{page}?slot=0&token=abc&role=scout", [], tmp_path)
    assert own["url"] == f"{idle_game.ws}/{kind}?slot=0&token=abc&role=scout"
    address = "http://127.0.0.1:9/elsewhere?x=1"
    given = run_page(html, f"{page}?slot=0&token=abc&address={address}", [], tmp_path)
    assert given["url"] == "ws://127.0.0.1:9/elsewhere?x=1"


def _first_message(url: str) -> dict[str, Any]:
    with connect(url, open_timeout=30) as connection:
        return json.loads(connection.recv(timeout=30))


def test_the_viewer_and_player_pages_draw_what_they_receive(
    idle_game: Game, example: str, tmp_path: Path
) -> None:
    snapshot = _first_message(f"{idle_game.ws}/global")
    observation = _first_message(idle_game.player_url(0))
    pages = {"global": [snapshot], "player": [observation]}
    for kind, messages in pages.items():
        page = f"{idle_game.http}{GENERATIONS[example].page(kind)}"
        assert run_page(httpx.get(page).text, page, messages, tmp_path)["drawing"] > 0


def test_the_game_logs_the_generation_its_image_declares(idle_game: Game, example: str) -> None:
    assert f"{example} speaks the {GENERATIONS[example].name} generation of the contract" in idle_game.logs()
