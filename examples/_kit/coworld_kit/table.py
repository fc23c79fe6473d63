"""The live episode: who is connected to which slot, and the one place that sends state to them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast
from websockets.exceptions import ConnectionClosed

from coworld_kit.rules import ProtocolViolation, Rules

log = logging.getLogger("coworld_kit")


@dataclass(frozen=True)
class PlayerFailure:
    """A slot that made the episode fail: it never connected or broke the protocol."""

    slot: int
    message: str


async def drain(connection: ServerConnection) -> None:
    """Read and drop whatever `connection` sends until it closes."""
    with contextlib.suppress(ConnectionClosed):
        async for _ in connection:
            pass


async def _send(connection: ServerConnection, message: dict[str, Any]) -> None:
    with contextlib.suppress(ConnectionClosed):
        await connection.send(json.dumps(message))


def _emptied(value: Any) -> Any:
    """`value` with its content gone: objects keep their keys, lists are empty, numbers 0, strings ""."""
    if isinstance(value, dict):
        return {key: _emptied(child) for key, child in value.items()}
    if isinstance(value, list | str | bool | int | float):
        return type(value)()
    return value


class Table:
    """Players by slot, viewers, and the replay frames of one episode."""

    def __init__(self, rules: Rules, defect: str | None) -> None:
        self.rules = rules
        self.defect = defect
        self.frames: list[dict[str, Any]] = []
        self.ever_connected: set[int] = set()
        self.started = False
        self.failure: PlayerFailure | None = None
        self._players: dict[int, ServerConnection] = {}
        self._first_observations: dict[int, dict[str, Any]] = {}
        self._viewers: set[ServerConnection] = set()
        self._all_joined = asyncio.Event()
        self._failed = asyncio.Event()

    async def host_player(self, slot: int, params: dict[str, str], connection: ServerConnection) -> None:
        """Serve one player connection until it closes; a newer connection for the slot replaces it."""
        previous = self._players.get(slot)
        self._players[slot] = connection
        self.ever_connected.add(slot)
        if len(self.ever_connected) == self.rules.slot_count:
            self._all_joined.set()
        self.rules.seat(slot, params)
        log.info(
            "slot %d %s",
            slot,
            "reconnected; the previous connection is replaced" if previous else "connected",
        )
        if previous is not None:
            await previous.close(1000, "replaced by a newer connection for this slot")
        await _send(connection, self._greeting(slot))
        try:
            with contextlib.suppress(ConnectionClosed):
                async for raw in connection:
                    self._receive(slot, raw)
        finally:
            if self._players.get(slot) is connection:
                del self._players[slot]
                log.info("slot %d disconnected", slot)

    def _greeting(self, slot: int) -> dict[str, Any]:
        """The first message of a (re)connected slot: the current state of its game."""
        current = self.rules.observation(slot)
        if self.defect != "reconnect-resets-state":
            return current
        log.info("defect reconnect-resets-state: slot %d gets the state of its first connection", slot)
        return self._first_observations.setdefault(slot, current)

    def _receive(self, slot: int, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
            if not isinstance(message, dict):
                raise ProtocolViolation(f"a message must be a JSON object, got {type(message).__name__}")
            self.rules.handle(slot, message)
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._fail(PlayerFailure(slot, f"slot {slot} sent a message that is not JSON"))
        except ProtocolViolation as violation:
            self._fail(PlayerFailure(slot, f"slot {slot} broke the player protocol: {violation}"))

    def _fail(self, failure: PlayerFailure) -> None:
        if self.failure is None:
            self.failure = failure
            self._failed.set()

    async def host_viewer(self, connection: ServerConnection) -> None:
        """Serve one `/global` viewer: the current snapshot first, then every update until it closes."""
        snapshot = self._viewer_snapshot()
        if snapshot is not None:
            broadcast([connection], json.dumps(snapshot))
        self._viewers.add(connection)
        try:
            await drain(connection)
        finally:
            self._viewers.discard(connection)

    def _viewer_snapshot(self) -> dict[str, Any] | None:
        """The first message of a new viewer: the current state (the late-viewer defects aside)."""
        if self.started and self.defect == "no-late-viewer-state":
            return None
        state = self.rules.snapshot()
        if self.started and self.defect == "empty-late-snapshot":
            log.info("defect empty-late-snapshot: a late viewer gets a snapshot with an empty state")
            state = _emptied(state)
        return {"type": "snapshot", "frame": max(len(self.frames) - 1, 0), "state": state}

    async def wait_for_players(self, timeout_seconds: float) -> list[int]:
        """Wait until every slot connected once or the timeout passed; return the slots still missing."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_joined.wait(), timeout_seconds)
        return [slot for slot in range(self.rules.slot_count) if slot not in self.ever_connected]

    async def play(self) -> dict[str, Any] | None:
        """Run the rules to the end; None when a player failure stopped the episode first."""
        self.started = True
        self.frames.append(self.rules.snapshot())
        await self._send_observations()
        game = asyncio.create_task(self.rules.play(self))
        failed = asyncio.create_task(self._failed.wait())
        await asyncio.wait({game, failed}, return_when=asyncio.FIRST_COMPLETED)
        failed.cancel()
        if game.done():
            return game.result()
        game.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await game
        return None

    async def publish(self, delta: dict[str, Any]) -> None:
        """Record a replay frame, send `delta` to the viewers and an observation to every player."""
        self.frames.append(self.rules.snapshot())
        if self.defect == "crash-mid-episode" and len(self.frames) > self.rules.step_count // 2:
            raise RuntimeError("defect crash-mid-episode: the game crashes halfway through the episode")
        broadcast(
            self._viewers, json.dumps({"type": "update", "frame": len(self.frames) - 1, "delta": delta})
        )
        await self._send_observations()

    async def _send_observations(self) -> None:
        players = list(self._players.items())
        await asyncio.gather(
            *(_send(connection, self.rules.observation(slot)) for slot, connection in players)
        )

    async def close_all(self) -> None:
        """Close every player and viewer connection normally."""
        connections = [*self._players.values(), *self._viewers]
        await asyncio.gather(*(connection.close(1000, "episode over") for connection in connections))
