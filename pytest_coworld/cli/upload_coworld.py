"""`coworld upload-coworld MANIFEST`: certify, upload each distinct image, then the rewritten manifest."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pytest_coworld.cli.common import ExampleOption, fail, manifest_reference, stderr
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
    from pytest_coworld.manifest.models import LoadedManifest
    from pytest_coworld.platform.local_images import LocalImage

DEFAULT_OUTPUT_DIR = Path("coworld-certification")


def _load(reference: str) -> LoadedManifest:
    from pytest_coworld.manifest import ManifestInvalid, ManifestLoadError, load_manifest

    try:
        return load_manifest(reference)
    except (ManifestLoadError, ManifestInvalid) as error:
        fail(str(error), code=EXIT_FAILURE, hint="`coworld validate MANIFEST` lists every problem")


def _certify(
    reference: str,
    loaded: LoadedManifest,
    images: list[LocalImage],
    certification: Path | None,
    output_dir: Path,
) -> None:
    """Certify now (or take `--certification`); stop before any upload unless it passed for these images."""
    from pytest_coworld import admission

    report = certification
    if report is None:
        try:
            report = admission.certify(reference, output_dir)
        except admission.CertificationFailed as error:
            fail(
                f"nothing was uploaded: {error}",
                code=EXIT_FAILURE,
                hint=f"fix the checks that failed in {error.report_path}, then upload again",
            )
    problems = admission.check_report(report, loaded, {image.reference: image.id for image in images})
    if problems:
        fail(
            f"{report} is not a passing certification of this manifest and these images: "
            + "; ".join(problems),
            code=EXIT_FAILURE,
            hint="certify again with `coworld certify MANIFEST`, or leave out --certification to certify now",
        )


def upload_coworld_command(
    manifest: Annotated[
        str | None, typer.Argument(help="The manifest: a path, a file:// or http(s):// URI, or a cow_… id.")
    ] = None,
    example: ExampleOption = None,
    certification: Annotated[
        Path | None,
        typer.Option(
            "--certification",
            exists=True,
            dir_okay=False,
            help="A passing coworld-certification.json of exactly these images: upload without certifying.",
        ),
    ] = None,
    output_dir: Annotated[
        Path, typer.Option("--output-dir", help="Where certification writes its report and logs.")
    ] = DEFAULT_OUTPUT_DIR,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Certify a Coworld, then upload its images and its manifest; a failing certification uploads nothing."""
    from pytest_coworld.platform.client import PlatformClient
    from pytest_coworld.platform.credentials import require_token
    from pytest_coworld.platform.image_upload import upload_image
    from pytest_coworld.platform.local_images import docker_engine, inspect_local_image
    from pytest_coworld.platform.manifest_images import replace_images
    from pytest_coworld.platform.progress import progress_for

    with platform_errors():
        normalized = normalize_server(server)
        local_reference = manifest_reference(manifest, example, normalized)
        with PlatformClient(normalized, require_token(normalized)) as client:
            loaded = _load(local_reference)
            engine = docker_engine()
            references = sorted({image for _, image in loaded.manifest.referenced_images()})
            images = [inspect_local_image(engine, image) for image in references]
            for image in images:
                image.require_platform_arch()
            _certify(local_reference, loaded, images, certification, output_dir)
            with progress_for(stderr) as progress:
                uploaded = {
                    image.reference: upload_image(client, engine, image, progress).id for image in images
                }
            record = client.upload_coworld(replace_images(loaded.document, uploaded))
    if as_json:
        print_json(record.model_dump(mode="json"))
        return
    for image_reference, image_id in uploaded.items():
        say(f"Image: {image_reference} -> {image_id}")
    say(f"Coworld: {record.id} ({record.name} v{record.version})")
