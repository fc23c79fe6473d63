"""One container of an episode: created, started, watched for its exit, stopped, read and removed.

`GameContainer` adds `base_url` (its own published port, or its front door's) and the healthz wait;
`PlayerContainer` adds the slot.
The exit is noticed without polling the engine: from the run's `ExitEvents` when given, else (and as a
fallback) from a background thread that blocks in `docker wait`.
"""

from __future__ import annotations

import http.client
import io
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Event
from types import TracebackType
from typing import Any

import docker
import docker.errors
import requests.exceptions

from pytest_coworld.runtime.docker_api import docker_errors, is_gone
from pytest_coworld.runtime.exits import ExitEvents
from pytest_coworld.runtime.settings import ResourceLimits

GAME_PORT = 8080
HEALTHZ_POLL_SECONDS = 0.05
LOG_KEEP_BYTES = 8 * 1024 * 1024  # of a container's log, the most kept in memory and in the artifacts
KEPT_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID", "KILL"]
"""What an image's entrypoint commonly needs (own or hand over files, drop to a user, signal its children);
the rest of the engine's default set (NET_RAW, NET_BIND_SERVICE, MKNOD, SYS_CHROOT, SETPCAP, SETFCAP, FSETID,
AUDIT_WRITE) goes: a game listens on 8080 and talks websockets, which needs none of them."""
SANDBOX = {
    "cap_drop": ["ALL"],
    "cap_add": KEPT_CAPABILITIES,
    "security_opt": ["no-new-privileges"],  # no privilege gains through setuid binaries
    "pids_limit": 1024,  # a fork bomb in a game or player stops here instead of taking the host down
    # logs capped (and readable with `docker logs` whatever the engine's default log driver)
    "log_config": {"type": "json-file", "config": {"max-size": "20m", "max-file": "2"}},
}
"""What every container we start from a stranger's image gets, beside the resource limits (see
docs/security.md)."""


@dataclass(frozen=True)
class ContainerSpec:
    """Everything needed to create one container. `run[0]` is the entrypoint, the rest its arguments."""

    name: str
    image: str
    labels: dict[str, str]
    run: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    network: str | None = None
    extra_networks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    publish_port: int | None = None
    mounts: dict[str, dict[str, str]] = field(default_factory=dict)
    limits: ResourceLimits = field(default_factory=ResourceLimits)

    def create_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "image": self.image,
            "name": self.name,
            "labels": self.labels,
            "environment": self.env,
            "volumes": self.mounts,
            "detach": True,
            **SANDBOX,
            **self.limits.docker_kwargs(),
        }
        if self.run:
            kwargs["entrypoint"] = self.run[:1]
            kwargs["command"] = self.run[1:] or None
        if self.network:
            kwargs["network"] = self.network
        if self.publish_port is not None:
            kwargs["ports"] = {f"{self.publish_port}/tcp": ("127.0.0.1", None)}
        return kwargs


