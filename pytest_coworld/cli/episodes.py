"""`coworld episodes|episode-stats|episode-results|episode-logs|replays`: the episodes a tournament played,
their stats, results, policy logs and replays."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pytest_coworld.cli.common import fail, stderr
from pytest_coworld.cli.platform_options import EXIT_FAILURE, JsonOption, ServerOption, say
from pytest_coworld.cli.tournament_options import (
    DivisionOption,
    DownloadDirOption,
    EpisodeLimitOption,
    EpisodeRequestArgument,
    MineOption,
    OffsetOption,
    PolicyOption,
    PoolOption,
    RoundOption,
)
from pytest_coworld.platform.server import DEFAULT_SERVER

if TYPE_CHECKING:
    from pytest_coworld.platform.tournament import EpisodeQuery


def _query(
    division: str | None,
    round_id: str | None,
    pool: str | None,
    policy: str | None,
    mine: bool,
    with_replay: bool,
    limit: int,
    offset: int,
) -> EpisodeQuery:
    from pytest_coworld.cli.tournament_support import checked_id
    from pytest_coworld.platform.tournament import EpisodeQuery

    return EpisodeQuery(
        division_id=checked_id(division, "division", "--division"),
        round_id=checked_id(round_id, "round", "--round"),
        pool_id=checked_id(pool, "pool", "--pool"),
        policy=policy,
        mine=mine,
        with_replay=with_replay,
        limit=limit,
        offset=offset,
    )


def episodes_command(
    episode_request_id: Annotated[
        str | None,
        typer.Argument(help="Show this episode request (ereq_…); else list them.", metavar="EREQ_ID"),
    ] = None,
    division: DivisionOption = None,
    round_id: RoundOption = None,
    pool: PoolOption = None,
    policy: PolicyOption = None,
    mine: MineOption = False,
    with_replay: Annotated[bool, typer.Option("--with-replay", help="Only episodes with a replay.")] = False,
    limit: EpisodeLimitOption = 200,
    offset: OffsetOption = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List episode requests (of a pool, round or division; newest first), or show one."""
    from pytest_coworld.cli import episode_views as views
    from pytest_coworld.cli.tournament_support import api_session, checked_id, emit

    checked_id(episode_request_id, "episode request", "EREQ_ID")
    query = _query(division, round_id, pool, policy, mine, with_replay, limit, offset)
    with api_session(server) as api:
        if episode_request_id:
            episode = api.episode_request(episode_request_id)
            emit(as_json, episode, lambda: views.show_episode(episode))
        else:
            episodes = api.collect_episodes(query)
            emit(as_json, episodes, lambda: views.show_episodes(episodes))


def episode_stats_command(
    episode_request_id: EpisodeRequestArgument,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Show an episode's stats: steps, rewards per policy and agent, the game's own stats."""
    from pytest_coworld.cli import episode_views as views
    from pytest_coworld.cli.tournament_support import api_session, checked_id, emit

    checked_id(episode_request_id, "episode request", "EREQ_ID")
    with api_session(server) as api:
        stats = api.episode_stats(api.episode_request(episode_request_id))
    emit(as_json, stats, lambda: views.show_stats(episode_request_id, stats))


def episode_results_command(
    episode_request_id: EpisodeRequestArgument,
    output: Annotated[Path | None, typer.Option("--output", help="Write the results file here.")] = None,
    server: ServerOption = DEFAULT_SERVER,
) -> None:
    """Print an episode's results file (the game's results JSON), or write it to --output."""
    import json

    from pytest_coworld.cli.tournament_support import api_session, checked_id

    checked_id(episode_request_id, "episode request", "EREQ_ID")
    with api_session(server) as api:
        content = api.episode_results(api.episode_request(episode_request_id))
    if output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(content)
        except OSError as error:
            fail(f"cannot write {output}: {error.strerror or error}", code=EXIT_FAILURE)
        say(f"Results saved to {output}")
        return
    try:
        say(json.dumps(json.loads(content), indent=2))
    except ValueError:
        say(content.decode(errors="replace"))


def episode_logs_command(
    episode_request_id: EpisodeRequestArgument,
    list_logs: Annotated[bool, typer.Option("--list", help="List the agents with a policy log.")] = False,
    agent: Annotated[
        int | None, typer.Option("--agent", min=0, help="Print (or download) agent N's log.")
    ] = None,
    mine: Annotated[
        bool, typer.Option("--mine", help="Only agents controlled by one of my league memberships.")
    ] = False,
    download_dir: DownloadDirOption = None,
    server: ServerOption = DEFAULT_SERVER,
) -> None:
    """List an episode's policy logs, print one (--agent N), or download them (--download-dir)."""
    from pytest_coworld.cli import episode_views as views
    from pytest_coworld.cli.tournament_support import api_session, checked_id
    from pytest_coworld.platform.progress import progress_for
    from pytest_coworld.platform.replay_downloads import download_logs

    checked_id(episode_request_id, "episode request", "EREQ_ID")
    if list_logs and agent is not None:
        fail("give --list or --agent N, not both")
    with api_session(server) as api:
        episode = api.episode_request(episode_request_id)
        agents = api.log_agents(episode, mine=mine, agent=agent)
        if download_dir is not None:
            with progress_for(stderr) as progress:
                written = download_logs(api, episode, agents, download_dir, progress)
            say(f"{len(written)} log file(s) in {download_dir}")
        elif agent is not None:
            typer.echo(api.policy_log(episode, agent).decode(errors="replace"), nl=False)
        else:
            views.show_log_files(episode_request_id, agents)


def replays_command(
    division: DivisionOption = None,
    round_id: RoundOption = None,
    pool: PoolOption = None,
    policy: PolicyOption = None,
    mine: MineOption = False,
    download_dir: DownloadDirOption = None,
    limit: EpisodeLimitOption = 200,
    offset: OffsetOption = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List the episodes with a replay, or download their replays and an index.json (--download-dir)."""
    from pytest_coworld.cli import episode_views as views
    from pytest_coworld.cli.platform_options import print_json
    from pytest_coworld.cli.tournament_support import api_session, emit
    from pytest_coworld.platform.progress import progress_for
    from pytest_coworld.platform.replay_downloads import RESUME_HINT, download_replays

    query = _query(division, round_id, pool, policy, mine, True, limit, offset)
    with api_session(server) as api:
        episodes = api.collect_episodes(query)
        if download_dir is None:
            emit(as_json, episodes, lambda: views.show_replays(episodes))
            return
        with progress_for(stderr) as progress:
            downloads = download_replays(api, episodes, download_dir, progress)
    if as_json:
        print_json(downloads.index)
    else:
        say(f"{len(downloads.index)} replay file(s) in {download_dir}")
        say(f"Index: {downloads.index_path}")
    if downloads.failures:
        failed = "; ".join(downloads.failures)
        fail(
            f"{len(downloads.failures)} of {len(episodes)} replay(s) not downloaded: {failed}",
            code=EXIT_FAILURE,
            hint=RESUME_HINT,
        )
