"""Websocket probes from the host: handshake outcomes, first messages, Ping/Pong, reconnect, replay frames.

All use the synchronous `websockets` client with short, explicit timeouts, and only ever connect to the
127.0.0.1 port a game container publishes.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

REJECT_GRACE_SECONDS = 2.0  # current generation: accept, then close within 2 s without a data frame
RECONNECT_RETRY_SECONDS = 2.0
"""How long a refused reconnect is tried again. RUNTIME.md, "What real games taught us": games free a slot
only after they have processed its close, so a correct game may refuse a reconnect sent the instant the
previous connection closed (HTTP 409, or accept then close). A refusal that outlasts this window stands."""
RECONNECT_RETRY_PAUSE = 0.1
PROGRESS_SECONDS = 10.0  # how long the slot's first connection waits for its state to move on
STATE_SECONDS = 10.0  # how long a connection of the slot waits for its first message
EMPTIER_SHARE = 0.5  # a late snapshot that lacks this share of the early viewer's content is "emptier"


def _open(url: str, timeout: float = 5.0) -> ClientConnection:
    """Connect; a connection closed before the handshake answered (the relay's door to a game that is gone)
    is a ConnectionResetError, as any other connection that failed."""
    try:
        return connect(
            url, open_timeout=timeout, proxy=None, ping_interval=None, close_timeout=1, max_size=None
        )
    except ConnectionClosed as closed:
        raise ConnectionResetError(f"closed before the handshake's answer ({closed})") from None


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
    outcome, connection = _first_frame(url, grace)
    if connection is not None:
        connection.close()
    return outcome


def _first_frame(url: str, grace: float) -> tuple[Attempt, ClientConnection | None]:
    """Open `url` and wait up to `grace` for a first data frame; the connection is left open when one came."""
    try:
        connection = _open(url)
    except InvalidStatus as refused:
        return Attempt(url, refused.response.status_code, accepted=False, closed_without_data=False), None
    except (InvalidHandshake, OSError, TimeoutError) as error:
        failed = f"{type(error).__name__}: {error}"
        return Attempt(url, None, accepted=False, closed_without_data=False, error=failed), None
    with ExitStack() as closing:
        closing.enter_context(connection)
        try:
            message = connection.recv(timeout=grace)
        except (TimeoutError, ConnectionClosed) as ended:
            closed = isinstance(ended, ConnectionClosed)
            return Attempt(url, None, accepted=True, closed_without_data=closed), None
        closing.pop_all()  # the caller closes it
    delivered = Attempt(url, None, accepted=True, closed_without_data=False, first_message=_text(message))
    return delivered, connection


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


def _json(message: str) -> Any:
    """The decoded JSON of `message`, None when it is not JSON."""
    try:
        return json.loads(message)
    except ValueError:
        return None


def numbers(message: str) -> dict[str, float]:
    """The numbers of a JSON message by path (`players.2.budget`), booleans left out; {} for non-JSON."""
    found: dict[str, float] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, int | float) and not isinstance(node, bool):
            found[path] = node
        elif isinstance(node, dict | list):
            for key, child in node.items() if isinstance(node, dict) else enumerate(node):
                walk(child, f"{path}.{key}" if path else str(key))

    walk(_json(message), "")
    return found


def grown(start: dict[str, float], later: dict[str, float]) -> dict[str, tuple[float, float]]:
    """The numbers that are larger in `later` than in `start`: path -> (start value, later value)."""
    return {path: (value, later[path]) for path, value in start.items() if later.get(path, value) > value}


def _values(moved: dict[str, tuple[float, float]], after: dict[str, float], limit: int = 3) -> str:
    shown = [f"{path} {start:g} → {before:g} → {after[path]:g}" for path, (start, before) in moved.items()]
    return ", ".join(shown[:limit]) + (f" and {len(shown) - limit} more" if len(shown) > limit else "")


@dataclass(frozen=True)
class StateProgress:
    """How the slot's state moved before a disconnect, and where the first message after reconnecting puts it.

    The evidence is generic: the numbers (at any depth) that grew from the slot's first message to its last
    one before the disconnect, e.g. a tick, turn or round counter, or scores. After reconnecting the running
    episode's state has them where they were or further; a fresh start has every one of them back at its
    value at the start.
    """

    moved: dict[str, tuple[float, float]]  # path -> (value at the start, value just before the disconnect)
    after: dict[str, float]  # the same paths in the first message after reconnecting

    @classmethod
    def of(cls, initial: str, before: str, after: str) -> StateProgress:
        moved = grown(numbers(initial), numbers(before))
        back = numbers(after)
        return cls(moved, {path: back[path] for path in moved if path in back})

    @property
    def comparable(self) -> bool:
        """The state moved, and the message after reconnecting carries every number that moved."""
        return bool(self.moved) and self.after.keys() == self.moved.keys()

    @property
    def fresh_start(self) -> bool:
        """Every number that had moved on is back at its value at the start."""
        return self.comparable and all(self.after[path] == start for path, (start, _) in self.moved.items())

    def describe(self) -> str:
        """What was compared, in a sentence (values as start → before the disconnect → after reconnecting)."""
        if not self.moved:
            return (
                "no number of the slot's state grew between its first message and the disconnect, so only "
                "the arrival of state after reconnecting was checked"
            )
        if not self.comparable:
            missing = [path for path in self.moved if path not in self.after]
            return (
                f"the first message after reconnecting lacks {', '.join(missing[:3])}, which had moved on "
                "before the disconnect, so only the arrival of state after reconnecting was checked"
            )
        verdict = "back at the start" if self.fresh_start else "the running episode's state"
        values = _values(self.moved, self.after)
        return (
            "numbers that grew before the disconnect (at the start → before it → after reconnecting: "
            f"{values}): {verdict}"
        )


@dataclass(frozen=True)
class Joined:
    """One connection of the slot: the last try, after refusals were tried again for a short window."""

    attempt: Attempt
    tries: int

    @property
    def problem(self) -> str | None:
        seen = self.attempt
        if seen.refused:
            return (
                f"the reconnect with the same slot and token was refused: {seen.describe()} "
                f"(tried {self.tries} times over {RECONNECT_RETRY_SECONDS:g} s)"
            )
        if seen.rejected:
            return f"the reconnect with the same slot and token failed: {seen.describe()}"
        if seen.first_message is None:
            return f"the slot was accepted again but received no state within {STATE_SECONDS:.0f} s"
        return None


@dataclass(frozen=True)
class ReconnectObservation:
    """The slot connected and watched its state move on, closed, and connected again."""

    first: Joined
    before: str | None = None  # the slot's last message before the probe closed its first connection
    dropped: str | None = None  # how the game closed the first connection before the probe did
    second: Joined | None = None

    @property
    def blocked(self) -> str | None:
        """Why nothing can be judged: the game closed the first connection itself, then failed the reconnect
        (the probe episode had probably ended)."""
        second = self.second.problem if self.second else None
        if self.dropped and second:
            return f"the game closed the slot's connection itself ({self.dropped}), and then {second}"
        return None

    @property
    def connection_failed(self) -> bool:
        """A connection failed below the websocket (refused, reset, no answer): the game may be gone."""
        return any(joined is not None and joined.attempt.error for joined in (self.first, self.second))

    @property
    def progress(self) -> StateProgress | None:
        """The comparison of the slot's state across the disconnect, once both connections gave state."""
        initial = self.first.attempt.first_message
        after = self.second.attempt.first_message if self.second else None
        if initial is None or self.before is None or after is None:
            return None
        return StateProgress.of(initial, self.before, after)

    @property
    def problem(self) -> str | None:
        for joined in (self.first, self.second):
            if joined is not None and joined.problem:
                return joined.problem
        progress = self.progress
        if progress is not None and progress.fresh_start:
            return (
                "after reconnecting the slot received a fresh start, not the running episode's state: "
                f"{progress.describe()}"
            )
        return None

    @property
    def after_reconnecting(self) -> str:
        """The reconnect that gave state: on which try, and its first message."""
        if self.second is None or self.second.attempt.first_message is None:
            return "no state after reconnecting"
        message = snippet(self.second.attempt.first_message)
        return f"reconnected on try {self.second.tries}; first message after reconnecting: {message}"

    def describe(self) -> str:
        """What was observed and compared, for the report."""
        progress = self.progress
        if progress is None:
            return self.problem or self.blocked or "the slot's state was not observed"
        return f"{progress.describe()}; {self.after_reconnecting}"


def reconnect(url: str, progress_seconds: float = PROGRESS_SECONDS) -> ReconnectObservation:
    """Reconnect a slot that has connected before: connect, stay until its state moves on (at most
    `progress_seconds`), close cleanly, connect again and take the first message.

    Every connection is a reconnect, so a refusal of either is a refused reconnect.
    """
    first, connection = _join(url)
    if connection is None:
        return ReconnectObservation(first)
    with connection:
        initial = first.attempt.first_message or ""
        before, dropped = _watch_progress(connection, initial, progress_seconds)
    second, again = _join(url)
    if again is not None:
        again.close()
    return ReconnectObservation(first, before, dropped, second)


def _join(url: str) -> tuple[Joined, ClientConnection | None]:
    """Connect the slot and take its first message, trying again while refused for RECONNECT_RETRY_SECONDS;
    the connection is left open when it gave a first message."""
    deadline = time.monotonic() + RECONNECT_RETRY_SECONDS
    tries = 0
    while True:
        tries += 1
        outcome, connection = _first_frame(url, STATE_SECONDS)
        if connection is not None or not outcome.refused or time.monotonic() >= deadline:
            return Joined(outcome, tries), connection
        time.sleep(RECONNECT_RETRY_PAUSE)


def _watch_progress(connection: ClientConnection, initial: str, seconds: float) -> tuple[str, str | None]:
    """Read until a number of the state grew from `initial`, `seconds` passed or the game closed: the last
    message, and how the game closed the connection (None when it did not)."""
    last, start = initial, numbers(initial)
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0 and not grown(start, numbers(last)):
        try:
            last = _text(connection.recv(timeout=left))
        except TimeoutError:
            break
        except ConnectionClosed as closed:
            return last, str(closed)
    return last, None


@dataclass(frozen=True)
class Outline:
    """The structure of a JSON message: the paths of its keys and of its non-empty collections.

    Elements of a list share one path (`state.grid[]`); the message itself is not among the collections.
    """

    keys: frozenset[str]
    filled: frozenset[str]

    @classmethod
    def of(cls, message: str) -> Outline:
        keys: set[str] = set()
        filled: set[str] = set()

        def walk(node: Any, path: str) -> None:
            if isinstance(node, dict):
                children = [(f"{path}.{key}" if path else str(key), child) for key, child in node.items()]
                keys.update(child_path for child_path, _ in children)
            elif isinstance(node, list):
                children = [(f"{path}[]", child) for child in node]
            else:
                return
            if path and children:
                filled.add(path)
            for child_path, child in children:
                walk(child, child_path)

        walk(_json(message), "")
        return cls(frozenset(keys), frozenset(filled))


def is_empty(message: str) -> bool:
    """A message without content: blank text, or JSON `null`, `""`, `[]` or `{}`."""
    return message.strip() in ("", "null") or _json(message) in ("", [], {})


@dataclass(frozen=True)
class SnapshotComparison:
    """A late viewer's first message against the early viewer's message of the same kind at about that time.

    The late snapshot is substantially emptier when it lacks at least EMPTIER_SHARE of the reference's keys,
    or when at least that share of the reference's non-empty collections are empty (or gone) in it.
    """

    keys: int  # keys (at any depth) of the reference
    missing: list[str]  # of those, the ones the late message lacks
    filled: int  # non-empty collections of the reference
    emptied: list[str]  # of those, the ones empty or absent in the late message

    @classmethod
    def of(cls, reference: str, late: str) -> SnapshotComparison:
        early, joined = Outline.of(reference), Outline.of(late)
        missing = sorted(early.keys - joined.keys)
        emptied = sorted(early.filled - joined.filled)
        return cls(len(early.keys), missing, len(early.filled), emptied)

    @property
    def emptier(self) -> bool:
        return any(
            total and len(lost) / total >= EMPTIER_SHARE
            for lost, total in ((self.missing, self.keys), (self.emptied, self.filled))
        )

    def describe(self) -> str:
        """The keys and non-empty collections compared, and those the late message lacks."""
        if not self.keys and not self.filled:
            return "that message has no keys or collections: only the kind and that there is content count"
        kept_keys, kept_filled = self.keys - len(self.missing), self.filled - len(self.emptied)
        text = (
            f"{kept_keys} of that message's {self.keys} keys are present and {kept_filled} of its "
            f"{self.filled} non-empty collections have content"
        )
        if self.emptied:
            text += f"; empty or missing: {_listed(self.emptied)}"
        if self.missing:
            text += f"; keys missing: {_listed(self.missing)}"
        return text


def _listed(paths: list[str], limit: int = 4) -> str:
    return ", ".join(paths[:limit]) + (f" and {len(paths) - limit} more" if len(paths) > limit else "")
