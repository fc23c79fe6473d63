"""Completed episodes on the fake game: artifacts, redaction, player images, steps and observer events."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import websockets.sync.client
from runtime_fakes import PLAYER_B_IMAGE, PLAYER_IMAGE, fake_manifest
from websockets.exceptions import InvalidStatus

from pytest_coworld.runtime import (
    Episode,
    EpisodeObserver,
    EpisodeResult,
    OutcomeKind,
    Phase,
    RunContext,
    SlotState,
    build_episode_spec,
    run_episode,
)


def _files_containing(folder: Path, needle: str) -> list[str]:
    return [path.name for path in folder.iterdir() if needle.encode() in path.read_bytes()]


def test_completed_episode_writes_every_artifact_and_no_token(run: RunContext, tmp_path: Path) -> None:
    spec = build_episode_spec(fake_manifest())
    with Episode(run, spec, tmp_path / "episode") as episode:
        result = episode.play()
        tokens = episode.tokens
    folder = result.artifacts_dir

    assert result.outcome.kind is OutcomeKind.COMPLETED, result.outcome.summary()
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [
            "config.json",
            "results.json",
            "replay.json",
            "game.log",
            "player-0.log",
            "player-1.log",
            "wire.jsonl",
            "episode.json",
        ]
    )
    assert len(result.scores or []) == 2 and all(score > 0 for score in result.scores or [])
    assert len(set(tokens)) == 2 and all(len(token) >= 32 for token in tokens)
    for token in tokens:
        assert _files_containing(folder, token) == []
    assert "<redacted:token:0>" in (folder / "game.log").read_text(), "the fake game echoes its config"
    assert "token=<redacted:token:1>" in (folder / "player-1.log").read_text()
    assert json.loads((folder / "config.json").read_text())["tokens"] == [
        "<redacted:token:0>",
        "<redacted:token:1>",
    ]


def test_episode_record_describes_images_timings_wire_and_outcome(run: RunContext, tmp_path: Path) -> None:
    result = run_episode(build_episode_spec(fake_manifest()), tmp_path, run)
    record = json.loads((tmp_path / "episode.json").read_text())

    assert record == result.record
    assert record["outcome"]["kind"] == "completed"
    assert record["tokens"] == ["<redacted:token:0>", "<redacted:token:1>"]
    assert record["game"]["image_id"].startswith("sha256:") and record["game"]["exit_code"] == 0
    assert {"prepare", "game_start", "healthz", "players_start", "play", "wind_down", "total"} <= set(
        record["timings"]
    )
    for slot, player in enumerate(record["players"]):
        assert player["slot"] == slot and player["exit_code"] == 0 and player["exited_by_itself"]
        assert player["image_id"].startswith("sha256:")
        assert player["wire"]["connected"] and player["wire"]["handshakes"] == [101]
        assert player["wire"]["messages_sent"] > 0 and player["wire"]["messages_received"] > 0
    assert record["scores"] == result.scores
    assert "episode.json" in record["artifacts"] and result.artifact("results.json") is not None
    assert result.artifact("wire.jsonl") is not None


@pytest.mark.parametrize(
    ("images", "names"),
    [([PLAYER_B_IMAGE], ["b", "b"]), ([PLAYER_IMAGE, PLAYER_B_IMAGE], ["a", "b"])],
    ids=["one-image-for-all-slots", "one-image-per-slot"],
)
def test_player_images_from_the_command_line(
    run: RunContext, tmp_path: Path, images: list[str], names: list[str]
) -> None:
    result = run_episode(build_episode_spec(fake_manifest(), images=images), tmp_path, run)

    assert result.completed, result.outcome.summary()
    for slot, name in enumerate(names):
        assert f"fake player {name}:" in (tmp_path / f"player-{slot}.log").read_text()
        assert result.record["players"][slot]["image"] == images[slot % len(images)]


def test_current_generation_episode_saves_replay_without_extension(run: RunContext, tmp_path: Path) -> None:
    result = run_episode(build_episode_spec(fake_manifest(current=True)), tmp_path, run)

    assert result.completed, result.outcome.summary()
    assert (tmp_path / "replay").is_file() and not (tmp_path / "replay.json").exists()
    assert result.record["timeouts"]["player_exit"] == 30


def test_run_override_env_and_secret_env_reach_players_but_no_artifact(
    run: RunContext, tmp_path: Path
) -> None:
    secret = "s3cr3t-value-that-must-not-leak"
    spec = build_episode_spec(
        fake_manifest(),
        run=["python3", "/app/fake_player.py"],
        env={"FAKE_PLAYER_NAME": "overridden"},
        secret_env={"ECHO_SECRET": secret},
    )
    result = run_episode(spec, tmp_path, run)

    assert result.completed, result.outcome.summary()
    log = (tmp_path / "player-0.log").read_text()
    assert "fake player overridden:" in log and "my secret is <redacted:secret:ECHO_SECRET>" in log
    assert _files_containing(tmp_path, secret) == [] and _files_containing(tmp_path, "ECHO_SECRET") == [
        "player-0.log",
        "player-1.log",
    ]
    assert result.record["players"][0]["run"] == ["python3", "/app/fake_player.py"]
    assert secret not in repr(spec.players[0])


def test_steps_let_the_host_play_one_slot_through_the_published_port(run: RunContext, tmp_path: Path) -> None:
    spec = build_episode_spec(fake_manifest())
    with Episode(run, spec, tmp_path) as episode:
        assert episode.start_game() and episode.wait_healthy()
        assert httpx.get(f"{episode.base_url}/healthz").status_code == 200
        with pytest.raises(InvalidStatus) as rejected:
            websockets.sync.client.connect(episode.host_player_url(0).replace(episode.tokens[0], "wrong"))
        assert rejected.value.response.status_code == 401
        started = episode.start_players(slots=[1])
        assert [player.slot for player in started] == [1]
        replies = 0
        with websockets.sync.client.connect(episode.host_player_url(0)) as connection:
            for message in connection:
                connection.send(json.dumps({"echo": message}))
                replies += 1
        episode.wait_for_end()
        result = episode.finish()

    assert result.completed, result.outcome.summary()
    assert replies > 0 and result.scores is not None and result.scores[0] > 0
    assert result.record["players"][0]["started"] is False and result.record["players"][1]["started"] is True


class RecordingObserver(EpisodeObserver):
    def __init__(self) -> None:
        self.phases: list[Phase] = []
        self.slots: dict[int, list[SlotState]] = {}
        self.finished_with: OutcomeKind | None = None

    def phase_changed(self, episode_id: str, phase: Phase) -> None:
        self.phases.append(phase)

    def slot_changed(self, episode_id: str, slot: int, state: SlotState, detail: str = "") -> None:
        self.slots.setdefault(slot, []).append(state)

    def finished(self, episode_id: str, result: EpisodeResult) -> None:
        self.finished_with = result.outcome.kind


def test_observer_hears_every_phase_and_each_slot_connect_and_exit(run: RunContext, tmp_path: Path) -> None:
    observer = RecordingObserver()
    run_episode(build_episode_spec(fake_manifest()), tmp_path, run, observer=observer)

    assert observer.phases == list(Phase)
    for slot in (0, 1):
        assert observer.slots[slot] == [
            SlotState.STARTING,
            SlotState.RUNNING,
            SlotState.CONNECTED,
            SlotState.EXITED,
        ]
    assert observer.finished_with is OutcomeKind.COMPLETED
