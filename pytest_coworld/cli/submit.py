"""`coworld submit NAME[:vN] --league league_…`: submit one of your policy versions to a league."""

from __future__ import annotations

from typing import Annotated

import typer

from pytest_coworld.cli.platform_options import JsonOption, ServerOption, platform_errors, print_json, say
from pytest_coworld.platform.server import DEFAULT_SERVER, normalize_server


def submit_command(
    policy: Annotated[str, typer.Argument(help="Your policy: NAME for its latest version, or NAME:vN.")],
    league: Annotated[str, typer.Option("--league", help="The league id (league_…).")],
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Submit a version of your policy to a league; nothing is posted when the policy is not found."""
    from pytest_coworld.platform.client import PlatformClient
    from pytest_coworld.platform.credentials import require_token
    from pytest_coworld.platform.policies import find_policy_version, require_league_id

    with platform_errors():
        league_id = require_league_id(league)
        normalized = normalize_server(server)
        with PlatformClient(normalized, require_token(normalized)) as client:
            version = find_policy_version(client, policy)
            submission = client.submit_to_league(league_id, version.id)
    if as_json:
        print_json(submission.model_dump(mode="json"))
        return
    say(f"Submitted {version.name}:v{version.version} to {league_id}")
    say(f"Submission: {submission.id} status={submission.status}")
    if submission.league_policy_membership_id:
        say(f"Membership: {submission.league_policy_membership_id}")
    if submission.notes:
        say(f"Notes: {submission.notes}")
