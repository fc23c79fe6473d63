"""What the platform tests share besides fixtures: the CLI under test, a fresh platform, built images."""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from click.testing import Result
from coworld_standin import PlatformState, StandinServer
from oci_registry import RegistryPair

from pytest_coworld.cli import catalogue
from pytest_coworld.cli.common import stderr, stdout
from pytest_coworld.cli.download import download_command
from pytest_coworld.cli.login import login_command
from pytest_coworld.cli.submit import submit_command
from pytest_coworld.cli.upload_coworld import upload_coworld_command
from pytest_coworld.cli.upload_policy import upload_policy_command

RunCli = Callable[..., Result]


@dataclass(frozen=True)
class BuiltImage:
    reference: str
    id: str


def new_standin(registries: RegistryPair) -> StandinServer:
    """A fresh platform whose repositories are new to the registry (so every push is a real one)."""
    return StandinServer(PlatformState(registries, repository_prefix=f"t{uuid.uuid4().hex[:10]}"))


def platform_app() -> typer.Typer:
    """The platform commands, registered the way `pytest_coworld.cli.app` registers them."""
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("login")(login_command)
    app.command("upload-coworld")(upload_coworld_command)
    app.command("upload-policy")(upload_policy_command)
    app.command("submit")(submit_command)
    app.command("download")(download_command)
    catalogue.register(app)
    return app


def tar_bytes(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A tar archive of `files` (and symlinks `links`: name -> target), as bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


@contextmanager
def consoles_width(columns: str | None) -> Iterator[None]:
    """The CLI's consoles as wide as `columns` (the COLUMNS a test gives a command): Rich reads COLUMNS once,
    when the consoles are made, and pytest-xdist's workers start with COLUMNS=80."""
    if columns is None:
        yield
        return
    saved = [(console, console._width) for console in (stdout, stderr)]
    for console, _ in saved:
        console.width = int(columns)
    try:
        yield
    finally:
        for console, width in saved:
            console._width = width
