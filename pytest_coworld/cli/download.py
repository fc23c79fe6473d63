"""`coworld download REF --output-dir DIR`: pull a coworld's images and write its manifest with local tags."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pytest_coworld.cli.common import fail, stderr
from pytest_coworld.cli.platform_options import (
    EXIT_FAILURE,
    JsonOption,
    ServerOption,
    platform_errors,
    print_json,
    say,
)
from pytest_coworld.platform.server import DEFAULT_SERVER, normalize_server

if TYPE_CHECKING:
    from pytest_coworld.platform.client import PlatformClient
    from pytest_coworld.platform.download import CoworldSource

MANIFEST_LOCATION_PREFIXES = ("file://", "http://", "https://")


def _is_manifest_location(reference: str) -> bool:
    """A URI, a path with a `/`, or a `.json` file; anything else is a coworld id or name."""
    return reference.startswith(MANIFEST_LOCATION_PREFIXES) or "/" in reference or reference.endswith(".json")


def _source(client: PlatformClient, reference: str) -> CoworldSource:
    from pytest_coworld.manifest import ManifestInvalid, ManifestLoadError, load_manifest
    from pytest_coworld.platform.download import CoworldSource, find_coworld

    if not _is_manifest_location(reference):
        return CoworldSource.from_record(find_coworld(client, reference))
    try:
        loaded = load_manifest(reference)
    except (ManifestLoadError, ManifestInvalid) as error:
        fail(str(error), code=EXIT_FAILURE, hint="`coworld validate MANIFEST` lists every problem")
    game = loaded.manifest.game
    return CoworldSource(coworld_id=None, name=game.name, version=None, manifest=loaded.document)


def download_command(
    reference: Annotated[
        str,
        typer.Argument(
            help="A cow_… id, a coworld name (its canonical version), or a manifest path (with a /) or URI."
        ),
    ],
    output_dir: Annotated[Path, typer.Option("--output-dir", help="Directory to write the manifest into.")],
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Pull the coworld's images, tag them locally, write coworld_manifest.json and coworld_images.json."""
    from pytest_coworld.platform.client import PlatformClient
    from pytest_coworld.platform.credentials import load_token
    from pytest_coworld.platform.download import download_coworld
    from pytest_coworld.platform.local_images import docker_engine
    from pytest_coworld.platform.progress import PlainProgress

    with platform_errors():
        normalized = normalize_server(server)
        with PlatformClient(normalized, load_token(normalized)) as client:
            source = _source(client, reference)
            download = download_coworld(client, docker_engine(), source, output_dir, PlainProgress(stderr))
    if as_json:
        print_json(download.images_document())
        return
    version = f" v{source.version}" if source.version is not None else ""
    say(f"Downloaded {source.name}{version} ({source.coworld_id or reference})")
    say(f"Manifest: {download.manifest_path}")
    say(f"Images: {download.images_path}")
