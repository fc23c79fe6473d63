"""`coworld play MANIFEST`: people play a Coworld in the browser, bots take the other slots
(PLATFORM_API.md, "Local play").

Exit status: 0 when the episode completed, 1 otherwise (or when Docker fails), 2 for usage errors,
130 when interrupted (every container and network of the run is removed first).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pytest_coworld.cli.common import (
    ExampleOption,
    ManifestArgument,
    fail,
    manifest_reference,
    stderr,
    stdout,
)
from pytest_coworld.cli.episode_inputs import check_images, load_episode_manifest, memory_size
from pytest_coworld.cli.episode_report import episode_summary, print_results
from pytest_coworld.cli.run_episode import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    CpusOption,
    MemoryOption,
    NoLimitsOption,
    OutputDirOption,
    TimeoutOption,
    VariantOption,
)

if TYPE_CHECKING:
    from pytest_coworld.manifest.models import LoadedManifest
    from pytest_coworld.runtime import Episode, EpisodeResult, EpisodeSpec, ResourceLimits, RunContext

PlayerImageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--player-image",
        help="Bot image: once for every bot slot, or once per bot slot in slot order "
        "(default: the manifest's certification players).",
    ),
]
HumansOption = Annotated[
    int,
    typer.Option(
        "--humans",
        min=0,
        help="How many slots people play: the first N (slots 0 to N-1); bots play the others.",
    ),
]
OpenOption = Annotated[
    bool,
    typer.Option(
        "--open",
        help="Open the first human link (with --humans 0: the live viewer) in your browser; never in CI.",
    ),
]


def play_command(
    manifest: ManifestArgument = None,
    example: ExampleOption = None,
    variant: VariantOption = None,
    player_image: PlayerImageOption = None,
    humans: HumansOption = 1,
    open_browser: OpenOption = False,
    output_dir: OutputDirOption = None,
    timeout: TimeoutOption = None,
    no_limits: NoLimitsOption = False,
    cpus: CpusOption = 1.0,
    memory: MemoryOption = "1g",
) -> None:
    """Play a Coworld in your browser: the game with fresh tokens, bots in the slots no human takes.

    Prints a link per human slot, the live viewer and the admin page (when served).

    Waits for the end of the episode, then prints results and artifacts like run-episode.

    Ctrl-C stops the episode and removes every container and network.
    """
    from pytest_coworld.runtime import NO_LIMITS, InfrastructureError, ResourceLimits, RunContext
    from pytest_coworld.runtime.signals import sigterm_as_keyboard_interrupt

    loaded = load_episode_manifest(manifest_reference(manifest, example), example, None)
    limits = NO_LIMITS if no_limits else ResourceLimits(cpus, memory_size(memory))
    spec = _episode_spec(loaded, variant, player_image or [], humans, timeout, limits)
    with sigterm_as_keyboard_interrupt():
        try:
            with RunContext() as context:
                check_images(context, spec, example)
                folder = output_dir or Path("coworld-artifacts") / context.run_id
                stderr.print(f"run {context.run_id}: artifacts in {folder}", markup=False, soft_wrap=True)
                result = _play(context, spec, humans, folder, open_browser)
        except KeyboardInterrupt:
            stderr.print("interrupted: every container and network of this run was removed", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except InfrastructureError as error:
            fail(str(error), code=EXIT_FAILED)
    print_results(episode_summary(loaded, context.run_id, folder, [result]), [result])
    _print_replay(result, loaded)
    raise typer.Exit(0 if result.completed else EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add `play` to `app`."""
    app.command("play")(play_command)


