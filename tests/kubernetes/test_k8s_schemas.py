"""Every rendered object, and the RBAC document, validates against Kubernetes' own OpenAPI schemas."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from kube_objects import SECRET_ENV, assert_valid, render

from pytest_coworld.kubernetes.placement import Placement, parse_toleration
from pytest_coworld.runtime import NO_LIMITS, ResourceLimits

RBAC = Path(__file__).parents[2] / "docs" / "kubernetes-rbac.yaml"
PLACEMENT = Placement(
    {"node.kubernetes.io/instance-type": "m7i.large", "coworld": "games"},
    (parse_toleration("workload-type=coworld:NoSchedule"), parse_toleration("dedicated:NoExecute")),
)


@pytest.mark.parametrize(
    ("example", "variant", "slots"),
    [("paint", None, 2), ("paint", "large", 2), ("auction", None, 4), ("auction", "three-players", 3)],
)
def test_every_object_of_an_episode_validates(example: str, variant: str | None, slots: int) -> None:
    """With secret env, limits, a node selector, tolerations, owner references and both NetworkPolicies."""
    limits = ResourceLimits(cpus=1.5, memory_bytes=768 * 1024 * 1024)
    rendered = render(example, variant, secret_env=SECRET_ENV, limits=limits, placement=PLACEMENT)
    kinds = Counter(item["kind"] for item in rendered.objects)
    assert kinds == {"ConfigMap": 1, "Secret": 1 + slots, "NetworkPolicy": 2, "Pod": 1 + slots, "Service": 1}
    assert_valid(rendered.objects)


@pytest.mark.parametrize("example", ["paint", "auction"])
def test_the_plainest_episode_validates_too(example: str) -> None:
    """No limits, no placement, no secret env, no owner (as rendered before the anchor exists)."""
    assert_valid(render(example, limits=NO_LIMITS, owner_uid=None).objects)


def test_the_rbac_document_validates_and_never_reads_secrets() -> None:
    """(That the Role grants exactly the calls the backend and gc make: test_k8s_gc.py.)"""
    documents = list(yaml.safe_load_all(RBAC.read_text()))
    assert [document["kind"] for document in documents] == ["ServiceAccount", "Role", "RoleBinding"]
    assert_valid(documents)
    role = documents[1]
    granted = {
        (resource, verb) for rule in role["rules"] for resource in rule["resources"] for verb in rule["verbs"]
    }
    assert ("secrets", "create") in granted
    assert not {("secrets", "get"), ("secrets", "list"), ("secrets", "watch")} & granted
    assert {document["metadata"]["namespace"] for document in documents} == {"coworld"}
