"""Replay mode: serve a finished episode's replay to the replay viewer, with play, pause, seek and speed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from coworld_kit import KitError
from coworld_kit.artifacts import REPLAY_FORMAT
from coworld_kit.pages import Pages
from coworld_kit.responses import respond, shared_route
from coworld_kit.settings import GameSettings, Generation
from coworld_kit.storage import read_uri

log = logging.getLogger("coworld_kit")
MAX_SPEED = 64.0


def load_replay(uri: str) -> dict[str, Any]:
    """The replay document at `uri`; a KitError says why it cannot be played."""
    try:
        replay = json.loads(read_uri(uri))
    except json.JSONDecodeError as error:
        raise KitError(f"the replay at {uri} is not JSON ({error})") from None
    if not isinstance(replay, dict) or replay.get("format") != REPLAY_FORMAT:
        raise KitError(f"the file at {uri} is not a {REPLAY_FORMAT} replay")
    if not isinstance(replay.get("frames"), list) or not replay["frames"]:
        raise KitError(f"the replay at {uri} has no frames")
    return replay


class Playback:
    """Where a viewer is in the replay; controls wake the streaming loop."""

    def __init__(self, frame_count: int) -> None:
        self.frame_count = frame_count
        self.index = 0
        self.playing = True
        self.speed = 1.0
        self.wake = asyncio.Event()

    def control(self, message: dict[str, Any]) -> None:
        """Apply one control message; unknown or malformed controls are ignored."""
        kind, index, speed = message.get("type"), message.get("index"), message.get("value")
        if kind in ("play", "pause"):
            self.playing = kind == "play"
        elif kind == "seek" and isinstance(index, int):
            self.index = min(max(index, 0), self.frame_count - 1)
        elif kind == "speed" and isinstance(speed, int | float) and speed > 0:
            self.speed = min(float(speed), MAX_SPEED)
        self.wake.set()

    async def next_frame(self, frame_ms: int) -> None:
        """Wait one frame (advancing, looping at the end) while playing, or until a control arrives."""
        self.wake.clear()
        timeout = frame_ms / 1000 / self.speed if self.playing else None
        try:
            await asyncio.wait_for(self.wake.wait(), timeout)
        except TimeoutError:
            self.index = (self.index + 1) % self.frame_count


async def _read_controls(connection: ServerConnection, playback: Playback) -> None:
    try:
        with contextlib.suppress(ConnectionClosed):
            async for raw in connection:
                with contextlib.suppress(json.JSONDecodeError):
                    message = json.loads(raw)
                    if isinstance(message, dict):
                        playback.control(message)
    finally:
        playback.wake.set()


async def stream_replay(connection: ServerConnection, replay: dict[str, Any]) -> None:
    """`replay_info`, then frames from the start, autoplaying and looping, until the viewer leaves."""
    frames = replay["frames"]
    frame_ms = int(replay.get("frame_ms", 100))
    playback = Playback(len(frames))
    info = {
        "type": "replay_info",
        "frame_count": len(frames),
        "game": replay.get("game"),
        "frame_ms": frame_ms,
    }
    await connection.send(json.dumps({**info, "results": replay.get("results")}))
    controls = asyncio.create_task(_read_controls(connection, playback))
    try:
        while not controls.done():
            frame = {"type": "frame", "index": playback.index, "state": frames[playback.index]}
            await connection.send(json.dumps(frame))
            await playback.next_frame(frame_ms)
    except ConnectionClosed:
        pass
    finally:
        controls.cancel()


def requested_replay(request_path: str) -> str:
    """The classic generation's replay: the `uri` parameter of `/replay?uri=U`."""
    uri = parse_qs(urlsplit(request_path).query).get("uri", [""])[0]
    if not uri:
        raise KitError("no replay to play: open /replay?uri=<replay URI>")
    return uri


class ReplayServer:
    """The replay viewer routes: `/healthz`, the pages, and the `/replay` websocket."""

    def __init__(self, settings: GameSettings, pages: Pages, defect: str | None) -> None:
        self.settings = settings
        self.pages = pages
        self.broken = defect == "replay-server-broken"
        self.error_frame = defect == "replay-error-frame"

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        shared = shared_route(connection, path, self.pages, healthy=not self.broken)
        if shared is not None:
            return shared
        if path == "/replay":
            return respond(connection, 503, "the replay server is broken\n") if self.broken else None
        return respond(connection, 404, f"no route {path} in replay mode\n")

    def replay_uri(self, request_path: str) -> str:
        """Classic: the replay each `/replay?uri=U` names; current: the one `COGAME_LOAD_REPLAY_URI` names."""
        if self.settings.generation is Generation.CLASSIC:
            return requested_replay(request_path)
        assert self.settings.load_replay_uri is not None
        return self.settings.load_replay_uri

    def load(self, request_path: str) -> dict[str, Any]:
        """The replay a `/replay` connection asks for (a defect may break it)."""
        if self.error_frame:
            raise KitError("defect replay-error-frame: the replay stream starts with an error")
        return load_replay(self.replay_uri(request_path))

    async def handler(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        try:
            replay = self.load(connection.request.path)
        except KitError as error:
            log.error("replay: %s", error)
            await connection.send(json.dumps({"type": "error", "message": str(error)}))
            await connection.close(1011, "replay unavailable")
            return
        log.info("replay viewer connected (%d frames)", len(replay["frames"]))
        await stream_replay(connection, replay)

    async def run(self) -> None:
        async with serve(
            self.handler,
            self.settings.host,
            self.settings.port,
            process_request=self.process_request,
            close_timeout=1,
        ) as server:
            source = self.settings.load_replay_uri or "the uri parameter of /replay"
            log.info(
                "%s replay mode on %s:%d, replaying %s",
                self.settings.generation,
                self.settings.host,
                self.settings.port,
                source,
            )
            await server.serve_forever()
