"""After an episode: collect its logs, files and wire into the artifacts folder (redacted), judge the
outcome, and write `episode.json`. The episode's lifecycle is `episode.py`'s job; this is what follows it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from pytest_coworld.runtime.artifacts import ArtifactsFolder, Redactor
from pytest_coworld.runtime.config import concrete_config, redacted_config
from pytest_coworld.runtime.containers import ContainerHandle
from pytest_coworld.runtime.judge import ContainerFacts, EpisodeFacts, PlayerFacts, judge
from pytest_coworld.runtime.record import RECORD_FILE, RECORD_FORMAT, EpisodeResult
from pytest_coworld.runtime.workspace import (
    CONFIG_FILE,
    PLAYER_FAILURE_FILE,
    RESULTS_FILE,
    FileTooLarge,
    Workspace,
)
from pytest_coworld.wire.transcript import Transcript

if TYPE_CHECKING:
    from pytest_coworld.runtime.episode import Episode

PARALLEL_LOG_READS = 8
WIRE_FILE = "wire.jsonl"
TIMEOUT_KEYS = ("healthz", "episode", "player_exit", "game_exit")


def collect(episode: Episode, started: float) -> EpisodeResult:
    """Write the episode's artifacts, judge it, and return its result (`started`: when collecting began)."""
    redactor = Redactor.for_episode(episode.tokens, episode.spec.secret_env())
    folder = ArtifactsFolder(episode.artifacts_dir, redactor)
    folder.write_json(CONFIG_FILE, redacted_config(concrete_config(episode.spec.game_config, episode.tokens)))
    logs = _logs(episode, redactor)
    for name, log in logs.items():
        folder.write_text(f"{name}.log", log)
    files = _game_files(episode, folder)
    episode.transcript = _wire(episode, folder)
    verdict = judge(_facts(episode, logs, files))
    episode.timings["collect"] = round(time.monotonic() - started, 3)
    record = _record(
        episode,
        verdict.outcome.to_dict(),
        verdict.results.scores if verdict.results else None,
        [*folder.written, RECORD_FILE],
    )
    folder.write_json(RECORD_FILE, record)
    return EpisodeResult(
        episode_id=episode.id,
        run_id=episode.run.run_id,
        outcome=verdict.outcome,
        results=verdict.results.results if verdict.results else None,
        artifacts_dir=episode.artifacts_dir,
        timings=dict(episode.timings),
        wire={slot: episode.slot_wire(slot) for slot in episode.players},
        record=record,
    )


def _wire(episode: Episode, folder: ArtifactsFolder) -> Transcript | None:
    """The relay's whole transcript, kept as `wire.jsonl`; None when no relay ran."""
    if episode.relay is None:
        return None
    text = episode.relay.text()
    folder.write_text(WIRE_FILE, text)
    return Transcript.parse(text)


def _logs(episode: Episode, redactor: Redactor) -> dict[str, str]:
    handles: dict[str, ContainerHandle] = {f"player-{slot}": p for slot, p in sorted(episode.players.items())}
    if episode.game is not None:
        handles = {"game": episode.game, **handles}
    with ThreadPoolExecutor(PARALLEL_LOG_READS) as pool:
        texts = list(pool.map(lambda handle: handle.logs(), handles.values()))
    return {name: redactor.text(text) for name, text in zip(handles, texts, strict=True)}


def _game_files(episode: Episode, folder: ArtifactsFolder) -> dict[str, Any]:
    """Copy what the game wrote into the artifacts folder; return it (redacted) and the replay problem."""
    workspace = episode.workspace
    if workspace is None:
        return {
            "results": None,
            "player_failure": None,
            "results_problem": None,
            "replay_problem": "the game never ran",
        }
    found: dict[str, Any] = {"results_problem": None}
    for key, name in (("results", RESULTS_FILE), ("player_failure", PLAYER_FAILURE_FILE)):
        try:
            raw = workspace.read(name, episode.game)
        except FileTooLarge as too_large:
            raw, found["results_problem"] = None, found["results_problem"] or str(too_large)
        found[key] = None if raw is None else folder.redactor.data(raw)
        if raw is not None:
            folder.write_bytes(name, raw)
    found["replay_problem"] = _copy_replay(episode, workspace, folder)
    return found


