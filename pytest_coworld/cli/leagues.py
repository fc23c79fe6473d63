"""`coworld leagues|divisions|results|rounds|pools|memberships|submissions|events`: the platform's leagues,
standings and rounds, as tables or (`--json`) as the server sent them."""

from __future__ import annotations

from typing import Annotated

import typer

from pytest_coworld.cli.common import fail
from pytest_coworld.cli.platform_options import JsonOption, ServerOption
from pytest_coworld.cli.tournament_options import (
    DivisionOption,
    LeagueOption,
    MineOption,
    OffsetOption,
    OptionalLimitOption,
    PlayerOption,
    PolicyOption,
    RoundOption,
)
from pytest_coworld.platform.server import DEFAULT_SERVER

RESULT_PREFIXES = ("league_", "div_", "round_")


def leagues_command(
    league_id: Annotated[
        str | None, typer.Argument(help="Show this league (league_…); else list them.", metavar="LEAGUE_ID")
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List the leagues, or show one."""
    from pytest_coworld.cli import league_views as views
    from pytest_coworld.cli.tournament_support import api_session, checked_id, emit

    checked_id(league_id, "league", "LEAGUE_ID")
    with api_session(server) as api:
        if league_id:
            league = api.league(league_id)
            emit(as_json, league, lambda: views.show_league(league))
        else:
            leagues = api.leagues()
            emit(as_json, leagues, lambda: views.show_leagues(leagues))


def divisions_command(
    division_id: Annotated[
        str | None, typer.Argument(help="Show this division (div_…); else list them.", metavar="DIV_ID")
    ] = None,
    league: LeagueOption = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List the divisions (of one league), or show one with its commissioner's description."""
    from pytest_coworld.cli import league_views as views
    from pytest_coworld.cli.tournament_support import api_session, checked_id, emit

    checked_id(division_id, "division", "DIV_ID")
    checked_id(league, "league", "--league")
    with api_session(server) as api:
        if division_id:
            division = api.division(division_id)
            emit(as_json, division, lambda: views.show_division(division))
        else:
            divisions = api.divisions(league)
            emit(as_json, divisions, lambda: views.show_divisions(divisions))


def results_command(
    target: Annotated[
        str,
        typer.Argument(
            help="A league (its division ladder), a division (its leaderboard) or a round (its results).",
            metavar="TARGET",
            show_default=False,
        ),
    ],
    include_recent_rounds: Annotated[
        int,
        typer.Option("--include-recent-rounds", min=0, help="Recent rounds per player (division results)."),
    ] = 3,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Standings: a league's division ladder, a division's leaderboard, or a round's results."""
    from pytest_coworld.cli import league_views as views
    from pytest_coworld.cli.tournament_support import api_session, emit

    if not target.startswith(RESULT_PREFIXES):
        fail(f"TARGET must be a league_…, div_… or round_… id; got {target!r}")
    with api_session(server) as api:
        if target.startswith("league_"):
            ladder = api.division_ladder(target)
            emit(as_json, ladder, lambda: views.show_ladder(target, ladder))
        elif target.startswith("div_"):
            leaderboard = api.leaderboard(target, include_recent_rounds)
            emit(as_json, leaderboard, lambda: views.show_leaderboard(target, leaderboard))
        else:
            round_ = api.round(target)
            emit(as_json, round_, lambda: views.show_round_standings(round_))


def rounds_command(
    round_id: Annotated[
        str | None, typer.Argument(help="Show this round (round_…); else list them.", metavar="ROUND_ID")
    ] = None,
    league: LeagueOption = None,
    division: DivisionOption = None,
    status: Annotated[str | None, typer.Option("--status", help="Only rounds with this status.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="At most this many rows.")] = 25,
    offset: OffsetOption = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List rounds a page at a time, or show one with its pools and results."""
    from pytest_coworld.cli import league_views as views
    from pytest_coworld.cli.tournament_support import api_session, checked_id, emit

    checked_id(round_id, "round", "ROUND_ID")
    checked_id(league, "league", "--league")
    checked_id(division, "division", "--division")
    with api_session(server) as api:
        if round_id:
            round_ = api.round(round_id)
            emit(as_json, round_, lambda: views.show_round(round_))
        else:
            page = api.rounds(
                league_id=league, division_id=division, status=status, limit=limit, offset=offset
            )
            emit(as_json, page, lambda: views.show_rounds(page))


def pools_command(
    pool_id: Annotated[
        str | None, typer.Argument(help="Show this pool (pool_…); else list them.", metavar="POOL_ID")
    ] = None,
    round_id: RoundOption = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List a round's pools, or show one with its entries (older platforms; newer ones have no pools API)."""
    from pytest_coworld.cli import league_views as views
    from pytest_coworld.cli.tournament_support import api_session, checked_id, emit

    checked_id(pool_id, "pool", "POOL_ID")
    checked_id(round_id, "round", "--round")
    with api_session(server) as api:
        if pool_id:
            pool = api.pool(pool_id)
            emit(as_json, pool, lambda: views.show_pool(pool))
        else:
            pools = api.pools(round_id)
            emit(as_json, pools, lambda: views.show_pools(pools))


def memberships_command(
    league: LeagueOption = None,
    division: DivisionOption = None,
    policy: PolicyOption = None,
    player: PlayerOption = None,
    mine: MineOption = False,
    active_only: Annotated[bool, typer.Option("--active-only", help="Only active memberships.")] = False,
    champions_only: Annotated[bool, typer.Option("--champions-only", help="Only champions.")] = False,
    limit: OptionalLimitOption = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List league memberships: which policy versions compete where, active or champion."""
    from pytest_coworld.cli import league_views as views
    from pytest_coworld.cli.tournament_support import api_session, checked_id, emit

    checked_id(league, "league", "--league")
    checked_id(division, "division", "--division")
    checked_id(player, "player", "--player")
    with api_session(server) as api:
        found = api.memberships(
            league_id=league,
            division_id=division,
            policy=policy,
            player_id=player,
            mine=mine,
            active_only=active_only,
            champions_only=champions_only,
            limit=limit,
        )
    emit(as_json, found, lambda: views.show_memberships(found))


def submissions_command(
    league: LeagueOption = None,
    policy: PolicyOption = None,
    player: PlayerOption = None,
    mine: MineOption = False,
    limit: OptionalLimitOption = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List league submissions and what became of them."""
    from pytest_coworld.cli import league_views as views
    from pytest_coworld.cli.tournament_support import api_session, checked_id, emit

    checked_id(league, "league", "--league")
    checked_id(player, "player", "--player")
    with api_session(server) as api:
        found = api.submissions(league_id=league, policy=policy, player_id=player, mine=mine, limit=limit)
    emit(as_json, found, lambda: views.show_submissions(found))


def events_command(
    league: LeagueOption = None,
    division: DivisionOption = None,
    round_id: RoundOption = None,
    event_type: Annotated[str | None, typer.Option("--event-type", help="Only events of this type.")] = None,
    audience: Annotated[str | None, typer.Option("--audience", help="Only events for this audience.")] = None,
    policy: PolicyOption = None,
    player: PlayerOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many rows.")] = 50,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List competition events: promotions, champions, round summaries."""
    from pytest_coworld.cli import league_views as views
    from pytest_coworld.cli.tournament_support import api_session, checked_id, emit

    checked_id(league, "league", "--league")
    checked_id(division, "division", "--division")
    checked_id(round_id, "round", "--round")
    checked_id(player, "player", "--player")
    with api_session(server) as api:
        found = api.events(
            league_id=league,
            division_id=division,
            round_id=round_id,
            event_type=event_type,
            audience=audience,
            policy=policy,
            player_id=player,
            limit=limit,
        )
    emit(as_json, found, lambda: views.show_events(found))
