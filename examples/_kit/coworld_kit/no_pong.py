"""A server connection that never answers Ping on `/global` (the no-pong defect only)."""

from __future__ import annotations

from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.frames import Frame, Opcode
from websockets.server import ServerProtocol


class NoPongOnGlobalConnection(ServerConnection):
    """Drops the Pong frames websockets would send automatically, for `/global` connections."""

    def __init__(self, protocol: ServerProtocol, *args: Any, **kwargs: Any) -> None:
        super().__init__(protocol, *args, **kwargs)
        send_frame = protocol.send_frame

        def send_frame_except_pong(frame: Frame) -> None:
            on_global = self.request is not None and self.request.path.startswith("/global")
            if not (frame.opcode is Opcode.PONG and on_global):
                send_frame(frame)

        protocol.send_frame = send_frame_except_pong  # type: ignore[method-assign]
