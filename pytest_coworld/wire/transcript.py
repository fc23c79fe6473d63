"""Reading the relay's transcript: connections, their flows, and what each player slot did on the wire.

The relay (`relay.py`) writes one JSON event per line; `Transcript.feed` folds them into `Connection`s.
`Transcript.slot(slot, token, peer)` is the evidence for one slot: its own `/player?slot=S&token=T`
connections, and every other connection its container opened (found by the container's address).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from pytest_coworld.wire.relay import Flow, token_digest

PLAYER_PATH = "/player"


def flow_of(data: Any) -> Flow:
    """A flow as the relay wrote it (`{"messages", "bytes", "control", "first", "last"}`)."""
    if not isinstance(data, dict):
        return Flow()
    return Flow(
        int(data.get("messages") or 0),
        int(data.get("bytes") or 0),
        int(data.get("control") or 0),
        data.get("first"),
        data.get("last"),
    )


@dataclass
class Connection:
    """One connection through the relay. `up` is player to game, `down` game to player."""

    number: int
    opened: float
    peer: str | None
    method: str
    path: str
    slot: str | None
    token: str | None
    upgrade: bool
    status: int | None = None
    up: Flow = field(default_factory=Flow)
    down: Flow = field(default_factory=Flow)
    closed: float | None = None
    closed_by: str | None = None
    close_code: int | None = None

    @property
    def both_ways(self) -> bool:
        return self.status == 101 and self.up.messages > 0 and self.down.messages > 0

    def describe(self) -> str:
        """One line for a report: request, answer, messages each way, and how it ended."""
        target = f"{self.path}?slot={self.slot}" if self.slot is not None else self.path
        if self.status is None:
            answer = "never answered"
        elif self.status == 101:
            answer = f"HTTP 101, {self.up.messages} message(s) sent, {self.down.messages} received"
        else:
            answer = f"HTTP {self.status}"
        ending = f", closed by {self.closed_by}" if self.closed_by else ""
        code = f" (code {self.close_code})" if self.close_code is not None else ""
        return f"{self.method} {target}: {answer}{ending}{code}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "connection": self.number,
            "path": self.path,
            "slot": self.slot,
            "status": self.status,
            "opened": self.opened,
            "closed": self.closed,
            "closed_by": self.closed_by,
            "close_code": self.close_code,
            "sent": asdict(self.up),
            "received": asdict(self.down),
        }


@dataclass(frozen=True)
class SlotWire:
    """The wire evidence of one slot: its own `/player` connections and its container's other ones."""

    slot: int
    own: tuple[Connection, ...] = ()
    other: tuple[Connection, ...] = ()
    recorded: bool = True

    @property
    def connected(self) -> bool:
        """The slot's own handshake got 101 and data messages flowed both ways on it."""
        return any(connection.both_ways for connection in self.own)

    @property
    def refused(self) -> bool:
        """The slot's own handshakes were all answered without 101, or the relay recorded nothing to tell."""
        return not self.recorded or (bool(self.own) and not any(c.status == 101 for c in self.own))

    @property
    def messages_sent(self) -> int:
        return sum(connection.up.messages for connection in self.own)

    @property
    def messages_received(self) -> int:
        return sum(connection.down.messages for connection in self.own)

    def observed(self) -> str:
        """What the slot did on the wire, in words."""
        if not self.recorded:
            return "the wire relay recorded nothing (see relay.log)"
        if not self.own and not self.other:
            return f"no connection reached the game: the player never opened ws://game:8080{PLAYER_PATH}"
        parts = [connection.describe() for connection in (*self.own, *self.other)]
        shown = "; ".join(parts[:4]) + (f"; and {len(parts) - 4} more" if len(parts) > 4 else "")
        if not self.own:
            return f"no {PLAYER_PATH}?slot={self.slot} connection with the slot's token; instead: {shown}"
        return shown

    def to_dict(self) -> dict[str, Any]:
        own_connections = [connection for connection in self.own if connection.status == 101]
        first = min((c.opened for c in own_connections), default=None)
        last = max((c.closed or c.opened for c in own_connections), default=None)
        seconds = (last - first) if first is not None and last is not None else 0.0
        return {
            "connected": self.connected,
            "connections": len(self.own),
            "messages_sent": self.messages_sent,
            "messages_received": self.messages_received,
            "bytes_sent": sum(c.up.bytes for c in self.own),
            "bytes_received": sum(c.down.bytes for c in self.own),
            "seconds": round(seconds, 3),
            "messages_per_second": round((self.messages_sent + self.messages_received) / seconds, 1)
            if seconds > 0
            else None,
            "handshakes": [c.status for c in self.own],
            "closed_by": self.own[-1].closed_by if self.own else None,
            "close_code": self.own[-1].close_code if self.own else None,
            "other_connections": [c.describe() for c in self.other],
        }


class Transcript:
    """The relay's events folded into connections; safe to feed from one thread while others read."""

    def __init__(self) -> None:
        self.connections: dict[int, Connection] = {}
        self.listening = threading.Event()
        self.stopped = threading.Event()  # the relay's last line: every connection still open was described
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, text: str) -> Transcript:
        transcript = cls()
        for line in text.splitlines():
            transcript.feed(line)
        return transcript

    def feed(self, line: str) -> Connection | None:
        """Fold one event line in; return the connection it changed (None for other lines)."""
        try:
            event = json.loads(line)
        except ValueError:
            return None
        if not isinstance(event, dict):
            return None
        with self._lock:
            return self._apply(event)

    def _apply(self, event: dict[str, Any]) -> Connection | None:
        kind, number = event.get("e"), event.get("c")
        if kind == "listening":
            self.listening.set()
            return None
        if kind == "stopped":
            self.stopped.set()
            return None
        if kind == "open" and isinstance(number, int):
            opened = Connection(
                number,
                float(event.get("t") or 0),
                event.get("peer"),
                str(event.get("method") or ""),
                str(event.get("path") or ""),
                event.get("slot"),
                event.get("token"),
                bool(event.get("upgrade")),
            )
            self.connections[number] = opened
            return opened
        connection = self.connections.get(number) if isinstance(number, int) else None
        if connection is None:
            return None
        if kind == "response":
            connection.status = event.get("status")
        elif kind in ("progress", "close"):
            connection.up, connection.down = flow_of(event.get("up")), flow_of(event.get("down"))
        elif kind == "both_ways":
            connection.up.messages = max(connection.up.messages, 1)
            connection.down.messages = max(connection.down.messages, 1)
        if kind == "close":
            connection.closed = event.get("t")
            connection.closed_by, connection.close_code = event.get("by"), event.get("code")
        return connection

    def is_own(self, connection: Connection, slot: int, token: str) -> bool:
        return (
            connection.path == PLAYER_PATH
            and connection.slot == str(slot)
            and connection.token == token_digest(token)
        )

    def slot(self, slot: int, token: str, peer: str | None) -> SlotWire:
        """The evidence of `slot`: connections with its own URL, and other ones from its address `peer`."""
        with self._lock:
            connections = sorted(self.connections.values(), key=lambda c: c.number)
        own = tuple(c for c in connections if self.is_own(c, slot, token))
        other = tuple(c for c in connections if peer and c.peer == peer and c not in own)
        return SlotWire(slot, own, other)
