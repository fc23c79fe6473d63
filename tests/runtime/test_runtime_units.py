"""Pure parts of the runtime, without Docker: specs, config, results checks, judging, redaction, settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from runtime_fakes import PLAYER_B_IMAGE, PLAYER_IMAGE, fake_document, fake_manifest, loaded_manifest

from pytest_coworld.manifest.models import Generation
from pytest_coworld.runtime import (
    NO_LIMITS,
    ContainerSpec,
    EpisodeSetupError,
    HealthCheck,
    OutcomeKind,
    ResourceLimits,
    SlotWire,
    Timeouts,
    build_episode_spec,
)
from pytest_coworld.runtime.artifacts import Redactor
from pytest_coworld.runtime.judge import ContainerFacts, EpisodeFacts, PlayerFacts, judge
from pytest_coworld.runtime.labels import LABEL_EPISODE, LABEL_RUN_ID, LABEL_SLOT, RunIdentity
from pytest_coworld.runtime.results import PlayerFailure, check_results, parse_player_failure
from pytest_coworld.wire.transcript import Connection, Flow

SCHEMA = {"type": "object", "properties": {"scores": {"type": "array"}}, "additionalProperties": False}
TIMEOUTS = {"healthz": 60.0, "episode": 60.0, "player_exit": 10.0, "game_exit": 10.0}
PLAYED = Connection(1, 0.0, "172.18.0.3", "GET", "/player", "0", "digest", True, 101, Flow(3), Flow(3))


# -- episode specs ---------------------------------------------------------------------------------------


def test_no_images_means_the_certification_players_with_their_run_and_env() -> None:
    spec = build_episode_spec(fake_manifest(slot_env={1: {"FAKE_PLAYER_MODE": "crash"}}))
    assert [player.image for player in spec.players] == [PLAYER_IMAGE, PLAYER_IMAGE]
    assert [player.env for player in spec.players] == [{}, {"FAKE_PLAYER_MODE": "crash"}]
    assert spec.config_source == "certification"


def test_images_run_env_and_secrets_apply_to_every_slot() -> None:
    spec = build_episode_spec(
        fake_manifest(player_env={"KEEP": "1"}),
        images=[PLAYER_IMAGE, PLAYER_B_IMAGE],
        run=["python3", "x.py"],
        env={"ADD": "2"},
        secret_env={"TOKEN": "hidden"},
    )
    assert [player.image for player in spec.players] == [PLAYER_IMAGE, PLAYER_B_IMAGE]
    assert spec.players[0].env == {"KEEP": "1", "ADD": "2"}, "a declared image keeps its manifest env"
    assert spec.players[1].env == {"ADD": "2"}, "an undeclared image gets only the given env"
    assert all(player.run == ["python3", "x.py"] for player in spec.players)
    assert all(player.secret_env == {"TOKEN": "hidden"} for player in spec.players)


def test_wrong_number_of_images_is_a_usage_error() -> None:
    with pytest.raises(EpisodeSetupError, match=r"got 3 player images for 2 slots; give none .* or 2"):
        build_episode_spec(fake_manifest(), images=["a", "b", "c"])


def test_variant_and_config_file_choose_the_config(tmp_path: Path) -> None:
    assert build_episode_spec(fake_manifest(), variant="longer").game_config == {"ticks": 20}
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({"ticks": 3}))
    spec = build_episode_spec(fake_manifest(), config_file=config_file)
    assert (spec.game_config, spec.config_source) == ({"ticks": 3}, f"file {config_file}")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ("[1]", "must hold a JSON object, not list"),
        ('{"tokens": ["a", "b"]}', "contains `tokens`; remove them"),
        (
            '{"ticks": 0}',
            "does not validate against game.config_schema at ticks: 0 is less than the minimum of 1",
        ),
        ('{"colour": "red"}', "Additional properties are not allowed ('colour' was unexpected)"),
    ],
    ids=["not-json", "not-object", "has-tokens", "schema-violation", "unknown-key"],
)
def test_bad_config_files_are_usage_errors(tmp_path: Path, content: str, message: str) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(content)
    with pytest.raises(EpisodeSetupError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_episode_spec(fake_manifest(), config_file=config_file)


def test_unknown_variant_and_missing_config_file_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(EpisodeSetupError, match=r"no variant 'nope'; the manifest declares: fast, longer"):
        build_episode_spec(fake_manifest(), variant="nope")
    with pytest.raises(EpisodeSetupError, match=r"cannot read config file .*missing\.json"):
        build_episode_spec(fake_manifest(), config_file=tmp_path / "missing.json")


def test_a_config_players_list_sets_the_slot_count_and_certification_players_cycle() -> None:
    document = fake_document(slots=2, current=True)
    document["game"]["config_schema"]["properties"]["tokens"].update(minItems=2, maxItems=4)
    document["game"]["config_schema"]["properties"]["players"] = {"type": "array"}
    document["variants"].append(
        {"id": "three", "name": "Three", "description": "3 players", "game_config": {"players": [{}, {}, {}]}}
    )
    spec = build_episode_spec(loaded_manifest(document), variant="three")
    assert spec.slot_count == 3 and [p.image for p in spec.players] == [PLAYER_IMAGE] * 3


# -- settings and container specs -------------------------------------------------------------------------


def test_timeouts_default_by_generation_and_manifest() -> None:
    classic = Timeouts().resolved(fake_manifest().manifest, Generation.CLASSIC)
    assert (classic.healthz, classic.episode, classic.player_exit, classic.game_exit) == (60, 1200, 10, 10)
    document = fake_document(current=True)
    document["episode_timeout_minutes"] = 2
    current = Timeouts(healthz=5).resolved(loaded_manifest(document).manifest, Generation.CURRENT_V1)
    assert (current.healthz, current.episode, current.player_exit, current.game_exit) == (5, 120, 30, 30)


def test_run_splits_into_entrypoint_and_arguments_and_limits_apply() -> None:
    spec = ContainerSpec(name="n", image="i", labels={}, run=["python3", "-m", "game"], publish_port=8080)
    kwargs = spec.create_kwargs()
    assert (kwargs["entrypoint"], kwargs["command"]) == (["python3"], ["-m", "game"])
    assert kwargs["ports"] == {"8080/tcp": ("127.0.0.1", None)}
    assert (kwargs["nano_cpus"], kwargs["mem_limit"]) == (10**9, 1024**3)
    bare = ContainerSpec(name="n", image="i", labels={}, run=["/game"], limits=NO_LIMITS).create_kwargs()
    assert bare["command"] is None and "nano_cpus" not in bare and "ports" not in bare
    assert ResourceLimits(cpus=0.5, memory_bytes=2**28).docker_kwargs() == {
        "nano_cpus": 5 * 10**8,
        "mem_limit": 2**28,
    }


def test_labels_name_run_episode_slot_owner_and_time() -> None:
    labels = RunIdentity(run_id="abc", worker="gw1").labels("player", episode="e1", slot=2, test="t::x")
    assert labels[LABEL_RUN_ID] == "abc" and labels[LABEL_EPISODE] == "e1" and labels[LABEL_SLOT] == "2"
    assert {"pytest-coworld.pid", "pytest-coworld.host", "pytest-coworld.created"} <= set(labels)
    assert labels["pytest-coworld.worker"] == "gw1" and labels["pytest-coworld.test"] == "t::x"


# -- results and player failures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"scores": [1, 2.5]}', None),
        (b"nope", "results.json is not JSON"),
        (b"[1, 2]", "results.json holds a list, not a JSON object"),
        (b'{"score": [1, 2]}', "results.json has no `scores` array"),
        (b'{"scores": [1, true]}', "`scores` must hold numbers"),
        (b'{"scores": [1]}', "results.json has 1 score(s) for 2 player slots"),
        (b'{"scores": [1, 2], "x": 1}', "does not validate against game.results_schema at $"),
    ],
)
def test_results_checks(raw: bytes, problem: str | None) -> None:
    check = check_results(raw, SCHEMA, 2)
    if problem is None:
        assert check.problem is None and check.scores == [1, 2.5]
    else:
        assert check.results is None and check.problem is not None and problem in check.problem


def test_player_failure_files() -> None:
    raw = b'{"message": "slot 2 timed out", "failed_policy_index": 2, "kind": "player_error"}'
    assert parse_player_failure(raw) == PlayerFailure(2, "slot 2 timed out", "player_error")
    assert parse_player_failure(b'{"message": "m"}') == PlayerFailure(None, "m", "player_error")
    assert parse_player_failure(b"{}") == "player_failure.json must be an object with a `message` string"


# -- judging -------------------------------------------------------------------------------------------------


def _container(
    source: str, exit_code: int | None = 0, by_itself: bool = True, exited_at: float | None = None
) -> ContainerFacts:
    return ContainerFacts(source, "image", exit_code, by_itself, f"{source} log line", exited_at)


def _player(
    slot: int,
    exit_code: int | None = 0,
    by_itself: bool = True,
    played: bool = True,
    exited_at: float | None = None,
) -> Any:
    wire = SlotWire(slot, (PLAYED,) if played else ())
    return PlayerFacts(slot, _container(f"player-{slot}", exit_code, by_itself, exited_at), wire)


def _facts(**changes: Any) -> EpisodeFacts:
    base: dict[str, Any] = {
        "slot_count": 2,
        "results_schema": SCHEMA,
        "timeouts": TIMEOUTS,
        "health": HealthCheck(True),
        "game": _container("game"),
        "results": b'{"scores": [1, 2]}',
        "players": [_player(0), _player(1)],
    }
    return EpisodeFacts(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "kind", "slot"),
    [
        ({}, OutcomeKind.COMPLETED, None),
        ({"infrastructure_error": "docker failed", "game": None}, OutcomeKind.INFRASTRUCTURE_ERROR, None),
        (
            {"health": HealthCheck(False, "timeout", "HTTP 503"), "results": None},
            OutcomeKind.GAME_UNHEALTHY,
            None,
        ),
        (
            {"health": HealthCheck(False, "exited"), "game": _container("game", 0)},
            OutcomeKind.GAME_UNHEALTHY,
            None,
        ),
        (
            {"health": HealthCheck(False, "exited"), "game": _container("game", 2)},
            OutcomeKind.GAME_CRASHED,
            None,
        ),
        (
            {"game": _container("game", 1), "players": [_player(0, 1), _player(1)]},
            OutcomeKind.GAME_CRASHED,
            None,
        ),
        (
            {"player_failure": b'{"message": "m", "failed_policy_index": 1}', "results": None},
            OutcomeKind.PLAYER_FAILED,
            1,
        ),
        ({"player_failure": b"oops"}, OutcomeKind.RESULTS_MALFORMED, None),
        ({"players": [_player(0), _player(1, 3)], "timed_out": True}, OutcomeKind.PLAYER_FAILED, 1),
        (
            {"players": [_player(0, 1, exited_at=12.5), _player(1, 1, exited_at=10.0)], "results": None},
            OutcomeKind.PLAYER_FAILED,
            1,
        ),
        (
            {"players": [_player(0, played=False), _player(1)], "timed_out": True},
            OutcomeKind.PLAYER_NEVER_CONNECTED,
            0,
        ),
        (
            {"timed_out": True, "game": _container("game", 137, False), "results": None},
            OutcomeKind.EPISODE_TIMEOUT,
            None,
        ),
        ({"results": None}, OutcomeKind.RESULTS_MISSING, None),
        ({"results": b'{"scores": [1]}', "replay_problem": "no replay"}, OutcomeKind.RESULTS_MALFORMED, None),
        (
            {"replay_problem": "no replay", "players": [_player(0), _player(1, 137, False)]},
            OutcomeKind.REPLAY_MISSING,
            None,
        ),
        ({"players": [_player(0), _player(1, 137, False)]}, OutcomeKind.PLAYER_FAILED, 1),
        ({"game": _container("game", 137, False)}, OutcomeKind.COMPLETED, None),
    ],
    ids=[
        "completed",
        "infrastructure",
        "unhealthy",
        "exit-0-before-healthy",
        "exit-2-before-healthy",
        "game-crash-beats-player-crash",
        "reported-player-failure",
        "unreadable-player-failure",
        "player-crash-beats-timeout",
        "first-player-crash-is-the-cause",
        "never-connected-beats-timeout",
        "timeout",
        "results-missing",
        "results-beat-replay",
        "replay-missing",
        "player-did-not-exit",
        "game-stopped-after-linger",
    ],
)
def test_judge_precedence(changes: dict[str, Any], kind: OutcomeKind, slot: int | None) -> None:
    outcome = judge(_facts(**changes)).outcome
    assert (outcome.kind, outcome.slot) == (kind, slot), outcome.summary()
    if outcome.source:
        assert outcome.log_tail == f"{outcome.source} log line"


# -- redaction ---------------------------------------------------------------------------------------------


def test_redactor_replaces_tokens_and_secret_values_in_text_and_bytes() -> None:
    redactor = Redactor.for_episode(["tok-AAA", "tok-BBB"], [("API_KEY", "sekret")])
    text = "slot 0 tok-AAA slot 1 tok-BBB key sekret"
    assert (
        redactor.text(text)
        == "slot 0 <redacted:token:0> slot 1 <redacted:token:1> key <redacted:secret:API_KEY>"
    )
    assert redactor.data(json.dumps({"t": "tok-BBB"}).encode()) == b'{"t": "<redacted:token:1>"}'


def test_each_slots_secret_under_one_name_is_redacted() -> None:
    spec = build_episode_spec(
        fake_manifest(), slot_secret_env={0: {"API_KEY": "key-0"}, 1: {"API_KEY": "key-1"}}
    )

    assert [player.secret_env for player in spec.players] == [{"API_KEY": "key-0"}, {"API_KEY": "key-1"}]
    redactor = Redactor.for_episode([], spec.secret_env())
    assert redactor.text("key-0 key-1") == "<redacted:secret:API_KEY> <redacted:secret:API_KEY>"


def test_secrets_for_a_slot_the_episode_has_not_are_a_usage_error() -> None:
    with pytest.raises(EpisodeSetupError, match="secrets for slot 2: the episode's slots are 0-1"):
        build_episode_spec(fake_manifest(), slot_secret_env={2: {"API_KEY": "x"}})
