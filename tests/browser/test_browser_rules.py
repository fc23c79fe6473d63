"""The address rule's URLs, and the verdicts on what a page was seen doing."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_coworld.browser.observations import AddressObservation, PageArtifacts, PageObservation, SocketSeen
from pytest_coworld.browser.urls import as_websocket_url, same_socket_url, socket_url_of_page
from pytest_coworld.browser.verdicts import address_problem, player_page_problem, player_params_problem

PAGE = "http://127.0.0.1:4000/client/player?slot=1&token=abc&role=scout"
SOCKET = "ws://127.0.0.1:4000/player?slot=1&token=abc&role=scout"


@pytest.mark.parametrize(
    ("page", "socket"),
    [
        (PAGE, SOCKET),
        (
            "http://127.0.0.1:4000/clients/global?coworld_probe=1",
            "ws://127.0.0.1:4000/global?coworld_probe=1",
        ),
        ("https://example.org/clients/player?slot=0", "wss://example.org/player?slot=0"),
    ],
)
def test_the_socket_url_of_a_page_keeps_every_parameter(page: str, socket: str) -> None:
    assert socket_url_of_page(page) == socket


def test_an_address_becomes_a_websocket_url() -> None:
    assert as_websocket_url("http://127.0.0.1:9/x?a=1") == "ws://127.0.0.1:9/x?a=1"
    assert as_websocket_url("https://h/x") == "wss://h/x"
    assert as_websocket_url("ws://h/x") == "ws://h/x"


def test_socket_urls_compare_parameters_in_any_order() -> None:
    assert same_socket_url("ws://127.0.0.1:4000/player?role=scout&token=abc&slot=1", SOCKET)
    assert not same_socket_url("ws://127.0.0.1:4000/player?slot=1&token=abc", SOCKET)


def page(*sockets: SocketSeen) -> PageObservation:
    return PageObservation(PAGE, sockets, PageArtifacts(Path("/tmp"), "page", ("abc",)))


def socket(url: str, opened: bool = True, frames: int = 1, close: int | None = None) -> SocketSeen:
    return SocketSeen(url, opened, frames, None, close, None if opened else "refused")


def test_the_player_page_passes_when_it_opens_its_socket_and_is_accepted() -> None:
    assert player_page_problem(page(socket(SOCKET))) is None
    assert player_params_problem(page(socket(SOCKET)), SOCKET) is None


def test_any_path_to_the_game_is_a_player_page_but_drops_the_parameters() -> None:
    relative_ws = page(socket("ws://127.0.0.1:4000/ws"))
    assert player_page_problem(relative_ws) is None
    problem = player_params_problem(relative_ws, SOCKET)
    assert problem is not None and "ws://127.0.0.1:4000/ws" in problem


def test_a_socket_to_another_host_is_not_a_player_page() -> None:
    problem = player_page_problem(page(socket("ws://127.0.0.1:5000/player?slot=1&token=abc")))
    assert problem is not None and "none of them to the game at 127.0.0.1:4000" in problem


def test_a_dropped_parameter_is_named() -> None:
    problem = player_params_problem(page(socket("ws://127.0.0.1:4000/player?slot=1&token=abc")), SOCKET)
    assert problem is not None
    assert "missing role=scout" in problem


def test_a_refused_connection_fails_the_player_page() -> None:
    problem = player_page_problem(page(socket(SOCKET, opened=False, frames=0, close=1006)))
    assert problem is not None
    assert "did not accept" in problem


def test_accepted_then_closed_without_data_is_not_accepted() -> None:
    assert player_page_problem(page(socket(SOCKET, frames=0, close=1008))) is not None


def test_no_socket_at_all_fails() -> None:
    problem = player_page_problem(page())
    assert problem is not None
    assert "no websocket" in problem


def test_an_address_page_must_open_only_the_address() -> None:
    expected = "ws://127.0.0.1:9/coworld-address-probe/player?probe=1"
    good = AddressObservation(page(socket(expected)), "http://127.0.0.1:9/…", expected, ("/x",))
    merged = AddressObservation(page(socket(f"{expected}&slot=1")), "http://…", expected, ("/x",))
    assert address_problem(good) is None
    assert address_problem(merged) == f"the page opened {expected}&slot=1"
