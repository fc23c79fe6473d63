"""The wire relay, run as a local process in front of a real websocket server: it forwards frames unchanged
and its transcript says who connected where, what the handshake answered, what flowed each way and who
closed. (In an episode the same file runs in the relay container; see test_runtime_network.py.)"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.http11 import Request, Response
from websockets.sync.client import connect
from websockets.sync.server import Server, ServerConnection, serve

from pytest_coworld.wire import relay
from pytest_coworld.wire.transcript import Transcript, token_digest

TOKEN = "slot-zero-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _game(connection: ServerConnection) -> None:
    """Echo each message; `bye` makes the game close with 4000; `/global` sends one message and waits."""
    if connection.request is not None and connection.request.path.startswith("/global"):
        connection.send("state")
    for message in connection:
        if message == "bye":
            connection.close(4000, "bye")
            return
        connection.send(message)


def _refuse_bad_tokens(connection: ServerConnection, request: Request) -> Response | None:
    if request.path.startswith("/healthz"):
        return connection.respond(HTTPStatus.OK, "ok\n")
    if "token=wrong" in request.path:
        return connection.respond(HTTPStatus.FORBIDDEN, "wrong token\n")
    return None


@dataclass
class Relayed:
    url: str
    process: subprocess.Popen[str]

    def transcript(self) -> Transcript:
        """Stop the relay (it describes what is still open) and read everything it wrote."""
        self.process.terminate()
        output, _ = self.process.communicate(timeout=10)
        return Transcript.parse(output)


@pytest.fixture
def relayed() -> Iterator[Relayed]:
    game_port, relay_port = _free_port(), _free_port()
    server: Server = serve(_game, "127.0.0.1", game_port, process_request=_refuse_bad_tokens)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    process = subprocess.Popen(
        [
            sys.executable,
            "-u",
            relay.__file__,
            "--port",
            str(relay_port),
            "--upstream",
            f"127.0.0.1:{game_port}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and json.loads(process.stdout.readline())["e"] == "listening"
        yield Relayed(f"ws://127.0.0.1:{relay_port}", process)
    finally:
        process.kill()
        process.wait()
        server.shutdown()


def test_frames_pass_unchanged_and_the_transcript_counts_them(relayed: Relayed) -> None:
    with connect(f"{relayed.url}/player?slot=0&token={TOKEN}", compression=None) as connection:
        for text in ("a", "bb", "ccc"):
            connection.send(text)
            assert connection.recv(timeout=5) == text
        connection.send(b"\x00\x01binary")
        assert connection.recv(timeout=5) == b"\x00\x01binary"
        assert connection.ping().wait(5)
        connection.send("x" * 70_000)  # a 64-bit length header
        assert connection.recv(timeout=5) == "x" * 70_000

    wire = relayed.transcript().slot(0, TOKEN, None)
    [played] = wire.own
    assert wire.connected and played.status == 101
    assert (played.up.messages, played.down.messages) == (5, 5)
    assert played.up.bytes == played.down.bytes == 1 + 2 + 3 + 8 + 70_000
    assert played.up.control >= 2 and played.down.control >= 2  # ping/pong and the close frames
    assert (played.closed_by, played.close_code) == ("player", 1000)


def test_the_game_closing_is_recorded_with_its_code(relayed: Relayed) -> None:
    with connect(f"{relayed.url}/player?slot=0&token={TOKEN}") as connection:
        connection.send("bye")
        with pytest.raises(ConnectionClosed):
            connection.recv(timeout=5)

    [played] = relayed.transcript().slot(0, TOKEN, None).own
    assert (played.closed_by, played.close_code) == ("game", 4000)
    assert not played.both_ways  # the player sent one message and got none back


def test_a_refused_handshake_is_recorded_and_does_not_count_as_connected(relayed: Relayed) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{relayed.url}/player?slot=0&token=wrong")
    assert refused.value.response.status_code == 403

    transcript = relayed.transcript()
    [tried] = transcript.connections.values()
    assert tried.status == 403 and tried.token == token_digest("wrong")
    assert not transcript.slot(0, TOKEN, None).connected  # not the slot's own token
    assert "wrong" not in json.dumps([vars(c) for c in transcript.connections.values()], default=str)


def test_other_routes_are_attributed_to_the_container_that_opened_them(relayed: Relayed) -> None:
    with connect(f"{relayed.url}/global") as viewer:
        assert viewer.recv(timeout=5) == "state"
        viewer.send("hello")
        assert viewer.recv(timeout=5) == "hello"

    wire = relayed.transcript().slot(0, TOKEN, "127.0.0.1")
    assert not wire.connected and wire.own == ()
    assert "no /player?slot=0 connection" in wire.observed() and "/global" in wire.observed()


def test_plain_http_passes_through(relayed: Relayed) -> None:
    http_url = relayed.url.replace("ws://", "http://")
    assert httpx.get(f"{http_url}/healthz", trust_env=False).text == "ok\n"

    [request] = relayed.transcript().connections.values()
    assert (request.path, request.status, request.upgrade) == ("/healthz", 200, False)


def test_connections_still_open_are_described_when_the_relay_stops(relayed: Relayed) -> None:
    with connect(f"{relayed.url}/player?slot=0&token={TOKEN}") as connection:
        connection.send("a")
        assert connection.recv(timeout=5) == "a"
        [played] = relayed.transcript().slot(0, TOKEN, None).own
    assert played.closed_by == "relay-stopped" and played.up.messages == 1 and played.both_ways
