"""A minimal stdlib websocket (RFC 6455) for the fake game and player images: text, close, ping/pong."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def _read_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("socket closed")
        data += chunk
    return data


class Connection:
    """One websocket connection over a connected socket; `masked` is True on the client side."""

    def __init__(self, sock: socket.socket, masked: bool) -> None:
        self.sock = sock
        self.masked = masked
        self.lock = threading.Lock()

    def send(self, text: str, opcode: int = TEXT) -> None:
        payload = text.encode()
        header = bytes([0x80 | opcode])
        mask_bit = 0x80 if self.masked else 0
        if len(payload) < 126:
            header += bytes([mask_bit | len(payload)])
        elif len(payload) < 65536:
            header += bytes([mask_bit | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([mask_bit | 127]) + struct.pack("!Q", len(payload))
        if self.masked:
            mask = os.urandom(4)
            payload = mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with self.lock:
            self.sock.sendall(header + payload)

    def receive(self) -> str | None:
        """The next text message, or None when the peer closed the connection."""
        while True:
            try:
                first, second = _read_exact(self.sock, 2)
            except (ConnectionError, OSError):
                return None
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack("!H", _read_exact(self.sock, 2))[0]
            elif length == 127:
                length = struct.unpack("!Q", _read_exact(self.sock, 8))[0]
            mask = _read_exact(self.sock, 4) if second & 0x80 else b""
            payload = _read_exact(self.sock, length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == CLOSE:
                self.close()
                return None
            if opcode == PING:
                self.send(payload.decode(), PONG)
                continue
            if opcode == TEXT:
                return payload.decode()

    def close(self) -> None:
        try:
            self.send("", CLOSE)
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def client_connect(host: str, port: int, path: str) -> Connection:
    """Open a websocket to ws://host:port/path (path includes the query)."""
    sock = socket.create_connection((host, port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(1024)
        if not chunk:
            raise ConnectionError("handshake: connection closed")
        response += chunk
    status_line = response.split(b"\r\n", 1)[0].decode()
    if status_line.split()[1:2] != ["101"]:
        raise ConnectionError(f"handshake refused: {status_line}")
    sock.settimeout(None)
    return Connection(sock, masked=True)
