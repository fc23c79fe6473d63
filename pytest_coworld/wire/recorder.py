"""`WireRecorder`: the relay container of one episode, and the transcript it streams while the episode plays.

The relay joins the players' internal network under the game's alias (`game`) and the public network on
which it reaches the real game, so players have no other route. Its stdout is followed on a thread: the
live transcript says when the relay listens and when a slot's messages first flow both ways. At the end
`stop()` lets the relay describe the connections still open, and `transcript()` reads its whole output.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress

import docker
import docker.errors
import requests.exceptions

from pytest_coworld.runtime.containers import ContainerHandle, ContainerSpec
from pytest_coworld.runtime.exits import ExitEvents
from pytest_coworld.wire.transcript import Connection, Transcript

STOP_SECONDS = 5.0


class WireRecorder:
    """Start the relay, follow its transcript, stop it gracefully, and hand over what it recorded."""

    def __init__(
        self,
        client: docker.DockerClient,
        spec: ContainerSpec,
        on_change: Callable[[Connection], None] | None = None,
        exits: ExitEvents | None = None,
    ) -> None:
        self.handle = ContainerHandle(client, spec, exits)
        self.live = Transcript()
        self._on_change = on_change
        self._follower: threading.Thread | None = None

    def start(self) -> None:
        self.handle.start()
        self._follower = threading.Thread(target=self._follow, name=f"wire-{self.handle.name}", daemon=True)
        self._follower.start()

    def wait_listening(self, timeout: float) -> bool:
        """True once the relay accepts connections (False when it did not within `timeout`, or died)."""
        return self.live.listening.wait(timeout)

    def _follow(self) -> None:
        pending = b""
        with suppress(docker.errors.DockerException, requests.exceptions.RequestException, OSError):
            for chunk in self.handle.container.logs(stream=True, follow=True, stdout=True, stderr=False):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    changed = self.live.feed(line.decode("utf-8", "replace"))
                    if changed is not None and self._on_change is not None:
                        self._on_change(changed)

    def stop(self) -> None:
        """SIGTERM: the relay writes a `close` event for every connection still open and a last `stopped`
        line, then exits. Its transcript is complete once that line is seen: the engine's own work on its
        exit (a few tenths of a second: three networks to leave) is not waited for."""
        container = self.handle.container
        if container is None or self.handle.exited:
            return
        with suppress(docker.errors.DockerException, requests.exceptions.RequestException):
            container.kill(signal="SIGTERM")
        if self._follower is not None and self.live.stopped.wait(STOP_SECONDS):
            return
        if not self.handle.wait_exit(STOP_SECONDS):
            self.handle.stop()
        if self._follower is not None:
            self._follower.join(timeout=STOP_SECONDS)

    def text(self) -> str:
        """The relay's whole transcript (its stdout)."""
        container = self.handle.container
        if container is None:
            return ""
        try:
            return bytes(container.logs(stdout=True, stderr=False)).decode("utf-8", "replace")
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return ""

    def remove(self) -> None:
        self.handle.remove()
