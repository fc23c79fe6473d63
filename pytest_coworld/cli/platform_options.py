"""What the platform commands share: `--server`, `--json`, and a one-line exit on `PlatformError`."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from pytest_coworld.cli.common import fail, stdout
from pytest_coworld.platform.errors import PlatformError
from pytest_coworld.platform.server import DEFAULT_SERVER

EXIT_FAILURE = 1
REDACTED = "[redacted]"

ServerOption = Annotated[
    str,
    typer.Option(
        "--server", envvar="COWORLD_SERVER", help=f"Platform server URL (default {DEFAULT_SERVER})."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


def redact(text: str, secrets: Collection[str]) -> str:
    """`text` with every secret value replaced by `[redacted]`."""
    for secret in sorted((secret for secret in secrets if secret), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


@contextmanager
def platform_errors(secrets: Collection[str] = ()) -> Iterator[None]:
    """Exit with a one-line error and its hint (secret values redacted) on any `PlatformError`."""
    try:
        yield
    except PlatformError as error:
        hint = redact(error.hint, secrets) if error.hint else None
        fail(redact(error.message, secrets), code=EXIT_FAILURE, hint=hint)


def say(text: str) -> None:
    """One plain result line on stdout, never wrapped (scripts read it)."""
    stdout.print(text, markup=False, highlight=False, soft_wrap=True)


def print_json(document: Any) -> None:
    stdout.out(json.dumps(document, indent=2), highlight=False)
