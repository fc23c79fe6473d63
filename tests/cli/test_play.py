"""`coworld play` as a person uses it: the command in a subprocess, the human's page in headless Chromium,
played to the end of the episode; and Ctrl-C (or SIGTERM) in the middle of one."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from runtime_fakes import PLAYER_B_IMAGE, PLAYER_IMAGE, fake_document
from terminal_signals import sigint_as_in_a_terminal

from pytest_coworld.examples import build_example
from pytest_coworld.runtime.cleanup import list_labelled

REPO = Path(__file__).resolve().parents[2]
COWORLD = [sys.executable, "-m", "pytest_coworld.cli.app", "play"]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
LINKS_SECONDS = 180  # until the game is healthy and the links are printed, on a loaded 2-core machine
PLAY_SECONDS = 180  # one episode of an example, played by a person
END_SECONDS = 180  # from the end of the episode until the command has collected, cleaned up and exited
HUMAN_LINK = re.compile(r"^slot 0 \(human\): (\S+)$", re.MULTILINE)
RUN_ID = re.compile(r"^run (\S+): artifacts in ", re.MULTILINE)
PAINT_ROUTE = ["right"] * 7 + ["down"] + ["left"] * 7 + ["down"]  # a person sweeping paint's 8x6 grid
AUCTION_OPEN = re.compile(r"round (\d+) / \d+: item worth (\d+), bidding open")
AUCTION_BUDGET = re.compile(r"budget (\d+), no bid yet")


@dataclass
class Play:
    """A running `coworld play`: its process, the human link and run id it printed, its output folders."""

    process: subprocess.Popen[str]
    link: str
    run_id: str
    output_dir: Path
    stderr_file: Path
    reader: threading.Thread
    lines: list[str]

    @property
    def stderr(self) -> str:
        return self.stderr_file.read_text()

    def finish(self) -> tuple[int, str]:
        """Wait for the command to exit: its exit code and its whole stdout."""
        self.process.wait(timeout=END_SECONDS)
        self.reader.join(timeout=END_SECONDS)
        return self.process.returncode, "".join(self.lines)


def _read_lines(process: subprocess.Popen[str], lines: list[str], printed: threading.Condition) -> None:
    """Collect the command's stdout line by line (one reader, so no line is lost between two of them)."""
    assert process.stdout is not None
    for line in process.stdout:
        with printed:
            lines.append(line)
            printed.notify_all()
    with printed:
        printed.notify_all()


