"""`coworld gc --backend kubernetes`: remove the episodes a killed runner left in a namespace by deleting
their anchors; the garbage collector removes what each anchor owns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from kubernetes.client import ApiClient, CoreV1Api, V1ObjectMeta
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from pytest_coworld.kubernetes.backend import api_failure
from pytest_coworld.kubernetes.identity import label_selector
from pytest_coworld.kubernetes.render import DEADLINE_ANNOTATION
from pytest_coworld.runtime.labels import LABEL_ROLE, LABEL_RUN_ID

UNANNOTATED_DEADLINE = timedelta(hours=6)
"""When an anchor without the deadline annotation (made by an older version) is stale, after its creation."""


@dataclass
class KubernetesGarbageReport:
    """The anchors deleted (their episodes with them), and the calls that failed, with the server's reason."""

    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def collect_kubernetes_garbage(
    api_client: ApiClient,
    namespace: str,
    *,
    everything: bool = False,
    run_id: str | None = None,
    now: datetime | None = None,
) -> KubernetesGarbageReport:
    """Delete the stale episodes of `namespace` (see `is_stale`); or one run's; or with `everything` every
    episode, of live runs too. A 404 (already gone) is no error."""
    core, report = CoreV1Api(api_client), KubernetesGarbageReport()
    selector = label_selector({LABEL_ROLE: "episode", **({LABEL_RUN_ID: run_id} if run_id else {})})
    try:
        anchors = core.list_namespaced_config_map(namespace, label_selector=selector).items
    except (ApiException, HTTPError) as error:
        report.errors.append(f"list ConfigMaps in namespace {namespace!r}: {api_failure(error)}")
        return report
    moment = now or datetime.now(UTC)
    for item in anchors:
        metadata = item.metadata or V1ObjectMeta()
        name = str(metadata.name)
        if not (everything or run_id or is_stale(metadata, moment)):
            continue
        try:
            core.delete_namespaced_config_map(name, namespace, propagation_policy="Background")
        except (ApiException, HTTPError) as error:
            if not (isinstance(error, ApiException) and error.status == 404):
                report.errors.append(
                    f"delete ConfigMap {name!r} in namespace {namespace!r}: {api_failure(error)}"
                )
            continue
        report.removed.append(name)
    return report


def is_stale(anchor: V1ObjectMeta, now: datetime) -> bool:
    """Whether the episode of the anchor with this metadata is certainly over: created longer ago than its
    deadline annotation says (UNANNOTATED_DEADLINE without one)."""
    created: datetime | None = anchor.creation_timestamp
    value = (anchor.annotations or {}).get(DEADLINE_ANNOTATION, "")
    deadline = timedelta(seconds=int(value)) if value.isdigit() else UNANNOTATED_DEADLINE
    return created is not None and created + deadline < now