def _copy_replay(episode: Episode, workspace: Workspace, folder: ArtifactsFolder) -> str | None:
    """Copy the replay into the artifacts folder; what is wrong with it, if anything."""
    uri = workspace.game_env()["COGAME_SAVE_REPLAY_URI"]
    if workspace.path(workspace.replay_name).is_dir():
        return f"the replay at {uri} is a folder; the game must write one file there"
    try:
        replay = workspace.read(workspace.replay_name, episode.game)
    except FileTooLarge as too_large:
        return f"the replay at {uri}: {too_large}"
    if replay is None:
        return f"the game wrote no replay at {uri} (COGAME_SAVE_REPLAY_URI)"
    folder.write_bytes(workspace.replay_name, replay)
    return None if replay else f"the replay at {uri} is empty"


def _container_facts(source: str, handle: ContainerHandle, log: str) -> ContainerFacts:
    return ContainerFacts(
        source, handle.spec.image, handle.exit_code, handle.exited_by_itself, log, handle.exited_at
    )


def _facts(episode: Episode, logs: dict[str, str], files: dict[str, Any]) -> EpisodeFacts:
    players = [
        PlayerFacts(
            slot, _container_facts(f"player-{slot}", p, logs[f"player-{slot}"]), episode.slot_wire(slot)
        )
        for slot, p in sorted(episode.players.items())
    ]
    game = episode.game
    return EpisodeFacts(
        slot_count=episode.slot_count,
        results_schema=episode.spec.loaded.manifest.game.results_schema,
        timeouts={key: episode.timeouts.seconds(key) for key in TIMEOUT_KEYS},
        health=episode.health,
        game=_container_facts("game", game, logs["game"]) if game else None,
        timed_out=episode.timed_out,
        results=files["results"],
        player_failure=files["player_failure"],
        results_problem=files["results_problem"],
        replay_problem=files["replay_problem"],
        players=players,
        infrastructure_error=episode.infrastructure_error,
    )


def _record(
    episode: Episode, outcome: dict[str, Any], scores: list[float] | None, artifacts: list[str]
) -> dict[str, Any]:
    """`episode.json`: what ran (manifest, images, config source), how it went, and what was kept."""
    spec, game_handle = episode.spec, episode.game
    loaded, game = spec.loaded, spec.game
    replay_viewer = loaded.manifest.game.replay_viewer
    return {
        "format": RECORD_FORMAT,
        "episode_id": episode.id,
        "run_id": episode.run.run_id,
        "test": episode.test,
        "manifest": {
            "source": loaded.source,
            "sha256": loaded.sha256,
            "generation": loaded.generation.value,
            "game": loaded.manifest.game.name,
            "version": loaded.manifest.game.version,
            "replay_viewer_bundle": replay_viewer.bundle if replay_viewer else None,
        },
        "config_source": spec.config_source,
        "slot_count": episode.slot_count,
        "tokens": [f"<redacted:token:{slot}>" for slot in range(episode.slot_count)],
        "game": {
            "image": game.image,
            "image_id": episode.image_ids.get(game.image or ""),
            "run": game.run,
            "env": dict(game.env),
            "exit_code": game_handle.exit_code if game_handle else None,
            "exited_by_itself": game_handle.exited_by_itself if game_handle else None,
            "lingered_after_results": episode.game_lingered,
            "seconds_after_results": _seconds_after_results(episode),
            "obeyed_sigterm": episode.game_obeyed_sigterm,
            "healthy": episode.health.healthy if episode.health else None,
        },
        "players": [_player_record(episode, slot) for slot in range(episode.slot_count)],
        "timeouts": {key: episode.timeouts.seconds(key) for key in TIMEOUT_KEYS},
        "limits": {"cpus": spec.limits.cpus, "memory_bytes": spec.limits.memory_bytes}
        if spec.limits.enabled
        else None,
        "timings": {**episode.timings, "total": round(time.monotonic() - episode.created, 3)},
        "outcome": outcome,
        "scores": scores,
        "artifacts": sorted(set(artifacts)),
    }


def _seconds_after_results(episode: Episode) -> float | None:
    """How long the game ran after writing its results (until it exited or was stopped)."""
    game = episode.game
    if episode.ended_at is None or game is None or game.exited_at is None:
        return None
    return round(max(0.0, game.exited_at - episode.ended_at), 2)


def _player_record(episode: Episode, slot: int) -> dict[str, Any]:
    player = episode.spec.players[slot]
    handle = episode.players.get(slot)
    return {
        "slot": slot,
        "image": player.image,
        "image_id": episode.image_ids.get(player.image),
        "run": player.run,
        "env": dict(player.env),
        "started": handle is not None,
        "exit_code": handle.exit_code if handle else None,
        "exited_by_itself": handle.exited_by_itself if handle else None,
        "wire": episode.slot_wire(slot).to_dict() if handle else None,
    }
