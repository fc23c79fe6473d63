"""`coworld run-episode`, `coworld replay` and `coworld gc` as real subprocesses against real containers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from runtime_fakes import PLAYER_B_IMAGE, fake_document
from terminal_signals import sigint_as_in_a_terminal

from pytest_coworld.runtime.cleanup import list_labelled
from pytest_coworld.runtime.labels import RunIdentity
from pytest_coworld.runtime.start_turns import turns_for_this_machine

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, str(Path(__file__).parent / "runtime_cli.py")]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
CLEANUP_SECONDS = 180  # removing containers after a signal, on a loaded 2-core machine


def coworld(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env={**ENV, **(env or {})},
        cwd=cwd or REPO,
        timeout=300,
    )


@pytest.fixture
def manifest_file(tmp_path: Path, fake_images: None) -> Iterator[Any]:
    """Writes a fake manifest (options as for `fake_document`) and returns its path."""

    def write(**options: Any) -> Path:
        path = tmp_path / "coworld_manifest.json"
        path.write_text(json.dumps(fake_document(**options)))
        return path

    yield write


def test_run_episode_prints_json_and_writes_artifacts(manifest_file: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    finished = coworld("run-episode", str(manifest_file()), "--output-dir", str(out), "--json")

    assert finished.returncode == 0, finished.stderr
    summary = json.loads(finished.stdout)
    assert (summary["completed"], summary["total"], summary["generation"]) == (1, 1, "classic")
    episode = summary["episodes"][0]
    assert episode["outcome"] == "completed" and len(episode["scores"]) == 2
    assert [slot["episodes"] for slot in summary["slots"]] == [1, 1]
    assert (
        Path(episode["artifacts_dir"]) == out / "episode-1" and (out / "episode-1" / "episode.json").exists()
    )
    assert "[episode 1/1] starting game" in finished.stderr and "slot 1 connected" in finished.stderr


def test_parallel_episodes_and_one_image_for_every_slot(manifest_file: Any, tmp_path: Path) -> None:
    finished = coworld(
        "run-episode", str(manifest_file()), PLAYER_B_IMAGE, "--episodes", "2", "--parallel", "2",
        "--output-dir", str(tmp_path / "out"),
    )  # fmt: skip

    assert finished.returncode == 0, finished.stderr
    assert re.search(r"mean\s+2/2 completed\s+[\d.]+\s+[\d.]+", finished.stdout), finished.stdout
    assert re.search(r"spread\s+standard deviation\s+[\d.]+\s+[\d.]+", finished.stdout), finished.stdout
    assert re.search(r"wins\s+alone\+shared\s+[\d+]+\s+[\d+]+", finished.stdout), finished.stdout
    for index in (1, 2):
        assert "fake player b:" in (tmp_path / "out" / f"episode-{index}" / "player-0.log").read_text()
    if turns_for_this_machine() == 1:  # the episodes took turns to start: the second once the first's players
        lines = finished.stderr.splitlines()  # had started (it holds its turn until they connected, or 5 s)
        starts = [index for index, line in enumerate(lines) if " preparing (episode " in line]
        first = lines[starts[0]].split("]")[0] + "]"
        assert f"{first} starting players" in lines[starts[0] : starts[1]], finished.stderr


def test_eight_slots_fit_eighty_columns_one_row_per_slot(manifest_file: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    finished = coworld(
        "run-episode", str(manifest_file(slots=8)), "--output-dir", str(out), env={"COLUMNS": "80"}
    )

    assert finished.returncode == 0, finished.stderr
    table, artifacts = finished.stdout.split("artifacts: ")
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines) and "…" not in table, finished.stdout
    assert sum(bool(re.match(r"\s*slot \d\s+\d+\s+\d+\s+\d+/\d+\s*$", line)) for line in lines) == 8
    assert artifacts.strip() == str(out.absolute())


def test_a_failed_episode_exits_1_and_shows_why(manifest_file: Any, tmp_path: Path) -> None:
    manifest = manifest_file(game_env={"FAKE_GAME_MODE": "no_results"})
    finished = coworld("run-episode", str(manifest), "--output-dir", str(tmp_path / "out"))

    assert finished.returncode == 1
    assert "results_missing" in finished.stdout and "mean" in finished.stdout
    assert "results_missing: the game ended without writing results.json" in finished.stderr
    assert "--- last lines of game.log ---" in finished.stderr and "episode over" in finished.stderr


def test_secret_env_is_neither_printed_nor_stored(manifest_file: Any, tmp_path: Path) -> None:
    secret = "do-not-print-this-secret"
    finished = coworld(
        "run-episode", str(manifest_file()), "--secret-env", f"ECHO_SECRET={secret}", "--env", "VISIBLE=yes",
        "--output-dir", str(tmp_path / "out"), "--json",
    )  # fmt: skip

    assert finished.returncode == 0, finished.stderr
    assert secret not in finished.stdout + finished.stderr
    stored = [path for path in (tmp_path / "out").rglob("*") if path.is_file() and secret in path.read_text()]
    assert stored == []
    assert json.loads((tmp_path / "out/episode-1/episode.json").read_text())["players"][0]["env"] == {
        "VISIBLE": "yes"
    }


def test_a_secret_can_come_from_the_environment_instead_of_the_command_line(
    manifest_file: Any, tmp_path: Path
) -> None:
    secret = "only-in-my-environment"
    finished = coworld(
        "run-episode", str(manifest_file()), "--secret-env", "ECHO_SECRET", "--output-dir", str(tmp_path),
        env={"ECHO_SECRET": secret},
    )  # fmt: skip

    assert finished.returncode == 0, finished.stderr
    assert secret not in finished.stdout + finished.stderr
    assert "fake player: my secret is <redacted" in (tmp_path / "episode-1/player-0.log").read_text()


def test_policy_secrets_reach_their_own_slot_and_are_never_stored(manifest_file: Any, tmp_path: Path) -> None:
    secrets = tmp_path / "policy_secrets.json"
    secrets.write_text(json.dumps({"policies": {"1": {"ECHO_SECRET": "slot-one-only-secret"}}}))
    finished = coworld(
        "run-episode", str(manifest_file()), "--output-dir", str(tmp_path / "out"),
        env={"POLICY_SECRETS_URI": secrets.as_uri()},
    )  # fmt: skip

    assert finished.returncode == 0, finished.stderr
    assert "slot-one-only-secret" not in finished.stdout + finished.stderr
    out = tmp_path / "out" / "episode-1"
    assert "my secret is <redacted:secret:ECHO_SECRET>" in (out / "player-1.log").read_text()
    assert "my secret is" not in (out / "player-0.log").read_text()
    assert not [path for path in out.iterdir() if "slot-one-only-secret" in path.read_text()]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing.json"], "missing.json"),
        (["{manifest}", "a", "b", "c"], "got 3 player images for 2 slots"),
        (["{manifest}", "--env", "NOVALUE"], "--env expects KEY=VALUE, got 'NOVALUE'"),
        (["{manifest}", "--secret-env", "hunter2"], "--secret-env #1 is neither KEY=VALUE nor a variable"),
        (["{manifest}", "--variant", "nope"], "no variant 'nope'; the manifest declares: fast, longer"),
        (["{manifest}", "--config", "{bad_config}"], "does not validate against game.config_schema at ticks"),
        (["{manifest}", "coworld-test/absent:latest"], "image coworld-test/absent:latest not found locally"),
        (["{manifest}", "--defect", "never-healthy"], "--defect needs --example"),
        (["{manifest}", "--episodes", "0"], "Invalid value for '--episodes'"),
    ],
    ids=[
        "no-manifest",
        "image-count",
        "env",
        "secret-env",
        "variant",
        "config",
        "image",
        "defect",
        "episodes",
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(
    manifest_file: Any, tmp_path: Path, arguments: list[str], message: str
) -> None:
    bad_config = tmp_path / "bad.json"
    bad_config.write_text('{"ticks": 0}')
    values = {"manifest": str(manifest_file()), "bad_config": str(bad_config)}
    finished = coworld("run-episode", *(argument.format(**values) for argument in arguments))

    assert finished.returncode == 2, finished.stderr
    assert message in finished.stderr
    assert "Traceback" not in finished.stderr and "hunter2" not in finished.stderr


def _start_long_episode(manifest_file: Any, tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    config = tmp_path / "long.json"
    config.write_text(json.dumps({"ticks": 600, "tick_ms": 100}))
    arguments = [
        "run-episode",
        str(manifest_file()),
        "--config",
        str(config),
        "--output-dir",
        str(tmp_path / "o"),
    ]
    process = subprocess.Popen(
        [*CLI, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=REPO,
        preexec_fn=sigint_as_in_a_terminal,
    )
    assert process.stderr is not None
    run_id = ""
    for line in process.stderr:
        run_id = run_id or (re.findall(r"^run (\w+):", line) or [""])[0]
        if "slot 1 connected" in line:
            return process, run_id
    raise AssertionError(f"the episode never got going: {process.communicate()}")


def _gone(docker_client: Any, run_id: str) -> bool:
    deadline = time.monotonic() + CLEANUP_SECONDS
    while list_labelled(docker_client, run_id):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.parametrize(
    "signal_number", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name
)
def test_killing_run_episode_mid_episode_leaves_nothing_behind(
    manifest_file: Any, tmp_path: Path, docker_client: Any, signal_number: signal.Signals
) -> None:
    process, run_id = _start_long_episode(manifest_file, tmp_path)
    try:
        assert run_id and len(list_labelled(docker_client, run_id)) == 6  # game, relay, 2 players, 2 networks
        process.send_signal(signal_number)
        _, stderr = process.communicate(timeout=CLEANUP_SECONDS)
    finally:
        process.kill()

    assert _gone(docker_client, run_id), f"resources of run {run_id} remain after {signal_number.name}"
    if signal_number is not signal.SIGKILL:
        assert process.returncode == 130 and "interrupted" in stderr


def test_replay_serves_a_finished_episode_until_ctrl_c(
    manifest_file: Any, tmp_path: Path, docker_client: Any
) -> None:
    out = tmp_path / "out"
    assert coworld("run-episode", str(manifest_file()), "--output-dir", str(out)).returncode == 0
    server = subprocess.Popen(
        [*CLI, "replay", str(out / "episode-1")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=ENV, cwd=REPO, preexec_fn=sigint_as_in_a_terminal,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        viewer = server.stdout.readline().removeprefix("replay viewer: ").strip()
        assert viewer.startswith("http://127.0.0.1:") and "/clients/replay?uri=" in viewer
        assert httpx.get(viewer).status_code == 200
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=CLEANUP_SECONDS)
    finally:
        server.kill()
    assert server.returncode == 0 and "stopped" in stderr


def test_replay_of_a_folder_without_an_episode_is_a_usage_error(tmp_path: Path) -> None:
    finished = coworld("replay", str(tmp_path))
    assert finished.returncode == 2 and "holds no episode.json" in finished.stderr


def test_gc_removes_stale_resources(docker_client: Any, fake_images: None) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = RunIdentity(pid=dead.pid)
    docker_client.containers.create(
        "pytest-coworld/python-base:bookworm",
        ["true"],
        name=f"coworld-{stale.run_id}",
        labels=stale.labels("test"),
    )
    finished = coworld("gc")

    assert finished.returncode == 0, finished.stderr
    # a run starting on another xdist worker sweeps stale resources too, so it may have removed it first
    assert re.match(r"removed \d+ stale container\(s\) and \d+ network\(s\)", finished.stdout)
    assert list_labelled(docker_client, stale.run_id) == []


@pytest.mark.parametrize("command", [["gc"], ["run-episode", "{manifest}"], ["replay", "."]])
def test_an_unreachable_docker_engine_is_one_clear_line(manifest_file: Any, command: list[str]) -> None:
    arguments = [argument.format(manifest=manifest_file()) for argument in command]
    finished = subprocess.run(
        [*CLI, *arguments], capture_output=True, text=True, cwd=REPO,
        env={**ENV, "DOCKER_HOST": "unix:///nonexistent/docker.sock"},
    )  # fmt: skip

    assert finished.returncode == 1, finished.stderr
    assert "cannot reach the Docker engine at unix:///nonexistent/docker.sock" in finished.stderr
    assert "Traceback" not in finished.stderr
