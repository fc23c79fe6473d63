"""`coworld replay-open EREQ_ID [--hosted]`: watch a tournament episode's replay, hosted by the platform or
locally in the game's own replay mode (as `coworld replay` serves it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pytest_coworld.cli.common import fail, stderr
from pytest_coworld.cli.platform_options import EXIT_FAILURE, ServerOption, say
from pytest_coworld.cli.tournament_options import EpisodeRequestArgument
from pytest_coworld.platform.server import DEFAULT_SERVER

if TYPE_CHECKING:
    from pytest_coworld.manifest import LoadedManifest

NO_REPLAY = "No replay URL is available for this episode request."
NO_COWORLD = "Episode request is missing coworld_id."
REPLAYS_FOLDER = "replays"


def replay_open_command(
    episode_request_id: EpisodeRequestArgument,
    hosted: Annotated[
        bool, typer.Option("--hosted", help="Open a replay session on the platform and print its viewer URL.")
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
) -> None:
    """Open an episode's replay: locally in the game's replay mode (until Ctrl-C), or hosted (--hosted).

    Locally, the coworld's images and the replay are downloaded first (both cached); a game with a static
    replay viewer gets the path of the viewer's index.html with #replay=<file> instead.
    """
    from pytest_coworld.cli.tournament_support import api_session, checked_id
    from pytest_coworld.platform.download import downloads_cache, local_manifest_reference
    from pytest_coworld.platform.errors import PlatformError
    from pytest_coworld.platform.progress import PlainProgress, progress_for
    from pytest_coworld.platform.replay_downloads import fetch_replay

    checked_id(episode_request_id, "episode request", "EREQ_ID")
    with api_session(server) as api:
        episode = api.episode_request(episode_request_id)
        if not episode.replay_url:
            raise PlatformError(
                NO_REPLAY, hint="the episode may not have finished; see `coworld episodes EREQ_ID`"
            )
        if not episode.coworld_id:
            raise PlatformError(NO_COWORLD)
        if hosted:
            say(api.replay_session(episode.coworld_id, episode.replay_url).viewer_url)
            return
        with progress_for(stderr) as progress:
            replay = fetch_replay(api, episode, downloads_cache() / REPLAYS_FOLDER, progress)
        manifest = local_manifest_reference(episode.coworld_id, PlainProgress(stderr), api.client.server)
    _open_locally(_load(manifest), replay)


def _load(manifest: str) -> LoadedManifest:
    from pytest_coworld.manifest import ManifestInvalid, ManifestLoadError, load_manifest

    try:
        return load_manifest(manifest)
    except (ManifestLoadError, ManifestInvalid) as error:
        fail(f"the coworld's manifest cannot be used: {error}", code=EXIT_FAILURE)


def _open_locally(loaded: LoadedManifest, replay: Path) -> None:
    """Point at the static viewer bundle, or serve the replay in the game's replay mode until Ctrl-C."""
    bundle = loaded.replay_bundle()
    if bundle is not None:
        index = f"{bundle}index.html" if isinstance(bundle, str) else str(bundle / "index.html")
        say(f"replay viewer: {index}#replay={replay}")
        return
    from pytest_coworld.cli.replay import serve_replay
    from pytest_coworld.runtime import ReplayServer

    serve_replay(lambda run: ReplayServer.for_manifest(run, loaded, replay))
