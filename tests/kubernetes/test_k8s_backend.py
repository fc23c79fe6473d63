"""The Kubernetes backend over real HTTP, through the official client, against the stand-in API server
(apiserver_standin.py), whose pods run on the local Docker engine: the fake game really plays."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from apiserver_standin import KubeStandin, KubeStandinServer
from kube_objects import OWNER_UID, assert_valid
from kubeconfig_file import kubeconfig
from kubernetes.client import ApiClient, Configuration, CoreV1Api
from runtime_fakes import BASE_IMAGE, fake_document, fake_manifest, loaded_manifest
from typer.testing import CliRunner

from pytest_coworld.cli.app import app
from pytest_coworld.examples import build_example, example_manifest_path
from pytest_coworld.kubernetes.backend import KubernetesOptions, run_on_kubernetes
from pytest_coworld.kubernetes.collector import with_collector
from pytest_coworld.kubernetes.identity import EpisodeIdentity
from pytest_coworld.kubernetes.placement import PullPolicy
from pytest_coworld.kubernetes.render import anchor, episode_objects
from pytest_coworld.manifest import load_manifest
from pytest_coworld.runtime import EpisodeCancelled, RunContext, Timeouts, build_episode_spec
from pytest_coworld.runtime.observer import EpisodeObserver, Phase, SlotState
from pytest_coworld.runtime.outcome import OutcomeKind
from pytest_coworld.runtime.record import EpisodeResult
from pytest_coworld.runtime.spec import EpisodeSpec

pytestmark = pytest.mark.usefixtures("fake_images")

NAMESPACE = "coworld"
RBAC = Path(__file__).parents[2] / "docs" / "kubernetes-rbac.yaml"
LOADED = Timeouts(healthz=60, player_exit=10, game_exit=10)
SECRET = "s3cret-value-of-slot-env"
TIMEOUTS = Timeouts(healthz=60, episode=120, game_exit=10, player_exit=10)
BACKEND_CALLS = {
    ("POST", "/api/v1/namespaces/{namespace}/configmaps"),
    ("POST", "/api/v1/namespaces/{namespace}/secrets"),
    ("POST", "/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies"),
    ("POST", "/api/v1/namespaces/{namespace}/pods"),
    ("POST", "/api/v1/namespaces/{namespace}/services"),
    ("GET", "/api/v1/namespaces/{namespace}/pods/{name}"),
    ("GET", "/api/v1/namespaces/{namespace}/pods"),
    ("GET", "/api/v1/namespaces/{namespace}/pods/{name}/log"),
    ("DELETE", "/api/v1/namespaces/{namespace}/configmaps/{name}"),
}
"""The REST calls of one episode, as the stand-in records them (method, path template)."""


def serve(run: RunContext, grants: set[tuple[str, str]]) -> KubeStandinServer:
    """The stand-in API server, granting what `grants` says; its containers and network carry the run's
    labels."""
    return KubeStandinServer(KubeStandin(run.client, run.identity.labels("k8s-standin"), BASE_IMAGE, grants))


@pytest.fixture
def standin(run: RunContext) -> Iterator[KubeStandinServer]:
    """The stand-in, enforcing the Role of docs/kubernetes-rbac.yaml."""
    with serve(run, role_grants()) as server:
        yield server


def api_client(server: KubeStandinServer) -> ApiClient:
    return ApiClient(Configuration(host=server.url))


def play(
    server: KubeStandinServer, run: RunContext, spec: EpisodeSpec, folder: Path, **kwargs: Any
) -> EpisodeResult:
    options = KubernetesOptions(
        collector_image=BASE_IMAGE, pull=PullPolicy.NEVER, poll_seconds=0.2, start_allowance_seconds=0
    )
    with api_client(server) as client:
        return run_on_kubernetes(
            spec, folder, client, NAMESPACE, run_id=run.run_id, options=options, **kwargs
        )


class RecordingObserver(EpisodeObserver):
    """Every phase, each slot's states, and the outcomes, in order."""

    def __init__(self) -> None:
        self.phases: list[Phase] = []
        self.slots: dict[int, list[SlotState]] = {}
        self.outcomes: list[str] = []

    def phase_changed(self, episode_id: str, phase: Phase) -> None:
        self.phases.append(phase)

    def slot_changed(self, episode_id: str, slot: int, state: SlotState, detail: str = "") -> None:
        self.slots.setdefault(slot, []).append(state)

    def finished(self, episode_id: str, result: EpisodeResult) -> None:
        self.outcomes.append(result.outcome.kind.value)


def labelled_containers(run: RunContext) -> list[Any]:
    return list(
        run.client.containers.list(all=True, filters={"label": f"pytest-coworld.run-id={run.run_id}"})
    )


