"""The kit's artifact URIs: file:// writes appear whole, http(s):// uses the method the runner asks for."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from example_containers import EXAMPLES

sys.path.insert(0, str(EXAMPLES / "_kit"))
from coworld_kit import KitError
from coworld_kit.storage import read_uri, write_uri


class _Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, bytes]]] = []

    def _store(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.command, self.path, body))
        self.send_response(201)
        self.end_headers()

    do_PUT = do_POST = _store

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"tokens": ["a", "b"]}')

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def artifact_server() -> Iterator[str]:
    """A local HTTP server on 127.0.0.1 that records what is uploaded to it."""
    _Recorder.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_file_uris_are_written_and_read(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "results.json"
    write_uri(target.as_uri(), b'{"scores": [1, 2]}')
    assert read_uri(target.as_uri()) == b'{"scores": [1, 2]}'
    assert [path.name for path in target.parent.iterdir()] == ["results.json"]


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_http_uris_are_uploaded_with_the_requested_method(artifact_server: str, method: str) -> None:
    write_uri(f"{artifact_server}/artifacts/results.json", b'{"scores": [3]}', method)
    assert _Recorder.received == [(method, "/artifacts/results.json", b'{"scores": [3]}')]


def test_http_config_uris_are_read(artifact_server: str) -> None:
    assert read_uri(f"{artifact_server}/config.json") == b'{"tokens": ["a", "b"]}'


@pytest.mark.parametrize("uri", ["s3://bucket/results.json", "results.json"])
def test_other_uris_are_refused_with_a_clear_error(uri: str) -> None:
    with pytest.raises(KitError, match="use a file:// or http"):
        write_uri(uri, b"{}")
