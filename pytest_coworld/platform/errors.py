"""The one error type of the platform package: a one-line message plus a hint on what to do."""

from __future__ import annotations

LOGIN_HINT = (
    "log in with `coworld login --token TOKEN` (add --server URL for another server), or set COWORLD_TOKEN"
)
RERUN_HINT = "re-run the same command: finished steps are skipped, so a partial upload resumes safely"


class PlatformError(Exception):
    """A platform, registry or local-image step failed; `message` is one line, `hint` says what to do."""

    def __init__(self, message: str, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.status = status  # the HTTP status of the platform's answer, when it answered
