"""`coworld certify MANIFEST`: run the certification suite (a pytest subprocess); exit with its verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pytest_coworld.admission import REPORT_NAME, CertifyCommand, absolute_reference
from pytest_coworld.artifacts_retention import KEEP_RUNS
from pytest_coworld.cli.common import ExampleOption, fail, manifest_reference

ARTIFACTS_DIR = Path("coworld-artifacts")


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
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{Path(reference).parent.name}-{defect}.json"
    path.write_text(json.dumps(document, indent=2))
    return str(path.absolute())


def certify_command(
    manifest: Annotated[
        str | None,
        typer.Argument(help="coworld_manifest.json: a path, a file:// or http(s):// URI, or a cow_… id."),
    ] = None,
    example: ExampleOption = None,
    defect: Annotated[str | None, typer.Option(help="With --example: switch on this defect.")] = None,
    variant: Annotated[
        str | None, typer.Option(help="Play the certification episode with this variant's config.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Recommended checks are required too: warnings reject the game.")
    ] = False,
    no_browser: Annotated[
        bool,
        typer.Option("--no-browser", help="Leave the browser checks out (a fast loop; verdict INCOMPLETE)."),
    ] = False,
    junitxml: Annotated[
        Path | None, typer.Option("--junitxml", help="Write a JUnit XML report here.")
    ] = None,
    json_report: Annotated[Path, typer.Option("--json", help="Write the certification report here.")] = Path(
        REPORT_NAME
    ),
    workers: Annotated[
        str | None, typer.Option("-n", help="Run on this many workers (pytest-xdist).")
    ] = None,
    artifacts_dir: Annotated[
        Path,
        typer.Option(
            help=f"Each run keeps its artifacts in <DIR>/<run-id>/; the newest {KEEP_RUNS} runs are kept."
        ),
    ] = ARTIFACTS_DIR,
    *,
    ctx: typer.Context,
) -> None:
    """Certify a Coworld: run every certification check, write the reports, exit with the verdict.

    Any other arguments go to pytest, e.g. `coworld certify coworld_manifest.json -k tokens -x`, or any
    `--coworld-*` option of the plugin (`pytest --help` lists them), such as `--coworld-checks tokens.*`,
    `--coworld-player-image IMAGE` or `--coworld-contract current`.

    Exit status: 0 CERTIFIED, 1 NOT CERTIFIED, 2 usage error (bad arguments or manifest), 3 INCOMPLETE (a
    required check did not run), 4 harness error (no report was written), 130 interrupted.
    """
    if defect and not example:
        fail("--defect needs --example: defects are switches of the bundled examples")
    pytest_args = list(ctx.args)
    if example and manifest:
        pytest_args.insert(0, manifest)
        manifest = None
    reference = manifest_reference(manifest, example)
    pytest_args += [f"--coworld-variant={variant}"] if variant else []
    pytest_args += ["--coworld-strict"] if strict else []
    pytest_args += ["--coworld-no-browser"] if no_browser else []
    command = CertifyCommand(
        manifest=_manifest_for_pytest(reference, defect, artifacts_dir.absolute() / "manifests"),
        junitxml=junitxml.absolute() if junitxml else None,
        results_json=json_report.absolute(),
        artifacts_dir=artifacts_dir.absolute(),
        workers=workers,
        extra=tuple(pytest_args),
    )
    raise typer.Exit(command.verdict_exit_code())
