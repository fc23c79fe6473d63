"""Turn HTTP failures (transport errors, non-2xx answers) into one-line `PlatformError`s."""

from __future__ import annotations

import json

import httpx

from pytest_coworld.platform.errors import RERUN_HINT, PlatformError

MAX_MESSAGE_CHARS = 300


def _first_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 1] + "…"


def _message_from_json(body: object) -> str | None:
    if not isinstance(body, dict):
        return None
    for key in ("detail", "message", "error"):
        value = body.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return "; ".join(
                str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in value
            )
    errors = body.get("errors")
    if isinstance(errors, list):
        return "; ".join(
            f"{item.get('code', '')}: {item.get('message', '')}".strip(": ")
            if isinstance(item, dict)
            else str(item)
            for item in errors
        )
    return None


def server_message(response: httpx.Response) -> str:
    """The server's own error message: a JSON `detail`/`message`/`error`/`errors`, else the body's text."""
    try:
        body = response.read().decode(errors="replace")
    except httpx.HTTPError:
        return "(no body)"
    try:
        message = _message_from_json(json.loads(body))
    except ValueError:
        message = None
    return _first_line(message if message is not None else body) or response.reason_phrase or "(empty body)"


def transport_error(error: httpx.TransportError, what: str, target: str) -> PlatformError:
    """A one-line error for a request that got no answer: unreachable, timed out, or dropped."""
    reason = _first_line(str(error)) or type(error).__name__
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return PlatformError(
            f"cannot reach {target} ({what}): {reason}",
            hint="check the address (--server) and your network connection",
        )
    if isinstance(error, httpx.TimeoutException):
        return PlatformError(f"{target} did not answer in time ({what}): {reason}", hint=RERUN_HINT)
    return PlatformError(f"the connection to {target} dropped during {what}: {reason}", hint=RERUN_HINT)
