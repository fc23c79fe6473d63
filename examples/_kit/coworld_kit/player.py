"""The client side for example players: connect to the game, answer each message with a policy, exit 0."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from coworld_kit import KitError
from coworld_kit.defects import PLAYER_DEFECT_VARIABLE, PLAYER_DEFECTS, selected_defect
from coworld_kit.main import configure_logging, exit_on_sigterm
from coworld_kit.settings import Generation

log = logging.getLogger("coworld_kit.player")
Policy = Callable[[dict[str, Any]], dict[str, Any] | None]
URL_VARIABLES = {Generation.CLASSIC: "COGAMES_ENGINE_WS_URL", Generation.CURRENT: "COWORLD_PLAYER_WS_URL"}
CONNECT_SECONDS = 10.0
RETRY_SECONDS = 0.2


def player_url(env: Mapping[str, str]) -> str:
    """The websocket URL of this player's slot, read only from its generation's variable."""
    generation = Generation.from_env(env)
    variable = URL_VARIABLES[generation]
    if not env.get(variable):
        raise KitError(f"{variable} is not set; a {generation} runner puts the player's websocket URL there")
    return env[variable]


def redacted(url: str) -> str:
    """`url` with its token hidden, for logs."""
    return re.sub(r"(token=)[^&]*", r"\1***", url)


async def _connect(url: str) -> ClientConnection:
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            return await connect(url, open_timeout=CONNECT_SECONDS, close_timeout=1)
        except InvalidStatus as error:
            status = error.response.status_code
            raise KitError(
                f"the game refused {redacted(url)} with HTTP {status}; check slot and token"
            ) from None
        except (OSError, TimeoutError) as error:
            if time.monotonic() > deadline:
                raise KitError(
                    f"cannot reach {redacted(url)} within {CONNECT_SECONDS:.0f} s: {error}"
                ) from None
            await asyncio.sleep(RETRY_SECONDS)


async def play(url: str, policy: Policy) -> None:
    """Connect, answer every message the policy answers, until the game closes the connection."""
    connection = await _connect(url)
    log.info("connected to %s", redacted(url))
    messages = 0
    with contextlib.suppress(ConnectionClosed):
        async for raw in connection:
            messages += 1
            reply = policy(json.loads(raw))
            if reply is not None:
                await connection.send(json.dumps(reply))
    code, reason = connection.close_code, connection.close_reason or ""
    log.info("the game closed the connection (%s %s) after %d messages", code, reason, messages)


async def talk_to_global(player_url: str) -> None:
    """The defect player-talks-to-global-only: the live viewer stream instead of the slot's own socket."""
    url = urlunsplit(urlsplit(player_url)._replace(path="/global", query=""))
    async with await _connect(url) as connection:
        with contextlib.suppress(ConnectionClosed):
            async for _ in connection:
                await connection.send(json.dumps({"type": "hello"}))
    log.info("defect player-talks-to-global-only: /global closed")


async def retry_forever(player_url: str) -> None:
    """The defect player-retries-refused-handshake: a wrong token, tried again and again, whatever happens."""
    url = re.sub(r"(token=)[^&]*", r"\1not-my-token", player_url)
    while True:
        try:
            async with connect(url, open_timeout=CONNECT_SECONDS, close_timeout=1):
                pass
        except (InvalidHandshake, OSError, TimeoutError) as error:
            log.info("defect player-retries-refused-handshake: %s; trying again", error)
        await asyncio.sleep(RETRY_SECONDS)


def _sleep_forever(why: str) -> NoReturn:
    log.info("%s", why)
    while True:
        time.sleep(3600)


def run_player(name: str, policy: Policy) -> NoReturn:
    """Run a player container: play one episode with `policy`, then exit 0 (or as a player defect says)."""
    configure_logging()
    exit_on_sigterm()
    try:
        defect = selected_defect(PLAYER_DEFECT_VARIABLE, PLAYER_DEFECTS)
        url = player_url(os.environ)
    except KitError as error:
        log.error("%s", error)
        sys.exit(2)
    if defect == "crash-on-start":
        log.error("defect crash-on-start: %s exits with status 1 before connecting", name)
        sys.exit(1)
    if defect == "never-connects":
        _sleep_forever(f"defect never-connects: {name} never connects")
    try:
        if defect == "player-talks-to-global-only":
            asyncio.run(talk_to_global(url))
        elif defect == "player-retries-refused-handshake":
            asyncio.run(retry_forever(url))
        else:
            asyncio.run(play(url, policy))
    except KitError as error:
        log.error("%s", error)
        sys.exit(1)
    if defect == "never-exits":
        _sleep_forever(f"defect never-exits: {name} played but never exits")
    sys.exit(0)