def _episode_spec(
    loaded: LoadedManifest,
    variant: str | None,
    images: list[str],
    humans: int,
    timeout: float | None,
    limits: ResourceLimits,
) -> EpisodeSpec:
    """The episode to play, or a one-line exit: the config, and an image for every slot (the human slots'
    are never started)."""
    from pytest_coworld.runtime import EpisodeSetupError, Timeouts, build_episode_spec
    from pytest_coworld.runtime.config import select_game_config

    try:
        game_config, _ = select_game_config(loaded, variant)
        slot_count = loaded.manifest.slot_count(game_config)
        if humans > slot_count:
            fail(f"--humans {humans}: this game has {slot_count} slots")
        return build_episode_spec(
            loaded,
            variant=variant,
            images=_slot_images(images, humans, slot_count),
            timeouts=Timeouts(episode=timeout),
            limits=limits,
        )
    except EpisodeSetupError as error:
        fail(str(error))


def _slot_images(images: list[str], humans: int, slot_count: int) -> list[str]:
    """`--player-image` values as `build_episode_spec` takes them: none, one, or one per slot."""
    bots = slot_count - humans
    if images and not bots:
        fail("--player-image: no bot plays, every slot is kept for a human")
    if len(images) <= 1:
        return images
    if len(images) != bots:
        fail(
            f"got {len(images)} --player-image for {bots} bot slot(s); give one (used for every bot) "
            f"or {bots} (one per bot slot, in slot order)"
        )
    return images[:1] * humans + images


def _play(
    context: RunContext, spec: EpisodeSpec, humans: int, folder: Path, open_browser: bool
) -> EpisodeResult:
    """Start the game, print the links once it is healthy, start the bots, wait for the end, collect."""
    from pytest_coworld.runtime import Episode
    from pytest_coworld.runtime.progress import PlainProgress

    with Episode(context, spec, folder, PlainProgress("play", stderr)) as episode:
        if episode.start_game() and episode.wait_healthy():
            first = _print_links(episode, humans)
            if open_browser:
                _open(first)
            episode.start_players(range(humans, spec.slot_count))
            stderr.print("playing until the game ends; Ctrl-C stops it and removes everything", markup=False)
            episode.wait_for_end()
        return episode.finish()


def _print_links(episode: Episode, humans: int) -> str:
    """Print each human slot's page, the live viewer and (when served) the admin page; the page to open.

    The pages are the game's generation's (`/client/…` current, `/clients/…` classic), unless the game
    serves its player page only under the other generation's routes."""
    from pytest_coworld.browser.urls import PREFIXES, client_page_url, route_generation
    from pytest_coworld.probes.routes import get_page, probe_client

    base, contract = episode.base_url, "current" if episode.spec.loaded.generation.is_current else "classic"
    generation = route_generation(probe_client(base, "player").served_by, contract) or contract
    links = [
        client_page_url(base, generation, "player", [("slot", str(slot)), ("token", episode.tokens[slot])])
        for slot in range(humans)
    ]
    for slot, link in enumerate(links):
        stdout.print(f"slot {slot} (human): {link}", markup=False, soft_wrap=True)
    viewer = client_page_url(base, generation, "global", [])
    stdout.print(f"live viewer: {viewer}", markup=False, soft_wrap=True)
    admin = f"{PREFIXES[generation]}/admin"
    if get_page(base, admin).status == 200:
        stdout.print(f"admin: {base}{admin}", markup=False, soft_wrap=True)
    return links[0] if links else viewer


def _open(link: str) -> None:
    """Open `link` in the user's browser, unless this runs in CI (`$CI` set)."""
    import webbrowser

    if os.environ.get("CI"):
        stderr.print("--open: not opening a browser in CI ($CI is set)", markup=False)
    elif not webbrowser.open(link):
        stderr.print("--open: found no browser to open; open the link yourself", markup=False)


def _print_replay(result: EpisodeResult, loaded: LoadedManifest) -> None:
    """Where the replay is, and how to watch it (`coworld replay`, or the game's static viewer)."""
    from pytest_coworld.runtime.workspace import replay_file_name

    replay = result.artifact(replay_file_name(loaded.generation))
    if replay is None:
        return
    bundle = loaded.replay_bundle()
    how = f"{bundle}/index.html#replay=<its URL>" if bundle else f"coworld replay {result.artifacts_dir}"
    stdout.print(f"replay: {replay.absolute()} (watch it: {how})", markup=False, soft_wrap=True)
