"""`ReplayHandle`: the game in one replay mode (classic or current) on the certification episode's replay."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pytest_coworld.failures import CheckBlocked
from pytest_coworld.probes.routes import PageProbe, get_page
from pytest_coworld.probes.sockets import first_message, is_error_frame, snippet
from pytest_coworld.runtime.errors import CoworldRuntimeError
from pytest_coworld.runtime.outcome import log_tail
from pytest_coworld.runtime.replay import ReplayMode, ReplayServer

FIRST_FRAME_SECONDS = 10.0
HINTS = {
    ReplayMode.CLASSIC: "with COGAME_REPLAY_SERVER=1, serve /healthz, /clients/replay, /replay?uri=U on 8080",
    ReplayMode.CURRENT: "with COGAME_LOAD_REPLAY_URI=U, serve /healthz, /client/replay and /replay on 8080",
}


@dataclass(frozen=True)
class FrameObservation:
    url: str
    problem: str | None


class ReplayHandle:
    """Starts its replay server on first use; remembers whether it became healthy, and why not."""

    def __init__(self, server: ReplayServer) -> None:
        self.server = server
        self.mode = server.mode.value
        self.hint = HINTS[server.mode]
        self.healthz_problem: str | None = None
        self._started = False
        self._lock = threading.Lock()

    def ensure_started(self) -> ReplayHandle:
        with self._lock:
            if not self._started:
                self._started = True
                try:
                    self.server.start()
                except CoworldRuntimeError as error:
                    self.healthz_problem = str(error).splitlines()[0]
                    self._log_tail = "\n".join(str(error).splitlines()[1:])
        return self

    def require_healthy(self) -> None:
        if self.ensure_started().healthz_problem:
            raise CheckBlocked(f"replay mode ({self.mode}) never became healthy (replay.healthz)")

    def log_tail(self) -> str:
        if self.server.container is None:
            return getattr(self, "_log_tail", "")
        return log_tail(self.server.logs())

    def client_page(self) -> PageProbe:
        viewer = self.server.viewer_url
        return get_page(self.server.base_url, viewer.removeprefix(self.server.base_url))

    def first_frame(self) -> FrameObservation:
        url = self.server.websocket_url
        message, why_not = first_message(url, FIRST_FRAME_SECONDS)
        if message is None:
            return FrameObservation(url, why_not)
        if is_error_frame(message):
            return FrameObservation(url, f"the first message is an error frame: {snippet(message)}")
        return FrameObservation(url, None)

    def close(self) -> None:
        self.server.close()
