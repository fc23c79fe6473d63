"""The public fixtures of pytest-coworld. The certification checks use exactly these; the full list, with
what each gives, is generated into docs/reference/fixtures.md.

The heavy objects behind them live once per target and pytest process in the `coworld_runs` session
fixture, so many checks share one episode; they are removed when the session's fixtures are torn down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_coworld.certification import CertificationRun, MainEpisode, ProbeGame, ReplayHandle
    from pytest_coworld.manifest import LoadedManifest
    from pytest_coworld.runtime import PlayerContainer
    from pytest_coworld.targets import Target


def _session(request: pytest.FixtureRequest) -> Any:
    from pytest_coworld.session import SESSION_KEY

    session = request.config.stash.get(SESSION_KEY, None)
    if session is None:
        pytest.skip("not applicable: no --coworld-manifest given")
    return session


@pytest.fixture
def coworld_target(request: pytest.FixtureRequest) -> str:
    """The id of the target (manifest + config) being certified; parametrized by the plugin."""
    _session(request)
    pytest.skip("not applicable: this test is not parametrized by a Coworld target")


@pytest.fixture
def coworld_slot() -> int:
    """A player slot of the target; parametrized by the plugin together with `coworld_target`."""
    pytest.skip("not applicable: this test is not parametrized by a player slot")


@pytest.fixture
def coworld_image() -> tuple[str, str]:
    """`(json path, image reference)` of an image the target references; parametrized by the plugin."""
    pytest.skip("not applicable: this test is not parametrized by an image")


def target_of(request: pytest.FixtureRequest, target_id: str) -> Target:
    target: Target = _session(request).target(target_id)
    return target


@pytest.fixture
def coworld_manifest(request: pytest.FixtureRequest, coworld_target: str) -> LoadedManifest:
    """The validated manifest of the target. A manifest that does not validate blocks the test."""
    target = target_of(request, coworld_target)
    if target.loaded is None:
        pytest.skip(f"blocked: the manifest {target.reference} is not valid (see the manifest.* checks)")
    return target.loaded


@pytest.fixture(scope="session")
def coworld_runs(request: pytest.FixtureRequest) -> Iterator[dict[str, CertificationRun]]:
    """Each target's certification run in this process by target id, created on first use; all are
    removed at the end of the session (left in place with `--coworld-keep-containers`)."""
    session = _session(request)
    runs: dict[str, CertificationRun] = session.runs
    yield runs
    session.close_runs(keep=session.options.keep_containers)


@pytest.fixture
def coworld_run(
    request: pytest.FixtureRequest,
    coworld_runs: dict[str, CertificationRun],
    coworld_manifest: LoadedManifest,
    coworld_target: str,
) -> CertificationRun:
    """The target's certification run (episode, probe game, replay server), shared by all its checks."""
    run: CertificationRun = _session(request).run_for(coworld_target)
    run.start()
    return run


@pytest.fixture
def coworld_episode(coworld_run: CertificationRun) -> MainEpisode:
    """The certification episode (started once per target; its results block until it has finished)."""
    return coworld_run.main


@pytest.fixture
def coworld_game(coworld_run: CertificationRun) -> ProbeGame:
    """A healthy game of a probe episode beside the certification episode, for probes from the host."""
    return coworld_run.probe_game()


@pytest.fixture
def make_coworld_player(coworld_game: ProbeGame) -> Callable[[int], PlayerContainer]:
    """`make_coworld_player(slot)` starts the slot's certification player (the manifest's image, run and env
    for it) in the probe game; it is removed with the probe game at the end of the run."""
    return coworld_game.start_player


@pytest.fixture
def coworld_replay_mode(coworld_episode: MainEpisode) -> str:
    """The replay mode to start: the generation of routes the game serves (`current` when it serves both)."""
    from pytest_coworld.certification.replay import viewed_replay_mode

    return viewed_replay_mode(coworld_episode.client_routes("player").served_by)


@pytest.fixture
def coworld_replay_server(coworld_run: CertificationRun, coworld_replay_mode: str) -> ReplayHandle:
    """The game in replay mode on the certification episode's replay (not for static replay bundles)."""
    return coworld_run.replay_server(coworld_replay_mode)