def role_grants() -> set[tuple[str, str]]:
    """(verb, resource) pairs the Role in docs/kubernetes-rbac.yaml grants."""
    role = next(doc for doc in yaml.safe_load_all(RBAC.read_text()) if doc["kind"] == "Role")
    return {(verb, res) for rule in role["rules"] for res in rule["resources"] for verb in rule["verbs"]}


def test_an_episode_plays_end_to_end_through_the_official_client(
    standin: KubeStandinServer, run: RunContext, tmp_path: Path
) -> None:
    # slot 0's player leaves 1.5 s after its game, as a correct player may: its exit is still waited for
    manifest = fake_manifest(slot_env={0: {"FAKE_PLAYER_MODE": "slow_exit"}})
    spec = build_episode_spec(manifest, secret_env={"ECHO_SECRET": SECRET}, timeouts=TIMEOUTS)

    observer = RecordingObserver()

    result = play(standin, run, spec, tmp_path / "episode", observer=observer)

    assert result.completed, result.outcome.summary() + "\n" + result.outcome.log_tail
    assert result.scores is not None and len(result.scores) == 2 and all(score > 0 for score in result.scores)
    record = json.loads((tmp_path / "episode" / "episode.json").read_text())
    assert record["backend"] == "kubernetes" and record["outcome"]["kind"] == "completed"
    # the replay came back through the collector's log, binary-safe, redacted like every artifact
    replay = result.artifact("replay.json")
    assert replay is not None and record["replay_problem"] is None
    assert json.loads(replay.read_text())["tokens"] == ["<redacted:token:0>", "<redacted:token:1>"]
    # the observer heard what a progress display needs, as from the Docker backend
    assert observer.phases[0] is Phase.PREPARING and observer.phases[-1] is Phase.FINISHED
    assert {Phase.WAITING_HEALTHY, Phase.PLAYING, Phase.COLLECTING} <= set(observer.phases)
    assert observer.slots[0][0] is SlotState.STARTING and observer.slots[0][-1] is SlotState.EXITED, (
        observer.slots
    )
    assert observer.outcomes == ["completed"]
    assert record["scores"] == result.scores and record["exit_codes"]["game"] == 0
    assert record["exit_codes"]["player-0"] == 0
    assert json.loads((tmp_path / "episode" / "results.json").read_text())["scores"] == result.scores
    game_log = (tmp_path / "episode" / "game.log").read_text()
    assert "slot 0 connected" in game_log and "slot 1 connected" in game_log
    assert "<redacted:token:0>" in game_log  # the fake game prints its config, tokens and all
    player_log = (tmp_path / "episode" / "player-1.log").read_text()
    service_url = f"ws://{record['name']}:8080/player?slot=1&token=<redacted:token:1>"  # the Service
    assert f"url {service_url}" in player_log
    assert "my secret is <redacted:secret:ECHO_SECRET>" in player_log  # from the slot's Secret
    assert not [path for path in (tmp_path / "episode").iterdir() if SECRET in path.read_text()]
    # nothing left behind: the anchor's deletion removed every object and every pod's containers
    assert standin.standin.objects == {} and standin.standin.pods == {}
    assert labelled_containers(run) == []
    # the stand-in enforced the Role: every call the backend made is one it grants
    assert standin.standin.forbidden == []
    assert set(standin.standin.calls) == BACKEND_CALLS


@pytest.mark.parametrize(("name", "slots"), [("paint", 2), ("auction", 4)])
def test_an_example_plays_end_to_end_on_the_standin(
    standin: KubeStandinServer, run: RunContext, tmp_path: Path, name: str, slots: int
) -> None:
    build_example(name)
    spec = build_episode_spec(load_manifest(str(example_manifest_path(name))), timeouts=LOADED)

    result = play(standin, run, spec, tmp_path / name)

    assert result.completed, f"{result.outcome.summary()}\n{result.outcome.log_tail}"
    assert len(result.scores or []) == slots
    assert standin.standin.objects == {} and labelled_containers(run) == []


