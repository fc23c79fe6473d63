"""The tournament inspection commands: leagues, divisions, results, rounds, pools, memberships, submissions,
events, episodes and their stats, results, logs and replays (PLATFORM_API.md, "Tournament inspection")."""

from __future__ import annotations

import typer

from pytest_coworld.cli import episodes, leagues, replay_open


def register(app: typer.Typer) -> None:
    """Add the tournament inspection commands to `app`."""
    app.command("leagues")(leagues.leagues_command)
    app.command("divisions")(leagues.divisions_command)
    app.command("results")(leagues.results_command)
    app.command("rounds")(leagues.rounds_command)
    app.command("pools")(leagues.pools_command)
    app.command("memberships")(leagues.memberships_command)
    app.command("submissions")(leagues.submissions_command)
    app.command("events")(leagues.events_command)
    app.command("episodes")(episodes.episodes_command)
    app.command("episode-stats")(episodes.episode_stats_command)
    app.command("episode-results")(episodes.episode_results_command)
    app.command("episode-logs")(episodes.episode_logs_command)
    app.command("replays")(episodes.replays_command)
    app.command("replay-open")(replay_open.replay_open_command)
