"""A `coworld`-like app with only this area's commands, for the CLI tests (run as a subprocess)."""

from __future__ import annotations

import typer

from pytest_coworld.cli.gc import gc_command
from pytest_coworld.cli.replay import replay_command
from pytest_coworld.cli.run_episode import run_episode_command

app = typer.Typer(pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]})
app.command("run-episode")(run_episode_command)
app.command("replay")(replay_command)
app.command("gc")(gc_command)

if __name__ == "__main__":
    app()
