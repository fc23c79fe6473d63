"""How leagues, divisions, standings, rounds, pools, memberships, submissions and events are shown."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pytest_coworld.cli.platform_options import say
from pytest_coworld.cli.tournament_support import add_row, detail, print_table, score, table, when

if TYPE_CHECKING:
    from pytest_coworld.platform.tournament_models import (
        CompetitionEvent,
        Division,
        LadderEntry,
        LeaderboardEntry,
        League,
        Membership,
        PlayerRef,
        Pool,
        RoundDetail,
        RoundPage,
        Submission,
    )


def _player(player: PlayerRef | None) -> str | None:
    return None if player is None else player.name or player.id


def _text(value: Any) -> Any:
    """A commissioner's description field: text as is, anything else as compact JSON."""
    return value if value is None or isinstance(value, str) else json.dumps(value, sort_keys=True)


def show_leagues(leagues: list[League]) -> None:
    rows = table("Leagues", "ID", "Name", "Game", "Public", "Hidden", "Created")
    for league in leagues:
        game = league.game.name if league.game else None
        add_row(rows, league.id, league.name, game, league.public, league.hidden, when(league.created_at))
    print_table(rows)


def show_league(league: League) -> None:
    detail("League", league.id)
    detail("Name", league.name)
    detail("Slug", league.slug)
    if league.game is not None:
        detail("Game", f"{league.game.name or '-'} ({league.game.id or '-'})")
        detail("Coworld", league.game.coworld_id)
    detail("Commissioner", league.commissioner_key)
    detail("Public", league.public)
    detail("Hidden", league.hidden)
    detail("Created", when(league.created_at))


def show_divisions(divisions: list[Division]) -> None:
    rows = table("Divisions", "ID", "Name", "Level", "League", "Created", right=("Level",))
    for division in divisions:
        league = division.league.name or division.league.id
        add_row(rows, division.id, division.name, division.level, league, when(division.created_at))
    print_table(rows)


def show_division(division: Division) -> None:
    detail("Division", division.id)
    detail("Name", division.name)
    detail("Level", division.level)
    detail("League", f"{division.league.name or '-'} ({division.league.id})")
    detail("Description", division.description)
    described = division.commissioner_description
    if described is not None:
        detail("Round schedule", _text(described.round_schedule))
        detail("Next round", _text(described.next_round))
        detail("Round structure", _text(described.round_structure))
        detail("Leaderboard rules", _text(described.leaderboard_rules))
    detail("Created", when(division.created_at))


def show_ladder(league_id: str, ladder: list[LadderEntry]) -> None:
    detail("League", league_id)
    rows = table("Division ladder", "Division", "ID", "Level", "Members", right=("Level", "Members"))
    for entry in ladder:
        add_row(rows, entry.name, entry.id, entry.level, entry.member_count)
    print_table(rows)


def _recent(entry: LeaderboardEntry) -> str | None:
    recent = [
        f"#{item.round_number} {item.status}"
        + (f" rank {item.rank}" if item.rank is not None else "")
        + (f" {score(item.score)}" if item.score is not None else "")
        for item in entry.recent_rounds or []
    ]
    return "; ".join(recent) or None


def show_leaderboard(division_id: str, leaderboard: list[LeaderboardEntry]) -> None:
    detail("Division", division_id)
    rows = table(
        "Leaderboard",
        "Rank",
        "Player",
        "Avg Score",
        "Rounds",
        "Recent Rounds",
        right=("Rank", "Avg Score", "Rounds"),
    )
    for rank, entry in enumerate(leaderboard, start=1):
        player = entry.player_name or entry.player_id
        add_row(rows, rank, player, score(entry.avg_score), entry.rounds_played, _recent(entry))
    print_table(rows)


def show_rounds(page: RoundPage) -> None:
    rows = table("Rounds", "ID", "#", "Status", "Division", "Backend", "Started", "Completed", right=("#",))
    for round_ in page.entries:
        add_row(
            rows,
            round_.id,
            round_.round_number,
            round_.status,
            round_.division.name or round_.division.id,
            round_.execution_backend,
            when(round_.started_at),
            when(round_.completed_at),
        )
    print_table(rows)
    if page.entries:
        say(f"Rows {page.offset + 1}\N{EN DASH}{page.offset + len(page.entries)} of {page.total_count}")
    else:
        say(f"No rows at offset {page.offset} ({page.total_count} in all)")


def show_round_results(round_: RoundDetail) -> None:
    rows = table("Results", "Rank", "Player", "Policy", "Score", right=("Rank", "Score"))
    for result in sorted(round_.results, key=lambda result: result.rank):
        add_row(rows, result.rank, _player(result.player), result.policy_version.label, score(result.score))
    print_table(rows)


def show_round_standings(round_: RoundDetail) -> None:
    detail("Round", round_.id)
    show_round_results(round_)


def show_round(round_: RoundDetail) -> None:
    detail("Round", round_.id)
    detail("Number", round_.round_number)
    detail("Status", round_.status)
    detail("Division", f"{round_.division.name or '-'} ({round_.division.id})")
    detail("Commissioner", round_.commissioner_key)
    detail("Backend", round_.execution_backend)
    detail("Started", when(round_.started_at))
    detail("Completed", when(round_.completed_at))
    if round_.error:
        detail("Error", round_.error)
    show_pools(round_.pools)
    show_round_results(round_)


def show_pools(pools: list[Pool]) -> None:
    rows = table("Pools", "ID", "Label", "Type", "Status", "Round", "Coworld")
    for pool in pools:
        add_row(rows, pool.id, pool.label, pool.pool_type, pool.status, pool.round_id, pool.coworld_id)
    print_table(rows)


def show_pool(pool: Pool) -> None:
    detail("Pool", pool.id)
    detail("Label", pool.label)
    detail("Type", pool.pool_type)
    detail("Status", pool.status)
    detail("Round", pool.round_id)
    detail("Coworld", pool.coworld_id)
    rows = table("Entries", "Seed", "Player", "Policy", right=("Seed",))
    for entry in pool.entries or []:
        policy = entry.policy_version.label if entry.policy_version else None
        add_row(rows, entry.seed_order, _player(entry.player), policy)
    print_table(rows)


def show_memberships(memberships: list[Membership]) -> None:
    rows = table(
        "League memberships", "ID", "Player", "Policy", "League", "Division", "Active", "Champion", "Since"
    )
    for membership in memberships:
        add_row(
            rows,
            membership.id,
            _player(membership.player),
            membership.policy_version.label,
            membership.league.name or membership.league.id,
            membership.division.name or membership.division.id,
            membership.is_active,
            membership.is_champion,
            when(membership.start_time),
        )
    print_table(rows)


def show_submissions(submissions: list[Submission]) -> None:
    rows = table("League submissions", "ID", "Status", "Player", "Policy", "League", "Membership", "Created")
    for submission in submissions:
        add_row(
            rows,
            submission.id,
            submission.status,
            _player(submission.player),
            submission.policy_version.label if submission.policy_version else None,
            (submission.league.name or submission.league.id) if submission.league else None,
            submission.league_policy_membership_id,
            when(submission.created_at),
        )
    print_table(rows)


def show_events(events: list[CompetitionEvent]) -> None:
    rows = table("Competition events", "ID", "Type", "Audience", "When", "Headline", "Summary")
    for event in events:
        add_row(
            rows,
            event.id,
            event.event_type,
            event.audience,
            when(event.created_at),
            event.headline,
            event.summary,
        )
    print_table(rows)
