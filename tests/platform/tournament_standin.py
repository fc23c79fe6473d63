"""The tournament half of the platform stand-in (PLATFORM_API.md, "Tournament inspection"): leagues,
divisions with their commissioner's descriptions, paged rounds with pools and results, memberships and
submissions of "my" policy versions and others', competition events, episode requests with and without
jobs and replays, their stats, results and per-agent policy logs, and gzipped replays served from absolute
URLs on the same server (the way a platform hands out storage links).

`TournamentData` holds it all; `tournament_routes(data)` makes the routes for `StandinServer(extra_routes=…)`.
`newer_platform` switches to the newer platform's shape: no pools API, artifacts and logs under
`/v2/episode-requests/…` instead of `/jobs/…`.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from coworld_standin import API_PREFIX, PlatformState, Reject, StandinApp
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

ME = {"id": "ply_7d1c0a52-3c9e-4b7e-9d35-5d8f1a6e2b10", "name": "me"}
RIVAL = {"id": "ply_0b6e2f44-91a8-4c3d-8e0f-2a7c5d9b3e61", "name": "rival-lab"}
GREEDY = {"id": "ply_5e9a1c37-2b4d-4f60-a8e1-7c3b9d0f4a22", "name": "greedy-gang"}
START = datetime(2026, 11, 20, tzinfo=UTC)
ROUND_HOURS = 6
PREMIER_ROUNDS = 30
CHALLENGER_ROUNDS = 3
AGENTS = 4
MAX_ROUND_PAGE = 200


def _id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4()}"


def _at(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def replay_document(episode_request_id: str, frames: int) -> dict[str, Any]:
    """A replay the runtime tests' fake game can play: a list of frames."""
    return {
        "episode_request_id": episode_request_id,
        "frames": [{"tick": tick, "scores": [tick % 7, (tick * 3) % 11]} for tick in range(frames)],
    }


@dataclass
class Policy:
    """A policy version as the tournament API nests it, and whose player owns it."""

    version_id: str
    policy_id: str
    name: str
    version: int
    player: dict[str, str]

    def nested(self) -> dict[str, Any]:
        return {
            "id": self.version_id,
            "policy": {"id": self.policy_id, "name": self.name},
            "version": self.version,
            "player_id": self.player["id"],
        }


@dataclass
class TournamentData:
    """Everything the tournament endpoints serve; tests read it and flip its switches."""

    base_url: str = ""
    newer_platform: bool = False
    leagues: list[dict[str, Any]] = field(default_factory=list)
    divisions: list[dict[str, Any]] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    pools: list[dict[str, Any]] = field(default_factory=list)
    episodes: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, bytes] = field(default_factory=dict)
    logs: dict[str, dict[int, str]] = field(default_factory=dict)
    replays: dict[str, bytes] = field(default_factory=dict)
    drop_once: set[str] = field(default_factory=set)
    replay_sessions: list[dict[str, Any]] = field(default_factory=list)
    policies: dict[str, Policy] = field(default_factory=dict)

    def league(self, name: str) -> dict[str, Any]:
        return next(league for league in self.leagues if league["name"] == name)

    def division(self, name: str) -> dict[str, Any]:
        return next(division for division in self.divisions if division["name"] == name)

    def rounds_of(self, division_name: str) -> list[dict[str, Any]]:
        division = self.division(division_name)
        return [round_ for round_ in self.rounds if round_["division"]["id"] == division["id"]]

    def pools_of(self, round_id: str) -> list[dict[str, Any]]:
        return [pool for pool in self.pools if pool["round_id"] == round_id]

    def episodes_in(self, pool_ids: set[str]) -> list[dict[str, Any]]:
        return [episode for episode in self.episodes if episode["pool_id"] in pool_ids]

    def episode(self, episode_request_id: str) -> dict[str, Any]:
        for episode in self.episodes:
            if episode["id"] == episode_request_id:
                return episode
        raise Reject(404, f"Episode request {episode_request_id} not found")

    def replay_url(self, name: str) -> str:
        return f"{self.base_url}{API_PREFIX}/storage/replays/{name}"