class ContainerHandle:
    """A started container and the facts about it: exit code, whether the runner stopped it, logs, and the
    host port (on 127.0.0.1) of its `spec.publish_port`."""

    def __init__(
        self, client: docker.DockerClient, spec: ContainerSpec, exits: ExitEvents | None = None
    ) -> None:
        self.client = client
        self.spec = spec
        self.exits = exits
        self.container: Any = None
        self.started_at: float | None = None
        self.exited_at: float | None = None
        self.exit_code: int | None = None
        self.host_port: int | None = None
        self.stopped_by_runner = False
        self.on_exit: Callable[[ContainerHandle], None] | None = None
        self._exited = Event()
        self._exit_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def id(self) -> str | None:
        return None if self.container is None else str(self.container.id)

    def create(self) -> None:
        """Create the container and attach its extra networks, without starting it (once)."""
        if self.container is not None:
            return
        with docker_errors(f"creating container {self.name} from {self.spec.image}"):
            self.container = self.client.containers.create(**self.spec.create_kwargs())
            for network, aliases in self.spec.extra_networks:
                self.client.networks.get(network).connect(self.container, aliases=list(aliases))

    def start(self) -> None:
        """Create the container (unless `create` did), start it and begin watching for its exit."""
        self.create()
        if self.exits is not None:
            self.exits.watch(self.container.id, self._exit_seen)
        with docker_errors(f"starting container {self.name} from {self.spec.image}"):
            self.container.start()
        self.started_at = time.monotonic()
        if self.spec.publish_port is not None:
            self.host_port = self._published_port(self.spec.publish_port)
        threading.Thread(target=self._watch_exit, name=f"wait-{self.name}", daemon=True).start()

    def _published_port(self, port: int) -> int | None:
        with docker_errors(f"inspecting container {self.name}"):
            self.container.reload()
        bindings = (self.container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{port}/tcp") or []
        return int(bindings[0]["HostPort"]) if bindings else None

    def _watch_exit(self) -> None:
        code: int | None = None
        while not self.exited:
            try:
                code = int(self.container.wait().get("StatusCode", -1))
                break
            except docker.errors.NotFound:
                break
            except (docker.errors.APIError, requests.exceptions.RequestException):
                if self._vanished():
                    break
                time.sleep(HEALTHZ_POLL_SECONDS)
        self._exit_seen(code)

    def _exit_seen(self, code: int | None) -> None:
        """The container exited with `code` (None: it vanished): recorded once, by whichever saw it first."""
        with self._exit_lock:
            if self.exited:
                return
            self.exit_code = code
            self.exited_at = time.monotonic()
            self._exited.set()
        if self.on_exit is not None:
            self.on_exit(self)

    def _vanished(self) -> bool:
        try:
            self.container.reload()
        except docker.errors.NotFound:
            return True
        except (docker.errors.APIError, requests.exceptions.RequestException):
            return False
        return self.container.status in ("exited", "dead")

    @property
    def exited(self) -> bool:
        return self._exited.is_set()

    @property
    def exited_by_itself(self) -> bool:
        return self.exited and not self.stopped_by_runner

    def wait_exit(self, timeout: float | None) -> bool:
        """Wait up to `timeout` seconds for the container to exit; True when it has."""
        return self._exited.wait(timeout)

    def stop(self) -> None:
        """Kill the container now, recording that the runner (not the container) ended it."""
        if self.container is None or self.exited:
            return
        self.stopped_by_runner = True
        try:
            self.container.kill()
        except docker.errors.APIError as error:
            if is_gone(error) or "is not running" in str(error):
                self.stopped_by_runner = False
            else:
                raise
        self._exited.wait(10)

    def terminate(self, grace: float) -> bool:
        """Ask the container to stop (SIGTERM); kill it when it has not exited within `grace` seconds.
        True when it obeyed the SIGTERM (or had already exited)."""
        if self.container is None or self.exited:
            return True
        self.stopped_by_runner = True
        try:
            self.container.kill(signal="SIGTERM")
        except docker.errors.APIError as error:
            if not (is_gone(error) or "is not running" in str(error)):
                raise
        if self._exited.wait(grace):
            return True
        self.stop()
        return False

    def logs(self) -> str:
        """stdout and stderr, interleaved, at most their last LOG_KEEP_BYTES (with a note of the cut); empty
        when the container is gone."""
        if self.container is None:
            return ""
        try:
            log = bytes(self.container.logs(stdout=True, stderr=True))
        except (docker.errors.APIError, requests.exceptions.RequestException):
            return ""
        if len(log) <= LOG_KEEP_BYTES:
            return log.decode("utf-8", "replace")
        cut = len(log) - LOG_KEEP_BYTES
        note = f"[pytest-coworld: the first {cut:,} bytes cut; the last {LOG_KEEP_BYTES:,} follow]"
        return f"{note}\n{log[-LOG_KEEP_BYTES:].decode('utf-8', 'replace')}"

    def read_file(self, path: str) -> bytes | None:
        """A file from the container's filesystem (mounts included, also after exit); None when absent."""
        try:
            stream, _ = self.container.get_archive(path)
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
                member = archive.next()
                extracted = archive.extractfile(member) if member is not None else None
                return extracted.read() if extracted is not None else None
        except (docker.errors.APIError, tarfile.TarError):
            return None

    def remove(self) -> None:
        """Force-remove the container; a container that is already gone is fine."""
        if self.container is None:
            return
        try:
            self.container.remove(force=True)
        except docker.errors.APIError as error:
            if not is_gone(error):
                raise

    def __enter__(self) -> ContainerHandle:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.remove()


@dataclass(frozen=True)
class HealthCheck:
    """How the healthz wait ended: healthy, or why not (`exited` or `timeout`), and the last answer seen
    (the last HTTP status when there was one, else the last connection error)."""

    healthy: bool
    reason: str = ""
    last_answer: str = ""


class GameContainer(ContainerHandle):
    """The game, reached from the host on 127.0.0.1: through `front_door` (a container that publishes a port
    and passes it through to the game, which then needs no published port and no route outward), else
    through its own published 8080/tcp."""

    def __init__(
        self,
        client: docker.DockerClient,
        spec: ContainerSpec,
        front_door: ContainerHandle | None = None,
        exits: ExitEvents | None = None,
    ) -> None:
        super().__init__(client, spec, exits)
        self.front_door = front_door

    @property
    def reached_at(self) -> int | None:
        """The host port on 127.0.0.1 that reaches the game."""
        return (self.front_door or self).host_port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`: the game as the host reaches it."""
        if self.reached_at is None:
            raise RuntimeError(f"{self.name} has no published port (not started, or exited at once)")
        return f"http://127.0.0.1:{self.reached_at}"

    def wait_healthy(self, timeout: float, cancel: Event | None = None) -> HealthCheck:
        """Poll `GET /healthz` every 50 ms until it answers 200, the container exits, or `timeout` passes."""
        deadline = time.monotonic() + timeout
        last_http, last_error = "", "no answer"
        while not self.exited and time.monotonic() < deadline and not (cancel and cancel.is_set()):
            if self.reached_at is not None:
                status, answer = _healthz(self.reached_at)
                if status == 200:
                    return HealthCheck(True)
                last_http, last_error = (answer, last_error) if status else (last_http, answer)
            self._exited.wait(HEALTHZ_POLL_SECONDS)
        return HealthCheck(False, "exited" if self.exited else "timeout", last_http or last_error)


def _healthz(port: int) -> tuple[int | None, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        return response.status, f"HTTP {response.status}"
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__} {error}".strip()
    finally:
        connection.close()


class PlayerContainer(ContainerHandle):
    """The player of one slot."""

    def __init__(
        self, client: docker.DockerClient, spec: ContainerSpec, slot: int, exits: ExitEvents | None = None
    ) -> None:
        super().__init__(client, spec, exits)
        self.slot = slot
