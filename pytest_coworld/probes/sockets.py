"""Websocket probes from the host: handshake outcomes, first messages, Ping/Pong, reconnect, replay frames.

All use the synchronous `websockets` client with short, explicit timeouts, and only ever connect to the
127.0.0.1 port a game container publishes.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

REJECT_GRACE_SECONDS = 2.0  # current generation: accept, then close within 2 s without a data frame


def _open(url: str, timeout: float = 5.0) -> ClientConnection:
    return connect(url, open_timeout=timeout, proxy=None, ping_interval=None, close_timeout=1, max_size=None)


@dataclass(frozen=True)
class Attempt:
    """What happened when the host tried to open a websocket."""

    url: str
    status: int | None  # HTTP status of a refused handshake
    accepted: bool  # the upgrade succeeded
    closed_without_data: bool  # accepted, then closed within the grace time with no data frame
    first_message: str | None = None
    error: str | None = None

    @property
    def rejected(self) -> bool:
        """The game did not let this connection play (for any reason, an error included)."""
        return not self.accepted or self.closed_without_data

    @property
    def refused(self) -> bool:
        """A refusal as RUNTIME.md defines one: a 4xx at the handshake, or (current generation) the upgrade
        accepted, then closed without a data frame. A reset, a timeout or a 5xx is a fault, not a refusal."""
        refused_status = self.status is not None and 400 <= self.status < 500
        return refused_status or self.closed_without_data

    def describe(self) -> str:
        if self.status is not None:
            verb = "refused" if 400 <= self.status < 500 else "failed"
            return f"handshake {verb} with HTTP {self.status}"
        if self.error:
            return f"connection failed: {self.error}"
        if self.closed_without_data:
            return "upgrade accepted, then closed without a data frame"
        if self.first_message is not None:
            return f"accepted; first message: {snippet(self.first_message)}"
        return f"accepted and kept open for {REJECT_GRACE_SECONDS:.0f} s"


def snippet(message: str | bytes | None, limit: int = 160) -> str:
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return text if len(text) <= limit else text[:limit] + "…"


def attempt(url: str, grace: float = REJECT_GRACE_SECONDS) -> Attempt:
    """Open `url` and classify the outcome the way RUNTIME.md's rejection rule needs it."""
    try:
        connection = _open(url)
    except InvalidStatus as refused:
        return Attempt(url, refused.response.status_code, accepted=False, closed_without_data=False)
    except (InvalidHandshake, OSError, TimeoutError) as error:
        return Attempt(
            url, None, accepted=False, closed_without_data=False, error=f"{type(error).__name__}: {error}"
        )
    with connection:
        try:
            message = connection.recv(timeout=grace)
        except TimeoutError:
            return Attempt(url, None, accepted=True, closed_without_data=False)
        except ConnectionClosed:
            return Attempt(url, None, accepted=True, closed_without_data=True)
        return Attempt(url, None, accepted=True, closed_without_data=False, first_message=_text(message))


def _text(message: str | bytes) -> str:
    return message if isinstance(message, str) else message.decode(errors="replace")


def first_message(url: str, timeout: float) -> tuple[str | None, str | None]:
    """`(message, None)` with the first data frame of `url`, or `(None, why not)`."""
    try:
        with _open(url) as connection:
            return _text(connection.recv(timeout=timeout)), None
    except InvalidStatus as refused:
        return None, f"handshake refused with HTTP {refused.response.status_code}"
    except TimeoutError:
        return None, f"no message within {timeout:.0f} s"
    except ConnectionClosed as closed:
        return None, f"closed before any message ({closed})"
    except (InvalidHandshake, OSError) as error:
        return None, f"{type(error).__name__}: {error}"


def ping_pong(url: str, timeout: float = 5.0) -> str | None:
    """None when the server answers a Ping with a Pong in time, else what happened."""
    try:
        with _open(url) as connection:
            if connection.ping().wait(timeout):
                return None
            return f"no Pong within {timeout:.0f} s of a Ping"
    except InvalidStatus as refused:
        return f"handshake refused with HTTP {refused.response.status_code}"
    except ConnectionClosed as closed:
        return f"closed instead of answering the Ping ({closed})"
    except (InvalidHandshake, OSError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"


@dataclass
class Viewer:
    """A `/global` viewer: keeps the first messages it receives, with the time each arrived, and a count."""

    url: str
    messages: list[tuple[float, str]] = field(default_factory=list)
    count: int = 0
    error: str | None = None
    keep: int = 20
    _stopped: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self._stopped.set()

    def run(self, stop_after: float, max_messages: int | None = None) -> None:
        """Receive until `stop()`, `stop_after` seconds, `max_messages`, or the server closes."""
        deadline = time.monotonic() + stop_after
        try:
            with _open(self.url) as connection:
                while not self._stopped.is_set() and (left := deadline - time.monotonic()) > 0:
                    if max_messages is not None and self.count >= max_messages:
                        break
                    try:
                        message = _text(connection.recv(timeout=min(left, 0.2)))
                    except TimeoutError:
                        continue
                    self.count += 1
                    if len(self.messages) < self.keep:
                        self.messages.append((time.monotonic(), message))
        except ConnectionClosed:
            pass
        except InvalidStatus as refused:
            self.error = f"handshake refused with HTTP {refused.response.status_code}"
        except (InvalidHandshake, OSError) as error:
            self.error = f"{type(error).__name__}: {error}"


def message_shape(message: str) -> str:
    """A short description of a message's shape: its JSON `type`, or its top-level keys, or its kind."""
    try:
        decoded: Any = json.loads(message)
    except ValueError:
        return "non-JSON text"
    if isinstance(decoded, dict):
        if isinstance(decoded.get("type"), str):
            return f"type={decoded['type']}"
        return "keys=" + ",".join(sorted(decoded))
    return type(decoded).__name__


def is_error_frame(message: str) -> bool:
    """A replay frame that reports an error instead of replay data (`{"type": "error"}` or an `error` key)."""
    try:
        decoded: Any = json.loads(message)
    except ValueError:
        return "error" in message.lower()[:64]
    if not isinstance(decoded, dict):
        return False
    kind = str(decoded.get("type", "")).lower()
    return kind in ("error", "failure") or ("error" in decoded and decoded["error"] not in (None, "", False))


@dataclass(frozen=True)
class ReconnectObservation:
    first: Attempt
    second: Attempt
    second_state: str | None

    @property
    def problem(self) -> str | None:
        for tried in (self.first, self.second):
            if tried.rejected:
                return f"the reconnect with the same slot and token was refused: {tried.describe()}"
        if not self.first.accepted or self.first.first_message is None:
            return f"the reconnected slot was not usable: {self.first.describe()}"
        if self.second_state is None:
            return "the reconnected slot received no state"
        return None


def reconnect(url: str, timeout: float = 10.0) -> ReconnectObservation:
    """Reconnect a slot that has connected before: take one message, drop it, connect again, take one more.

    Every attempt is a reconnect, so a refusal of either is a refused reconnect.
    """
    first = attempt(url, grace=timeout)
    if first.rejected or first.first_message is None:
        return ReconnectObservation(first, first, None)
    second = attempt(url, grace=timeout)
    return ReconnectObservation(first, second, second.first_message)
