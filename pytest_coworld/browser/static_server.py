"""`StaticBundleServer`: serves a static replay viewer bundle and one replay file on 127.0.0.1.

The bundle is served at `/`: from its folder, or, for a manifest read from a URL, fetched file by file from
the bundle's URL (so the page still loads from loopback). The replay file is at `/coworld-replay/<name>`,
held back until `release()`, so a probe can see the page before its replay arrived; `replay_requested`
says whether the page asked for it.
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

HOST = "127.0.0.1"
REPLAY_PREFIX = "/coworld-replay/"
HOLD_LIMIT_SECONDS = 30.0
REMOTE_SECONDS = 30.0


class StaticBundleServer:
    """A context manager: a loopback HTTP server for `bundle` and `replay_file`."""

    def __init__(self, bundle: Path | str, replay_file: Path) -> None:
        self.bundle = bundle
        self.replay_file = replay_file
        self.requested = threading.Event()
        self.released = threading.Event()
        self.served_paths: list[str] = []
        folder = bundle if isinstance(bundle, Path) else Path.cwd()  # a remote bundle reads no local file
        handler = partial(_Handler, self, directory=str(folder))
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
        if isinstance(self.owner.bundle, str) and not path.startswith(REPLAY_PREFIX):
            self._relay(urljoin(self.owner.bundle, path.lstrip("/")))
            return
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

    def _relay(self, url: str) -> None:
        """Answer with the remote bundle's file at `url` (its status, type and bytes)."""
        import httpx

        try:
            response = httpx.get(url, timeout=REMOTE_SECONDS, follow_redirects=True, trust_env=False)
        except httpx.HTTPError as error:
            self.send_error(502, f"cannot fetch {url}: {error}")
            return
        self.send_response(response.status_code)
        self.send_header("Content-Type", response.headers.get("content-type", "application/octet-stream"))
        self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        self.wfile.write(response.content)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the probe records what was served."""
