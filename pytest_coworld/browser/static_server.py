"""`StaticBundleServer`: serves a static replay viewer bundle and one replay file on 127.0.0.1.

The bundle folder is served at `/`, the replay file at `/coworld-replay/<name>`. The replay is held back
until `release()`, so a probe can see the page before its replay arrived; `replay_requested` says whether
the page asked for it.
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

HOST = "127.0.0.1"
REPLAY_PREFIX = "/coworld-replay/"
HOLD_LIMIT_SECONDS = 30.0


class StaticBundleServer:
    """A context manager: a loopback HTTP server for `bundle` and `replay_file`."""

    def __init__(self, bundle: Path, replay_file: Path) -> None:
        self.bundle = bundle
        self.replay_file = replay_file
        self.requested = threading.Event()
        self.released = threading.Event()
        self.served_paths: list[str] = []
        handler = partial(_Handler, self, directory=str(bundle))
        self._server = ThreadingHTTPServer((HOST, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="coworld-bundle", daemon=True)

    def __enter__(self) -> StaticBundleServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    @property
    def replay_url(self) -> str:
        return f"{self.base_url}{REPLAY_PREFIX}{quote(self.replay_file.name)}"

    def viewer_url(self) -> str:
        """`index.html` with the replay URL in both places the contract allows: `?replay=` and `#replay=`."""
        replay = quote(self.replay_url, safe="")
        return f"{self.base_url}/index.html?replay={replay}#replay={replay}"

    @property
    def replay_requested(self) -> bool:
        return self.requested.is_set()

    def release(self) -> None:
        self.released.set()


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, owner: StaticBundleServer, *args: Any, **kwargs: Any) -> None:
        self.owner = owner
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.owner.served_paths.append(path)
        if not path.startswith(REPLAY_PREFIX):
            super().do_GET()
            return
        self.owner.requested.set()
        self.owner.released.wait(HOLD_LIMIT_SECONDS)
        body = self.owner.replay_file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(self.owner.replay_file.name))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the probe records what was served."""
