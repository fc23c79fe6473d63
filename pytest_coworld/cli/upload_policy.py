"""`coworld upload-policy IMAGE --name N`: upload a policy image and register it as a new policy version."""

from __future__ import annotations

from typing import Annotated

import typer

from pytest_coworld.cli.common import stderr
from pytest_coworld.cli.platform_options import (
    JsonOption,
    ServerOption,
    platform_errors,
    print_json,
    redact,
    say,
)
from pytest_coworld.platform.server import DEFAULT_SERVER, normalize_server


def upload_policy_command(
    image: Annotated[str, typer.Argument(help="The local policy image (linux/amd64), e.g. my-bot:latest.")],
    name: Annotated[str, typer.Option("--name", help="The policy name; a new upload adds a version.")],
    run: Annotated[
        list[str] | None, typer.Option("--run", help="One argument of the policy's command; repeat for each.")
    ] = None,
    secret_env: Annotated[
        list[str] | None,
        typer.Option(
            "--secret-env",
            metavar="KEY=VALUE",
            help="A secret for the policy's environment; repeatable. Sent to the platform only, never shown.",
        ),
    ] = None,
    use_bedrock: Annotated[
        bool, typer.Option("--use-bedrock", help="Add USE_BEDROCK=true to the policy's secret environment.")
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Upload IMAGE (skipped when the platform has it) and register it as a version of policy NAME."""
    from pytest_coworld.platform.client import PlatformClient
    from pytest_coworld.platform.credentials import require_token
    from pytest_coworld.platform.image_upload import upload_image
    from pytest_coworld.platform.local_images import docker_engine, inspect_local_image
    from pytest_coworld.platform.policies import parse_secret_env, policy_completion_body
    from pytest_coworld.platform.progress import progress_for

    secrets: dict[str, str] = {}
    with platform_errors(secrets.values()):
        secrets.update(parse_secret_env(secret_env or [], use_bedrock))
        normalized = normalize_server(server)
        with PlatformClient(normalized, require_token(normalized)) as client:
            engine = docker_engine()
            local_image = inspect_local_image(engine, image)
            local_image.require_platform_arch()
            with progress_for(stderr) as progress:
                uploaded = upload_image(client, engine, local_image, progress)
            policy = client.complete_policy_upload(
                policy_completion_body(name, uploaded.id, run or [], secrets)
            )
    submit_error = redact(policy.submit_error, secrets.values()) if policy.submit_error else None
    if as_json:
        print_json({**policy.model_dump(mode="json"), "submit_error": submit_error})
    else:
        say(f"Upload complete: {policy.name}:v{policy.version}")
        say(f"Policy version: {policy.id}")
    if submit_error:  # the platform may echo the request, secrets included
        stderr.print(f"warning: the platform reported: {submit_error}", markup=False, soft_wrap=True)
