"""The game in replay mode on the certification episode's replay: `ReplayHandle` (one mode, classic or
current) and `ReplayServers` (every mode the run certifies, made ready while the episode plays)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from pytest_coworld.failures import CheckBlocked
from pytest_coworld.manifest.models import LoadedManifest
from pytest_coworld.probes.routes import PageProbe, get_page
from pytest_coworld.probes.sockets import first_message, is_error_frame, snippet
from pytest_coworld.runtime.errors import CoworldRuntimeError
from pytest_coworld.runtime.outcome import log_tail
from pytest_coworld.runtime.replay import ReplayMode, ReplayServer
from pytest_coworld.runtime.run import RunContext
from pytest_coworld.runtime.settings import ResourceLimits
from pytest_coworld.runtime.workspace import replay_file_name

FIRST_FRAME_SECONDS = 10.0
HINTS = {
    ReplayMode.CLASSIC: "with COGAME_REPLAY_SERVER=1, serve /healthz, /clients/replay, /replay?uri=U on 8080",
    ReplayMode.CURRENT: "with COGAME_LOAD_REPLAY_URI=U, serve /healthz, /client/replay and /replay on 8080",
}


def viewed_replay_mode(served: list[str]) -> str:
    """The replay mode whose viewer the browser opens: the generation of routes the game serves (`current`
    when it serves both, or none)."""
    return "current" if "current" in served or not served else "classic"


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

    def prepare(self) -> None:
        """Make the server ready to start (a failure here is met again, and reported, by the start)."""
        with self._lock, suppress(CoworldRuntimeError):
            if not self._started:
                self.server.prepare()

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


class ReplayServers:
    """The replay servers of one certification run, one per mode, on the episode's replay.

    While the episode plays they are made ready (`prepare`: network, front door and game container made, the
    game not started); the moment its game has exited they are started on the replay it wrote
    (`start_with`), so the replay checks find them healthy or nearly. A run that prepared nothing starts them
    all at once on first use (`handle`).
    """

    def __init__(
        self, context: RunContext, loaded: LoadedManifest, healthz_timeout: float, limits: ResourceLimits
    ) -> None:
        self._context = context
        self._loaded = loaded
        self._healthz_timeout = healthz_timeout
        self._limits = limits
        self._handles: dict[str, ReplayHandle] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def _replay(self) -> Path:
        """Where the servers read the replay from: the run's own copy."""
        return self._context.work_root / "certification-replay" / replay_file_name(self._loaded.generation)

    def prepare(self, modes: list[str]) -> None:
        """Make the server of each mode ready to start, each on its own thread."""
        with self._lock:
            if not self._handles:
                self._create(modes)
                self._on_threads(lambda handle: handle.prepare())

    def start_with(self, replay: bytes) -> None:
        """The game exited and wrote `replay`: start the prepared servers on it now, each on a thread."""
        with self._lock:
            if self._handles and not self._replay.exists():
                self._place(replay)
                self._on_threads(ReplayHandle.ensure_started)

    def handle(self, mode: str, modes: list[str], replay: Path) -> ReplayHandle:
        """The server of `mode`, started; unless started already, every mode's starts on `replay` at once."""
        with self._lock:
            if not self._replay.exists():
                self._place(replay.read_bytes())
                if not self._handles:
                    self._create(modes)
                self._on_threads(ReplayHandle.ensure_started)
        return self._handles[mode].ensure_started()

    def started(self, mode: str) -> ReplayHandle | None:
        """The server of `mode` once its start has ended (None when this run has none of that mode)."""
        with self._lock:
            handle = self._handles.get(mode)
        return handle.ensure_started() if handle is not None else None

    def join(self, seconds: float) -> None:
        """Wait for the servers still being prepared or started (a server starting would outlive removal)."""
        for thread in self._threads:
            thread.join(timeout=seconds)

    def close(self) -> None:
        """Remove every server, all at once (what is left, the run's own removal removes)."""
        with suppress(Exception), ThreadPoolExecutor(max(1, len(self._handles))) as pool:
            list(pool.map(ReplayHandle.close, list(self._handles.values())))

    def _create(self, modes: list[str]) -> None:
        for mode in modes:
            server = ReplayServer.for_manifest(
                self._context,
                self._loaded,
                self._replay,
                ReplayMode(mode),
                healthz_timeout=self._healthz_timeout,
                limits=self._limits,
            )
            self._handles[mode] = ReplayHandle(server)

    def _place(self, replay: bytes) -> None:
        self._replay.parent.mkdir(parents=True, exist_ok=True)
        self._replay.write_bytes(replay)

    def _on_threads(self, work: Callable[[ReplayHandle], object]) -> None:
        for mode, handle in self._handles.items():
            thread = threading.Thread(target=work, args=(handle,), name=f"coworld-replay-{mode}", daemon=True)
            thread.start()
            self._threads.append(thread)
