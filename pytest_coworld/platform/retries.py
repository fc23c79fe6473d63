"""Retry transient registry failures: bounded attempts, exponential backoff with jitter, a simple Retry-After.

Transient means no answer (a `httpx.TransportError`: refused, reset, timed out) or an answer that says "later"
(429, 502, 503, 504). Anything else (401, 403, 400 …) fails at once with its own message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
import tenacity

from pytest_coworld.platform.errors import PlatformError

TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
T = TypeVar("T")


class TransientFailure(PlatformError):
    """A failure another try may not meet; `retry_after`: the seconds the server asked to wait, if any."""

    def __init__(self, message: str, hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` when it is a number of seconds; an HTTP date is ignored (the backoff applies then)."""
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries and how long between them; `sleep` is injectable so tests never wait."""

    attempts: int = 5
    first_wait: float = 1.0
    max_wait: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def call(self, action: Callable[[], T], on_retry: Callable[[TransientFailure, int, float], None]) -> T:
        """`action()`, tried again while it fails transiently; `on_retry(failure, retry number, wait)`."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(TransientFailure),
            sleep=self.sleep,
            before_sleep=lambda state: on_retry(_failure(state), state.attempt_number, _next_wait(state)),
            reraise=True,
        )
        return retrying(action)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        retry_after = _failure(state).retry_after
        if retry_after is not None:
            return min(retry_after, self.max_wait)
        exponential = tenacity.wait_exponential(multiplier=self.first_wait, max=self.max_wait)
        jitter = tenacity.wait_random(0, self.first_wait)
        return min(float(exponential(state) + jitter(state)), self.max_wait)


def _failure(state: tenacity.RetryCallState) -> TransientFailure:
    error = state.outcome.exception() if state.outcome else None
    assert isinstance(error, TransientFailure), "tenacity retries only transient failures"
    return error


def _next_wait(state: tenacity.RetryCallState) -> float:
    return state.next_action.sleep if state.next_action else 0.0