def _seed_policies(state: PlatformState, data: TournamentData) -> None:
    """My policy `my-bot` v1 and v2 (known to /stats/policy-versions), and two other players' policies."""
    my_policy = str(uuid.uuid4())
    for _ in range(2):
        entry = state.seed_policy_version("my-bot")
        key = f"my-bot:v{entry['version']}"
        data.policies[key] = Policy(entry["policy_version_id"], my_policy, "my-bot", entry["version"], ME)
    data.policies["rival-bot:v3"] = Policy(str(uuid.uuid4()), str(uuid.uuid4()), "rival-bot", 3, RIVAL)
    data.policies["greedy:v1"] = Policy(str(uuid.uuid4()), str(uuid.uuid4()), "greedy", 1, GREEDY)


def _seed_leagues(data: TournamentData, coworld_id: str) -> None:
    games = {
        "paint": {"id": "game_paint", "name": "paint", "coworld_id": coworld_id},
        "auction": {"id": "game_auction", "name": "auction", "coworld_id": None},
    }
    for name, slug, game, public, hidden in [
        ("Paint League", "paint", "paint", True, False),
        ("Auction Cup", "auction-cup", "auction", True, False),
        ("Staff Trials", None, "paint", False, True),
    ]:
        data.leagues.append(
            {
                "id": _id("league_"),
                "name": name,
                "slug": slug,
                "game": games[game],
                "commissioner_key": "elo-ladder" if game == "paint" else None,
                "public": public,
                "hidden": hidden,
                "created_at": _at(-24 * 30),
                "banner_url": None,  # a field this client does not know
            }
        )
    paint, auction = data.league("Paint League"), data.league("Auction Cup")
    for name, level, league, description in [
        ("Premier", 1, paint, "The top flight: champions of every player."),
        ("Challenger", 2, paint, None),
        ("Open", 1, auction, "Everyone welcome."),
    ]:
        data.divisions.append(
            {
                "id": _id("div_"),
                "name": name,
                "level": level,
                "league": {"id": league["id"], "name": league["name"]},
                "description": description,
                "commissioner_description": {
                    "round_schedule": f"every {ROUND_HOURS} hours",
                    "next_round": _at(PREMIER_ROUNDS * ROUND_HOURS),
                    "round_structure": {"pool_size": 3, "episodes_per_pool": 2},
                    "leaderboard_rules": "mean round score over the last 20 rounds",
                }
                if league is paint
                else None,
                "created_at": _at(-24 * 29 + level),
            }
        )


def _participants(data: TournamentData, keys: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "position": position,
            "policy_version_id": data.policies[key].version_id,
            "policy_id": data.policies[key].policy_id,
            "policy_name": data.policies[key].name,
            "version": data.policies[key].version,
            "player_id": data.policies[key].player["id"],
            "player_name": data.policies[key].player["name"],
        }
        for position, key in enumerate(keys)
    ]


def _seed_rounds(data: TournamentData, coworld_id: str) -> None:
    """Premier: 30 rounds (the last running, its episodes not scheduled yet); Challenger: 3 rounds. Each
    round has one pool of two episodes."""
    lineups = {
        "Premier": [["my-bot:v2", "rival-bot:v3", "greedy:v1"], ["greedy:v1", "rival-bot:v3", "greedy:v1"]],
        "Challenger": [
            ["my-bot:v1", "greedy:v1", "rival-bot:v3"],
            ["greedy:v1", "rival-bot:v3", "my-bot:v1"],
        ],
    }
    for division_name, count in [("Premier", PREMIER_ROUNDS), ("Challenger", CHALLENGER_ROUNDS)]:
        division = data.division(division_name)
        for number in range(1, count + 1):
            hours = number * ROUND_HOURS + (0.5 if division_name == "Challenger" else 0)
            running = division_name == "Premier" and number == count
            round_ = {
                "id": _id("round_"),
                "round_number": number,
                "commissioner_key": "elo-ladder",
                "execution_backend": "k8s",
                "round_config": {"episodes_per_pool": 2},
                "round_display": {"title": f"{division_name} round {number}"},
                "status": "running" if running else "completed",
                "error": None,
                "started_at": _at(hours),
                "completed_at": None if running else _at(hours + 1),
                "division": {"id": division["id"], "name": division["name"]},
                "created_at": _at(hours),
            }
            data.rounds.append(round_)
            pool = {
                "id": _id("pool_"),
                "label": f"{division_name} r{number} pool A",
                "pool_type": "round_robin",
                "status": "running" if running else "completed",
                "round_id": round_["id"],
                "coworld_id": coworld_id,
                "entries": [
                    {
                        "seed_order": seed,
                        "player": data.policies[key].player,
                        "policy_version": data.policies[key].nested(),
                    }
                    for seed, key in enumerate(lineups[division_name][0])
                ],
            }
            data.pools.append(pool)
            for index, lineup in enumerate(lineups[division_name]):
                _seed_episode(data, pool, lineup, hours + 0.1 + index * 0.2, running, coworld_id)
            if not running:
                round_["results"] = _round_results(data, lineups[division_name][0], number, hours + 1)


