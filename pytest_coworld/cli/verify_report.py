"""`coworld verify-report REPORT --manifest MANIFEST`: does a report admit this manifest on these images?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pytest_coworld.cli.common import ExampleOption, fail, manifest_reference, stdout


def verify_report_command(
    report: Annotated[Path, typer.Argument(help="A coworld-certification.json.")],
    manifest: Annotated[
        str | None,
        typer.Option(
            "--manifest", help="The manifest to admit: a path, a file:// or http(s):// URI, or a cow_… id."
        ),
    ] = None,
    example: ExampleOption = None,
) -> None:
    """Exit 0 only if every required check passed for exactly this manifest and the local images it names."""
    from pytest_coworld.admission import check_report
    from pytest_coworld.image_facts import inspect_images
    from pytest_coworld.manifest import ManifestInvalid, ManifestLoadError, load_manifest

    try:
        loaded = load_manifest(manifest_reference(manifest, example))
    except (ManifestLoadError, ManifestInvalid) as error:
        fail(str(error))
    references = [reference for _, reference in loaded.manifest.referenced_images()]
    facts = inspect_images(references)
    missing = [reference for reference in references if facts.get(reference) is None]
    if missing:
        fail(f"cannot verify: image(s) not present locally: {', '.join(sorted(set(missing)))}", code=1)
    image_ids = {reference: facts[reference].id for reference in references}  # type: ignore[union-attr]
    problems = check_report(report, loaded, image_ids)
    for problem in problems:
        stdout.print(f"not admitted: {problem}", markup=False)
    if problems:
        raise typer.Exit(1)
    stdout.print(f"admitted: {report} certifies {loaded.source} on {len(image_ids)} image(s)", markup=False)