@pytest.fixture(scope="module")
def example_images(docker_client: Any) -> None:
    """Both examples' images, built once (cached by content)."""
    for name in ("paint", "auction"):
        build_example(name)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium, found the way the browser checks find theirs (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    from pytest_coworld.browser.locate import locate_browser
    from pytest_coworld.browser.session import CHROMIUM_FLAGS
    from pytest_coworld.provision.browser import ensure_browser

    ensure_browser()
    with sync_playwright() as playwright:
        location = locate_browser(playwright.chromium.executable_path)
        browser = playwright.chromium.launch(
            executable_path=None if location.is_playwrights_own else location.executable,
            headless=True,
            chromium_sandbox=False,
            args=list(CHROMIUM_FLAGS),
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    page = chromium.new_page()
    yield page
    page.close()


@pytest.fixture
def start_play(tmp_path: Path, docker_client: Any) -> Iterator[Callable[..., Play]]:
    """`start_play(*args, env=...)`: `coworld play` in a subprocess, once it printed the human link. After
    the test, nothing labelled with its run id may remain."""
    started: list[Play] = []

    def start(*args: str, env: dict[str, str] | None = None, link: re.Pattern[str] = HUMAN_LINK) -> Play:
        output_dir, stderr_file = tmp_path / "artifacts", tmp_path / "stderr.txt"
        with stderr_file.open("w") as errors:
            process = subprocess.Popen(
                [*COWORLD, *args, "--output-dir", str(output_dir)],
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env={**ENV, **(env or {})},
                cwd=tmp_path,
                preexec_fn=sigint_as_in_a_terminal,
            )
        lines: list[str] = []
        printed = threading.Condition()
        reader = threading.Thread(target=_read_lines, args=(process, lines, printed), daemon=True)
        reader.start()
        with printed:  # until the link is printed, or the command ended without it
            printed.wait_for(
                lambda: link.search("".join(lines)) or process.poll() is not None, timeout=LINKS_SECONDS
            )
        found = link.search("".join(lines))
        assert found, f"no link printed: {''.join(lines)}\n{stderr_file.read_text()}"
        run_id = RUN_ID.search(stderr_file.read_text())
        assert run_id, stderr_file.read_text()
        started.append(Play(process, found[1], run_id[1], output_dir, stderr_file, reader, lines))
        return started[-1]

    yield start
    for play in started:
        if play.process.poll() is None:  # a failed test: stop it as Ctrl-C would, so it cleans up
            play.process.terminate()
            play.process.wait(timeout=END_SECONDS)
        leftovers = list_labelled(docker_client, play.run_id)
        assert not leftovers, f"coworld play left resources behind: {[r.name for r in leftovers]}"


def play_paint(page: Any) -> int:
    """Click paint's arrow buttons, one a tick, until the game closes the page's connection; the clicks."""
    page.get_by_role("button", name="right", exact=True).wait_for()
    clicks, deadline = 0, time.monotonic() + PLAY_SECONDS
    while not _disconnected(page) and time.monotonic() < deadline:
        page.get_by_role("button", name=PAINT_ROUTE[clicks % len(PAINT_ROUTE)], exact=True).click()
        clicks += 1
        page.wait_for_timeout(100)
    return clicks


def play_auction(page: Any) -> int:
    """Bid an item's value (within the budget) in every round as it opens, until the auction is over; the
    rounds bid in."""
    page.locator("#bid").wait_for()
    rounds: set[str] = set()
    deadline = time.monotonic() + PLAY_SECONDS
    while not _disconnected(page) and time.monotonic() < deadline:
        view = page.locator("#view").inner_text()
        offer, budget = AUCTION_OPEN.search(view), AUCTION_BUDGET.search(view)
        if offer and budget and offer[1] not in rounds:
            page.locator("#amount").fill(str(min(int(offer[2]), int(budget[1]))))
            page.locator("#bid").click()
            rounds.add(offer[1])
        page.wait_for_timeout(50)
    return len(rounds)


def _disconnected(page: Any) -> bool:
    return bool(page.locator("#status").inner_text().startswith("disconnected"))


def score_row(stdout: str) -> list[float]:
    """The scores in the results table's row of episode 1."""
    row = re.search(r"^\s*1\s+completed\s+([\d.\s]+?)\s*$", stdout, re.MULTILINE)
    assert row, stdout
    return [float(score) for score in row[1].split()]


@pytest.mark.parametrize(
    ("name", "prefix", "page_params", "play"),
    [
        ("paint", "/clients", "", play_paint),
        # the auction's docs tell a person to add its game-owned role=human: a human's turn time
        ("auction", "/client", "&role=human", play_auction),
    ],
    ids=["paint-classic", "auction-current"],
)
def test_a_person_plays_a_whole_episode_in_the_browser(
    example_images: None,
    start_play: Callable[..., Play],
    page: Any,
    name: str,
    prefix: str,
    page_params: str,
    play: Callable[[Any], int],
) -> None:
    started = time.monotonic()
    running = start_play("--example", name, "--open", env={"CI": "true"})
    assert re.fullmatch(rf"http://127\.0\.0\.1:\d+{prefix}/player\?slot=0&token=[\w-]+", running.link)

    page.goto(running.link + page_params)
    moves = play(page)
    code, stdout = running.finish()

    assert code == 0, f"{stdout}\n{running.stderr}"
    results = json.loads((running.output_dir / "results.json").read_text())
    record = json.loads((running.output_dir / "episode.json").read_text())
    assert record["outcome"]["kind"] == "completed"
    assert [player["started"] for player in record["players"]] == [False] + [True] * (
        len(results["scores"]) - 1
    )
    assert score_row(stdout) == results["scores"]
    if name == "paint":
        assert moves > 0 and results["scores"][0] > 1, results  # the human left its first cell and painted
    else:
        assert (results["roles"][0], results["timeouts"][0], moves) == ("human", 0, results["rounds"]), (
            results
        )
    assert re.search(rf"^live viewer: http://127\.0\.0\.1:\d+{prefix}/global$", stdout, re.MULTILINE), stdout
    assert "admin:" not in stdout  # the examples serve no admin page
    assert f"artifacts: {running.output_dir.absolute()}" in stdout and "replay: " in stdout
    assert "--open: not opening a browser in CI" in running.stderr
    assert "Traceback" not in running.stderr
    print(f"{name}: {moves} moves, scores {results['scores']}, {time.monotonic() - started:.1f} s")


def test_ctrl_c_while_a_person_plays_removes_everything(
    example_images: None, start_play: Callable[..., Play], page: Any
) -> None:
    running = start_play("--example", "paint", "--variant", "large")  # 400 ticks: 40 s of play
    page.goto(running.link)
    page.wait_for_function(
        "() => { const tick = /tick (\\d+) \\//.exec(document.getElementById('view').innerText);"
        " return tick && Number(tick[1]) >= 3; }",
        timeout=PLAY_SECONDS * 1000,
    )

    running.process.send_signal(signal.SIGINT)
    code, stdout = running.finish()

    assert code == 130, f"{stdout}\n{running.stderr}"
    assert "interrupted: every container and network of this run was removed" in running.stderr
    assert "Traceback" not in running.stderr
    page.wait_for_function("() => document.getElementById('status').innerText.startsWith('disconnected')")


def test_sigterm_while_waiting_for_the_human_removes_everything(
    example_images: None, start_play: Callable[..., Play]
) -> None:
    running = start_play("--example", "auction", "--humans", "2")
    deadline = time.monotonic() + LINKS_SECONDS
    while "playing until the game ends" not in running.stderr and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "[play] slot 3 running" in running.stderr, running.stderr  # the bots wait for the humans

    running.process.send_signal(signal.SIGTERM)
    code, stdout = running.finish()

    assert code == 130, f"{stdout}\n{running.stderr}"
    assert "interrupted: every container and network of this run was removed" in running.stderr


def test_bots_alone_play_while_a_person_watches(
    fake_images: None, start_play: Callable[..., Play], tmp_path: Path
) -> None:
    manifest = tmp_path / "coworld_manifest.json"
    manifest.write_text(json.dumps(fake_document()))
    viewer = re.compile(r"^live viewer: (\S+)$", re.MULTILINE)
    running = start_play(str(manifest), "--humans", "0", "--player-image", PLAYER_B_IMAGE, link=viewer)
    code, stdout = running.finish()

    assert code == 0, f"{stdout}\n{running.stderr}"
    assert running.link.endswith("/clients/global") and "(human)" not in stdout
    assert len(score_row(stdout)) == 2
    assert "fake player b:" in (running.output_dir / "player-0.log").read_text()


def test_each_bot_slot_gets_its_own_image_and_the_human_slot_none(
    fake_images: None, start_play: Callable[..., Play], tmp_path: Path
) -> None:
    manifest = tmp_path / "coworld_manifest.json"
    # a game that plays without the slots still missing 8 s after the first player came
    document = fake_document(3, config={"missing_players": "play", "others_connect_timeout_s": 8})
    manifest.write_text(json.dumps(document))
    running = start_play(str(manifest), "--player-image", PLAYER_B_IMAGE, "--player-image", PLAYER_IMAGE)
    code, stdout = running.finish()

    assert code == 0, f"{stdout}\n{running.stderr}"
    assert not (running.output_dir / "player-0.log").exists()
    assert "fake player b:" in (running.output_dir / "player-1.log").read_text()
    assert "fake player a:" in (running.output_dir / "player-2.log").read_text()
    assert score_row(stdout)[0] == 0


def test_a_game_that_is_never_healthy_ends_with_its_log_and_no_links(
    fake_images: None, tmp_path: Path, docker_client: Any
) -> None:
    manifest = tmp_path / "coworld_manifest.json"
    manifest.write_text(json.dumps(fake_document(game_env={"FAKE_GAME_MODE": "exit_at_start"})))
    finished = subprocess.run(
        [*COWORLD, str(manifest), "--output-dir", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=tmp_path,
        timeout=LINKS_SECONDS,
    )

    assert finished.returncode == 1, finished.stderr
    assert "game_crashed" in finished.stdout and "(human)" not in finished.stdout
    assert "before /healthz answered 200" in finished.stderr and "crashing at start" in finished.stderr
    assert "Traceback" not in finished.stderr
    run_id = RUN_ID.search(finished.stderr)
    assert run_id and not list_labelled(docker_client, run_id[1])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing.json"], "missing.json"),
        (["--example", "paint", "--humans", "3"], "--humans 3: this game has 2 slots"),
        (
            ["--example", "auction", "--player-image", "a", "--player-image", "b"],
            "got 2 --player-image for 3",
        ),
        (["--example", "paint", "--humans", "2", "--player-image", "a"], "no bot plays"),
        (["--example", "paint", "--variant", "nope"], "no variant 'nope'"),
        (
            ["--example", "paint", "--player-image", "coworld-test/absent:latest"],
            "image coworld-test/absent:latest not found locally",
        ),
    ],
    ids=["no-manifest", "humans", "image-count", "no-bots", "variant", "missing-image"],
)
def test_usage_errors_exit_2_with_one_clear_line(
    example_images: None, tmp_path: Path, arguments: list[str], message: str
) -> None:
    finished = subprocess.run(
        [*COWORLD, *arguments], capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=120
    )

    assert finished.returncode == 2, finished.stderr
    assert message in finished.stderr and "Traceback" not in finished.stderr
    assert not (tmp_path / "coworld-artifacts").exists()
