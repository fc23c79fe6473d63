"""The Kubernetes backend, phase 2: one episode played through the official client (`kubernetes` extra).

It creates the anchor, then the phase-1 objects owned by it (the game pod with a readiness probe and the
collector sidecar, see collector.py), starts the players once the game is ready, polls pod status until the
game has ended or the deadline passed, reads the results and every log through the API, writes the
artifacts (redacted) and always deletes the anchor, which deletes the episode. See docs/kubernetes.md.
"""

from __future__ import annotations

import json
import threading
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
    PRINT_SECONDS,
    Collected,
    parse_collected,
    with_collector,
)
from pytest_coworld.kubernetes.identity import EpisodeIdentity, label_selector
from pytest_coworld.kubernetes.placement import Placement, PullPolicy
from pytest_coworld.kubernetes.render import anchor, episode_objects
from pytest_coworld.kubernetes.sandbox import START_ALLOWANCE_SECONDS
from pytest_coworld.runtime.artifacts import ArtifactsFolder, Redactor
from pytest_coworld.runtime.config import make_tokens
from pytest_coworld.runtime.errors import EpisodeCancelled
from pytest_coworld.runtime.labels import LABEL_ROLE, LABEL_SLOT
from pytest_coworld.runtime.observer import EpisodeObserver, Phase, SlotState
from pytest_coworld.runtime.outcome import Outcome, OutcomeKind, log_tail
from pytest_coworld.runtime.record import RECORD_FILE, EpisodeResult
from pytest_coworld.runtime.results import PlayerFailure, check_results, parse_player_failure
from pytest_coworld.runtime.spec import EpisodeSpec
from pytest_coworld.runtime.workspace import MOUNT_POINT, PLAYER_FAILURE_FILE, RESULTS_FILE, replay_file_name

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
    observer: EpisodeObserver | None = None,
    cancel: threading.Event | None = None,
) -> EpisodeResult:
    """Play `spec` in `namespace`: the typed outcome, results, replay and redacted artifacts, as on Docker.
    The run and episode ids are new unless given (they make the episode's names, `coworld-<run>-<episode>`);
    `observer` hears the phases and each slot's state, as from the Docker backend. When `cancel` is set, the
    episode is deleted and `EpisodeCancelled` raised."""
    spec.check()
    chosen = {"run_id": run_id, "episode_id": episode_id}
    identity = EpisodeIdentity(namespace, **{key: value for key, value in chosen.items() if value})
    tokens = make_tokens(spec.slot_count)
    observer = observer or EpisodeObserver()
    options = options or KubernetesOptions()
    episode = _Episode(spec, identity, api_client, options, observer, cancel or threading.Event())
    artifacts = ArtifactsFolder(artifacts_dir, Redactor.for_episode(tokens, spec.secret_env()))
    started = time.monotonic()
    try:
        try:
            outcome = episode.play(tokens)
        except KubernetesApiError as error:
            outcome = Outcome(OutcomeKind.INFRASTRUCTURE_ERROR, str(error))
        observer.phase_changed(identity.episode_id, Phase.COLLECTING)
        logs = episode.collect_logs() if episode.anchor_created else {}
    finally:
        observer.phase_changed(identity.episode_id, Phase.CLEANING_UP)
        cleanup_error = episode.delete()
    if outcome.source in logs:
        outcome = replace(outcome, log_tail=artifacts.redactor.text(log_tail(logs[outcome.source])))
    for source, text in logs.items():
        artifacts.write_text(f"{source}.log", text)
    for name in (RESULTS_FILE, PLAYER_FAILURE_FILE, episode.replay_name):
        if name in episode.collected.files:
            artifacts.write_bytes(name, episode.collected.files[name])
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
        "replay_problem": episode.replay_problem(),
        "cleanup_error": cleanup_error,
        "artifacts": sorted({*artifacts.written, RECORD_FILE}),
    }
    artifacts.write_json(RECORD_FILE, record)
    record = json.loads(artifacts.redactor.text(json.dumps(record)))
    result = EpisodeResult(
        identity.episode_id, identity.run_id, outcome, episode.results, artifacts_dir, timings, record=record
    )
    observer.finished(identity.episode_id, result)
    observer.phase_changed(identity.episode_id, Phase.FINISHED)
    return result


