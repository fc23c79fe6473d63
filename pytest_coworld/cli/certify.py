"""`coworld certify MANIFEST`: run the certification suite (a pytest subprocess) with the same exit code."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from pytest_coworld.admission import REPORT_NAME, CertifyCommand, absolute_reference
from pytest_coworld.cli.common import ExampleOption, fail, manifest_reference


def _manifest_for_pytest(reference: str, defect: str | None, folder: Path) -> str:
    """What pytest gets: `reference` itself, or a copy of it with an example defect switched on."""
    if defect is None:
        return absolute_reference(reference)
    from pytest_coworld.examples import ExampleNotFound, apply_defect
    from pytest_coworld.manifest import ManifestLoadError, load_document

    try:
        document = apply_defect(load_document(reference)[0], defect)
    except (ManifestLoadError, ExampleNotFound) as error:
        fail(str(error))
    path = folder / "coworld_manifest.json"
    path.write_text(json.dumps(document, indent=2))
    return str(path)


def certify_command(
    manifest: Annotated[
        str | None,
        typer.Argument(help="coworld_manifest.json: a path, a file:// or http(s):// URI, or a cow_… id."),
    ] = None,
    example: ExampleOption = None,
    defect: Annotated[str | None, typer.Option(help="With --example: switch on this defect.")] = None,
    junitxml: Annotated[
        Path | None, typer.Option("--junitxml", help="Write a JUnit XML report here.")
    ] = None,
    json_report: Annotated[Path, typer.Option("--json", help="Write the certification report here.")] = Path(
        REPORT_NAME
    ),
    workers: Annotated[
        str | None, typer.Option("-n", help="Run on this many workers (pytest-xdist).")
    ] = None,
    artifacts_dir: Annotated[Path | None, typer.Option(help="Where episodes keep their artifacts.")] = None,
    *,
    ctx: typer.Context,
) -> None:
    """Certify a Coworld: run every certification check, write the reports, exit as pytest does.

    Any other arguments go to pytest, e.g. `coworld certify coworld_manifest.json -k tokens -x`.
    """
    if defect and not example:
        fail("--defect needs --example: defects are switches of the bundled examples")
    pytest_args = list(ctx.args)
    if example and manifest:
        pytest_args.insert(0, manifest)
        manifest = None
    reference = manifest_reference(manifest, example)
    with tempfile.TemporaryDirectory(prefix="coworld-manifest-") as tmp:
        command = CertifyCommand(
            manifest=_manifest_for_pytest(reference, defect, Path(tmp)),
            junitxml=junitxml.absolute() if junitxml else None,
            results_json=json_report.absolute(),
            artifacts_dir=artifacts_dir.absolute() if artifacts_dir else None,
            workers=workers,
            extra=tuple(pytest_args),
        )
        raise typer.Exit(command.run())
