"""`RunContext`: one run of the runtime (a CLI command, a pytest session), owning everything it starts.

Entering it connects to Docker, removes stale resources of dead runs on this host, makes a private work
folder for the episode workspaces, and starts the out-of-process guard. Leaving it removes every container
and network labelled with its run id and the work folder, then stops the guard.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType

import docker

from pytest_coworld.runtime.cleanup import RemovalReport, remove_run, sweep_stale, work_folder_prefix
from pytest_coworld.runtime.docker_api import connect_docker
from pytest_coworld.runtime.guard import start_guard, stop_guard
from pytest_coworld.runtime.labels import RunIdentity, new_run_id


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
        self._work_root: Path | None = None

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
        if self._use_guard:
            self._guard = start_guard(self.identity.pid, self.run_id, self._work_root)
        return self

    def close(self) -> RemovalReport:
        """Remove everything of this run that is still there; stop the guard."""
        self.cancel.set()
        report = remove_run(self.client, self.run_id)
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
        if self._guard is not None:
            stop_guard(self._guard)
            self._guard = None

    def __enter__(self) -> RunContext:
        return self.open()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
