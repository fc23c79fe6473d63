"""`SocketRecorder`: a websocket endpoint of our own on 127.0.0.1 that records what pages connect to.

It accepts any path, sends nothing and keeps the connection open until the page leaves, so a page told
`address=<our URL>` behaves as if it reached a game; `paths` lists the request paths (with query) received.
"""

from __future__ import annotations

from types import TracebackType

from websockets.asyncio.server import Server, ServerConnection, serve

HOST = "127.0.0.1"


class SocketRecorder:
    """`async with SocketRecorder() as recorder:` serves on an ephemeral loopback port."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self._server: Server | None = None

    async def __aenter__(self) -> SocketRecorder:
        self._server = await serve(self._accept, HOST, 0, ping_interval=None, close_timeout=1)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(next(iter(self._server.sockets)).getsockname()[1])

    def http_url(self, path: str) -> str:
        """An `http://` URL of this endpoint: a page must turn it into `ws://` itself."""
        return f"http://{HOST}:{self.port}{path}"

    async def _accept(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        self.paths.append(connection.request.path)
        await connection.wait_closed()
