"""Small helpers every command shares: one-line errors, the manifest argument, `--example`."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

stderr = Console(stderr=True, highlight=False)
stdout = Console(highlight=False)

EXIT_USAGE = 2

# Typer coerces each option left off the command line through a pydantic TypeAdapter, so `coworld COMMAND
# --help` would import pydantic (0.15 s) for the flags of the groups above COMMAND; a flag's default given as
# False in its group's default map is taken as it is.
GROUP_CONTEXT: dict[str, Any] = {
    "default_map": {"help": False, "install_completion": False, "show_completion": False}
}

MANIFEST_HELP = (
    "coworld_manifest.json: a path, a file:// or http(s):// URI, "
    "or a cow_… id (downloaded from $COWORLD_SERVER)."
)
ManifestArgument = Annotated[
    str | None, typer.Argument(help=MANIFEST_HELP, metavar="MANIFEST", show_default=False)
]
ExampleOption = Annotated[
    str | None,
    typer.Option("--example", help="Use a bundled example instead of MANIFEST (`coworld example list`)."),
]


def fail(message: str, code: int = EXIT_USAGE, hint: str | None = None) -> NoReturn:
    """Print `error: message` (and a hint) to stderr and exit with `code`; never a traceback."""
    from rich.markup import escape

    stderr.print(f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True)
    if hint:
        stderr.print(f"hint: {hint}", markup=False, soft_wrap=True)
    raise typer.Exit(code)


def manifest_reference(manifest: str | None, example: str | None, server: str | None = None) -> str:
    """The manifest path/URI a command should load: MANIFEST (a `cow_…` id is downloaded from the platform:
    images pulled, manifest written), or the manifest of `--example NAME`."""
    if example and manifest:
        fail("give either MANIFEST or --example, not both")
    if example:
        from pytest_coworld.examples import ExampleNotFound, example_manifest_path

        try:
            return str(example_manifest_path(example))
        except ExampleNotFound as error:
            fail(str(error), hint="`coworld example list` shows the bundled examples")
    if not manifest:
        fail("missing MANIFEST (a path, file:// or http(s):// URI, or a cow_… id), or --example NAME")
    from pytest_coworld.platform.manifest_reference import is_coworld_id

    if not is_coworld_id(manifest):  # a path or a URI: nothing to download (nor to import for it)
        return manifest
    from pytest_coworld.platform.download import local_manifest_reference
    from pytest_coworld.platform.errors import PlatformError
    from pytest_coworld.platform.progress import PlainProgress

    try:
        return local_manifest_reference(manifest, PlainProgress(stderr), server)
    except PlatformError as error:
        fail(error.message, code=1, hint=error.hint)
