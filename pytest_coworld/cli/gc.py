"""`coworld gc`: remove containers and networks left behind by runs that died (or, with --all, every one)."""

from __future__ import annotations

from typing import Annotated

import typer

from pytest_coworld.cli.common import fail, stderr, stdout

EXIT_FAILED = 1

AllOption = Annotated[
    bool,
    typer.Option("--all", help="Remove every resource labelled pytest-coworld.run-id, of live runs too."),
]


def gc_command(everything: AllOption = False) -> None:
    """Remove stale resources: those of this host whose owning process is gone.

    With --all, remove every labelled container and network, whoever started them.
    """
    from pytest_coworld.runtime import InfrastructureError, collect_garbage
    from pytest_coworld.runtime.docker_api import connect_docker

    try:
        report = collect_garbage(connect_docker(), everything=everything)
    except InfrastructureError as error:
        fail(str(error), code=EXIT_FAILED)
    what = "labelled" if everything else "stale"
    stdout.print(
        f"removed {len(report.containers)} {what} container(s) and {len(report.networks)} network(s)",
        markup=False,
    )
    for problem in report.errors:
        stderr.print(f"could not remove {problem}", markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_FAILED if report.errors else 0)