@pytest.mark.parametrize(
    ("mode", "kind", "in_message", "source"),
    [
        ("crash", OutcomeKind.GAME_CRASHED, "exited with code 1", "game"),
        ("exit_at_start", OutcomeKind.GAME_CRASHED, "before answering /healthz", "game"),
        ("never_healthy", OutcomeKind.GAME_UNHEALTHY, "never became Ready", "game"),
        ("player_failure", OutcomeKind.PLAYER_FAILED, "slot 1 sent garbage", "player-1"),
        ("no_results", OutcomeKind.RESULTS_MISSING, "without writing results.json", "game"),
        ("not_json", OutcomeKind.RESULTS_MALFORMED, "not JSON", "game"),
        ("hang", OutcomeKind.EPISODE_TIMEOUT, "did not end within 6 s", "game"),
        ("linger", OutcomeKind.COMPLETED, "valid results", None),
    ],
)
def test_how_the_game_ends_is_a_typed_outcome_and_the_episode_is_removed(
    standin: KubeStandinServer,
    run: RunContext,
    tmp_path: Path,
    mode: str,
    kind: OutcomeKind,
    in_message: str,
    source: str | None,
) -> None:
    timeouts = Timeouts(healthz=4, episode=6, game_exit=3, player_exit=3)
    spec = build_episode_spec(fake_manifest(game_env={"FAKE_GAME_MODE": mode}), timeouts=timeouts)

    result = play(standin, run, spec, tmp_path / "episode")

    assert result.outcome.kind is kind, result.outcome.summary()
    assert in_message in result.outcome.message and result.outcome.source == source
    if source is not None:
        assert result.outcome.log_tail, "the failing container's log tail"
    assert standin.standin.objects == {} and labelled_containers(run) == []


def test_a_name_clash_is_reported_with_the_servers_409_and_the_other_object_is_kept(
    standin: KubeStandinServer, run: RunContext, tmp_path: Path
) -> None:
    spec = build_episode_spec(fake_manifest(), timeouts=TIMEOUTS)
    identity = EpisodeIdentity(NAMESPACE, run_id=run.run_id, episode_id="clash001")
    with api_client(standin) as client:
        CoreV1Api(client).create_namespaced_config_map(NAMESPACE, anchor(identity, spec))

    result = play(standin, run, spec, tmp_path / "episode", episode_id="clash001")

    assert result.outcome.kind is OutcomeKind.INFRASTRUCTURE_ERROR
    assert "409 AlreadyExists" in result.outcome.message
    assert f'configmaps "{identity.name}" already exists' in result.outcome.message
    assert list(standin.standin.objects) == [(NAMESPACE, "configmaps", identity.name)]  # not ours to delete
    assert labelled_containers(run) == []


def test_the_game_pod_with_probe_and_collector_still_validates() -> None:
    """What phase 2 adds to the rendered game pod passes the strict schemas, as phase 1's objects do."""
    spec = build_episode_spec(fake_manifest(), timeouts=TIMEOUTS)
    identity = EpisodeIdentity(NAMESPACE, owner_uid=OWNER_UID)
    pod = next(item for item in episode_objects(identity, spec, ["a", "b"]) if item["kind"] == "Pod")
    assert_valid([with_collector(pod, BASE_IMAGE, "replay", 10)])


def test_a_call_the_role_does_not_grant_is_a_403_naming_the_rbac_and_the_episode_is_removed(
    run: RunContext, tmp_path: Path
) -> None:
    spec = build_episode_spec(fake_manifest(), timeouts=TIMEOUTS)
    with serve(run, role_grants() - {("create", "pods")}) as server:
        result = play(server, run, spec, tmp_path / "episode")
        assert server.standin.objects == {}

    assert result.outcome.kind is OutcomeKind.INFRASTRUCTURE_ERROR
    assert "403 Forbidden" in result.outcome.message and "docs/kubernetes-rbac.yaml" in result.outcome.message
    assert 'cannot create resource "pods" in API group ""' in result.outcome.message


def test_a_missing_image_is_an_image_pull_failure(
    standin: KubeStandinServer, run: RunContext, tmp_path: Path
) -> None:
    document = fake_document()
    document["game"]["runnable"]["image"] = "coworld-test/no-such-game:latest"
    spec = build_episode_spec(loaded_manifest(document), timeouts=TIMEOUTS)

    result = play(standin, run, spec, tmp_path / "episode")

    assert result.outcome.kind is OutcomeKind.INFRASTRUCTURE_ERROR, result.outcome.summary()
    assert result.outcome.message.startswith("container game: ErrImagePull")
    assert standin.standin.objects == {} and labelled_containers(run) == []


class CancelWhenPlaying(EpisodeObserver):
    """Sets the run's cancel event once the players are started, as Ctrl-C would."""

    def __init__(self) -> None:
        self.cancel = threading.Event()

    def phase_changed(self, episode_id: str, phase: Phase) -> None:
        if phase is Phase.PLAYING:
            self.cancel.set()