def _seed_episode(
    data: TournamentData,
    pool: dict[str, Any],
    lineup: list[str],
    hours: float,
    pending: bool,
    coworld_id: str,
) -> None:
    episode_id = _id("ereq_")
    participants = _participants(data, lineup)
    scores = [
        {
            "policy_version_id": participant["policy_version_id"],
            "score": round(1.5 * (position + 1) + hours % 1, 3),
        }
        for position, participant in enumerate(participants)
    ]
    episode = {
        "id": episode_id,
        "pool_id": pool["id"],
        "coworld_id": coworld_id,
        "seed": int(hours * 1000) % 99991,
        "assignments": [0, 1, 2, 1],  # agent i plays in position assignments[i]: position 1 runs two agents
        "status": "pending" if pending else "completed",
        "participants": participants,
        "job_id": None if pending else str(uuid.uuid4()),
        "episode_id": None if pending else str(uuid.uuid4()),
        "replay_url": None,
        "scores": [] if pending else scores,
        "created_at": _at(hours),
    }
    data.episodes.append(episode)
    if pending:
        return
    job_id = episode["job_id"]
    name = f"{episode_id}.json.gz"
    data.replays[name] = gzip.compress(json.dumps(replay_document(episode_id, 400)).encode())
    episode["replay_url"] = data.replay_url(name)
    data.stats[job_id] = _stats(participants, episode["assignments"])
    data.results[job_id] = json.dumps({"scores": [score["score"] for score in scores], "steps": 500}).encode()
    data.logs[job_id] = {
        agent: f"agent {agent} of {episode_id}\nstep 1: move north\nstep 2: paint (3, 4)\n"
        for agent in range(AGENTS)
    }


def _stats(participants: list[dict[str, Any]], assignments: list[int]) -> dict[str, Any]:
    policy_stats = []
    for participant in participants:
        agents = [agent for agent, position in enumerate(assignments) if position == participant["position"]]
        rewards = [1.25 * (agent + 1) for agent in agents]
        policy_stats.append(
            {
                "position": participant["position"],
                "policy_name": participant["policy_name"],
                "policy_version": participant["version"],
                "num_agents": len(agents),
                "avg_metrics": {"tiles_painted": 12.5 * len(agents)},
                "avg_reward": sum(rewards) / len(rewards),
                "agents": [
                    {"agent_id": agent, "reward": reward, "metrics": {"tiles_painted": 10 + agent}}
                    for agent, reward in zip(agents, rewards, strict=True)
                ],
            }
        )
    return {
        "game_stats": {"winner_position": 1, "tiles_total": 400},
        "policy_stats": policy_stats,
        "steps": 500,
    }


def _round_results(
    data: TournamentData, lineup: list[str], number: int, hours: float
) -> list[dict[str, Any]]:
    return [
        {
            "id": _id("rres_"),
            "rank": rank,
            "score": round(10.0 - rank * 1.5 + (number % 3) * 0.25, 4),
            "result_metadata": {"episodes": 2},
            "policy_version": data.policies[key].nested(),
            "player": data.policies[key].player,
            "created_at": _at(hours),
        }
        for rank, key in enumerate(lineup, start=1)
    ]


