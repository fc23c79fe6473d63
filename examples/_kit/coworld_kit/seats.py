"""Who may open `/player`: the slot/token check at the websocket handshake."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Seat:
    """A parsed `/player` query: the slot (None when malformed), the token and the game-owned parameters."""

    slot: int | None
    token: str
    params: dict[str, str]

    @classmethod
    def from_query(cls, query: str) -> Seat:
        values = dict(parse_qsl(query, keep_blank_values=True))
        slot_text = values.pop("slot", "")
        token = values.pop("token", "")
        return cls(int(slot_text) if slot_text.isdigit() else None, token, values)


@dataclass(frozen=True)
class Rejection:
    """Why a handshake is refused, as an HTTP status and a one-line reason."""

    status: int
    reason: str


def check_seat(
    seat: Seat, tokens: list[str], ever_connected: set[int], defect: str | None
) -> Rejection | None:
    """None when `seat` may connect; otherwise the rejection."""
    if seat.slot is None or seat.slot >= len(tokens):
        if defect == "ignores-slot-bounds":
            return None
        if seat.slot is None:
            return Rejection(400, "slot must be a whole number, e.g. /player?slot=0&token=...")
        return Rejection(403, f"slot {seat.slot} does not exist; this episode has slots 0-{len(tokens) - 1}")
    if not _token_accepted(seat.token, seat.slot, tokens, defect):
        return Rejection(401, f"wrong or missing token for slot {seat.slot}")
    if defect == "refuses-reconnect" and seat.slot in ever_connected:
        return Rejection(409, f"slot {seat.slot} already connected once")
    return None


def _token_accepted(token: str, slot: int, tokens: list[str], defect: str | None) -> bool:
    if defect == "accepts-bad-token":
        return True
    if defect == "accepts-other-slots-token":
        return any(_same(token, valid) for valid in tokens)
    return _same(token, tokens[slot])


def _same(token: str, valid: str) -> bool:
    return secrets.compare_digest(token.encode(), valid.encode())
