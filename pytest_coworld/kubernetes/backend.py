"""The Kubernetes backend, phase 2: one episode played through the official client (`kubernetes` extra).

It creates the anchor, then the phase-1 objects owned by it (the game pod with a readiness probe and the
collector sidecar, see collector.py), starts the players once the game is ready, polls pod status until the
game has ended or the deadline passed, reads the results and every log through the API, writes the
artifacts (redacted) and always deletes the anchor, which deletes the episode. See docs/kubernetes.md.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient, CoreV1Api, NetworkingV1Api, V1ContainerStatus, V1Pod
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from pytest_coworld.kubernetes.collector import (
    COLLECTOR,
    DEFAULT_COLLECTOR_IMAGE,
    parse_collected,
    with_collector,
)
from pytest_coworld.kubernetes.identity import EpisodeIdentity
from pytest_coworld.kubernetes.placement import Placement, PullPolicy
from pytest_coworld.kubernetes.render import anchor, episode_objects
from pytest_coworld.kubernetes.sandbox import START_ALLOWANCE_SECONDS
from pytest_coworld.runtime.artifacts import ArtifactsFolder, Redactor
from pytest_coworld.runtime.config import make_tokens
from pytest_coworld.runtime.labels import LABEL_ROLE
from pytest_coworld.runtime.outcome import Outcome, OutcomeKind, log_tail
from pytest_coworld.runtime.record import RECORD_FILE, EpisodeResult
from pytest_coworld.runtime.results import PlayerFailure, check_results, parse_player_failure
from pytest_coworld.runtime.spec import EpisodeSpec
from pytest_coworld.runtime.workspace import PLAYER_FAILURE_FILE, RESULTS_FILE

BACKEND = "kubernetes"
PULL_FAILURES = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError"}
"""Waiting reasons that will not resolve by waiting: the episode fails as an infrastructure error."""


@dataclass(frozen=True)
class KubernetesOptions:
    """Where pods run, how images are pulled, the collector's image, how often pod status is polled, and how
    long the game pod may take to be scheduled and pull its images (on top of the healthz timeout)."""

    placement: Placement = field(default_factory=Placement)
    pull: PullPolicy | None = None
    collector_image: str = DEFAULT_COLLECTOR_IMAGE
    poll_seconds: float = 0.5
    start_allowance_seconds: float = START_ALLOWANCE_SECONDS


class KubernetesApiError(Exception):
    """An API call failed; the message names the call, the object and the server's reason."""


def run_on_kubernetes(
    spec: EpisodeSpec,
    artifacts_dir: Path,
    api_client: ApiClient,
    namespace: str,
    *,
    run_id: str | None = None,
    episode_id: str | None = None,
    options: KubernetesOptions | None = None,
) -> EpisodeResult:
    """Play `spec` in `namespace`: the typed outcome, results and redacted artifacts, as on Docker. The run
    and episode ids are new unless given (they make the episode's names, `coworld-<run>-<episode>`)."""
    spec.check()
    chosen = {"run_id": run_id, "episode_id": episode_id}
    identity = EpisodeIdentity(namespace, **{key: value for key, value in chosen.items() if value})
    tokens = make_tokens(spec.slot_count)
    secrets = {key: value for player in spec.players for key, value in player.secret_env.items()}
    episode = _Episode(spec, identity, api_client, options or KubernetesOptions())
    artifacts = ArtifactsFolder(artifacts_dir, Redactor.for_episode(tokens, secrets))
    started = time.monotonic()
    try:
        try:
            outcome = episode.play(tokens)
        except KubernetesApiError as error:
            outcome = Outcome(OutcomeKind.INFRASTRUCTURE_ERROR, str(error))
        logs = episode.collect_logs() if episode.anchor_created else {}
    finally:
        cleanup_error = episode.delete()
    if outcome.source in logs:
        outcome = replace(outcome, log_tail=artifacts.redactor.text(log_tail(logs[outcome.source])))
    for source, text in logs.items():
        artifacts.write_text(f"{source}.log", text)
    if episode.results is not None:
        artifacts.write_json(RESULTS_FILE, episode.results)
    timings = {"total": round(time.monotonic() - started, 3)}
    record = {
        "backend": BACKEND,
        "namespace": namespace,
        "name": identity.name,
        "run_id": identity.run_id,
        "episode_id": identity.episode_id,
        "game": spec.loaded.manifest.game.name,
        "config_source": spec.config_source,
        "outcome": outcome.to_dict(),
        "scores": episode.results["scores"] if episode.results is not None else None,
        "exit_codes": episode.exit_codes,
        "timings": timings,
        "cleanup_error": cleanup_error,
    }
    artifacts.write_json(RECORD_FILE, record)
    record = json.loads(artifacts.redactor.text(json.dumps(record)))
    return EpisodeResult(
        identity.episode_id, identity.run_id, outcome, episode.results, artifacts_dir, timings, record=record
    )


