"""`coworld certify MANIFEST`: run the certification suite (a pytest subprocess); exit with its verdict."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pytest_coworld.artifacts_retention import KEEP_RUNS
from pytest_coworld.cli.common import MANIFEST_HELP, ExampleOption, fail, manifest_reference
from pytest_coworld.reporting.records import REPORT_NAME

ARTIFACTS_DIR = Path("coworld-artifacts")


def _manifest_for_pytest(reference: str, defect: str | None, folder: Path) -> str:
    """What pytest gets: `reference` itself, or a copy of it with an example defect switched on."""
    from pytest_coworld.admission import absolute_reference

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
    manifest: Annotated[str | None, typer.Argument(help=MANIFEST_HELP)] = None,
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
    contract: Annotated[
        str | None, typer.Option(help="Certify against this generation: auto, classic or current.")
    ] = None,
    player_image: Annotated[
        list[str] | None,
        typer.Option(help="Play the certification with this player image (one for all slots, or per slot)."),
    ] = None,
    checks: Annotated[
        str | None, typer.Option(help="Run only these check ids (comma-separated; patterns like tokens.*).")
    ] = None,
    junitxml: Annotated[
        Path | None, typer.Option("--junitxml", help="Write a JUnit XML report here.")
    ] = None,
    report: Annotated[Path, typer.Option("--report", help="Write the certification report here.")] = Path(
        REPORT_NAME
    ),
    open_html: Annotated[
        bool, typer.Option("--open", help="Open the HTML report (beside the JSON one) in a browser.")
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print the certification report as JSON on stdout (pytest's on stderr)."),
    ] = False,
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
    `--coworld-*` option of the plugin (`pytest --help` lists them all), such as `--coworld-exclude-checks
    browser.*`, `--coworld-cpus 2`, `--coworld-memory 2g`, `--coworld-healthz-timeout 120` or
    `--coworld-keep-containers`.

    Exit status: 0 CERTIFIED, 1 NOT CERTIFIED, 2 usage error (bad arguments or manifest), 3 INCOMPLETE (a
    required check did not run), 4 harness error (no report was written), 130 interrupted.
    """
    from pytest_coworld.admission import CertifyCommand

    if defect and not example:
        fail("--defect needs --example: defects are switches of the bundled examples")
    pytest_args = list(ctx.args)
    if example and manifest:
        pytest_args.insert(0, manifest)
        manifest = None
    reference = manifest_reference(manifest, example)
    pytest_args += [f"--coworld-variant={variant}"] if variant else []
    pytest_args += [f"--coworld-contract={contract}"] if contract else []
    pytest_args += [f"--coworld-player-image={image}" for image in player_image or []]
    pytest_args += [f"--coworld-checks={checks}"] if checks else []
    pytest_args += ["--coworld-strict"] if strict else []
    pytest_args += ["--coworld-no-browser"] if no_browser else []
    command = CertifyCommand(
        manifest=_manifest_for_pytest(reference, defect, artifacts_dir.absolute() / "manifests"),
        junitxml=junitxml.absolute() if junitxml else None,
        results_json=report.absolute(),
        results_html=report.absolute().with_suffix(".html"),
        artifacts_dir=artifacts_dir.absolute(),
        workers=workers,
        extra=tuple(pytest_args),
        output_to_stderr=json_output,
    )
    code = command.verdict_exit_code(ctx.obj)  # the pytest process the entry point started, if it did
    if json_output and report.is_file():
        sys.stdout.write(report.read_text())
    html = report.absolute().with_suffix(".html")
    if open_html and html.is_file():
        typer.launch(html.as_uri())
    raise typer.Exit(code)
