"""The tournament API's JSON shapes (PLATFORM_API.md, "Tournament inspection"). Lenient: a newer server may
add fields, and `raw()` gives back what the server sent (extra fields included, absent ones left out)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

Number = int | float  # an int stays an int (pydantic's smart union), so `raw()` keeps the server's numbers


class ReadModel(BaseModel):
    model_config = ConfigDict(extra="allow")

    def raw(self) -> dict[str, Any]:
        """The JSON object as the server sent it."""
        return self.model_dump(mode="json", exclude_unset=True)


class GameRef(ReadModel):
    id: str | None = None
    name: str | None = None
    coworld_id: str | None = None


class LeagueRef(ReadModel):
    id: str
    name: str | None = None


class DivisionRef(ReadModel):
    id: str
    name: str | None = None


class PlayerRef(ReadModel):
    id: str
    name: str | None = None


class PolicyRef(ReadModel):
    id: str
    name: str


class PolicyVersionRef(ReadModel):
    id: str
    policy: PolicyRef
    version: int
    player_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.policy.name}:v{self.version}"


class League(ReadModel):
    id: str
    name: str
    slug: str | None = None
    game: GameRef | None = None
    commissioner_key: str | None = None
    public: bool = False
    hidden: bool = False
    created_at: str | None = None


class CommissionerDescription(ReadModel):
    round_schedule: Any = None
    next_round: Any = None
    round_structure: Any = None
    leaderboard_rules: Any = None


class Division(ReadModel):
    id: str
    name: str
    level: int
    league: LeagueRef
    description: str | None = None
    commissioner_description: CommissionerDescription | None = None
    created_at: str | None = None


class LadderEntry(ReadModel):
    id: str
    name: str
    level: int
    member_count: int


class RecentRound(ReadModel):
    id: str
    round_number: int
    status: str
    rank: int | None = None
    score: Number | None = None
    started_at: str | None = None
    completed_at: str | None = None


class LeaderboardEntry(ReadModel):
    player_id: str
    player_name: str | None = None
    avg_score: Number
    rounds_played: int
    recent_rounds: list[RecentRound] | None = None


class PoolEntry(ReadModel):
    seed_order: int | None = None
    player: PlayerRef | None = None
    policy_version: PolicyVersionRef | None = None


class Pool(ReadModel):
    id: str
    label: str | None = None
    pool_type: str | None = None
    status: str | None = None
    round_id: str | None = None
    coworld_id: str | None = None
    entries: list[PoolEntry] | None = None


class Round(ReadModel):
    id: str
    round_number: int
    commissioner_key: str | None = None
    execution_backend: str | None = None
    round_config: Any = None
    round_display: Any = None
    status: str
    error: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    division: DivisionRef
    created_at: str | None = None


class RoundResult(ReadModel):
    id: str
    rank: int
    score: Number | None = None
    result_metadata: Any = None
    policy_version: PolicyVersionRef
    player: PlayerRef | None = None
    created_at: str | None = None


class RoundDetail(Round):
    pools: list[Pool] = []
    results: list[RoundResult] = []


class RoundPage(ReadModel):
    entries: list[Round]
    total_count: int
    limit: int
    offset: int


class Membership(ReadModel):
    id: str
    is_active: bool
    is_champion: bool
    start_time: str | None = None
    end_time: str | None = None
    league: LeagueRef
    division: DivisionRef
    policy_version: PolicyVersionRef
    player: PlayerRef | None = None
    created_at: str | None = None


class Submission(ReadModel):
    id: str
    status: str
    league: LeagueRef | None = None
    policy_version: PolicyVersionRef | None = None
    player: PlayerRef | None = None
    league_policy_membership_id: str | None = None
    notes: str | None = None
    created_at: str | None = None


class CompetitionEvent(ReadModel):
    id: str
    event_type: str
    audience: str | None = None
    headline: str | None = None
    summary: str | None = None
    payload: Any = None
    created_at: str | None = None


class Participant(ReadModel):
    position: int
    policy_version_id: str
    policy_id: str | None = None
    policy_name: str
    version: int
    player_id: str | None = None
    player_name: str | None = None

    @property
    def label(self) -> str:
        return f"{self.policy_name}:v{self.version}"


class EpisodeScore(ReadModel):
    policy_version_id: str
    score: Number | None = None


class EpisodeRequest(ReadModel):
    id: str
    pool_id: str | None = None
    coworld_id: str | None = None
    seed: int | None = None
    assignments: list[int] = []
    status: str
    participants: list[Participant] = []
    job_id: str | None = None
    episode_id: str | None = None
    replay_url: str | None = None
    scores: list[EpisodeScore] = []
    created_at: str | None = None

    def agents_of(self, policy_version_ids: set[str]) -> set[int]:
        """The agent indices whose slot (`assignments[i]` position) one of `policy_version_ids` holds."""
        positions = {
            participant.position
            for participant in self.participants
            if participant.policy_version_id.lower() in policy_version_ids
        }
        return {agent for agent, position in enumerate(self.assignments) if position in positions}

    def policy_version_of(self, agent: int) -> str | None:
        """The policy version id controlling agent `agent`, if the request says."""
        if not 0 <= agent < len(self.assignments):
            return None
        position = self.assignments[agent]
        return next(
            (p.policy_version_id for p in self.participants if p.position == position),
            None,
        )


class AgentStats(ReadModel):
    agent_id: int
    reward: Number | None = None
    metrics: dict[str, Any] = {}


class PolicyStats(ReadModel):
    position: int
    policy_name: str | None = None
    policy_version: int | None = None
    num_agents: int
    avg_metrics: dict[str, Any] = {}
    avg_reward: Number | None = None
    agents: list[AgentStats] = []


class EpisodeStats(ReadModel):
    game_stats: Any = None
    policy_stats: list[PolicyStats] = []
    steps: int | None = None


class ReplaySession(ReadModel):
    viewer_url: str
