"""A loopback TCP proxy in front of the registry that, once, drops or corrupts an upload mid-stream.

It forwards bytes both ways. After the client has sent `after_bytes` in total (so: inside a blob body), it
either closes both sockets (`drop`) or flips one byte (`corrupt`), then forwards faithfully from there on.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Literal

Fault = Literal["drop", "corrupt"]
BUFFER_BYTES = 1024 * 1024


class FaultyProxy:
    """Use as a context manager; `port` is where clients connect, `fired` tells whether the fault happened."""

    def __init__(self, target_port: int, fault: Fault, after_bytes: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._fault = fault
        self._after_bytes = after_bytes
        self._sent = 0
        self._lock = threading.Lock()
        self.fired = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> FaultyProxy:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close(self._listener)
        for sock in list(self._sockets):
            self._close(sock)
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    @staticmethod
    def _close(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            self._sockets += [client, upstream]
            self._spawn(self._pump_upload, client, upstream)
            self._spawn(self._pump, upstream, client)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(BUFFER_BYTES):
                sink.sendall(data)
        self._close(sink)

    def _pump_upload(self, client: socket.socket, upstream: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(BUFFER_BYTES):
                data = self._apply_fault(data, client, upstream)
                upstream.sendall(data)
        self._close(upstream)

    def _apply_fault(self, data: bytes, client: socket.socket, upstream: socket.socket) -> bytes:
        with self._lock:
            self._sent += len(data)
            if self.fired or self._sent < self._after_bytes:
                return data
            self.fired = True
        if self._fault == "drop":
            self._close(client)
            self._close(upstream)
            return b""
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
