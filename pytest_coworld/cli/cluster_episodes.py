"""`run-episode --backend kubernetes`: the episodes as pods in a cluster namespace, through the official
client (see pytest_coworld/kubernetes/backend.py), with the same progress, artifacts and summary as on
Docker."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_coworld.cli.common import fail, stderr
from pytest_coworld.cli.episode_batch import run_batch

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

    from pytest_coworld.kubernetes.backend import KubernetesOptions
    from pytest_coworld.kubernetes.placement import PullPolicy
    from pytest_coworld.runtime import EpisodeResult, EpisodeSpec
    from pytest_coworld.runtime.observer import EpisodeObserver


@dataclass(frozen=True)
class Cluster:
    """Where the episodes run: the API client, the namespace, and the options of every pod."""

    api_client: ApiClient
    namespace: str
    options: KubernetesOptions


def cluster(
    api_client: ApiClient,
    namespace: str,
    node_selector: list[str] | None,
    toleration: list[str] | None,
    pull: PullPolicy | None,
    collector_image: str | None,
) -> Cluster:
    """The cluster the options name, or a one-line exit when the namespace or a placement option is wrong."""
    from pytest_coworld.kubernetes.backend import KubernetesOptions
    from pytest_coworld.kubernetes.identity import EpisodeIdentity
    from pytest_coworld.kubernetes.placement import Placement

    try:
        EpisodeIdentity(namespace)
        placement = Placement.parse(node_selector or [], toleration or [])
    except ValueError as error:
        fail(str(error))
    options = KubernetesOptions(placement=placement, pull=pull)
    if collector_image:
        options = replace(options, collector_image=collector_image)
    return Cluster(api_client, namespace, options)


def play_on_cluster(
    target: Cluster, spec: EpisodeSpec, count: int, parallel: int, output_dir: Path | None
) -> tuple[str, Path, list[EpisodeResult]]:
    """Play `count` episodes, `parallel` at once, in the cluster: the run id, the artifacts folder and the
    results. Ctrl-C deletes every episode of the run before it returns."""
    from pytest_coworld.kubernetes.backend import run_on_kubernetes
    from pytest_coworld.runtime.labels import new_run_id

    run_id = new_run_id()
    folder = output_dir or Path("coworld-artifacts") / run_id
    stderr.print(
        f"run {run_id} in namespace {target.namespace}: artifacts in {folder}", markup=False, soft_wrap=True
    )
    cancel = threading.Event()

    def play(episode_folder: Path, observer: EpisodeObserver) -> EpisodeResult:
        return run_on_kubernetes(
            spec,
            episode_folder,
            target.api_client,
            target.namespace,
            run_id=run_id,
            options=target.options,
            observer=observer,
            cancel=cancel,
        )

    return run_id, folder, run_batch(play, cancel, spec.slot_count, count, parallel, folder)
