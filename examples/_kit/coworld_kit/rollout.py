"""Rollout mode: serve the routes, wait for the players, play one episode, write its artifacts, return."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from coworld_kit.artifacts import (
    damaged_results,
    replay_document,
    write_player_failure,
    write_replay,
    write_results,
)
from coworld_kit.no_pong import NoPongOnGlobalConnection
from coworld_kit.pages import Pages
from coworld_kit.responses import respond, shared_route
from coworld_kit.rules import Rules
from coworld_kit.seats import Seat, check_seat
from coworld_kit.settings import GameSettings
from coworld_kit.table import PlayerFailure, Table, drain

LINGER_SECONDS = 60.0  # the defect lingers-60s-after-results

log = logging.getLogger("coworld_kit")


class Rollout:
    """One episode of `rules` behind the contract's routes."""

    def __init__(
        self,
        settings: GameSettings,
        config: dict[str, Any],
        rules: Rules,
        tokens: list[str],
        connect_timeout_seconds: float,
        pages: Pages,
        defect: str | None,
    ) -> None:
        self.settings = settings
        self.config = config
        self.rules = rules
        self.tokens = tokens
        self.connect_timeout_seconds = connect_timeout_seconds
        self.pages = pages
        self.defect = defect
        self.table = Table(rules, defect)

    async def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Plain HTTP routes, and the slot/token check before a `/player` handshake."""
        url = urlsplit(request.path)
        shared = shared_route(connection, url.path, self.pages, healthy=self.defect != "never-healthy")
        if shared is not None:
            return shared
        if url.path == "/global":
            return None
        if url.path == "/player" and self.defect != "player-route-404":
            seat = Seat.from_query(url.query)
            rejection = check_seat(seat, self.tokens, self.table.ever_connected, self.defect)
            if rejection is None:
                return None
            if rejection.status == 401 and self.defect == "error-500-on-bad-token":
                log.info("defect error-500-on-bad-token: answering a wrong token with HTTP 500")
                return respond(connection, 500, "internal error\n")
            if rejection.status == 401 and self.defect == "crash-on-bad-token":
                log.error("defect crash-on-bad-token: a handshake with a wrong token crashes the game")
                raise SystemExit(1)
            if rejection.status == 401 and self.defect == "hang-on-bad-token":
                log.info("defect hang-on-bad-token: never answering a handshake with a wrong token")
                await asyncio.Event().wait()
            log.info("refused a /player handshake with %d: %s", rejection.status, rejection.reason)
            return respond(connection, rejection.status, f"{rejection.reason}\n")
        return respond(connection, 404, f"no route {url.path}\n")

    async def handler(self, connection: ServerConnection) -> None:
        """Serve an accepted websocket: a viewer on `/global`, a player on `/player`."""
        assert connection.request is not None
        url = urlsplit(connection.request.path)
        if url.path == "/global":
            await self.table.host_viewer(connection)
            return
        seat = Seat.from_query(url.query)
        if seat.slot is None or seat.slot >= self.rules.slot_count:
            log.info(
                "defect ignores-slot-bounds: accepted a /player connection for a slot that does not exist"
            )
            await drain(connection)
            return
        await self.table.host_player(seat.slot, seat.params, connection)

    async def run(self) -> None:
        """Serve until the episode is over and its artifacts are written."""
        host = "127.0.0.1" if self.defect == "binds-loopback-only" else self.settings.host
        connection_class = NoPongOnGlobalConnection if self.defect == "no-pong" else None
        async with serve(
            self.handler,
            host,
            self.settings.port,
            process_request=self.process_request,
            create_connection=connection_class,
            close_timeout=1,
        ):
            log.info(
                "%s listening on %s:%d; waiting up to %.0f s for %d players",
                self.rules.name,
                host,
                self.settings.port,
                self.connect_timeout_seconds,
                self.rules.slot_count,
            )
            await self._episode()
            await self.table.close_all()
            await self._linger()

    async def _linger(self) -> None:
        """The lingering defects: after the episode the game keeps serving, and may not obey SIGTERM."""
        if self.defect == "hang-after-episode":
            log.info("defect hang-after-episode: the episode is over but the game never exits")
            await asyncio.Future()
        elif self.defect == "lingers-60s-after-results":
            log.info("defect lingers-60s-after-results: serving viewers for %.0f s more", LINGER_SECONDS)
            await asyncio.sleep(LINGER_SECONDS)
        elif self.defect == "ignores-sigterm-after-episode":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            log.info("defect ignores-sigterm-after-episode: the episode is over; SIGTERM is ignored")
            await asyncio.Future()

    async def _episode(self) -> None:
        missing = await self.table.wait_for_players(self.connect_timeout_seconds)
        if missing:
            message = (
                f"slot(s) {missing} never connected within {self.connect_timeout_seconds:g} s "
                "(player_connect_timeout_seconds); the episode did not start"
            )
            write_player_failure(self.settings, PlayerFailure(missing[0], message))
            return
        log.info("every slot connected; the episode starts")
        results = await self.table.play()
        if results is None:
            assert self.table.failure is not None
            write_player_failure(self.settings, self.table.failure)
            return
        replay = replay_document(
            self.rules.name, self.config, self.rules.frame_ms, self.table.frames, results
        )
        write_results(self.settings, damaged_results(results, self.defect), self.defect)
        write_replay(self.settings, replay, self.defect)
        log.info("episode over after %d frames; scores %s", len(self.table.frames), results["scores"])
