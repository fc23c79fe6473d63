"""The players' wire relay: a transparent websocket relay that records what passes (runs in a container).

Players reach the game only through this relay: it listens on 8080 under the game's network alias and
forwards every connection to the real game. With `--host-port` it is also the host's front door to the game,
passing those connections through unrecorded. An HTTP request is passed through unchanged; after a `101`
upgrade every websocket frame is parsed and forwarded byte for byte (text, binary, ping, pong, close), so
the relay never changes what either side sees. Each connection is described on stdout as JSON lines:

    {"t": 1764540000.12, "e": "listening", "port": 8080, "host_port": 8081}
    {"t": ..., "e": "open", "c": 1, "peer": "172.18.0.3", "method": "GET", "path": "/player", "slot": "0",
     "token": "<sha256 prefix>", "upgrade": true}
    {"t": ..., "e": "response", "c": 1, "status": 101}
    {"t": ..., "e": "both_ways", "c": 1}                       # the first data message each way has passed
    {"t": ..., "e": "progress", "c": 1, "up": FLOW, "down": FLOW}   # at most once a second while it changes
    {"t": ..., "e": "close", "c": 1, "by": "player", "code": 1000, "up": FLOW, "down": FLOW}

`up` is player to game, `down` game to player; a FLOW is `{"messages", "bytes", "control", "first", "last"}`.
`by` is the side whose close frame came first, else the side that dropped the TCP connection first
(`player-dropped`, `game-dropped`, `unreachable`), or `relay-stopped` when the relay was told to stop. Tokens
are never written: only a prefix of their sha256, which the harness compares with its own.

Stdlib only, Python 3.11: the relay image is a bare Python base image plus this one file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import signal
import socket
import sys
import time
from dataclasses import asdict, dataclass
from urllib.parse import parse_qs, urlsplit

HEAD_LIMIT = 65536
PROGRESS_SECONDS = 1.0
DATA_OPCODES = {0x0, 0x1, 0x2}
CLOSE_OPCODE = 0x8


def token_digest(token: str) -> str:
    """The prefix of the token's sha256 that the transcript carries instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def emit(event: str, **fields: object) -> None:
    sys.stdout.write(json.dumps({"t": round(time.time(), 4), "e": event, **fields}) + "\n")
    sys.stdout.flush()


@dataclass
class Flow:
    """What passed in one direction of one connection: data messages, their payload bytes (as sent:
    compressed when the two sides negotiated it), control frames, and the times of the first and last
    message."""

    messages: int = 0
    bytes: int = 0
    control: int = 0
    first: float | None = None
    last: float | None = None

    def count(self, opcode: int, fin: bool, size: int) -> bool:
        """Count one frame; True when it completed a data message."""
        if opcode not in DATA_OPCODES:
            self.control += 1
            return False
        self.bytes += size
        if not fin:
            return False
        now = round(time.time(), 4)
        self.messages += 1
        self.first = self.first or now
        self.last = now
        return True


class Connection:
    """One relayed connection: its two flows and how it ended."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.up = Flow()
        self.down = Flow()
        self.closed_by: str | None = None
        self.close_code: int | None = None
        self.reported: tuple[int, int] = (0, 0)
        self.both_ways = False

    def ended(self, by: str, code: int | None = None) -> None:
        if self.closed_by is None:
            self.closed_by, self.close_code = by, code

    def progress(self) -> None:
        counts = (self.up.messages + self.up.control, self.down.messages + self.down.control)
        if counts != self.reported:
            self.reported = counts
            emit("progress", c=self.number, up=asdict(self.up), down=asdict(self.down))

    def close_event(self) -> None:
        emit(
            "close",
            c=self.number,
            by=self.closed_by,
            code=self.close_code,
            up=asdict(self.up),
            down=asdict(self.down),
        )


class Upstream:
    """The game's address: its name is resolved once (the engine's DNS is not asked on every connection)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._address: str | None = None

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._address is None:
            loop = asyncio.get_running_loop()
            found = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
            self._address = str(found[0][4][0])
        return await asyncio.open_connection(self._address, self.port, limit=HEAD_LIMIT)


