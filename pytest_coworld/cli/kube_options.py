"""The options of the commands that reach a Kubernetes cluster (or render for one), and the API client they
build from them."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pytest_coworld.cli.common import fail
from pytest_coworld.kubernetes.placement import PullPolicy

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

EXIT_FAILED = 1
CONFIG_HINT = (
    "give --kubeconfig PATH (and --context NAME), or set KUBECONFIG; "
    "`kubectl config current-context` shows what kubectl uses"
)


class Backend(StrEnum):
    """Where episodes run."""

    DOCKER = "docker"
    KUBERNETES = "kubernetes"


BackendOption = Annotated[
    Backend, typer.Option("--backend", help="docker: this machine's engine; kubernetes: a cluster namespace.")
]
NamespaceOption = Annotated[
    str, typer.Option("--namespace", "-n", help="The Kubernetes namespace of the episodes.")
]
KubeconfigOption = Annotated[
    Path | None,
    typer.Option(
        "--kubeconfig",
        help="The kubeconfig file (default: $KUBECONFIG, else ~/.kube/config; without one, in a pod, its "
        "service account).",
    ),
]
ContextOption = Annotated[
    str | None, typer.Option("--context", help="The kubeconfig context (default: its current one).")
]
NodeSelectorOption = Annotated[
    list[str] | None,
    typer.Option("--node-selector", metavar="KEY=VALUE", help="A node label every pod needs; repeatable."),
]
TolerationOption = Annotated[
    list[str] | None,
    typer.Option(
        "--toleration",
        metavar="KEY[=VALUE][:EFFECT]",
        help="A taint every pod tolerates (effect NoSchedule when left out); repeatable.",
    ),
]
PullOption = Annotated[
    PullPolicy | None,
    typer.Option("--image-pull-policy", help="Every container's (default: Kubernetes' own, by the tag)."),
]
CollectorImageOption = Annotated[
    str | None,
    typer.Option(
        "--collector-image",
        help="The game pod's sidecar that reads its results and replay: any image with sh, gzip and base64, "
        "e.g. from your registry (default: busybox:1.36).",
    ),
]


def kube_api_client(kubeconfig: Path | None, context: str | None) -> ApiClient:
    """A client of the cluster `kubeconfig` and `context` name; with neither, and no kubeconfig file at the
    default place, of the cluster this pod runs in. Exits with a one-line error when none can be built."""
    try:
        from kubernetes import client, config
    except ImportError:
        fail(
            "the Kubernetes backend needs the official client",
            code=EXIT_FAILED,
            hint="pip install 'pytest-coworld[kubernetes]'",
        )
    configuration = client.Configuration()
    files = str(kubeconfig) if kubeconfig else config.KUBE_CONFIG_DEFAULT_LOCATION  # $KUBECONFIG or ~/.kube
    in_cluster = kubeconfig is None and context is None and not _any_file(files)
    try:
        if in_cluster:  # (the client's config loaders are untyped)
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        else:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=files, context=context, client_configuration=configuration
            )
    except Exception as error:  # the client raises what it meets: ConfigException, YAML, OS and type errors
        where = f"no kubeconfig at {files}, and not in a pod" if in_cluster else f"kubeconfig {files}"
        reason = " ".join(str(error).split())
        fail(f"could not load the Kubernetes configuration ({where}): {reason}", EXIT_FAILED, CONFIG_HINT)
    return client.ApiClient(configuration)


def _any_file(paths: str) -> bool:
    """Whether any of `paths` (separated as in $KUBECONFIG) is a file."""
    return any(Path(path).expanduser().is_file() for path in paths.split(os.pathsep) if path)