class _Episode:
    """The API conversation of one episode."""

    def __init__(
        self, spec: EpisodeSpec, identity: EpisodeIdentity, api_client: ApiClient, options: KubernetesOptions
    ) -> None:
        self.spec, self.identity, self.options = spec, identity, options
        self.core, self.networking = CoreV1Api(api_client), NetworkingV1Api(api_client)
        self.timeouts = spec.resolved_timeouts
        self.anchor_created = False
        self.results: dict[str, Any] | None = None
        self.exit_codes: dict[str, int] = {}

    def play(self, tokens: list[str]) -> Outcome:
        """Create the episode, start the players once the game is ready, and judge how the game ended."""
        identity = self.identity
        created = self._call(
            "create",
            "ConfigMap",
            identity.name,
            self.core.create_namespaced_config_map,
            body=anchor(identity, self.spec),
        )
        self.anchor_created = True
        owned = replace(identity, owner_uid=created.metadata.uid)
        objects = episode_objects(owned, self.spec, tokens, self.options.placement, self.options.pull)
        players = [item for item in objects if item["metadata"]["labels"][LABEL_ROLE] == "player"]
        for item in objects:
            if item in players:
                continue
            is_game = item["kind"] == "Pod" and item["metadata"]["name"] == identity.game_pod
            self._create(with_collector(item, self.options.collector_image) if is_game else item)
        problem = self._wait_for_game()
        if problem is not None:
            return problem
        for item in players:
            self._create(item)
        return self._wait_for_end()

    def _wait_for_game(self) -> Outcome | None:
        """None once the game pod is Ready (its /healthz answered), else why it never was."""
        deadline = time.monotonic() + self.timeouts.seconds("healthz") + self.options.start_allowance_seconds
        while time.monotonic() < deadline:
            pod = self._read_pod(self.identity.game_pod)
            if problem := _pull_problem(pod):
                return Outcome(OutcomeKind.INFRASTRUCTURE_ERROR, problem, source="game")
            if (code := _terminated(pod, "game")) is not None:
                self.exit_codes["game"] = code
                message = f"the game exited with code {code} before answering /healthz"
                return Outcome(OutcomeKind.GAME_CRASHED, message, source="game")
            conditions = (pod.status.conditions if pod.status else None) or []
            if any(c.type == "Ready" and c.status == "True" for c in conditions):
                return None
            time.sleep(self.options.poll_seconds)
        message = "the game pod never became Ready (/healthz)"
        return Outcome(OutcomeKind.GAME_UNHEALTHY, message, source="game")

    def _wait_for_end(self) -> Outcome:
        """Poll the game pod until the game ended (or lingered `game_exit` seconds after the collector printed
        its files), then judge by its exit code and the files."""
        identity = self.identity
        deadline = time.monotonic() + self.timeouts.seconds("episode")
        lingering: float | None = None
        while True:
            pod = self._read_pod(identity.game_pod)
            game = _terminated(pod, "game")
            if game is not None:
                self.exit_codes["game"] = game
                break
            if lingering is None and _terminated(pod, COLLECTOR) is not None:
                lingering = time.monotonic() + self.timeouts.seconds("game_exit")
            if lingering is not None and time.monotonic() > lingering:
                break
            if lingering is None and time.monotonic() > deadline:
                seconds = self.timeouts.seconds("episode")
                return Outcome(
                    OutcomeKind.EPISODE_TIMEOUT, f"the game did not end within {seconds:g} s", source="game"
                )
            time.sleep(self.options.poll_seconds)
        for slot in range(self.spec.slot_count):
            player = _terminated(self._read_pod(identity.player_pod(slot)), "player")
            if player is not None:
                self.exit_codes[f"player-{slot}"] = player
        return self._judge(game or 0, self._collected())

    def _collected(self) -> dict[str, str]:
        """The collector's files, once it has printed them (it is given the game-exit timeout to)."""
        deadline = time.monotonic() + self.timeouts.seconds("game_exit")
        while True:
            files = parse_collected(self._log(self.identity.game_pod, COLLECTOR))
            if files is not None or time.monotonic() > deadline:
                return files or {}
            time.sleep(self.options.poll_seconds)

    def _judge(self, code: int, files: dict[str, str]) -> Outcome:
        if PLAYER_FAILURE_FILE in files:
            failure = parse_player_failure(files[PLAYER_FAILURE_FILE].encode())
            if isinstance(failure, PlayerFailure):
                source = f"player-{failure.slot}" if failure.slot is not None else "game"
                return Outcome(OutcomeKind.PLAYER_FAILED, failure.message, failure.slot, source)
        if code != 0:
            return Outcome(OutcomeKind.GAME_CRASHED, f"the game exited with code {code}", source="game")
        if RESULTS_FILE not in files:
            return Outcome(
                OutcomeKind.RESULTS_MISSING, "the game ended without writing results.json", source="game"
            )
        schema = self.spec.loaded.manifest.game.results_schema
        check = check_results(files[RESULTS_FILE].encode(), schema, self.spec.slot_count)
        if check.results is None:
            return Outcome(OutcomeKind.RESULTS_MALFORMED, check.problem or "", source="game")
        self.results = check.results
        return Outcome(OutcomeKind.COMPLETED, "the game ended and wrote valid results")

    def collect_logs(self) -> dict[str, str]:
        """Every container's log (best effort: a failed read is written into the log instead)."""
        identity = self.identity
        pods = [(identity.game_pod, "game", "game"), (identity.game_pod, COLLECTOR, COLLECTOR)]
        slots = range(self.spec.slot_count)
        pods += [(identity.player_pod(slot), "player", f"player-{slot}") for slot in slots]
        logs = {}
        for pod, container, source in pods:
            try:
                logs[source] = self._log(pod, container)
            except KubernetesApiError as error:
                logs[source] = f"(the log could not be read: {error})\n"
        return logs

    def delete(self) -> str | None:
        """Delete the anchor (when this episode created it): the garbage collector removes the rest. None, or
        why it failed and how to remove the episode by hand."""
        if not self.anchor_created:
            return None
        try:
            self._call(
                "delete",
                "ConfigMap",
                self.identity.name,
                self.core.delete_namespaced_config_map,
                propagation_policy="Background",
            )
        except KubernetesApiError as error:
            by_hand = f"kubectl delete configmap -n {self.identity.namespace} {self.identity.name}"
            return f"{error}; remove the episode with: {by_hand}"
        return None

    def _create(self, item: dict[str, Any]) -> Any:
        kind, name = item["kind"], item["metadata"]["name"]
        create = {
            "Secret": self.core.create_namespaced_secret,
            "Pod": self.core.create_namespaced_pod,
            "Service": self.core.create_namespaced_service,
            "NetworkPolicy": self.networking.create_namespaced_network_policy,
        }[kind]
        return self._call("create", kind, name, create, body=item)

    def _read_pod(self, name: str) -> V1Pod:
        pod: V1Pod = self._call("read", "Pod", name, self.core.read_namespaced_pod)
        return pod

    def _log(self, pod: str, container: str) -> str:
        """Read raw: the client's decoding would turn a log that is one JSON document into a dict."""
        response = self._call(
            "read the log of",
            "Pod",
            pod,
            self.core.read_namespaced_pod_log,
            container=container,
            _preload_content=False,
        )
        return bytes(response.data).decode(errors="replace")

    def _call(self, verb: str, kind: str, name: str, method: Any, **arguments: Any) -> Any:
        try:
            if "body" in arguments:
                return method(self.identity.namespace, **arguments)
            return method(name, self.identity.namespace, **arguments)
        except (ApiException, HTTPError) as error:
            reason = _reason(error) if isinstance(error, ApiException) else f"{type(error).__name__}: {error}"
            raise KubernetesApiError(
                f"{verb} {kind} {name!r} in namespace {self.identity.namespace!r}: {reason}"
            ) from error


def _reason(error: ApiException) -> str:
    """`409 AlreadyExists: <the server's message>` from the Status body the server sent."""
    try:
        status = json.loads(error.body or "")
    except ValueError:
        status = {}
    reason = status.get("reason") or error.reason
    message = status.get("message") or ""
    text = f"{error.status} {reason}: {message}".rstrip(": ")
    if error.status == 403:
        text += " (the backend's identity needs the Role in docs/kubernetes-rbac.yaml)"
    return text


def _terminated(pod: V1Pod, container: str) -> int | None:
    """The exit code of `container` once it has terminated, else None."""
    for status in _statuses(pod):
        if status.name == container and status.state is not None and status.state.terminated is not None:
            code: int = status.state.terminated.exit_code
            return code
    return None


def _pull_problem(pod: V1Pod) -> str | None:
    for status in _statuses(pod):
        waiting = status.state.waiting if status.state else None
        if waiting is not None and waiting.reason in PULL_FAILURES:
            return f"container {status.name}: {waiting.reason}: {waiting.message or ''}".rstrip(": ")
    return None


def _statuses(pod: V1Pod) -> list[V1ContainerStatus]:
    return list((pod.status.container_statuses if pod.status else None) or [])
