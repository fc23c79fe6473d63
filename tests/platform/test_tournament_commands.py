"""The tournament inspection commands against the platform stand-in over real HTTP: leagues, divisions,
results, rounds, pools, memberships, submissions, events, episodes and their stats, results, logs and
replays, replay-open; tables, `--json`, paging, filters, downloads that resume, and every documented error."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
import websockets.sync.client
from coworld_standin import PlatformState, StandinServer
from oci_registry import RegistryPair
from runtime_fakes import fake_document
from terminal_signals import sigint_as_in_a_terminal
from tournament_standin import ME, TournamentData, replay_document, seed_tournament, tournament_routes
from typer.testing import CliRunner, Result

from pytest_coworld.cli import tournament
from pytest_coworld.runtime.labels import LABEL_PID

REPO = Path(__file__).resolve().parents[2]
CLI = [
    sys.executable,
    "-c",
    "import typer\nfrom pytest_coworld.cli import tournament\n"
    "app = typer.Typer(pretty_exceptions_enable=False)\ntournament.register(app)\napp()",
]
CLEANUP_SECONDS = 180
LOGIN_HINT = "coworld login"


@dataclass
class Platform:
    """The stand-in platform with its tournament, and the CLI pointed at it."""

    server: StandinServer
    data: TournamentData
    run: Callable[..., Result]

    @property
    def state(self) -> PlatformState:
        return self.server.state

    def calls(self, path: str) -> list[Any]:
        return self.state.calls_to("GET", path)

    def queries(self, path: str) -> list[dict[str, str]]:
        return [dict(httpx.QueryParams(call.query)) for call in self.calls(path)]


def _coworld(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"cow_{uuid.uuid4()}",
        "name": document["game"]["name"],
        "version": 1,
        "manifest": document,
        "manifest_hash": None,
        "size_bytes": 1,
        "canonical": True,
        "created_at": "2026-11-01T00:00:00Z",
    }


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where `replay-open` caches downloaded coworlds and replays (`$XDG_CACHE_HOME/coworld`)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "coworld"


@pytest.fixture
def platform(registries: RegistryPair, cache: Path) -> Iterator[Platform]:
    state = PlatformState(registries)
    coworld = _coworld(fake_document(current=True))
    state.coworlds.append(coworld)
    data = TournamentData()
    app = typer.Typer(pretty_exceptions_enable=False)
    tournament.register(app)
    with StandinServer(state, extra_routes=tournament_routes(data)) as server:
        data.base_url = f"http://127.0.0.1:{server.port}"
        seed_tournament(data, state, coworld["id"])

        def run(*args: str, token: str | None = state.token) -> Result:
            env = {"COWORLD_TOKEN": token} if token else {}
            return CliRunner().invoke(app, [*args, "--server", server.server_url], env=env)

        yield Platform(server, data, run)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (
        f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def _newest_first(episodes: list[dict[str, Any]]) -> list[str]:
    return [episode["id"] for episode in sorted(episodes, key=lambda e: e["created_at"], reverse=True)]


# leagues, divisions, results


def test_leagues_list_show_and_json(platform: Platform) -> None:
    paint = platform.data.league("Paint League")

    listed = ok(platform.run("leagues")).stdout
    shown = ok(platform.run("leagues", paint["id"])).stdout

    for league in platform.data.leagues:
        assert league["id"] in listed and league["name"] in listed
    assert f"League: {paint['id']}" in shown
    assert "Commissioner: elo-ladder" in shown and "Game: paint (game_paint)" in shown
    assert as_json(platform.run("leagues", "--json")) == platform.data.leagues
    assert as_json(platform.run("leagues", paint["id"], "--json")) == paint


def test_divisions_of_a_league_and_a_commissioners_description(platform: Platform) -> None:
    paint, premier = platform.data.league("Paint League"), platform.data.division("Premier")

    listed = ok(platform.run("divisions", "--league", paint["id"])).stdout
    shown = ok(platform.run("divisions", premier["id"])).stdout

    assert "Premier" in listed and "Challenger" in listed and "Open" not in listed
    assert platform.queries("/v2/divisions") == [{"league_id": paint["id"]}]
    assert "Round schedule: every 6 hours" in shown
    assert 'Round structure: {"episodes_per_pool": 2, "pool_size": 3}' in shown
    assert "Leaderboard rules: mean round score over the last 20 rounds" in shown
    assert as_json(platform.run("divisions", "--json")) == platform.data.divisions


def test_results_of_a_league_a_division_and_a_round(platform: Platform) -> None:
    paint, premier = platform.data.league("Paint League"), platform.data.division("Premier")
    round_ = platform.data.rounds_of("Premier")[0]

    ladder = ok(platform.run("results", paint["id"])).stdout
    board = ok(platform.run("results", premier["id"])).stdout
    board_json = as_json(platform.run("results", premier["id"], "--include-recent-rounds", "1", "--json"))
    results = ok(platform.run("results", round_["id"])).stdout

    assert "Premier" in ladder and premier["id"] in ladder
    assert [
        query["include_recent_rounds"]
        for query in platform.queries(f"/v2/divisions/{premier['id']}/leaderboard")
    ] == ["3", "1"]
    top = board_json[0]
    assert f"{top['avg_score']:.4f}" in board and top["player_name"] in board
    assert all(len(row["recent_rounds"]) == 1 for row in board_json)
    for result in round_["results"]:
        assert (
            f"{result['policy_version']['policy']['name']}:v{result['policy_version']['version']}" in results
        )
        assert f"{result['score']:.4f}" in results


def test_results_of_anything_else_is_a_usage_error_naming_the_three_prefixes(platform: Platform) -> None:
    result = platform.run("results", "pool_123")

    assert result.exit_code == 2
    assert all(prefix in result.stderr for prefix in ("league_", "div_", "round_"))
    assert platform.state.calls == []


# rounds and pools


def test_rounds_are_paged(platform: Platform) -> None:
    premier = platform.data.division("Premier")

    first = ok(platform.run("rounds", "--division", premier["id"])).stdout
    last = ok(platform.run("rounds", "--division", premier["id"], "--offset", "25")).stdout
    page = as_json(platform.run("rounds", "--division", premier["id"], "--limit", "5", "--json"))
    too_many = platform.run("rounds", "--limit", "201")

    assert "Rows 1–25 of 30" in first and "Rows 26–30 of 30" in last  # noqa: RUF001 (the contract's en dash)
    assert (page["total_count"], page["limit"], page["offset"], len(page["entries"])) == (30, 5, 0, 5)
    assert [entry["round_number"] for entry in page["entries"]] == [30, 29, 28, 27, 26]
    assert platform.queries("/v2/rounds")[0] == {"division_id": premier["id"], "limit": "25", "offset": "0"}
    assert too_many.exit_code == 2


def test_rounds_filtered_by_status_and_one_round_with_pools_and_results(platform: Platform) -> None:
    running = as_json(platform.run("rounds", "--status", "running", "--json"))
    round_ = platform.data.rounds_of("Premier")[3]
    shown = ok(platform.run("rounds", round_["id"])).stdout

    assert [entry["round_number"] for entry in running["entries"]] == [30]
    assert f"Round: {round_['id']}" in shown and "Status: completed" in shown
    assert platform.data.pools_of(round_["id"])[0]["id"] in shown
    assert "my-bot:v2" in shown and "rival-bot:v3" in shown


def test_pools_of_a_round_and_one_pool(platform: Platform) -> None:
    round_ = platform.data.rounds_of("Premier")[0]
    pool = platform.data.pools_of(round_["id"])[0]

    listed = ok(platform.run("pools", "--round", round_["id"])).stdout
    shown = ok(platform.run("pools", pool["id"])).stdout

    assert pool["id"] in listed and pool["label"] in listed
    assert "my-bot:v2" in shown and "rival-lab" in shown
    assert as_json(platform.run("pools", pool["id"], "--json")) == pool


def test_pools_on_a_newer_platform_report_its_404_plainly(platform: Platform) -> None:
    platform.data.newer_platform = True

    result = platform.run("pools", "--round", platform.data.rounds[0]["id"])

    assert result.exit_code == 1
    assert "GET /v2/pools with 404 Not Found: Not Found" in result.stderr
    assert "Traceback" not in result.stderr


# memberships, submissions, events


def test_memberships_mine_active_champions_and_booleans_on_the_query(platform: Platform) -> None:
    mine = as_json(platform.run("memberships", "--mine", "--json"))
    active_mine = as_json(platform.run("memberships", "--mine", "--active-only", "--json"))
    champions = ok(platform.run("memberships", "--champions-only")).stdout

    assert {m["player"]["id"] for m in mine} == {ME["id"]} and len(mine) == 2
    assert [m["policy_version"]["version"] for m in active_mine] == [2]
    assert "my-bot:v2" in champions and "rival-bot:v3" in champions and "greedy" not in champions
    assert platform.queries("/v2/league-policy-memberships")[0] == {
        "mine": "true",
        "active_only": "false",
        "champions_only": "false",
    }


def test_memberships_by_policy_name_version_or_uuid(platform: Platform) -> None:
    mine_v1 = platform.data.policies["my-bot:v1"]
    greedy = platform.data.policies["greedy:v1"]

    by_name = as_json(platform.run("memberships", "--policy", "my-bot:v1", "--json"))
    by_bare_number = as_json(platform.run("memberships", "--policy", "my-bot:1", "--json"))
    latest = as_json(platform.run("memberships", "--policy", "my-bot", "--json"))
    by_uuid = as_json(platform.run("memberships", "--policy", greedy.version_id.upper(), "--json"))

    assert [m["policy_version"]["id"] for m in by_name] == [mine_v1.version_id]
    assert by_bare_number == by_name
    assert [m["policy_version"]["version"] for m in latest] == [2]
    assert [m["policy_version"]["id"] for m in by_uuid] == [greedy.version_id]
    lookups = platform.queries("/stats/policy-versions")
    assert lookups[0] == {"mine": "true", "name_exact": "my-bot", "limit": "100", "version": "1"}


def test_an_invalid_or_unknown_policy_reference(platform: Platform) -> None:
    invalid = platform.run("memberships", "--policy", "my-bot:latest")
    nameless = platform.run("memberships", "--policy", ":v2")
    unknown = platform.run("memberships", "--policy", "nobody-bot")

    assert invalid.exit_code == 2 and "Invalid policy version: 'latest'" in invalid.stderr
    assert nameless.exit_code == 2 and "--policy: a policy reference needs a name" in nameless.stderr
    assert unknown.exit_code == 1 and "Policy 'nobody-bot' not found" in unknown.stderr
    assert platform.calls("/v2/league-policy-memberships") == []


def test_submissions_mine_and_by_league(platform: Platform) -> None:
    paint = platform.data.league("Paint League")

    mine = as_json(platform.run("submissions", "--mine", "--json"))
    table = ok(platform.run("submissions", "--league", paint["id"], "--limit", "2")).stdout

    assert len(mine) == 2 and {s["player"]["id"] for s in mine} == {ME["id"]}
    assert table.count("sub_") == 2 and "placed" in table
    assert platform.queries("/v2/league-submissions")[-1] == {
        "league_id": paint["id"],
        "mine": "false",
        "limit": "2",
    }


def test_events_by_type_policy_and_limit(platform: Platform) -> None:
    champions = as_json(platform.run("events", "--event-type", "champion_changed", "--json"))
    mine = ok(platform.run("events", "--policy", "my-bot:v2")).stdout
    two = as_json(platform.run("events", "--limit", "2", "--json"))

    assert [event["headline"] for event in champions] == [
        "rival-bot:v3 is rival-lab's champion",
        "my-bot:v2 is me's champion",
    ]
    assert "my-bot:v2 is me's champion" in mine and "promoted" not in mine
    assert len(two) == 2
    assert platform.queries("/v2/competition-events")[0] == {"event_type": "champion_changed", "limit": "50"}


# episodes


def test_episodes_of_a_division_are_gathered_newest_first_then_sliced(platform: Platform) -> None:
    data = platform.data
    premier_pools = {
        pool["id"] for round_ in data.rounds_of("Premier") for pool in data.pools_of(round_["id"])
    }
    expected = _newest_first(data.episodes_in(premier_pools))

    page = as_json(
        platform.run("episodes", "--division", data.division("Premier")["id"], "--limit", "5", "--json")
    )
    next_page = as_json(
        platform.run(
            "episodes",
            "--division",
            data.division("Premier")["id"],
            "--limit",
            "5",
            "--offset",
            "5",
            "--json",
        )
    )

    assert [episode["id"] for episode in page] == expected[:5]
    assert [episode["id"] for episode in next_page] == expected[5:10]
    assert page[0]["status"] == "pending" and page[0]["job_id"] is None
    assert len(platform.calls("/v2/rounds")) == 2  # 30 rounds: one page of 200
    assert {q["pool_id"] for q in platform.queries("/v2/episode-requests")} == premier_pools


def test_episodes_mine_with_replay_and_by_policy(platform: Platform) -> None:
    data = platform.data
    premier = data.division("Premier")
    mine_v2 = data.policies["my-bot:v2"].version_id
    round_ = data.rounds_of("Premier")[0]

    mine = as_json(platform.run("episodes", "--division", premier["id"], "--mine", "--json"))
    with_replay = as_json(
        platform.run("episodes", "--division", premier["id"], "--mine", "--with-replay", "--json")
    )
    greedy = as_json(
        platform.run(
            "episodes", "--round", round_["id"], "--policy", data.policies["greedy:v1"].version_id, "--json"
        )
    )
    mine_in_round = as_json(
        platform.run("episodes", "--round", round_["id"], "--policy", "my-bot:v2", "--json")
    )

    assert len(mine) == 30 and all(
        mine_v2 in {p["policy_version_id"] for p in e["participants"]} for e in mine
    )
    assert len(with_replay) == 29 and all(episode["replay_url"] for episode in with_replay)
    assert len(greedy) == 2 and len(mine_in_round) == 1
    assert {"mine": "true", "division_id": premier["id"]}.items() <= platform.queries(
        "/v2/league-policy-memberships"
    )[0].items()


def test_episodes_of_a_pool_or_of_everything_are_paged_by_the_server(platform: Platform) -> None:
    data = platform.data
    pool = data.pools[0]

    in_pool = as_json(platform.run("episodes", "--pool", pool["id"], "--json"))
    newest = as_json(platform.run("episodes", "--limit", "3", "--json"))

    assert [episode["id"] for episode in in_pool] == [
        episode["id"] for episode in data.episodes_in({pool["id"]})
    ]
    assert [episode["id"] for episode in newest] == _newest_first(data.episodes)[:3]
    assert platform.queries("/v2/episode-requests") == [
        {"pool_id": pool["id"], "limit": "200", "offset": "0"},
        {"limit": "3", "offset": "0"},
    ]


def test_one_episode_and_the_episode_table(platform: Platform) -> None:
    episode = platform.data.episodes[0]
    table = ok(platform.run("episodes", "--round", platform.data.rounds[0]["id"])).stdout
    shown = ok(platform.run("episodes", episode["id"])).stdout

    assert episode["id"] in table and "my-bot:v2, rival-bot:v3, greedy:v1" in table
    assert f"my-bot:v2={episode['scores'][0]['score']:.4f}" in table
    assert f"Job: {episode['job_id']}" in shown and f"Replay: {episode['replay_url']}" in shown
    assert as_json(platform.run("episodes", episode["id"], "--json")) == episode


@pytest.mark.parametrize(
    "args",
    [
        ["episodes", "job_123"],
        ["episodes", "--division", "league_1"],
        ["episode-stats", "round_1"],
        ["memberships", "--player", "me"],
        ["rounds", "--league", "div_1"],
        ["replay-open", "ereq"],
    ],
)
def test_an_id_with_the_wrong_prefix_is_a_usage_error(platform: Platform, args: list[str]) -> None:
    result = platform.run(*args)

    assert result.exit_code == 2, result.stderr
    assert "must be a" in result.stderr and "id (" in result.stderr
    assert platform.state.calls == []


# episode stats, results, logs


def test_episode_stats_table_and_json(platform: Platform) -> None:
    episode = platform.data.episodes[0]
    stats = platform.data.stats[episode["job_id"]]

    table = ok(platform.run("episode-stats", episode["id"])).stdout

    assert "Steps: 500" in table and "my-bot:v2" in table and "Policy stats" in table
    assert '"tiles_total": 400' in table
    assert as_json(platform.run("episode-stats", episode["id"], "--json")) == stats


def test_an_episode_without_a_job_has_no_stats_results_or_logs(platform: Platform) -> None:
    pending = next(episode for episode in platform.data.episodes if episode["job_id"] is None)

    for command in ("episode-stats", "episode-results", "episode-logs"):
        result = platform.run(command, pending["id"])
        assert result.exit_code == 1, command
        assert "Episode request has no job_id yet." in result.stderr


def test_episode_results_printed_or_saved(platform: Platform, tmp_path: Path) -> None:
    episode = platform.data.episodes[0]
    results = platform.data.results[episode["job_id"]]
    output = tmp_path / "out" / "results.json"

    printed = ok(platform.run("episode-results", episode["id"])).stdout
    saved = ok(platform.run("episode-results", episode["id"], "--output", str(output))).stdout

    assert json.loads(printed) == json.loads(results) and printed.startswith('{\n  "scores"')
    assert output.read_bytes() == results and f"Results saved to {output}" in saved


def test_episode_results_on_a_newer_platform(platform: Platform) -> None:
    platform.data.newer_platform = True
    episode = platform.data.episodes[0]

    printed = ok(platform.run("episode-results", episode["id"])).stdout

    assert json.loads(printed) == json.loads(platform.data.results[episode["job_id"]])
    assert platform.calls(f"/jobs/{episode['job_id']}/artifacts/results")
    assert platform.calls(f"/v2/episode-requests/{episode['id']}/artifacts/results")


def test_episode_logs_list_print_and_mine(platform: Platform) -> None:
    episode = platform.data.episodes[0]  # my-bot:v2 holds position 0: agent 0 (assignments [0, 1, 2, 1])

    listed = ok(platform.run("episode-logs", episode["id"], "--list")).stdout
    printed = ok(platform.run("episode-logs", episode["id"], "--agent", "2")).stdout
    mine = ok(platform.run("episode-logs", episode["id"], "--mine")).stdout
    not_mine = platform.run("episode-logs", episode["id"], "--mine", "--agent", "1")

    assert all(f"policy_agent_{agent}.txt" in listed for agent in range(4))
    assert printed == platform.data.logs[episode["job_id"]][2]
    assert "policy_agent_0.txt" in mine and "policy_agent_1.txt" not in mine
    assert not_mine.exit_code == 1
    assert "Agent 1 is not controlled by one of your matched policies." in not_mine.stderr


def test_episode_logs_download_skips_complete_files(platform: Platform, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    episode = platform.data.episodes[0]
    logs = platform.data.logs[episode["job_id"]]

    first = ok(platform.run("episode-logs", episode["id"], "--download-dir", str(folder)))
    again = ok(platform.run("episode-logs", episode["id"], "--download-dir", str(folder)))

    for agent, text in logs.items():
        assert (folder / f"{episode['id']}-policy_agent_{agent}.txt").read_text() == text
    assert "4 log file(s)" in first.stdout and "already downloaded" in again.stderr
    fetched = [call.path for call in platform.state.calls if "/policy-logs/" in call.path]
    assert len(fetched) == 4
    assert not list(folder.glob(".*.part"))


def test_episode_logs_on_a_newer_platform(platform: Platform, tmp_path: Path) -> None:
    platform.data.newer_platform = True
    episode = platform.data.episodes[0]
    version = platform.data.policies["rival-bot:v3"].version_id

    printed = ok(platform.run("episode-logs", episode["id"], "--agent", "3")).stdout
    ok(platform.run("episode-logs", episode["id"], "--mine", "--download-dir", str(tmp_path / "logs")))

    assert printed == platform.data.logs[episode["job_id"]][3]
    assert platform.calls(f"/v2/episode-requests/{episode['id']}/{version}/policy-logs/3")
    assert [path.name for path in (tmp_path / "logs").iterdir()] == [f"{episode['id']}-policy_agent_0.txt"]


# replays


def test_replays_lists_only_episodes_with_a_replay(platform: Platform) -> None:
    premier = platform.data.division("Premier")

    table = ok(platform.run("replays", "--division", premier["id"], "--limit", "3")).stdout
    listed = as_json(platform.run("replays", "--division", premier["id"], "--json"))

    assert "coworld replay-open ereq_" in table and table.count(".json.gz") == 3
    assert len(listed) == 58 and all(episode["replay_url"] for episode in listed)  # 29 rounds of 2


def _index_matches(index: list[dict[str, Any]], folder: Path, episodes: list[dict[str, Any]]) -> None:
    assert [entry["episode_request_id"] for entry in index] == _newest_first(episodes)
    for entry in index:
        episode = next(e for e in episodes if e["id"] == entry["episode_request_id"])
        assert entry == {
            "episode_request_id": episode["id"],
            "episode_id": episode["episode_id"],
            "job_id": episode["job_id"],
            "coworld_id": episode["coworld_id"],
            "replay_url": episode["replay_url"],
            "local_path": str((folder / f"{episode['id']}.json").resolve()),
            "seed": episode["seed"],
            "status": episode["status"],
            "participants": episode["participants"],
            "scores": episode["scores"],
        }
        assert json.loads(Path(entry["local_path"]).read_text()) == replay_document(episode["id"], 400)


def test_replays_download_gunzips_and_writes_an_index(platform: Platform, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    data = platform.data
    round_ = data.rounds_of("Challenger")[0]
    episodes = data.episodes_in({pool["id"] for pool in data.pools_of(round_["id"])})
    # one replay is only reachable through the API (a storage URI the client cannot fetch itself)
    episodes[1]["replay_url"] = f"s3://coworld-replays/{episodes[1]['id']}.json.gz"

    printed = as_json(
        platform.run("replays", "--round", round_["id"], "--download-dir", str(folder), "--json")
    )

    index = json.loads((folder / "index.json").read_text())
    assert printed == index
    _index_matches(index, folder, episodes)
    assert platform.calls(f"/jobs/{episodes[1]['job_id']}/artifacts/replay")


def test_an_interrupted_replay_download_resumes(platform: Platform, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    data = platform.data
    round_ = data.rounds_of("Premier")[5]
    episodes = data.episodes_in({pool["id"] for pool in data.pools_of(round_["id"])})
    dropped, whole = (f"{episode['id']}.json.gz" for episode in episodes)
    data.drop_once.add(dropped)

    interrupted = platform.run("replays", "--round", round_["id"], "--download-dir", str(folder))

    assert interrupted.exit_code == 1
    assert (
        "1 of 2 replay(s) not downloaded" in interrupted.stderr
        and "run the same command again" in interrupted.stderr
    )
    assert sorted(path.name for path in folder.iterdir()) == sorted([whole.removesuffix(".gz"), "index.json"])

    resumed = ok(platform.run("replays", "--round", round_["id"], "--download-dir", str(folder)))

    assert "2 replay file(s)" in resumed.stdout and "already downloaded" in resumed.stderr
    assert len(platform.calls(f"/storage/replays/{whole}")) == 1
    assert len(platform.calls(f"/storage/replays/{dropped}")) == 2
    assert not list(folder.glob(".*"))
    _index_matches(json.loads((folder / "index.json").read_text()), folder, episodes)


# replay-open


def test_replay_open_hosted(platform: Platform) -> None:
    episode = platform.data.episodes[0]

    printed = ok(platform.run("replay-open", episode["id"], "--hosted")).stdout

    (session,) = platform.data.replay_sessions
    assert printed.strip() == f"{platform.data.base_url}/viewer/replays/{session['id']}"
    assert (session["coworld_id"], session["replay_uri"]) == (episode["coworld_id"], episode["replay_url"])


def test_replay_open_needs_a_replay_url(platform: Platform) -> None:
    pending = next(episode for episode in platform.data.episodes if episode["replay_url"] is None)

    result = platform.run("replay-open", pending["id"], "--hosted")

    assert result.exit_code == 1
    assert "No replay URL is available for this episode request." in result.stderr
    assert platform.data.replay_sessions == []


def test_replay_open_of_a_game_with_a_static_viewer_points_at_its_bundle(
    platform: Platform, cache: Path, docker_client: Any
) -> None:
    document = fake_document(current=True)
    document["game"]["replay_viewer"] = {"bundle": "viewer"}
    coworld = _coworld(document)
    platform.state.coworlds.append(coworld)
    episode = platform.data.episodes[0]
    episode["coworld_id"] = coworld["id"]

    printed = ok(platform.run("replay-open", episode["id"])).stdout

    viewer, replay = printed.strip().removeprefix("replay viewer: ").split("#replay=")
    assert viewer == str(cache / coworld["id"] / "viewer" / "index.html")
    assert replay == str(cache / "replays" / f"{episode['id']}.json")
    assert json.loads(Path(replay).read_text()) == replay_document(episode["id"], 400)


def test_replay_open_serves_the_replay_in_the_games_replay_mode_until_ctrl_c(
    platform: Platform, isolated_home: Path, fake_images: None, docker_client: Any
) -> None:
    episode = platform.data.episodes[0]
    env = {
        **os.environ,
        "HOME": str(isolated_home),
        "COWORLD_TOKEN": platform.state.token,
        "PYTHONPATH": str(REPO),
    }
    server = subprocess.Popen(
        [*CLI, "replay-open", episode["id"], "--server", platform.server.server_url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
        preexec_fn=sigint_as_in_a_terminal,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        viewer = server.stdout.readline().removeprefix("replay viewer: ").strip()
        websocket = server.stdout.readline().removeprefix("replay websocket: ").strip()
        assert viewer.startswith("http://127.0.0.1:") and viewer.endswith("/client/replay"), viewer
        assert httpx.get(viewer, timeout=30).status_code == 200
        with websockets.sync.client.connect(websocket, open_timeout=30) as connection:
            assert json.loads(connection.recv(timeout=30)) == {"type": "replay_info", "frame_count": 400}
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=CLEANUP_SECONDS)
    finally:
        server.kill()
    assert server.returncode == 0 and "stopped; the replay server was removed" in stderr
    leftovers = docker_client.containers.list(all=True, filters={"label": f"{LABEL_PID}={server.pid}"})
    assert leftovers == []


# login and server errors


def test_no_login_is_one_line_naming_how_to_log_in(platform: Platform) -> None:
    result = platform.run("leagues", token=None)

    assert result.exit_code == 1
    assert "not logged in" in result.stderr and LOGIN_HINT in result.stderr
    assert platform.state.calls == []


def test_a_refused_token_gets_the_login_hint(platform: Platform) -> None:
    platform.state.expired_tokens.add("old-token")
    expired = platform.run("episodes", platform.data.episodes[0]["id"], token="old-token")
    platform.state.fail_next("GET", "/v2/league-policy-memberships", 403, "Players only")
    forbidden = platform.run("memberships", "--mine")

    assert (
        expired.exit_code == 1 and "(401): Token expired" in expired.stderr and LOGIN_HINT in expired.stderr
    )
    assert (
        forbidden.exit_code == 1
        and "(403): Players only" in forbidden.stderr
        and LOGIN_HINT in forbidden.stderr
    )


def test_a_server_error_shows_the_servers_body(platform: Platform) -> None:
    platform.state.fail_next("GET", "/v2/rounds", 503, "database is restarting")

    result = platform.run("rounds")

    assert result.exit_code == 1
    assert "GET /v2/rounds with 503 Service Unavailable: database is restarting" in result.stderr
    assert "Traceback" not in result.stderr


def test_gzip_replays_are_what_the_stand_in_serves(platform: Platform) -> None:
    """The stand-in's storage links serve gzip bytes at absolute URLs, with no login."""
    episode = platform.data.episodes[0]

    answer = httpx.get(episode["replay_url"], timeout=10)

    assert answer.status_code == 200 and episode["replay_url"].startswith("http://127.0.0.1:")
    assert json.loads(gzip.decompress(answer.content)) == replay_document(episode["id"], 400)
