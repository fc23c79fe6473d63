"""The `coworld` Typer application: registers each command module."""

from __future__ import annotations

import gc as python_gc
from typing import TYPE_CHECKING

import typer

from pytest_coworld.cli import (
    catalogue,
    certify,
    download,
    example,
    gc,
    k8s,
    login,
    play,
    replay,
    run_episode,
    submit,
    tournament,
    upload_coworld,
    upload_policy,
    validate,
    verify_report,
)
from pytest_coworld.cli.common import GROUP_CONTEXT

if TYPE_CHECKING:
    from pytest_coworld.pytest_process import PytestProcess

app = typer.Typer(
    name="coworld",
    help="Certify, run and ship Coworld games.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"], **GROUP_CONTEXT},
    pretty_exceptions_enable=False,
)
app.command("validate")(validate.validate_command)
app.command("certify", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    certify.certify_command
)
app.command("verify-report")(verify_report.verify_report_command)
app.command("run-episode")(run_episode.run_episode_command)
app.command("replay")(replay.replay_command)
app.command("gc")(gc.gc_command)
app.command("login")(login.login_command)
app.command("upload-coworld")(upload_coworld.upload_coworld_command)
app.command("upload-policy")(upload_policy.upload_policy_command)
app.add_typer(k8s.app, name="k8s")
app.command("submit")(submit.submit_command)
app.command("download")(download.download_command)
app.add_typer(example.app, name="example")
play.register(app)
catalogue.register(app)
tournament.register(app)


def run(pytest_process: PytestProcess | None = None) -> None:
    """Run the command line; `coworld certify` certifies in `pytest_process`, when one was started."""
    try:
        app(obj=pytest_process)
    finally:
        python_gc.freeze()  # what is left is not collected again as Python exits: 0.1 s less per command


if __name__ == "__main__":
    run()
