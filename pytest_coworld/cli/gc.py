"""`coworld gc`: remove what runs that died left behind (or, with --all, everything labelled): containers and
networks on Docker, episodes in a namespace on Kubernetes."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from pytest_coworld.cli.common import fail, stderr, stdout
from pytest_coworld.cli.kube_options import (
    Backend,
    BackendOption,
    ContextOption,
    KubeconfigOption,
    NamespaceOption,
    kube_api_client,
)

EXIT_FAILED = 1

AllOption = Annotated[
    bool,
    typer.Option(
        "--all",
        help="Remove every resource labelled pytest-coworld.run-id (every episode), of live runs too.",
    ),
]
RunIdOption = Annotated[
    str | None,
    typer.Option(
        "--run-id", help="Remove the resources of this one run (e.g. kept by --coworld-keep-containers)."
    ),
]


def gc_command(
    everything: AllOption = False,
    run_id: RunIdOption = None,
    backend: BackendOption = Backend.DOCKER,
    namespace: NamespaceOption = "default",
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Remove stale resources: those of this host whose owner process is gone, or episodes past deadline.

    With --run-id, remove one run's containers, networks and work folder (or episodes); with --all, every
    labelled container and network (or episode in the namespace), whoever started them.
    """
    if run_id is not None and not re.fullmatch(r"[\w.-]+", run_id):
        fail(
            f"{run_id!r} is not a run id",
            code=EXIT_FAILED,
            hint="copy it from the run's summary, e.g. cw-1a2b3c4d5e",
        )
    if backend is Backend.KUBERNETES:
        errors = _gc_kubernetes(namespace, kubeconfig, context, everything, run_id)
    else:
        errors = _gc_docker(everything, run_id)
    for problem in errors:
        stderr.print(problem, markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_FAILED if errors else 0)


def _gc_docker(everything: bool, run_id: str | None) -> list[str]:
    from pytest_coworld.runtime import InfrastructureError, collect_garbage
    from pytest_coworld.runtime.cleanup import sweep_stale_scratch_folders
    from pytest_coworld.runtime.docker_api import connect_docker

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
    return [f"could not remove {problem}" for problem in report.errors]


def _gc_kubernetes(
    namespace: str, kubeconfig: KubeconfigOption, context: ContextOption, everything: bool, run_id: str | None
) -> list[str]:
    """The errors name the failed call and the server's reason."""
    api_client = kube_api_client(kubeconfig, context)  # first: it explains a missing `kubernetes` package
    from pytest_coworld.kubernetes.garbage import collect_kubernetes_garbage

    with api_client:
        report = collect_kubernetes_garbage(api_client, namespace, everything=everything, run_id=run_id)
    what = (
        "labelled episode(s)"
        if everything
        else f"episode(s) of run {run_id}"
        if run_id
        else "stale episode(s)"
    )
    stdout.print(f"removed {len(report.removed)} {what} in namespace {namespace}", markup=False)
    return report.errors
