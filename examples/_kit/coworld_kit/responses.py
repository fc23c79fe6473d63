"""Plain HTTP answers served next to the websockets, and the `/healthz` and page routes both modes share."""

from __future__ import annotations

from http import HTTPStatus

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Response

from coworld_kit.pages import Pages

HTML = "text/html; charset=utf-8"


def respond(
    connection: ServerConnection, status: int, body: str, content_type: str | None = None
) -> Response:
    """An HTTP response instead of a websocket handshake."""
    response = connection.respond(HTTPStatus(status), body)
    if content_type is not None:
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = content_type
    return response


def shared_route(connection: ServerConnection, path: str, pages: Pages, healthy: bool) -> Response | None:
    """The answer for `/healthz` and the page routes; None for every other path."""
    if path == "/healthz":
        return respond(connection, 200, "ok\n") if healthy else respond(connection, 503, "not ready\n")
    page = pages.for_path(path)
    return None if page is None else respond(connection, 200, page, HTML)