class Relay:
    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.numbers = itertools.count(1)
        self.open: dict[int, Connection] = {}

    async def handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        connection = Connection(next(self.numbers))
        self.open[connection.number] = connection
        try:
            await self._relay(connection, client_reader, client_writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            connection.ended("player-dropped")
        finally:
            client_writer.close()
            if self.open.pop(connection.number, None) is not None:
                connection.close_event()

    async def _relay(
        self, connection: Connection, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        head = await client_reader.readuntil(b"\r\n\r\n")
        self._describe_request(connection.number, client_writer, head)
        try:
            game_reader, game_writer = await self.upstream.open()
        except OSError:
            connection.ended("unreachable")
            return
        try:
            game_writer.write(head)
            await game_writer.drain()
            if b"upgrade: websocket" not in head.lower():
                await self._pipe_raw(connection, client_reader, client_writer, game_reader, game_writer, [])
                return
            response = await game_reader.readuntil(b"\r\n\r\n")
            status = _status(response)
            emit("response", c=connection.number, status=status)
            client_writer.write(response)
            await client_writer.drain()
            if status == 101:
                await asyncio.gather(
                    self._frames(connection, connection.up, client_reader, game_writer, "player"),
                    self._frames(connection, connection.down, game_reader, client_writer, "game"),
                )
            else:
                await self._pipe_raw(
                    connection, client_reader, client_writer, game_reader, game_writer, [status]
                )
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            connection.ended("game-dropped")
        finally:
            game_writer.close()

    def _describe_request(self, number: int, client_writer: asyncio.StreamWriter, head: bytes) -> None:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, _, rest = request_line.partition(" ")
        target = rest.rpartition(" ")[0] or rest
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        token = query.get("token", [None])[0]
        peer = client_writer.get_extra_info("peername")
        emit(
            "open",
            c=number,
            peer=peer[0] if peer else None,
            method=method,
            path=parts.path,
            slot=query.get("slot", [None])[0],
            token=None if token is None else token_digest(token),
            upgrade=b"upgrade: websocket" in head.lower(),
        )

    async def _frames(
        self,
        connection: Connection,
        flow: Flow,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        sender: str,
    ) -> None:
        """Forward frames from `sender` unchanged, counting them, until its side ends."""
        try:
            while True:
                header = await reader.readexactly(2)
                size = header[1] & 0x7F
                extended = b""
                if size == 126:
                    extended = await reader.readexactly(2)
                elif size == 127:
                    extended = await reader.readexactly(8)
                if extended:
                    size = int.from_bytes(extended, "big")
                mask = await reader.readexactly(4) if header[1] & 0x80 else b""
                payload = await reader.readexactly(size)
                writer.write(header + extended + mask + payload)
                opcode, fin = header[0] & 0x0F, bool(header[0] & 0x80)
                if flow.count(opcode, fin, size):
                    self._flowing(connection)
                if opcode == CLOSE_OPCODE:
                    connection.ended(sender, _close_code(payload, mask))
                await writer.drain()
        except asyncio.IncompleteReadError:
            connection.ended(f"{sender}-dropped")
        except OSError:
            connection.ended(f"{'game' if sender == 'player' else 'player'}-dropped")
        finally:
            _end_of_stream(writer)

    def _flowing(self, connection: Connection) -> None:
        if not connection.both_ways and connection.up.messages and connection.down.messages:
            connection.both_ways = True
            emit("both_ways", c=connection.number)

    async def _pipe_raw(
        self,
        connection: Connection,
        client_reader: asyncio.StreamReader,
        client_writer: asyncio.StreamWriter,
        game_reader: asyncio.StreamReader,
        game_writer: asyncio.StreamWriter,
        status: list[int | None],
    ) -> None:
        """Copy bytes both ways unparsed (plain HTTP, a refused upgrade); `status`: the answer, if read."""

        async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sender: str) -> None:
            try:
                while chunk := await reader.read(HEAD_LIMIT):
                    if sender == "game" and not status:
                        status.append(_status(chunk))
                        emit("response", c=connection.number, status=status[0])
                    writer.write(chunk)
                    await writer.drain()
            finally:
                connection.ended(f"{sender}-dropped")
                _end_of_stream(writer)

        await asyncio.gather(
            copy(client_reader, game_writer, "player"), copy(game_reader, client_writer, "game")
        )

    async def report_progress(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            for connection in list(self.open.values()):
                connection.progress()

    def stop(self) -> None:
        """Describe every connection still open, then exit."""
        for connection in list(self.open.values()):
            connection.ended("relay-stopped")
            connection.close_event()
        self.open.clear()
        emit("stopped")
        sys.exit(0)


def _end_of_stream(writer: asyncio.StreamWriter) -> None:
    """Pass an end of stream on: half-close the other side, which then ends its own flow."""
    with contextlib.suppress(OSError):
        if writer.can_write_eof():
            writer.write_eof()


def _status(response: bytes) -> int | None:
    parts = response.split(b"\r\n", 1)[0].split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _close_code(payload: bytes, mask: bytes) -> int | None:
    if len(payload) < 2:
        return None
    first = bytes(byte ^ mask[index] for index, byte in enumerate(payload[:2])) if mask else payload[:2]
    return int.from_bytes(first, "big")


class FrontDoor:
    """The host's door to the game: every connection passed through unparsed and unrecorded (the host's
    probes and browsers are not players; the game itself has no published port and no route outward)."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream

    async def handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            game_reader, game_writer = await self.upstream.open()
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(_copy(client_reader, game_writer), _copy(game_reader, client_writer))
        finally:
            game_writer.close()
            client_writer.close()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while chunk := await reader.read(HEAD_LIMIT):
            writer.write(chunk)
            await writer.drain()
    _end_of_stream(writer)


async def serve(port: int, upstream: str, host_port: int | None) -> None:
    host, _, upstream_port = upstream.rpartition(":")
    game = Upstream(host, int(upstream_port))
    relay = Relay(game)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, relay.stop)
    servers = [await asyncio.start_server(relay.handle, "0.0.0.0", port, limit=HEAD_LIMIT)]
    if host_port is not None:
        door = FrontDoor(game)
        servers.append(await asyncio.start_server(door.handle, "0.0.0.0", host_port, limit=HEAD_LIMIT))
    emit("listening", port=port, host_port=host_port)
    await asyncio.gather(*(server.serve_forever() for server in servers), relay.report_progress())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--upstream", required=True, help="the game, as HOST:PORT")
    parser.add_argument("--host-port", type=int, help="also pass the host's connections through, unrecorded")
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.port, arguments.upstream, arguments.host_port))


if __name__ == "__main__":
    main()