class _Episode:
    """The API conversation of one episode."""

    def __init__(
        self,
        spec: EpisodeSpec,
        identity: EpisodeIdentity,
        api_client: ApiClient,
        options: KubernetesOptions,
        observer: EpisodeObserver,
        cancel: threading.Event,
    ) -> None:
        self.spec, self.identity, self.options, self.observer = spec, identity, options, observer
        self.cancel = cancel
        self.core, self.networking = CoreV1Api(api_client), NetworkingV1Api(api_client)
        self.timeouts = spec.resolved_timeouts
        self.replay_name = replay_file_name(spec.loaded.generation)
        self.anchor_created = False
        self.results: dict[str, Any] | None = None
        self.collected = Collected({}, {})
        self.exit_codes: dict[str, int] = {}
        self.slots: dict[int, SlotState] = {}

    def play(self, tokens: list[str]) -> Outcome:
        """Create the episode, start the players once the game is ready, and judge how the game ended."""
        identity = self.identity
        self._phase(Phase.PREPARING)
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
        self._phase(Phase.STARTING_GAME)
        replay_wait = self.timeouts.seconds("game_exit")
        for item in objects:
            if item in players:
                continue
            is_game = item["kind"] == "Pod" and item["metadata"]["name"] == identity.game_pod
            collector_image = self.options.collector_image
            self._create(
                with_collector(item, collector_image, self.replay_name, replay_wait) if is_game else item
            )
        self._phase(Phase.WAITING_HEALTHY)
        problem = self._wait_for_game()
        if problem is not None:
            return problem
        self._phase(Phase.STARTING_PLAYERS)
        for item in players:
            self._create(item)
            if item["kind"] == "Pod":
                self._slot(int(item["metadata"]["labels"][LABEL_SLOT]), SlotState.STARTING)
        self._phase(Phase.PLAYING)
        return self._wait_for_end()

    def _pause(self) -> None:
        """Wait one poll interval; raise `EpisodeCancelled` when the run is cancelled meanwhile."""
        if self.cancel.wait(self.options.poll_seconds):
            raise EpisodeCancelled(f"episode {self.identity.name} cancelled")

    def _phase(self, phase: Phase) -> None:
        self.observer.phase_changed(self.identity.episode_id, phase)

    def _slot(self, slot: int, state: SlotState, detail: str = "") -> None:
        """Tell the observer of a slot's new state (once per change)."""
        if self.slots.get(slot) is not state:
            self.slots[slot] = state
            self.observer.slot_changed(self.identity.episode_id, slot, state, detail)

    def _watch_players(self) -> Outcome | None:
        """Each player pod's state (one list call), kept and told to the observer: running, or exited (failed
        unless with code 0); the outcome when the cluster ended a player pod (evicted, past its deadline)."""
        selector = label_selector(self.identity.component("player"))
        listed = self._call("list", "Pod", selector, self.core.list_namespaced_pod, label_selector=selector)
        for pod in listed.items:
            slot = int(pod.metadata.labels[LABEL_SLOT])
            if problem := _pod_failure(pod, f"player-{slot}"):
                self._slot(slot, SlotState.FAILED, problem.message)
                return replace(problem, slot=slot)
            code = _terminated(pod, "player")
            if code is not None:
                self.exit_codes[f"player-{slot}"] = code
                self._slot(slot, SlotState.EXITED if code == 0 else SlotState.FAILED, f"exit code {code}")
            elif any(status.state and status.state.running for status in _statuses(pod)):
                self._slot(slot, SlotState.RUNNING)
        return None

    def _wait_for_game(self) -> Outcome | None:
        """None once the game pod is Ready (its /healthz answered), else why it never was."""
        deadline = time.monotonic() + self.timeouts.seconds("healthz") + self.options.start_allowance_seconds
        while time.monotonic() < deadline:
            pod = self._read_pod(self.identity.game_pod)
            if failure := _pod_failure(pod, "game"):
                return failure
            if problem := _pull_problem(pod):
                return Outcome(OutcomeKind.INFRASTRUCTURE_ERROR, problem, source="game")
            if (code := _terminated(pod, "game")) is not None:
                self.exit_codes["game"] = code
                message = f"the game exited with code {code} before answering /healthz"
                return Outcome(OutcomeKind.GAME_CRASHED, message, source="game")
            conditions = (pod.status.conditions if pod.status else None) or []
            if any(c.type == "Ready" and c.status == "True" for c in conditions):
                return None
            self._pause()
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
            if problem := _pod_failure(pod, "game"):
                return problem
            game = _terminated(pod, "game")
            if game is not None:
                self.exit_codes["game"] = game
                break
            if lingering is None and _terminated(pod, COLLECTOR) is not None:
                lingering = time.monotonic() + self.timeouts.seconds("game_exit")
            if lingering is not None and time.monotonic() > lingering:
                break
            if problem := self._watch_players():
                return problem
            if lingering is None and time.monotonic() > deadline:
                seconds = self.timeouts.seconds("episode")
                return Outcome(
                    OutcomeKind.EPISODE_TIMEOUT, f"the game did not end within {seconds:g} s", source="game"
                )
            self._pause()
        self._phase(Phase.WINDING_DOWN)
        if problem := self._wait_for_players():
            return problem
        self.collected = self._collected()
        return self._judge(game or 0, self.collected.files)

    def _wait_for_players(self) -> Outcome | None:
        """After the game: each player's exit, for up to `player_exit` seconds, as on Docker (a player may
        leave a moment after its game); one still running then is deleted with the episode."""
        deadline = time.monotonic() + self.timeouts.seconds("player_exit")
        while True:
            if problem := self._watch_players():
                return problem
            ended = all(state in (SlotState.EXITED, SlotState.FAILED) for state in self.slots.values())
            if ended or time.monotonic() >= deadline:
                return None
            self._pause()

    def _collected(self) -> Collected:
        """The collector's files, once it has printed them (it waits up to the game-exit timeout for the
        replay, then prints)."""
        deadline = time.monotonic() + self.timeouts.seconds("game_exit") + PRINT_SECONDS
        while True:
            collected = parse_collected(self._log(self.identity.game_pod, COLLECTOR))
            if collected is not None or time.monotonic() > deadline:
                return collected or Collected({}, {})
            self._pause()

    def replay_problem(self) -> str | None:
        """What is wrong with the replay the collector brought back, if anything (as on Docker)."""
        name = self.replay_name
        if name in self.collected.unreadable:
            return f"the replay {name}: {self.collected.unreadable[name]}"
        if name not in self.collected.files:
            return f"the game wrote no replay at {MOUNT_POINT}/{name} (COGAME_SAVE_REPLAY_URI)"
        return None if self.collected.files[name] else f"the replay {name} is empty"

    def _judge(self, code: int, files: dict[str, bytes]) -> Outcome:
        if PLAYER_FAILURE_FILE in files:
            failure = parse_player_failure(files[PLAYER_FAILURE_FILE])
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
        check = check_results(files[RESULTS_FILE], schema, self.spec.slot_count)
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
                self.identity.name,
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
        pod: V1Pod = self._call("read", "Pod", name, self.core.read_namespaced_pod, name)
        return pod

    def _log(self, pod: str, container: str) -> str:
        """Read raw: the client's decoding would turn a log that is one JSON document into a dict."""
        response = self._call(
            "read the log of",
            "Pod",
            pod,
            self.core.read_namespaced_pod_log,
            pod,
            container=container,
            _preload_content=False,
        )
        return bytes(response.data).decode(errors="replace")

    def _call(self, verb: str, kind: str, name: str, method: Any, *item: str, **arguments: Any) -> Any:
        """`method(*item, namespace, **arguments)` (`item`: the object's name, for calls on one object), with
        a failure raised as a KubernetesApiError naming `verb`, `kind` and `name`."""
        try:
            return method(*item, self.identity.namespace, **arguments)
        except (ApiException, HTTPError) as error:
            raise KubernetesApiError(
                f"{verb} {kind} {name!r} in namespace {self.identity.namespace!r}: {api_failure(error)}"
            ) from error


