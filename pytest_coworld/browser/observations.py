"""What a page probe saw, as plain data: the websockets a page opened, how it drew, where its files are."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SocketSeen:
    """One websocket a page opened: its URL, whether the handshake succeeded, and what came of it."""

    url: str
    opened: bool
    frames: int
    first_frame: str | None
    close_code: int | None
    error: str | None

    @property
    def accepted(self) -> bool:
        """The upgrade succeeded and the server did not close it without sending a data frame."""
        return self.opened and (self.frames > 0 or self.close_code is None)

    def describe(self) -> str:
        if self.error and not self.opened:
            return f"{self.url} failed: {self.error}"
        if not self.opened:
            return f"{self.url} never opened"
        closed = f", then closed with code {self.close_code}" if self.close_code is not None else ""
        return f"{self.url} opened, {self.frames} frame(s) received{closed}"


@dataclass(frozen=True)
class PageArtifacts:
    """Where a probe saves the page's last screenshot and its console log, and which secrets it leaves out."""

    folder: Path
    name: str
    secrets: tuple[str, ...] = ()

    def redact(self, text: str) -> str:
        """`text` with every secret (a slot's token) replaced by `<token>`."""
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return text

    @property
    def screenshot(self) -> Path:
        return self.folder / f"{self.name}.png"

    @property
    def console_log(self) -> Path:
        return self.folder / f"{self.name}.console.log"


@dataclass(frozen=True)
class PageObservation:
    """A page opened in Chromium: the websockets it opened, and the files it left."""

    url: str
    sockets: tuple[SocketSeen, ...]
    artifacts: PageArtifacts
    load_problem: str | None = None
    page_errors: tuple[str, ...] = ()

    @property
    def socket_urls(self) -> list[str]:
        return [socket.url for socket in self.sockets]


@dataclass(frozen=True)
class AddressObservation:
    """A page opened with `address=`: what it connected to, seen by the page and by our own endpoint."""

    page: PageObservation
    address: str
    expected_url: str
    received_paths: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ViewerObservation:
    """A viewer page (live or replay) fed its data: did it draw it, and did the drawing move on."""

    page: PageObservation
    data_arrived: bool
    drew: bool
    advanced: bool
    frames_after_release: int
    error_frame: str | None
    note: str
