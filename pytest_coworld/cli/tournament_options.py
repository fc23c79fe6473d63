"""The options the tournament commands share (PLATFORM_API.md, "Tournament inspection")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

LeagueOption = Annotated[str | None, typer.Option("--league", help="Only this league (league_…).")]
DivisionOption = Annotated[str | None, typer.Option("--division", help="Only this division (div_…).")]
RoundOption = Annotated[str | None, typer.Option("--round", help="Only this round (round_…).")]
PoolOption = Annotated[str | None, typer.Option("--pool", help="Only this pool (pool_…).")]
PlayerOption = Annotated[str | None, typer.Option("--player", help="Only this player (ply_…).")]
PolicyOption = Annotated[
    str | None,
    typer.Option(
        "--policy",
        help="Only this policy version: NAME (latest), NAME:vN or NAME:N (yours), or a policy version UUID.",
    ),
]
MineOption = Annotated[bool, typer.Option("--mine", help="Only what involves my league memberships.")]
OffsetOption = Annotated[int, typer.Option("--offset", min=0, help="Rows to skip.")]
OptionalLimitOption = Annotated[
    int | None,
    typer.Option("--limit", min=1, max=1000, help="At most this many rows (default: the server's)."),
]
EpisodeLimitOption = Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many rows.")]
DownloadDirOption = Annotated[
    Path | None,
    typer.Option("--download-dir", help="Download into this directory; files already complete are kept."),
]
EpisodeRequestArgument = Annotated[
    str, typer.Argument(help="The episode request id (ereq_…).", metavar="EREQ_ID", show_default=False)
]
