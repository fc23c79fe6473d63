"""An ASGI app served by uvicorn on a free 127.0.0.1 port in a thread: what the API stand-ins share."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Self

import uvicorn

START_SECONDS = 15


class LoopbackAsgiServer:
    """Serve `app` on 127.0.0.1 while the context is open; `port` is known as soon as it is made."""

    def __init__(self, app: Any, name: str) -> None:
        self.name = name
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
