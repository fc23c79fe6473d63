"""`coworld gc --backend kubernetes`: lost episodes are found by their anchors and removed, over real HTTP
against the stand-in API server (apiserver_standin.py), which enforces the Role of docs/kubernetes-rbac.yaml.

The episodes are set up in the stand-in directly (not over HTTP), so that its record of calls is gc's alone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import kubernetes.config
import pytest
from apiserver_standin import KINDS, KubeStandin, KubeStandinServer
from kubeconfig_file import kubeconfig
from kubernetes.client import ApiClient, Configuration
from runtime_fakes import fake_manifest
from test_k8s_backend import BACKEND_CALLS, NAMESPACE, TIMEOUTS, labelled_containers, role_grants, serve
from typer.testing import CliRunner, Result

from pytest_coworld.cli.app import app
from pytest_coworld.kubernetes.garbage import KubernetesGarbageReport, collect_kubernetes_garbage
from pytest_coworld.kubernetes.identity import EpisodeIdentity
from pytest_coworld.kubernetes.render import DEADLINE_ANNOTATION, anchor, episode_deadline, episode_objects
from pytest_coworld.runtime import RunContext, build_episode_spec
from pytest_coworld.runtime.config import make_tokens
from pytest_coworld.runtime.labels import LABEL_ROLE
from pytest_coworld.runtime.spec import EpisodeSpec

pytestmark = pytest.mark.usefixtures("fake_images")

LATER = timedelta(minutes=10)
"""`now` in the tests: an episode annotated with a 60 s deadline is stale by then, one with 2 h is not."""
RESOURCES = {kind: key for key, kind in KINDS.items()}
GC_CALLS = {
    ("GET", "/api/v1/namespaces/{namespace}/configmaps"),
    ("DELETE", "/api/v1/namespaces/{namespace}/configmaps/{name}"),
}


@pytest.fixture
def spec() -> EpisodeSpec:
    return build_episode_spec(fake_manifest(), timeouts=TIMEOUTS)


@pytest.fixture
def standin(run: RunContext) -> Iterator[KubeStandinServer]:
    with serve(run, role_grants()) as server:
        yield server


def put(standin: KubeStandin, item: dict[str, Any]) -> dict[str, Any]:
    group, resource = RESOURCES[item["kind"]]
    return standin.create(group, NAMESPACE, resource, item)


def lost_episode(
    standin: KubeStandin,
    spec: EpisodeSpec,
    run_id: str,
    deadline: int | None,
    children: str = "Secret",
    owner: str | None = None,
) -> EpisodeIdentity:
    """An episode its runner lost: the anchor (its deadline annotation `deadline` seconds, or none) and the
    objects it owns of the `children` kinds (the game pod runs on Docker)."""
    identity = EpisodeIdentity(NAMESPACE, run_id=run_id)
    parent = anchor(identity, spec)
    if deadline is None:
        del parent["metadata"]["annotations"]
    else:
        parent["metadata"]["annotations"][DEADLINE_ANNOTATION] = str(deadline)
    if owner is not None:
        uid = standin.get(NAMESPACE, "configmaps", owner)["metadata"]["uid"]
        parent["metadata"]["ownerReferences"] = [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": owner, "uid": uid}
        ]
    uid = put(standin, parent)["metadata"]["uid"]
    owned = EpisodeIdentity(NAMESPACE, identity.run_id, identity.episode_id, owner_uid=uid)
    for item in episode_objects(owned, spec, make_tokens(spec.slot_count)):
        if item["kind"] in children.split(",") and item["metadata"]["labels"][LABEL_ROLE] != "player":
            put(standin, item)
    return identity


def names_of(standin: KubeStandin) -> set[str]:
    return {name for _, _, name in standin.objects}


def gc(server: KubeStandinServer, **options: Any) -> KubernetesGarbageReport:
    with ApiClient(Configuration(host=server.url)) as client:
        return collect_kubernetes_garbage(client, NAMESPACE, now=datetime.now(UTC) + LATER, **options)


def test_the_anchor_says_when_the_episode_is_certainly_over(spec: EpisodeSpec) -> None:
    """After the players' latest start (healthz + the start allowance) and their own deadline."""
    identity = EpisodeIdentity(NAMESPACE)
    annotated = int(anchor(identity, spec)["metadata"]["annotations"][DEADLINE_ANNOTATION])
    pod = next(item for item in episode_objects(identity, spec, ["a", "b"]) if item["kind"] == "Pod")
    assert annotated == episode_deadline(spec.resolved_timeouts)
    assert annotated == TIMEOUTS.seconds("healthz") + 120 + pod["spec"]["activeDeadlineSeconds"]


