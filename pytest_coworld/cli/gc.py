"""`coworld gc`: remove containers and networks left behind by runs that died (or, with --all, every one)."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from pytest_coworld.cli.common import fail, stderr, stdout

EXIT_FAILED = 1

AllOption = Annotated[
    bool,
    typer.Option("--all", help="Remove every resource labelled pytest-coworld.run-id, of live runs too."),
]
RunIdOption = Annotated[
    str | None,
    typer.Option(
        "--run-id", help="Remove the resources of this one run (e.g. kept by --coworld-keep-containers)."
    ),
]


def gc_command(everything: AllOption = False, run_id: RunIdOption = None) -> None:
    """Remove stale resources: those of this host whose owning process is gone.

    With --run-id, remove one run's containers, networks and work folder; with --all, every labelled
    container and network, whoever started them.
    """
    from pytest_coworld.runtime import InfrastructureError, collect_garbage
    from pytest_coworld.runtime.cleanup import sweep_stale_scratch_folders
    from pytest_coworld.runtime.docker_api import connect_docker

    if run_id is not None and not re.fullmatch(r"[\w.-]+", run_id):
        fail(
            f"{run_id!r} is not a run id",
            code=EXIT_FAILED,
            hint="copy it from the run's summary, e.g. cw-1a2b3c4d5e",
        )
    try:
        report = collect_garbage(connect_docker(), everything=everything, run_id=run_id)
    except InfrastructureError as error:
        fail(str(error), code=EXIT_FAILED)
    folders = sweep_stale_scratch_folders() if run_id is None else []
    what = "labelled" if everything else f"run {run_id}'s" if run_id else "stale"
    stdout.print(
        f"removed {len(report.containers)} {what} container(s) and {len(report.networks)} network(s)"
        + (f", and {len(folders)} scratch folder(s) of killed `coworld certify` runs" if folders else ""),
        markup=False,
    )
    for problem in report.errors:
        stderr.print(f"could not remove {problem}", markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_FAILED if report.errors else 0)
