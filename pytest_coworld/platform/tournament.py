"""The read-only tournament API (PLATFORM_API.md, "Tournament inspection"): one typed method per endpoint, the
division → rounds → pools → episode-requests gathering, the `--mine` / `--policy` filters, and the fallbacks
to the newer platform's artifact and log paths. No caller builds a URL."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pytest_coworld.platform.client import PlatformClient
from pytest_coworld.platform.errors import PlatformError
from pytest_coworld.platform.policies import (
    InvalidPolicyReference,
    find_policy_version,
    parse_policy_reference,
)
from pytest_coworld.platform.tournament_models import (
    CompetitionEvent,
    Division,
    EpisodeRequest,
    EpisodeStats,
    LadderEntry,
    LeaderboardEntry,
    League,
    Membership,
    Pool,
    ReplaySession,
    RoundDetail,
    RoundPage,
    Submission,
)

ID_PREFIXES = {
    "league": "league_",
    "division": "div_",
    "round": "round_",
    "pool": "pool_",
    "episode request": "ereq_",
    "player": "ply_",
}
ROUND_PAGE = 200
EPISODE_PAGE = 500
MEMBERSHIP_LIMIT = 1000
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_POLICY_LOG = re.compile(r"^policy_agent_(\d+)\.(?:txt|log)$")
_OLDEST = datetime.min.replace(tzinfo=UTC)
NO_JOB_ID = "Episode request has no job_id yet."


class UsageProblem(Exception):
    """A wrong argument (an id with the wrong prefix, an invalid policy reference): a usage error."""


def require_id(value: str, kind: str, what: str) -> str:
    """`value` if it carries the prefix of a `kind` id, else a UsageProblem naming `what` and the prefix."""
    prefix = ID_PREFIXES[kind]
    if not value.startswith(prefix) or value == prefix:
        raise UsageProblem(f"{what} must be a {kind} id ({prefix}…); got {value!r}")
    return value


def _not_found(error: PlatformError) -> bool:
    return error.status == 404


def _created(episode: EpisodeRequest) -> datetime:
    try:
        when = datetime.fromisoformat(episode.created_at or "")
    except ValueError:
        return _OLDEST
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def require_job_id(episode: EpisodeRequest) -> str:
    if episode.job_id is None:
        raise PlatformError(NO_JOB_ID, hint="the episode has not been scheduled; try again later")
    return episode.job_id


@dataclass(frozen=True)
class EpisodeQuery:
    """Which episode requests to list: a scope (pool, round or division; else all), filters and a page."""

    division_id: str | None = None
    round_id: str | None = None
    pool_id: str | None = None
    policy: str | None = None
    mine: bool = False
    with_replay: bool = False
    limit: int = 200
    offset: int = 0


class TournamentApi:
    """Typed reads of leagues, divisions, rounds, pools, memberships, submissions, events and episodes."""

    def __init__(self, client: PlatformClient) -> None:
        self.client = client

    def leagues(self) -> list[League]:
        return self.client.get("/v2/leagues", list[League])

    def league(self, league_id: str) -> League:
        return self.client.get(f"/v2/leagues/{league_id}", League)

    def divisions(self, league_id: str | None) -> list[Division]:
        return self.client.get("/v2/divisions", list[Division], params={"league_id": league_id})

    def division(self, division_id: str) -> Division:
        return self.client.get(f"/v2/divisions/{division_id}", Division)

    def division_ladder(self, league_id: str) -> list[LadderEntry]:
        return self.client.get(f"/v2/leagues/{league_id}/division-ladder", list[LadderEntry])

    def leaderboard(self, division_id: str, include_recent_rounds: int) -> list[LeaderboardEntry]:
        return self.client.get(
            f"/v2/divisions/{division_id}/leaderboard",
            list[LeaderboardEntry],
            params={"include_recent_rounds": include_recent_rounds},
        )

    def rounds(
        self,
        *,
        league_id: str | None = None,
        division_id: str | None = None,
        status: str | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> RoundPage:
        params = {
            "league_id": league_id,
            "division_id": division_id,
            "status": status,
            "limit": limit,
            "offset": offset,
        }
        return self.client.get("/v2/rounds", RoundPage, params=params)

    def round(self, round_id: str) -> RoundDetail:
        return self.client.get(f"/v2/rounds/{round_id}", RoundDetail)

    def pools(self, round_id: str | None) -> list[Pool]:
        return self.client.get("/v2/pools", list[Pool], params={"round_id": round_id})

    def pool(self, pool_id: str) -> Pool:
        return self.client.get(f"/v2/pools/{pool_id}", Pool)

    def memberships(
        self,
        *,
        league_id: str | None = None,
        division_id: str | None = None,
        policy: str | None = None,
        player_id: str | None = None,
        mine: bool = False,
        active_only: bool = False,
        champions_only: bool = False,
        limit: int | None = None,
    ) -> list[Membership]:
        params = {
            "league_id": league_id,
            "division_id": division_id,
            "policy_version_id": self.resolve_policy(policy),
            "player_id": player_id,
            "mine": mine,
            "active_only": active_only,
            "champions_only": champions_only,
            "limit": limit,
        }
        return self.client.get("/v2/league-policy-memberships", list[Membership], params=params)

    def submissions(
        self,
        *,
        league_id: str | None = None,
        policy: str | None = None,
        player_id: str | None = None,
        mine: bool = False,
        limit: int | None = None,
    ) -> list[Submission]:
        params = {
            "league_id": league_id,
            "policy_version_id": self.resolve_policy(policy),
            "player_id": player_id,
            "mine": mine,
            "limit": limit,
        }
        return self.client.get("/v2/league-submissions", list[Submission], params=params)

    def events(
        self,
        *,
        league_id: str | None = None,
        division_id: str | None = None,
        round_id: str | None = None,
        event_type: str | None = None,
        audience: str | None = None,
        policy: str | None = None,
        player_id: str | None = None,
        limit: int = 50,
    ) -> list[CompetitionEvent]:
        params = {
            "league_id": league_id,
            "division_id": division_id,
            "round_id": round_id,
            "event_type": event_type,
            "audience": audience,
            "policy_version_id": self.resolve_policy(policy),
            "player_id": player_id,
            "limit": limit,
        }
        return self.client.get("/v2/competition-events", list[CompetitionEvent], params=params)

    def resolve_policy(self, reference: str | None) -> str | None:
        """A policy version id for `--policy`: a UUID as given, else NAME[:vN] looked up among mine."""
        if reference is None:
            return None
        if _UUID.match(reference.strip()):
            return reference.strip().lower()
        try:
            parse_policy_reference(reference)
        except InvalidPolicyReference as invalid:
            raise UsageProblem(f"--policy: {invalid.message}") from None
        return find_policy_version(self.client, reference).id.lower()

    def my_policy_version_ids(self, division_id: str | None = None) -> set[str]:
        """The policy versions of my league memberships (`mine=true`)."""
        mine = self.memberships(division_id=division_id, mine=True, limit=MEMBERSHIP_LIMIT)
        return {membership.policy_version.id.lower() for membership in mine}

    def episode_request(self, episode_request_id: str) -> EpisodeRequest:
        return self.client.get(f"/v2/episode-requests/{episode_request_id}", EpisodeRequest)

    def episode_requests(self, pool_id: str | None, limit: int, offset: int) -> list[EpisodeRequest]:
        params = {"pool_id": pool_id, "limit": limit, "offset": offset}
        return self.client.get("/v2/episode-requests", list[EpisodeRequest], params=params)

    def collect_episodes(self, query: EpisodeQuery) -> list[EpisodeRequest]:
        """The episode requests `query` asks for. A pool, or no scope, is paged by the server; a round or a
        division is gathered from its rounds' pools, filtered, newest first, then sliced."""
        allowed = self._allowed_policy_versions(query)
        if query.pool_id is not None or (query.round_id is None and query.division_id is None):
            page = self.episode_requests(query.pool_id, query.limit, query.offset)
            return _keep(page, allowed, query.with_replay)
        gathered = {
            episode.id: episode for pool_id in self._pool_ids(query) for episode in self._all_in_pool(pool_id)
        }
        kept = sorted(_keep(gathered.values(), allowed, query.with_replay), key=_created, reverse=True)
        return kept[query.offset : query.offset + query.limit]

    def _allowed_policy_versions(self, query: EpisodeQuery) -> set[str] | None:
        allowed = self.my_policy_version_ids(query.division_id) if query.mine else None
        chosen = self.resolve_policy(query.policy)
        if chosen is not None:
            allowed = {chosen} if allowed is None else allowed & {chosen}
        return allowed

    def _pool_ids(self, query: EpisodeQuery) -> list[str]:
        if query.round_id is not None:
            return [pool.id for pool in self.round(query.round_id).pools]
        return [pool.id for round_ in self._division_rounds(query.division_id) for pool in round_.pools]

    def _division_rounds(self, division_id: str | None) -> Iterable[RoundDetail]:
        offset = 0
        while True:
            page = self.rounds(division_id=division_id, limit=ROUND_PAGE, offset=offset)
            for listed in page.entries:
                yield self.round(listed.id)
            offset += len(page.entries)
            if not page.entries or offset >= page.total_count:
                return

    def _all_in_pool(self, pool_id: str) -> Iterable[EpisodeRequest]:
        offset = 0
        while True:
            page = self.episode_requests(pool_id, EPISODE_PAGE, offset)
            yield from page
            if len(page) < EPISODE_PAGE:
                return
            offset += len(page)

    def episode_stats(self, episode: EpisodeRequest) -> EpisodeStats:
        return self.client.get(f"/jobs/{require_job_id(episode)}/episode-stats", EpisodeStats)

    def episode_results(self, episode: EpisodeRequest) -> bytes:
        """The results artifact; newer platforms serve it under the episode request."""
        job_id = require_job_id(episode)
        return _newer_on_404(
            lambda: self.client.get_bytes(f"/jobs/{job_id}/artifacts/results"),
            f"/v2/episode-requests/{episode.id}/artifacts/results",
            self.client,
        )

    def replay_artifact(self, episode: EpisodeRequest) -> bytes:
        """The replay through the API (for a `replay_url` that is not http(s))."""
        newer = f"/v2/episode-requests/{episode.id}/artifacts/replay"
        if episode.job_id is None:
            return self.client.get_bytes(newer)
        job_id = episode.job_id
        return _newer_on_404(
            lambda: self.client.get_bytes(f"/jobs/{job_id}/artifacts/replay"), newer, self.client
        )

    def policy_log_agents(self, episode: EpisodeRequest) -> list[int]:
        """The agents with a policy log; on a newer platform (no listing), every agent of the episode."""
        job_id = require_job_id(episode)
        try:
            names = self.client.get(f"/jobs/{job_id}/policy-logs", list[str])
        except PlatformError as error:
            if not _not_found(error):
                raise
            return list(range(len(episode.assignments)))
        return sorted(int(match[1]) for name in names if (match := _POLICY_LOG.match(name)))

    def log_agents(self, episode: EpisodeRequest, *, mine: bool, agent: int | None) -> list[int]:
        """The agents whose policy logs to show: all with one, only those my policy versions play (`mine`),
        or just `agent`, which must have a log (and be mine, with `mine`)."""
        allowed = episode.agents_of(self.my_policy_version_ids()) if mine else None
        if allowed is not None and agent is not None and agent not in allowed:
            raise PlatformError(f"Agent {agent} is not controlled by one of your matched policies.")
        agents = [index for index in self.policy_log_agents(episode) if allowed is None or index in allowed]
        if agent is None:
            return agents
        if agent not in agents:
            listed = ", ".join(str(index) for index in agents) or "none"
            raise PlatformError(f"Agent {agent} has no policy log (agents with one: {listed}).")
        return [agent]

    def policy_log(self, episode: EpisodeRequest, agent: int) -> bytes:
        """Agent `agent`'s policy log; newer platforms serve it by episode request and policy version."""
        job_id = require_job_id(episode)

        def older() -> bytes:
            return self.client.get_bytes(f"/jobs/{job_id}/policy-logs/{agent}")

        version = episode.policy_version_of(agent)
        if version is None:
            return older()
        return _newer_on_404(
            older, f"/v2/episode-requests/{episode.id}/{version}/policy-logs/{agent}", self.client
        )

    def replay_session(self, coworld_id: str, replay_uri: str) -> ReplaySession:
        body = {"coworld_id": coworld_id, "replay_uri": replay_uri}
        return self.client.post("/v2/coworlds/replays/session", body, ReplaySession)


def _keep(
    episodes: Iterable[EpisodeRequest], allowed: set[str] | None, with_replay: bool
) -> list[EpisodeRequest]:
    """The episodes with a replay (when asked) and a participant among `allowed` (when given)."""
    return [
        episode
        for episode in episodes
        if (not with_replay or episode.replay_url)
        and (
            allowed is None
            or any(participant.policy_version_id.lower() in allowed for participant in episode.participants)
        )
    ]


def _newer_on_404(older: Callable[[], bytes], newer_path: str, client: PlatformClient) -> bytes:
    """`older()`, or on a 404 the newer platform's `newer_path`; when both 404, the older answer's error."""
    try:
        return older()
    except PlatformError as error:
        if not _not_found(error):
            raise
        try:
            return client.get_bytes(newer_path)
        except PlatformError as newer_error:
            if _not_found(newer_error):
                raise error from None
            raise