def api_failure(error: ApiException | HTTPError) -> str:
    """Why a call failed: the server's Status (`_reason`), or the connection's error."""
    return _reason(error) if isinstance(error, ApiException) else f"{type(error).__name__}: {error}"


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


def _pod_failure(pod: V1Pod, source: str) -> Outcome | None:
    """The outcome when the cluster, not the game, ended the pod: evicted (an infrastructure error), or past
    its `activeDeadlineSeconds` (an episode timeout); None while the pod is not Failed for such a reason."""
    status = pod.status
    if status is None or status.phase != "Failed" or not status.reason:
        return None
    said = f"{status.reason}: {status.message}" if status.message else status.reason
    if status.reason == "DeadlineExceeded":
        deadline = pod.spec.active_deadline_seconds if pod.spec else None
        message = f"the {source} pod ran past its activeDeadlineSeconds ({deadline} s) ({said})"
        return Outcome(OutcomeKind.EPISODE_TIMEOUT, message, source=source)
    return Outcome(
        OutcomeKind.INFRASTRUCTURE_ERROR, f"the cluster ended the {source} pod ({said})", source=source
    )


def _pull_problem(pod: V1Pod) -> str | None:
    for status in _statuses(pod):
        waiting = status.state.waiting if status.state else None
        if waiting is not None and waiting.reason in PULL_FAILURES:
            return f"container {status.name}: {waiting.reason}: {waiting.message or ''}".rstrip(": ")
    return None


def _statuses(pod: V1Pod) -> list[V1ContainerStatus]:
    return list((pod.status.container_statuses if pod.status else None) or [])