def _seed_people(data: TournamentData) -> None:
    """Memberships, submissions, competition events."""
    paint = data.league("Paint League")
    premier, challenger = data.division("Premier"), data.division("Challenger")
    for key, division, active, champion in [
        ("my-bot:v2", premier, True, True),
        ("my-bot:v1", challenger, False, False),
        ("rival-bot:v3", premier, True, True),
        ("greedy:v1", premier, True, False),
    ]:
        policy = data.policies[key]
        data.memberships.append(
            {
                "id": _id("lpm_"),
                "is_active": active,
                "is_champion": champion,
                "start_time": _at(2),
                "end_time": None if active else _at(50),
                "league": {"id": paint["id"], "name": paint["name"]},
                "division": {"id": division["id"], "name": division["name"]},
                "policy_version": policy.nested(),
                "player": policy.player,
                "created_at": _at(1),
            }
        )
    for key, status in [("my-bot:v1", "placed"), ("my-bot:v2", "placed"), ("rival-bot:v3", "placed")]:
        policy = data.policies[key]
        membership = next(m for m in data.memberships if m["policy_version"]["id"] == policy.version_id)
        data.submissions.append(
            {
                "id": _id("sub_"),
                "status": status,
                "league": {"id": paint["id"], "name": paint["name"]},
                "policy_version": policy.nested(),
                "player": policy.player,
                "league_policy_membership_id": membership["id"],
                "notes": None,
                "created_at": _at(1),
            }
        )
    last_round = data.rounds_of("Premier")[-2]
    events: list[tuple[str, str, dict[str, Any], dict[str, Any] | None, str | None, str]] = [
        ("round_completed", "public", premier, last_round, None, "Premier round 29 is complete"),
        ("champion_changed", "public", premier, None, "my-bot:v2", "my-bot:v2 is me's champion"),
        ("promotion", "player", challenger, None, "my-bot:v1", "my-bot:v1 promoted to Premier"),
        (
            "round_completed",
            "public",
            challenger,
            data.rounds_of("Challenger")[-1],
            None,
            "Challenger round 3 done",
        ),
        ("champion_changed", "public", premier, None, "rival-bot:v3", "rival-bot:v3 is rival-lab's champion"),
    ]
    for event_type, audience, division, round_, policy_key, headline in events:
        event_policy = data.policies[policy_key] if policy_key else None
        data.events.append(
            {
                "id": _id("cev_"),
                "event_type": event_type,
                "audience": audience,
                "headline": headline,
                "summary": f"{headline}.",
                "payload": {"policy_version_id": event_policy.version_id if event_policy else None},
                "league_id": paint["id"],
                "division_id": division["id"],
                "round_id": round_["id"] if round_ else None,
                "player_id": event_policy.player["id"] if event_policy else None,
                "created_at": _at(100 + len(data.events)),
            }
        )


def seed_tournament(data: TournamentData, state: PlatformState, coworld_id: str) -> None:
    """Fill `data` (`base_url` set first, for replay links): a tournament whose paint game is `coworld_id`."""
    _seed_policies(state, data)
    _seed_leagues(data, coworld_id)
    _seed_rounds(data, coworld_id)
    _seed_people(data)


def _public(record: dict[str, Any], *hidden: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in hidden}


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name)
    if value not in (None, "true", "false"):
        raise Reject(422, f"{name}: Input should be a valid boolean, unable to interpret input {value!r}")
    return value == "true"


def _int(request: Request, name: str, default: int | None, low: int = 0, high: int = 1000) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise Reject(422, f"{name}: Input should be an integer from {low} to {high}")
    return int(value)


def _matches(
    request: Request, record: dict[str, Any], fields: dict[str, Callable[[dict[str, Any]], Any]]
) -> bool:
    """Whether `record` passes every query filter named in `fields` (query name -> how to read the record)."""
    return all(
        request.query_params.get(name) is None or read(record) == request.query_params[name]
        for name, read in fields.items()
    )


