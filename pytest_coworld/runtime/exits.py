"""`ExitEvents`: the engine's `die` events of one run's containers, followed on one thread.

The engine announces a container's exit (its `die` event, with the exit code) once the process is gone and
its output is flushed; `docker wait` answers only after the engine has also released the container's
networks and mounts: about 0.05 s later on an idle engine, 0.2 s on a busy one, where the end of a game
waits for it. A container handle watches both and takes whichever comes first; `docker wait` stays the
answer when the event stream is not there (it broke, or the engine sends none).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import docker
import docker.errors
import requests.exceptions

from pytest_coworld.runtime.labels import LABEL_RUN_ID

OnExit = Callable[[int], None]


class ExitEvents:
    """The exits of the containers labelled with `run_id`, as the engine announces them."""

    def __init__(self, client: docker.DockerClient, run_id: str) -> None:
        self._client = client
        self._run_id = run_id
        self._stream: Any = None
        self._watchers: dict[str, OnExit] = {}
        self._exited: dict[str, int] = {}  # announced before anyone watched (a container that exits at once)
        self._lock = threading.Lock()

    def open(self) -> ExitEvents:
        """Subscribe (events from now on are delivered) and follow the stream on a thread; an engine that
        refuses the subscription announces nothing, and `docker wait` answers alone."""
        filters = {"type": "container", "event": "die", "label": f"{LABEL_RUN_ID}={self._run_id}"}
        try:
            self._stream = self._client.events(filters=filters, decode=True)
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return self
        threading.Thread(target=self._follow, name=f"exits-{self._run_id}", daemon=True).start()
        return self

    def watch(self, container_id: str, on_exit: OnExit) -> None:
        """Call `on_exit(exit code)` when the container's exit is announced (at once if it already was)."""
        with self._lock:
            code = self._exited.pop(container_id, None)
            if code is None:
                self._watchers[container_id] = on_exit
        if code is not None:
            on_exit(code)

    def close(self) -> None:
        if self._stream is not None:
            with suppress(Exception):  # closing a stream the engine already ended
                self._stream.close()

    def _follow(self) -> None:
        with suppress(Exception):  # the stream closed under us, or broke: `docker wait` still answers
            for event in self._stream:
                code = _exit_code(event)
                if code is not None:
                    self._announce(str(event.get("id", "")), code)

    def _announce(self, container_id: str, code: int) -> None:
        with self._lock:
            on_exit = self._watchers.pop(container_id, None)
            if on_exit is None:
                self._exited[container_id] = code
        if on_exit is not None:
            on_exit(code)


def _exit_code(event: dict[str, Any]) -> int | None:
    try:
        return int(event["Actor"]["Attributes"]["exitCode"])
    except (KeyError, TypeError, ValueError):  # without a code the event says nothing `docker wait` would not
        return None
