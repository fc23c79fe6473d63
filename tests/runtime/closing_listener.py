"""A TCP listener of the test's own that accepts every connection and closes it at once."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


@contextmanager
def closing_listener(host: str) -> Iterator[int]:
    """Listen on `host` (an ephemeral port, yielded); accept and close each connection until the end."""
    listener = socket.create_server((host, 0))
    listener.settimeout(0.2)
    stopping = threading.Event()

    def accept_and_close() -> None:
        while not stopping.is_set():
            with suppress(TimeoutError):
                listener.accept()[0].close()

    accepting = threading.Thread(target=accept_and_close, daemon=True)
    accepting.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stopping.set()
        accepting.join()
        listener.close()