class TournamentRoutes:
    """The handlers; each begins with `standin.enter(request)` (records the call, checks the token)."""

    def __init__(self, data: TournamentData, standin: StandinApp) -> None:
        self.data = data
        self.standin = standin

    def routes(self) -> list[Route]:
        return [
            Route("/v2/leagues", self.leagues),
            Route("/v2/leagues/{league_id}", self.league),
            Route("/v2/leagues/{league_id}/division-ladder", self.ladder),
            Route("/v2/divisions", self.divisions),
            Route("/v2/divisions/{division_id}", self.division),
            Route("/v2/divisions/{division_id}/leaderboard", self.leaderboard),
            Route("/v2/rounds", self.rounds),
            Route("/v2/rounds/{round_id}", self.round),
            Route("/v2/pools", self.pools),
            Route("/v2/pools/{pool_id}", self.pool),
            Route("/v2/league-policy-memberships", self.memberships),
            Route("/v2/league-submissions", self.submissions),
            Route("/v2/competition-events", self.events),
            Route("/v2/episode-requests", self.episode_requests),
            Route("/v2/episode-requests/{ereq}", self.episode_request),
            Route("/v2/episode-requests/{ereq}/artifacts/{kind}", self.newer_artifact),
            Route("/v2/episode-requests/{ereq}/{version}/policy-logs/{agent:int}", self.newer_policy_log),
            Route("/jobs/{job_id}/episode-stats", self.episode_stats),
            Route("/jobs/{job_id}/artifacts/{kind}", self.job_artifact),
            Route("/jobs/{job_id}/policy-logs", self.policy_logs),
            Route("/jobs/{job_id}/policy-logs/{agent:int}", self.policy_log),
            Route("/v2/coworlds/replays/session", self.replay_session, methods=["POST"]),
            Route("/storage/replays/{name}", StorageObject(self)),
        ]

    async def leagues(self, request: Request) -> Response:
        await self.standin.enter(request)
        game_id = request.query_params.get("game_id")
        return JSONResponse(
            [lg for lg in self.data.leagues if game_id is None or lg["game"]["id"] == game_id]
        )

    def _league(self, league_id: str) -> dict[str, Any]:
        for league in self.data.leagues:
            if league["id"] == league_id:
                return league
        raise Reject(404, f"League {league_id} not found")

    async def league(self, request: Request) -> Response:
        await self.standin.enter(request)
        return JSONResponse(self._league(request.path_params["league_id"]))

    async def ladder(self, request: Request) -> Response:
        await self.standin.enter(request)
        league = self._league(request.path_params["league_id"])
        divisions = [d for d in self.data.divisions if d["league"]["id"] == league["id"]]
        members = self.data.memberships
        return JSONResponse(
            [
                {
                    "id": d["id"],
                    "name": d["name"],
                    "level": d["level"],
                    "member_count": sum(m["division"]["id"] == d["id"] and m["is_active"] for m in members),
                }
                for d in sorted(divisions, key=lambda d: d["level"])
            ]
        )

    async def divisions(self, request: Request) -> Response:
        await self.standin.enter(request)
        fields = {"league_id": lambda d: d["league"]["id"]}
        return JSONResponse([d for d in self.data.divisions if _matches(request, d, fields)])

    def _division(self, division_id: str) -> dict[str, Any]:
        for division in self.data.divisions:
            if division["id"] == division_id:
                return division
        raise Reject(404, f"Division {division_id} not found")

    async def division(self, request: Request) -> Response:
        await self.standin.enter(request)
        return JSONResponse(self._division(request.path_params["division_id"]))

    async def leaderboard(self, request: Request) -> Response:
        await self.standin.enter(request)
        division = self._division(request.path_params["division_id"])
        recent = _int(request, "include_recent_rounds", 0, high=50) or 0
        rounds = [r for r in self.data.rounds if r["division"]["id"] == division["id"] and "results" in r]
        board: dict[str, dict[str, Any]] = {}
        for round_ in reversed(rounds):
            for result in round_["results"]:
                player = result["player"]
                row = board.setdefault(
                    player["id"],
                    {
                        "player_id": player["id"],
                        "player_name": player["name"],
                        "scores": [],
                        "recent_rounds": [],
                    },
                )
                row["scores"].append(result["score"])
                if len(row["recent_rounds"]) < recent:
                    row["recent_rounds"].append(
                        {
                            "id": round_["id"],
                            "round_number": round_["round_number"],
                            "status": round_["status"],
                            "rank": result["rank"],
                            "score": result["score"],
                            "started_at": round_["started_at"],
                            "completed_at": round_["completed_at"],
                        }
                    )
        rows = [
            {
                "player_id": row["player_id"],
                "player_name": row["player_name"],
                "avg_score": sum(row["scores"]) / len(row["scores"]),
                "rounds_played": len(row["scores"]),
                "recent_rounds": row["recent_rounds"],
            }
            for row in board.values()
        ]
        return JSONResponse(sorted(rows, key=lambda row: -row["avg_score"]))

    async def rounds(self, request: Request) -> Response:
        await self.standin.enter(request)
        limit = _int(request, "limit", 25, low=1, high=MAX_ROUND_PAGE) or 25
        offset = _int(request, "offset", 0) or 0
        league_of = {d["id"]: d["league"]["id"] for d in self.data.divisions}
        fields: dict[str, Callable[[dict[str, Any]], Any]] = {
            "division_id": lambda r: r["division"]["id"],
            "league_id": lambda r: league_of[r["division"]["id"]],
            "status": lambda r: r["status"],
        }
        found = [r for r in self.data.rounds if _matches(request, r, fields)]
        found.sort(key=lambda r: r["created_at"], reverse=True)
        entries = [_public(r, "results") for r in found[offset : offset + limit]]
        return JSONResponse({"entries": entries, "total_count": len(found), "limit": limit, "offset": offset})

    async def round(self, request: Request) -> Response:
        await self.standin.enter(request)
        for round_ in self.data.rounds:
            if round_["id"] == request.path_params["round_id"]:
                pools = [_public(pool, "entries") for pool in self.data.pools_of(round_["id"])]
                return JSONResponse({**round_, "pools": pools, "results": round_.get("results", [])})
        raise Reject(404, f"Round {request.path_params['round_id']} not found")

    def _no_pools_on_newer(self) -> None:
        if self.data.newer_platform:
            raise Reject(404, "Not Found")

    async def pools(self, request: Request) -> Response:
        await self.standin.enter(request)
        self._no_pools_on_newer()
        fields = {"round_id": lambda p: p["round_id"]}
        return JSONResponse([_public(p, "entries") for p in self.data.pools if _matches(request, p, fields)])

    async def pool(self, request: Request) -> Response:
        await self.standin.enter(request)
        self._no_pools_on_newer()
        for pool in self.data.pools:
            if pool["id"] == request.path_params["pool_id"]:
                return JSONResponse(pool)
        raise Reject(404, f"Pool {request.path_params['pool_id']} not found")

    async def memberships(self, request: Request) -> Response:
        await self.standin.enter(request)
        mine, active_only, champions_only = (
            _flag(request, name) for name in ("mine", "active_only", "champions_only")
        )
        limit = _int(request, "limit", None, low=1)
        fields = {
            "league_id": lambda m: m["league"]["id"],
            "division_id": lambda m: m["division"]["id"],
            "policy_version_id": lambda m: m["policy_version"]["id"],
            "player_id": lambda m: m["player"]["id"],
        }
        found = [
            m
            for m in self.data.memberships
            if _matches(request, m, fields)
            and (not mine or m["player"]["id"] == ME["id"])
            and (not active_only or m["is_active"])
            and (not champions_only or m["is_champion"])
        ]
        return JSONResponse(found[:limit])

    async def submissions(self, request: Request) -> Response:
        await self.standin.enter(request)
        mine = _flag(request, "mine")
        limit = _int(request, "limit", None, low=1)
        fields = {
            "league_id": lambda s: s["league"]["id"],
            "policy_version_id": lambda s: s["policy_version"]["id"],
            "player_id": lambda s: s["player"]["id"],
        }
        found = [
            s
            for s in self.data.submissions
            if _matches(request, s, fields) and (not mine or s["player"]["id"] == ME["id"])
        ]
        return JSONResponse(found[:limit])

    async def events(self, request: Request) -> Response:
        await self.standin.enter(request)
        limit = _int(request, "limit", 50, low=1)
        fields = {
            name: (lambda key: lambda e: e[key])(name)
            for name in ("league_id", "division_id", "round_id", "event_type", "audience", "player_id")
        }
        fields["policy_version_id"] = lambda e: e["payload"]["policy_version_id"]
        found = [e for e in reversed(self.data.events) if _matches(request, e, fields)]
        return JSONResponse(found[:limit])

    async def episode_requests(self, request: Request) -> Response:
        """A pool's episodes oldest first; with no pool, every episode newest first."""
        await self.standin.enter(request)
        limit = _int(request, "limit", 200, low=1) or 200
        offset = _int(request, "offset", 0) or 0
        pool_id = request.query_params.get("pool_id")
        if pool_id is not None:
            found = self.data.episodes_in({pool_id})
        else:
            found = sorted(self.data.episodes, key=lambda e: e["created_at"], reverse=True)
        return JSONResponse(found[offset : offset + limit])

    async def episode_request(self, request: Request) -> Response:
        await self.standin.enter(request)
        return JSONResponse(self.data.episode(request.path_params["ereq"]))

    def _job(self, job_id: str) -> dict[str, Any]:
        for episode in self.data.episodes:
            if episode["job_id"] == job_id:
                return episode
        raise Reject(404, f"Job {job_id} not found")

    async def episode_stats(self, request: Request) -> Response:
        await self.standin.enter(request)
        job_id = self._job(request.path_params["job_id"])["job_id"]
        return JSONResponse(self.data.stats[job_id])

    def _artifact(self, episode: dict[str, Any], kind: str) -> Response:
        if kind == "results":
            return Response(self.data.results[episode["job_id"]], media_type="application/json")
        if kind == "replay":
            name = f"{episode['id']}.json.gz"
            return Response(self.data.replays[name], media_type="application/gzip")
        raise Reject(404, f"No {kind} artifact")

    def _older_only(self) -> None:
        if self.data.newer_platform:
            raise Reject(404, "Not Found")

    async def job_artifact(self, request: Request) -> Response:
        await self.standin.enter(request)
        self._older_only()
        return self._artifact(self._job(request.path_params["job_id"]), request.path_params["kind"])

    async def newer_artifact(self, request: Request) -> Response:
        await self.standin.enter(request)
        if not self.data.newer_platform:
            raise Reject(404, "Not Found")
        return self._artifact(self.data.episode(request.path_params["ereq"]), request.path_params["kind"])

    async def policy_logs(self, request: Request) -> Response:
        await self.standin.enter(request)
        self._older_only()
        job_id = self._job(request.path_params["job_id"])["job_id"]
        return JSONResponse([f"policy_agent_{agent}.txt" for agent in sorted(self.data.logs[job_id])])

    def _log(self, job_id: str, agent: int) -> Response:
        log = self.data.logs[job_id].get(agent)
        if log is None:
            raise Reject(404, f"No policy log for agent {agent}")
        return PlainTextResponse(log)

    async def policy_log(self, request: Request) -> Response:
        await self.standin.enter(request)
        self._older_only()
        job_id = self._job(request.path_params["job_id"])["job_id"]
        return self._log(job_id, request.path_params["agent"])

    async def newer_policy_log(self, request: Request) -> Response:
        await self.standin.enter(request)
        if not self.data.newer_platform:
            raise Reject(404, "Not Found")
        episode = self.data.episode(request.path_params["ereq"])
        agent = request.path_params["agent"]
        position = episode["assignments"][agent] if agent < len(episode["assignments"]) else None
        holder = next((p for p in episode["participants"] if p["position"] == position), None)
        if holder is None or holder["policy_version_id"] != request.path_params["version"]:
            raise Reject(
                404, f"Agent {agent} is not played by policy version {request.path_params['version']}"
            )
        return self._log(episode["job_id"], agent)

    async def replay_session(self, request: Request) -> Response:
        body = json.loads(await self.standin.enter(request))
        if set(body) != {"coworld_id", "replay_uri"}:
            raise Reject(422, f"body must be {{coworld_id, replay_uri}}; got {sorted(body)}")
        session = {"id": _id("rs_"), **body}
        self.data.replay_sessions.append(session)
        return JSONResponse({"viewer_url": f"{self.data.base_url}/viewer/replays/{session['id']}"})


class StorageObject:
    """An object store link (no platform login): the gzipped replay; a name in `drop_once` is cut off
    mid-body, once, the way a dropped connection cuts a download."""

    def __init__(self, routes: TournamentRoutes) -> None:
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        await self.routes.standin.enter(request, auth=False)
        data = self.routes.data
        name = request.path_params["name"]
        content = data.replays.get(name)
        if content is None:
            await PlainTextResponse("NoSuchKey", status_code=404)(scope, receive, send)
            return
        headers = [(b"content-type", b"application/gzip"), (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if name in data.drop_once:
            data.drop_once.discard(name)
            await send(
                {"type": "http.response.body", "body": content[: len(content) // 2], "more_body": True}
            )
            return  # the server closes the connection with the body half sent
        await send({"type": "http.response.body", "body": content})


def tournament_routes(data: TournamentData) -> Callable[[StandinApp], list[Route]]:
    """The routes factory for `StandinServer(state, extra_routes=…)`."""
    return lambda standin: TournamentRoutes(data, standin).routes()
