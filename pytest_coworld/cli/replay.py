"""`coworld replay`: serve a finished episode's replay with the game's own replay viewer until Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pytest_coworld.cli.common import fail, stderr, stdout

if TYPE_CHECKING:
    from pytest_coworld.runtime import ReplayMode, ReplayServer, RunContext

EXIT_FAILED = 1
WAKE_SECONDS = 0.5

ArtifactsArgument = Annotated[
    Path,
    typer.Argument(
        help="The artifacts folder of one episode (it holds episode.json and the replay).",
        metavar="ARTIFACTS_DIR",
        show_default=False,
    ),
]
ModeOption = Annotated[
    str | None,
    typer.Option("--mode", help="Replay mode: classic or current (default: the manifest's generation)."),
]


def replay_command(artifacts_dir: ArtifactsArgument, mode: ModeOption = None) -> None:
    """Start the game image in replay mode on a finished episode's replay and print the viewer URL.

    Runs until Ctrl-C, then removes the container.
    """
    from pytest_coworld.runtime import ReplayServer

    replay_mode = _mode(mode)
    serve_replay(lambda run: ReplayServer.for_artifacts(run, artifacts_dir, replay_mode))


def serve_replay(make_server: Callable[[RunContext], ReplayServer]) -> None:
    """Start the replay server `make_server` gives, print its URLs and serve until Ctrl-C (or SIGTERM), then
    remove it; a one-line error when it cannot start or exits by itself."""
    from pytest_coworld.runtime import CoworldRuntimeError, ReplayNotSupported, RunContext
    from pytest_coworld.runtime.signals import sigterm_as_keyboard_interrupt

    with sigterm_as_keyboard_interrupt():
        try:
            with RunContext() as run, make_server(run) as server:
                stdout.print(f"replay viewer: {server.viewer_url}", markup=False, soft_wrap=True)
                stdout.print(f"replay websocket: {server.websocket_url}", markup=False, soft_wrap=True)
                stderr.print("serving until Ctrl-C", markup=False)
                while server.container is not None and not server.container.wait_exit(WAKE_SECONDS):
                    pass
                fail(f"the replay server exited by itself:\n{server.logs()[-2000:]}", code=EXIT_FAILED)
        except KeyboardInterrupt:
            stderr.print("stopped; the replay server was removed", markup=False)
        except ReplayNotSupported as error:
            fail(str(error))
        except CoworldRuntimeError as error:
            fail(str(error), code=EXIT_FAILED)


def _mode(mode: str | None) -> ReplayMode | None:
    from pytest_coworld.runtime import ReplayMode

    if mode is None:
        return None
    try:
        return ReplayMode(mode.lower())
    except ValueError:
        fail(f"--mode must be classic or current, got {mode!r}")
