"""`RunContext`: one run of the runtime (a CLI command, a pytest session), owning everything it starts.

Entering it connects to Docker, removes stale resources of dead runs on this host, makes a private work
folder for the episode workspaces, follows the engine's announcements of its containers' exits
(`ExitEvents`), and starts the out-of-process guard. Leaving it removes every container
and network labelled with its run id and the work folder, then stops the guard. Every Docker resource is
created inside `creating()`: once the run is closing no new one is made, and the removal waits for those
already in flight, so a container started by a background thread during Ctrl-C is never left behind.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import docker

from pytest_coworld.guard import start_guard, stop_guard
from pytest_coworld.runtime.cleanup import RemovalReport, remove_run, sweep_stale, work_folder_prefix
from pytest_coworld.runtime.docker_api import connect_docker
from pytest_coworld.runtime.errors import EpisodeCancelled
from pytest_coworld.runtime.exits import ExitEvents
from pytest_coworld.runtime.labels import RunIdentity, new_run_id

CREATION_DRAIN_SECONDS = 60.0  # how long closing waits for Docker creates in flight (a loaded machine)


class RunContext:
    """Docker client, run identity and labels, work folder, guard and cancellation shared by episodes."""

    def __init__(
        self,
        run_id: str | None = None,
        worker: str | None = None,
        *,
        guard: bool = True,
        sweep_stale: bool = True,
        client: docker.DockerClient | None = None,
    ) -> None:
        self.identity = RunIdentity(run_id=run_id or new_run_id(), worker=worker)
        self.cancel = threading.Event()
        self.stale_removed = RemovalReport()
        self._client = client
        self._use_guard = guard
        self._sweep_stale = sweep_stale
        self._guard: subprocess.Popen[bytes] | None = None
        self.exits: ExitEvents | None = None  # the engine's announcements of this run's exits, once open
        self._work_root: Path | None = None
        self._creations = threading.Condition()
        self._creating = 0

    @property
    def run_id(self) -> str:
        return self.identity.run_id

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            raise RuntimeError(
                "RunContext is not open; use it as a context manager (with RunContext() as run:)"
            )
        return self._client

    @property
    def work_root(self) -> Path:
        if self._work_root is None:
            raise RuntimeError(
                "RunContext is not open; use it as a context manager (with RunContext() as run:)"
            )
        return self._work_root

    def resource_name(self, *parts: str) -> str:
        """A unique, readable Docker name: `coworld-<run id>-<parts…>`."""
        return "-".join(("coworld", self.run_id, *parts))

    def open(self) -> RunContext:
        if self._client is None:
            self._client = connect_docker()
        if self._sweep_stale:
            self.stale_removed = sweep_stale(self._client)
        self._work_root = Path(tempfile.mkdtemp(prefix=work_folder_prefix(self.run_id)))
        self.exits = ExitEvents(self._client, self.run_id).open()
        if self._use_guard:
            self._guard = start_guard(self.identity.pid, self.run_id, self._work_root)
        return self

    @contextmanager
    def creating(self) -> Iterator[None]:
        """Around every Docker create: refused (EpisodeCancelled) once the run is closing."""
        with self._creations:
            if self.cancel.is_set():
                raise EpisodeCancelled(f"run {self.run_id} is closing: nothing new is started")
            self._creating += 1
        try:
            yield
        finally:
            with self._creations:
                self._creating -= 1
                self._creations.notify_all()

    def close(self) -> RemovalReport:
        """Remove what is left of this run (once creations in flight have ended); stop the guard."""
        self.cancel.set()
        with self._creations:
            self._creations.wait_for(lambda: self._creating == 0, timeout=CREATION_DRAIN_SECONDS)
        report = remove_run(self.client, self.run_id)
        self._stop_following_exits()
        if self._work_root is not None:
            shutil.rmtree(self._work_root, ignore_errors=True)
        if self._guard is not None:
            stop_guard(self._guard)
            self._guard = None
        return report

    def detach(self) -> None:
        """Leave this run's containers, networks and work folder in place, for debugging; stop the guard.

        They stay until `coworld gc --run-id <id>`, or until a later run sweeps them as stale.
        """
        self.cancel.set()
        self._stop_following_exits()
        if self._guard is not None:
            stop_guard(self._guard)
            self._guard = None

    def _stop_following_exits(self) -> None:
        if self.exits is not None:
            self.exits.close()
            self.exits = None

    def __enter__(self) -> RunContext:
        return self.open()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