def test_stale_episodes_and_all_they_own_are_removed_and_fresh_ones_stay(
    standin: KubeStandinServer, run: RunContext, spec: EpisodeSpec
) -> None:
    api = standin.standin
    stale = lost_episode(api, spec, run.run_id, 60, children="Secret,NetworkPolicy,Pod,Service")
    fresh = lost_episode(api, spec, run.run_id, 7200)
    old = lost_episode(api, spec, "oldversion01", None)  # unannotated: stale only after 6 h
    assert api.pods and labelled_containers(run)  # the game pod runs

    report = gc(standin)

    assert report == KubernetesGarbageReport(removed=[stale.name])
    assert not any(name.startswith(stale.name) for name in names_of(api))
    assert api.pods == {} and labelled_containers(run) == []
    assert names_of(api) == {fresh.name, fresh.config_secret, old.name, old.config_secret}
    with ApiClient(Configuration(host=standin.url)) as client:
        later = collect_kubernetes_garbage(client, NAMESPACE, now=datetime.now(UTC) + timedelta(hours=7))
    assert sorted(later.removed) == sorted([fresh.name, old.name]) and api.objects == {}
    assert api.forbidden == [] and set(api.calls) == GC_CALLS


def test_run_id_removes_that_runs_episodes_alone_live_or_not(
    standin: KubeStandinServer, spec: EpisodeSpec
) -> None:
    mine = [lost_episode(standin.standin, spec, "run00000001", deadline) for deadline in (60, 7200)]
    other = lost_episode(standin.standin, spec, "run00000002", 60)

    report = gc(standin, run_id="run00000001")

    assert sorted(report.removed) == sorted(episode.name for episode in mine) and not report.errors
    assert names_of(standin.standin) == {other.name, other.config_secret}


def test_everything_removes_every_episode_and_nothing_else(
    standin: KubeStandinServer, spec: EpisodeSpec
) -> None:
    episodes = [
        lost_episode(standin.standin, spec, run_id, 7200) for run_id in ("run0000000a", "run0000000b")
    ]
    unrelated = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {}}
    put(standin.standin, unrelated)

    report = gc(standin, everything=True)

    assert sorted(report.removed) == sorted(episode.name for episode in episodes) and not report.errors
    assert names_of(standin.standin) == {"settings"}


def test_an_anchor_already_gone_is_no_error(standin: KubeStandinServer, spec: EpisodeSpec) -> None:
    """As when another gc deleted it between the list and the delete: here its owner's deletion did."""
    first = lost_episode(standin.standin, spec, "run0000000a", 60)
    lost_episode(standin.standin, spec, "run0000000a", 60, owner=first.name)

    report = gc(standin)

    assert report == KubernetesGarbageReport(removed=[first.name]) and standin.standin.objects == {}


@pytest.mark.parametrize(
    ("refused", "call"), [("list", "list ConfigMaps in namespace"), ("delete", "delete ConfigMap 'coworld-")]
)
def test_a_call_the_role_does_not_grant_is_an_error_naming_the_rbac(
    run: RunContext, spec: EpisodeSpec, refused: str, call: str
) -> None:
    with serve(run, role_grants() - {(refused, "configmaps")}) as server:
        episode = lost_episode(server.standin, spec, run.run_id, 60)
        report = gc(server)
        assert episode.name in names_of(server.standin)

    (error,) = report.errors
    assert error.startswith(call) and not report.removed
    assert "403 Forbidden" in error and "docs/kubernetes-rbac.yaml" in error
    assert f'cannot {refused} resource "configmaps"' in error


