"""How episode requests, their stats, policy logs and replays are shown."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pytest_coworld.cli.common import stdout
from pytest_coworld.cli.tournament_support import add_row, detail, print_table, score, table, when

if TYPE_CHECKING:
    from pytest_coworld.platform.tournament_models import EpisodeRequest, EpisodeStats


def _scores(episode: EpisodeRequest) -> str:
    by_version = {entry.policy_version_id: entry.score for entry in episode.scores}
    return ", ".join(
        f"{participant.label}={score(by_version.get(participant.policy_version_id))}"
        for participant in episode.participants
    )


def show_episodes(episodes: list[EpisodeRequest]) -> None:
    rows = table(
        "Episode requests",
        "ID",
        "Status",
        "Seed",
        "Participants",
        "Scores",
        "Replay",
        "Created",
        right=("Seed",),
    )
    for episode in episodes:
        add_row(
            rows,
            episode.id,
            episode.status,
            episode.seed,
            ", ".join(participant.label for participant in episode.participants),
            _scores(episode),
            "yes" if episode.replay_url else None,
            when(episode.created_at),
        )
    print_table(rows)


def show_episode(episode: EpisodeRequest) -> None:
    detail("Episode request", episode.id)
    detail("Status", episode.status)
    detail("Pool", episode.pool_id)
    detail("Coworld", episode.coworld_id)
    detail("Seed", episode.seed)
    detail("Job", episode.job_id)
    detail("Episode", episode.episode_id)
    detail("Replay", episode.replay_url)
    detail("Created", when(episode.created_at))
    by_version = {entry.policy_version_id: entry.score for entry in episode.scores}
    rows = table(
        "Participants", "Position", "Policy", "Player", "Agents", "Score", right=("Position", "Score")
    )
    for participant in episode.participants:
        agents = [str(agent) for agent, at in enumerate(episode.assignments) if at == participant.position]
        player = participant.player_name or participant.player_id
        score_ = score(by_version.get(participant.policy_version_id))
        add_row(rows, participant.position, participant.label, player, ", ".join(agents), score_)
    print_table(rows)


def show_stats(episode_request_id: str, stats: EpisodeStats) -> None:
    detail("Episode stats", episode_request_id)
    detail("Steps", stats.steps)
    rows = table(
        "Policy stats",
        "Position",
        "Policy",
        "Agents",
        "Avg Reward",
        right=("Position", "Agents", "Avg Reward"),
    )
    agents = table("Agents", "Agent", "Position", "Reward", right=("Agent", "Position", "Reward"))
    for entry in stats.policy_stats:
        policy = f"{entry.policy_name}:v{entry.policy_version}" if entry.policy_name else None
        add_row(rows, entry.position, policy, entry.num_agents, score(entry.avg_reward))
        for agent in entry.agents:
            add_row(agents, agent.agent_id, entry.position, score(agent.reward))
    print_table(rows)
    print_table(agents)
    if stats.game_stats:
        stdout.out("Game stats:", highlight=False)
        stdout.out(json.dumps(stats.game_stats, indent=2, sort_keys=True), highlight=False)


def show_log_files(episode_request_id: str, agents: list[int]) -> None:
    detail("Episode request", episode_request_id)
    rows = table("Policy logs", "Agent", "File", right=("Agent",))
    for agent in agents:
        add_row(rows, agent, f"policy_agent_{agent}.txt")
    print_table(rows)


def show_replays(episodes: list[EpisodeRequest]) -> None:
    rows = table("Replays", "Episode Request", "Coworld", "Replay URL", "Open")
    for episode in episodes:
        add_row(rows, episode.id, episode.coworld_id, episode.replay_url, f"coworld replay-open {episode.id}")
    print_table(rows)