def test_cancelling_deletes_the_episode_and_raises(
    standin: KubeStandinServer, run: RunContext, tmp_path: Path
) -> None:
    spec = build_episode_spec(fake_manifest(game_env={"FAKE_GAME_MODE": "hang"}), timeouts=TIMEOUTS)
    observer = CancelWhenPlaying()

    with pytest.raises(EpisodeCancelled):
        play(standin, run, spec, tmp_path / "episode", observer=observer, cancel=observer.cancel)

    assert standin.standin.objects == {} and labelled_containers(run) == []


def test_run_episode_plays_n_episodes_k_at_once_in_a_namespace(
    standin: KubeStandinServer, run: RunContext, tmp_path: Path
) -> None:
    manifest = tmp_path / "coworld_manifest.json"
    manifest.write_text(json.dumps(fake_document()))
    config, out = kubeconfig(tmp_path, standin.url), tmp_path / "out"

    result = CliRunner().invoke(app, [
        "run-episode", str(manifest), "--backend", "kubernetes", "-n", NAMESPACE, "--kubeconfig", str(config),
        "--context", "standin", "--episodes", "3", "--parallel", "2", "--collector-image", BASE_IMAGE,
        "--image-pull-policy", "Never", "--output-dir", str(out), "--json",
    ])  # fmt: skip

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["completed"], summary["total"]) == (3, 3)
    assert [(slot["slot"], slot["episodes"]) for slot in summary["slots"]] == [(0, 3), (1, 3)]
    for index in (1, 2, 3):
        folder = out / f"episode-{index}"
        assert json.loads((folder / "episode.json").read_text())["backend"] == "kubernetes"
        assert {"results.json", "replay.json", "game.log", "player-1.log"} <= {
            p.name for p in folder.iterdir()
        }
    assert f"run {summary['run_id']} in namespace {NAMESPACE}" in result.stderr
    assert "[episode 3/3] playing" in result.stderr and "[episode 2/3] slot 1 exited" in result.stderr
    assert standin.standin.objects == {} and labelled_containers(run) == []


def test_run_episode_on_kubernetes_refuses_a_bad_namespace_in_one_line(tmp_path: Path) -> None:
    manifest = tmp_path / "coworld_manifest.json"
    manifest.write_text(json.dumps(fake_document()))
    config = kubeconfig(tmp_path, "http://127.0.0.1:9")

    result = CliRunner().invoke(app, [
        "run-episode", str(manifest), "--backend", "kubernetes", "-n", "Not_A_Label",
        "--kubeconfig", str(config), "--context", "standin",
    ])  # fmt: skip

    assert result.exit_code == 2 and "namespace 'Not_A_Label' is not a DNS label" in result.stderr
    assert "Traceback" not in result.output


class EndPodWhenPlaying(EpisodeObserver):
    """Once the players are started, ends one pod of the episode as the kubelet would."""

    def __init__(self, server: KubeStandinServer, run_id: str, pod: str, reason: str) -> None:
        self.server, self.run_id, self.pod, self.reason = server, run_id, pod, reason

    def phase_changed(self, episode_id: str, phase: Phase) -> None:
        if phase is Phase.PLAYING:
            identity = EpisodeIdentity(NAMESPACE, run_id=self.run_id, episode_id=episode_id)
            name = identity.game_pod if self.pod == "game" else identity.player_pod(1)
            self.server.standin.end_pod(NAMESPACE, name, self.reason, "said the kubelet")


@pytest.mark.parametrize(
    ("pod", "reason", "kind", "in_message"),
    [
        ("game", "Evicted", OutcomeKind.INFRASTRUCTURE_ERROR, "the cluster ended the game pod (Evicted"),
        ("player-1", "Evicted", OutcomeKind.INFRASTRUCTURE_ERROR, "ended the player-1 pod (Evicted"),
        ("game", "DeadlineExceeded", OutcomeKind.EPISODE_TIMEOUT, "ran past its activeDeadlineSeconds"),
    ],
)
def test_a_pod_the_cluster_ended_is_typed_and_the_episode_is_removed(
    standin: KubeStandinServer,
    run: RunContext,
    tmp_path: Path,
    pod: str,
    reason: str,
    kind: OutcomeKind,
    in_message: str,
) -> None:
    spec = build_episode_spec(fake_manifest(game_env={"FAKE_GAME_MODE": "hang"}), timeouts=TIMEOUTS)
    observer = EndPodWhenPlaying(standin, run.run_id, pod, reason)

    result = play(standin, run, spec, tmp_path / "episode", observer=observer)

    assert result.outcome.kind is kind, result.outcome.summary()
    assert in_message in result.outcome.message and "said the kubelet" in result.outcome.message
    assert result.outcome.source == pod and result.outcome.slot == (1 if pod == "player-1" else None)
    assert standin.standin.objects == {} and labelled_containers(run) == []