def coworld_gc(*args: str) -> Result:
    return CliRunner().invoke(app, ["gc", "--backend", "kubernetes", *args])


def test_the_command_removes_one_runs_episodes_through_a_kubeconfig(
    standin: KubeStandinServer, spec: EpisodeSpec, tmp_path: Path
) -> None:
    mine = lost_episode(standin.standin, spec, "run00000001", 7200)
    other = lost_episode(standin.standin, spec, "run00000002", 60)
    config = str(kubeconfig(tmp_path, standin.url))

    result = coworld_gc(
        "-n", NAMESPACE, "--kubeconfig", config, "--context", "standin", "--run-id", "run00000001"
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == f"removed 1 episode(s) of run run00000001 in namespace {NAMESPACE}\n"
    assert result.stderr == "" and names_of(standin.standin) == {other.name, other.config_secret}
    assert mine.name not in names_of(standin.standin)

    elsewhere = coworld_gc("-n", "elsewhere", "--kubeconfig", config, "--context", "standin", "--all")
    assert elsewhere.exit_code == 0, elsewhere.output
    assert elsewhere.stdout == "removed 0 labelled episode(s) in namespace elsewhere\n"


def test_the_commands_errors_are_on_stderr_and_exit_1(
    run: RunContext, spec: EpisodeSpec, tmp_path: Path
) -> None:
    with serve(run, role_grants() - {("delete", "configmaps")}) as server:
        for _ in range(2):
            lost_episode(server.standin, spec, run.run_id, 0)  # over as soon as created
        config = str(kubeconfig(tmp_path, server.url))
        result = coworld_gc("-n", NAMESPACE, "--kubeconfig", config, "--context", "standin")

    assert result.exit_code == 1
    assert result.stdout == f"removed 0 stale episode(s) in namespace {NAMESPACE}\n"
    assert result.stderr.count("403 Forbidden") == 2 and "docs/kubernetes-rbac.yaml" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "(no kubeconfig at {tmp}/missing, and not in a pod): Service host/port is not set."),
        (["--kubeconfig", "{tmp}/missing"], "(kubeconfig {tmp}/missing): Invalid kube-config file."),
        (["--kubeconfig", "{tmp}/kubeconfig"], "Expected object with name elsewhere"),  # its current context
        (["--run-id", "a,b"], "'a,b' is not a run id"),
    ],
)
def test_a_bad_run_id_or_a_configuration_that_cannot_be_loaded_is_one_line_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setattr(kubernetes.config, "KUBE_CONFIG_DEFAULT_LOCATION", str(tmp_path / "missing"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    kubeconfig(tmp_path, "http://127.0.0.1:9")

    result = coworld_gc(*(arg.format(tmp=tmp_path) for arg in args))

    assert result.exit_code == 1 and isinstance(result.exception, SystemExit) and not result.stdout
    assert message.format(tmp=tmp_path) in result.stderr and "\nhint: " in result.stderr


def test_without_the_kubernetes_package_the_hint_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "kubernetes", None)  # `import kubernetes` raises ImportError
    result = coworld_gc()
    assert result.exit_code == 1
    assert "pip install 'pytest-coworld[kubernetes]'" in result.stderr


def grant_of(call: tuple[str, str]) -> tuple[str, str]:
    """The (verb, resource) an RBAC authorizer checks for a REST call (method, path template)."""
    method, template = call
    resource = template.split("{namespace}/", 1)[1].replace("/{name}", "")
    named = "{name}" in template and not resource.endswith("/log")
    verb = {"POST": "create", "DELETE": "delete"}.get(method) or (
        "get" if named or "/" in resource else "list"
    )
    return verb, resource


def test_the_shipped_role_grants_exactly_what_the_backend_and_gc_call() -> None:
    """Least privilege: every grant is used by a call the tests observe, and every such call is granted."""
    assert role_grants() == {grant_of(call) for call in BACKEND_CALLS | GC_CALLS}
