"""What a probe's observation means for its check: None when the page keeps the rule, else what went wrong."""

from __future__ import annotations

from urllib.parse import urlsplit

from pytest_coworld.browser.observations import AddressObservation, PageObservation, ViewerObservation
from pytest_coworld.browser.probes import PAGE_SOCKET_SECONDS
from pytest_coworld.browser.urls import parameter_difference, same_socket_url


def _no_socket(page: PageObservation) -> str | None:
    if page.load_problem:
        return page.load_problem
    if not page.sockets:
        return f"the page opened no websocket within {PAGE_SOCKET_SECONDS:.0f} s"
    return None


def player_page_problem(page: PageObservation) -> str | None:
    """The page must open a websocket to the game that served it (any path: some games open a relative `/ws`
    and send seat and token in a first message), and the game must accept it."""
    problem = _no_socket(page)
    if problem:
        return problem
    game = urlsplit(page.url).netloc
    to_game = [socket for socket in page.sockets if urlsplit(socket.url).netloc == game]
    if not to_game:
        return f"the page opened {', '.join(page.socket_urls)}, none of them to the game at {game}"
    if not any(socket.accepted for socket in to_game):
        return f"the game did not accept the page's websocket: {to_game[0].describe()}"
    return None


def player_params_problem(page: PageObservation, expected_url: str) -> str | None:
    """The page must open exactly `expected_url`: `/player` with every page parameter, in any order."""
    problem = _no_socket(page)
    if problem:
        return problem
    if any(same_socket_url(socket.url, expected_url) for socket in page.sockets):
        return None
    expected_path = urlsplit(expected_url).path
    closest = next((s for s in page.sockets if urlsplit(s.url).path == expected_path), page.sockets[0])
    difference = parameter_difference(closest.url, expected_url)
    return f"the page opened {', '.join(page.socket_urls)}" + (f" ({difference})" if difference else "")


def address_problem(seen: AddressObservation) -> str | None:
    """Every websocket the page opened must be exactly the `address` URL (http → ws), nothing merged in."""
    problem = _no_socket(seen.page)
    if problem:
        return problem
    wrong = [url for url in seen.page.socket_urls if not same_socket_url(url, seen.expected_url)]
    if wrong:
        return f"the page opened {', '.join(wrong)}"
    if not seen.received_paths:
        return "the page opened the address URL, but our endpoint there received no connection"
    return None


def viewer_problem(seen: ViewerObservation, advance: bool) -> str | None:
    """The viewer must get its data without an error frame, draw it and (with `advance`) move on."""
    if seen.page.load_problem:
        return seen.page.load_problem
    if seen.error_frame:
        return f"the first frame is an error frame: {seen.error_frame}"
    if not seen.data_arrived:
        return seen.note
    if not seen.drew:
        return f"the page looked the same before and after its data arrived ({seen.note}): it draws nothing"
    if advance and not seen.advanced:
        return f"the page drew the first frames, then did not change any more ({seen.note})"
    return None
