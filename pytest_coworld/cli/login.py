"""`coworld login --token T [--server S]`: store the platform token in the softmax credentials file."""

from __future__ import annotations

from typing import Annotated

import typer

from pytest_coworld.cli.platform_options import ServerOption, platform_errors, say
from pytest_coworld.platform.errors import PlatformError
from pytest_coworld.platform.server import DEFAULT_SERVER, normalize_server


def login_command(
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            prompt="Platform token",
            hide_input=True,
            help="Your platform API token; prompted for (input hidden) when left out.",
        ),
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
) -> None:
    """Store the token for SERVER in ~/.softmax/credentials.yaml (mode 0600); COWORLD_TOKEN overrides it."""
    from pytest_coworld.platform.credentials import TOKEN_ENV, save_token

    with platform_errors():
        normalized = normalize_server(server)
        if not token or not token.strip():
            raise PlatformError(
                "--token is empty", hint="copy the token from your account page on the platform"
            )
        path = save_token(normalized, token.strip())
    say(f"Logged in to {normalized}; the token is stored in {path}")
    say(f"({TOKEN_ENV}, when set, takes precedence over the stored token.)")
