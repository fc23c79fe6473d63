"""A loopback TCP proxy in front of the registry that injects faults into uploads, a given number of times.

It forwards bytes both ways. A fault is due once the client has sent `after_bytes` more bytes since the start
(or since the last fault), so: inside a blob body. Byte faults fire at that very byte: `drop` forwards what
came before it and closes both sockets, `corrupt` flips it. Request faults hit the next request whose request
line starts with `request`: `unavailable` answers it 503 (with `Retry-After`) itself, so the registry never
sees it, and keeps the connection; `lose_answer` forwards it but hangs up when the registry answers, so the
client never hears back. After `times` faults the proxy forwards faithfully.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Fault = Literal["drop", "corrupt", "unavailable", "lose_answer"]
BYTE_FAULTS = ("drop", "corrupt")
BUFFER_BYTES = 1024 * 1024
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


class RequestSplitter:
    """Cuts the client's bytes into HTTP/1.1 requests: `("head", …)`, `("body", …)`, then `("end", b"")`."""

    def __init__(self) -> None:
        self._head = b""
        self._body_left = 0

    def feed(self, data: bytes) -> Iterator[tuple[str, bytes]]:
        while data:
            if self._body_left:
                part, data = data[: self._body_left], data[self._body_left :]
                self._body_left -= len(part)
                yield "body", part
            else:
                self._head += data
                end = self._head.find(b"\r\n\r\n") + 4
                if end < 4:
                    return
                head, data, self._head = self._head[:end], self._head[end:], b""
                length = _CONTENT_LENGTH.search(head)
                self._body_left = int(length[1]) if length else 0
                yield "head", head
            if not self._body_left:
                yield "end", b""


def unavailable_answer(retry_after: int) -> bytes:
    """A 503 like a registry behind a busy load balancer would give, with a registry-style error body."""
    body = json.dumps({"errors": [{"code": "UNAVAILABLE", "message": "service unavailable"}]}).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Retry-After: {retry_after}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@dataclass
class _Link:
    """One client connection and its own connection to the registry."""

    client: socket.socket
    upstream: socket.socket
    requests: RequestSplitter = field(default_factory=RequestSplitter)
    refusing: bool = False
    lose_answer: bool = False


class FaultyProxy:
    """Use as a context manager; `port` is where clients connect, `fired` counts the faults injected."""

    def __init__(
        self,
        target_port: int,
        fault: Fault,
        after_bytes: int = 0,
        times: int = 1,
        request: str = "",
        retry_after: int = 0,
    ) -> None:
        self._target = ("127.0.0.1", target_port)
        self._fault = fault
        self._after_bytes = after_bytes
        self._times = times
        self._request = request.encode()
        self._retry_after = retry_after
        self._sent = 0
        self._due_at = after_bytes
        self._lock = threading.Lock()
        self.fired = 0
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
            link = _Link(client, socket.create_connection(self._target))
            self._sockets += [link.client, link.upstream]
            self._spawn(self._pump_upload, link)
            self._spawn(self._pump_answers, link)

    def _pump_answers(self, link: _Link) -> None:
        with contextlib.suppress(OSError):
            while (data := link.upstream.recv(BUFFER_BYTES)) and not link.lose_answer:
                link.client.sendall(data)
        self._close(link.client)
        self._close(link.upstream)

    def _pump_upload(self, link: _Link) -> None:
        with contextlib.suppress(OSError):
            while data := link.client.recv(BUFFER_BYTES):
                if self._fault in BYTE_FAULTS:
                    link.upstream.sendall(self._byte_fault(data, link))
                    continue
                for kind, part in link.requests.feed(data):
                    self._forward(link, kind, part)
        self._close(link.upstream)

    def _count(self, size: int) -> None:
        with self._lock:
            self._sent += size

    def _fire_if_due(self) -> int | None:
        """Fire the fault when it is due: how many bytes the client sent past its point; else None."""
        with self._lock:
            if self.fired >= self._times or self._sent < self._due_at:
                return None
            self.fired += 1
            overshoot, self._due_at = self._sent - self._due_at, self._sent + self._after_bytes
            return overshoot

    def _byte_fault(self, data: bytes, link: _Link) -> bytes:
        """`data` as it goes on: cut at the fault's point (`drop`) or with that byte flipped (`corrupt`)."""
        self._count(len(data))
        overshoot = self._fire_if_due()
        if overshoot is None:
            return data
        cut = len(data) - overshoot
        if self._fault == "drop":
            link.upstream.sendall(data[:cut])
            self._close(link.client)
            self._close(link.upstream)
            return b""
        flipped = min(cut, len(data) - 1)
        return data[:flipped] + bytes([data[flipped] ^ 0xFF]) + data[flipped + 1 :]

    def _forward(self, link: _Link, kind: str, part: bytes) -> None:
        if kind == "head" and part.startswith(self._request) and self._fire_if_due() is not None:
            link.refusing = self._fault == "unavailable"
            link.lose_answer = self._fault == "lose_answer"
        self._count(len(part))
        if not link.refusing:
            link.upstream.sendall(part)
        elif kind == "end":
            link.refusing = False
            link.client.sendall(unavailable_answer(self._retry_after))
