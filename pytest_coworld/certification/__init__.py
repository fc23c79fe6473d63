"""One target's certification: the episode, the probe game and the replay servers, shared by its checks.

`CertificationRun.start()` starts the certification episode on its own thread. The probe game starts once
the episode's players have (the engine starts a few containers at a time faster than all at once), so its
probes overlap with play; the replay servers are made ready while the episode plays and started as soon as
its game has exited. Everything is removed by `close()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from contextlib import suppress
from pathlib import Path

from pytest_coworld.browser.live import (
    PROBE_SECONDS,
    expect_replay_viewer,
    live_probes,
    probe_game_probes,
    replay_viewer_probe,
)
from pytest_coworld.browser.observations import ViewerObservation
from pytest_coworld.certification.main_episode import (
    OBSERVATION_SLACK,
    MainEpisode,
    PlayHooks,
    Viewers,
    resolve,
)
from pytest_coworld.certification.probe_game import ProbeGame, TokenProbe
from pytest_coworld.certification.replay import ReplayHandle, ReplayServers, viewed_replay_mode
from pytest_coworld.failures import CheckBlocked, NotApplicable
from pytest_coworld.options import CoworldOptions
from pytest_coworld.runtime.episode import Episode
from pytest_coworld.runtime.replay import ReplayMode
from pytest_coworld.runtime.run import RunContext
from pytest_coworld.runtime.settings import Timeouts
from pytest_coworld.runtime.spec import build_episode_spec
from pytest_coworld.targets import Target

CERTIFICATION_EPISODE_MINUTES = 5.0

__all__ = ["CertificationRun", "MainEpisode", "ProbeGame", "ReplayHandle", "TokenProbe", "Viewers"]


class CertificationRun:
    def __init__(
        self,
        target: Target,
        options: CoworldOptions,
        run_id: str,
        worker: str,
        artifacts_dir: Path,
        replays_wanted: Callable[[], bool] = lambda: False,
    ) -> None:
        assert target.loaded is not None
        self.target = target
        self.loaded = target.loaded
        self.options = options
        self.artifacts_dir = artifacts_dir
        # one owner per resource: under xdist each worker's run id (and guard) covers only its own containers
        owner = target.id if worker == "main" else f"{worker}-{target.id}"
        self.context = RunContext(run_id=f"{run_id}-{owner}", worker=worker)
        self._main: MainEpisode | None = None
        self._probe: ProbeGame | None = None
        self._replays = ReplayServers(self.context, self.loaded, options.healthz_timeout, options.limits)
        self._replays_wanted = replays_wanted  # whether a collected check will use the replay servers
        self._background: list[threading.Thread] = []  # a probe game being removed
        self._viewer_probe: Callable[[str], ViewerObservation] | None = None
        self._replay_viewer: tuple[str, Future[ViewerObservation]] | None = None  # (mode, watched early)
        self._lock = threading.Lock()
        self._closed = False
        self._probe_waits = False  # its checks have all run; it goes with the episode's own removal
        self._episode_removal_began = False  # the episode ended, the replay servers started

    def start(self) -> None:
        """Start the certification episode and the probe game (once; never after `close`)."""
        with self._lock:
            if self._main is not None or self._closed:
                return
            self.context.open()
            spec = build_episode_spec(
                self.loaded,
                variant=self.target.variant,
                images=self.options.player_images,
                timeouts=Timeouts(healthz=self.options.healthz_timeout, episode=self._episode_seconds()),
                limits=self.options.limits,
            )
            contract = self.options.contract
            episode_dir = self.artifacts_dir / "episode"
            browser_main = live_probes(self.options, episode_dir)
            browser_probe = probe_game_probes(self.options, episode_dir)
            self._viewer_probe = replay_viewer_probe(self.options, episode_dir)
            keep = self.options.keep_containers
            hooks = PlayHooks(
                players_started=self._players_started,
                game_ended=self._start_replays,
                before_removal=self._let_replays_start,
            )
            self._main = MainEpisode(self.context, spec, episode_dir, contract, browser_main, not keep, hooks)
            self._probe = ProbeGame(self.context, spec, self.artifacts_dir / "probe", contract, browser_probe)
            self._main.start()

    def _episode_seconds(self) -> float:
        """The certification episode's limit: the option, else the manifest's, else a few minutes (a
        certification episode is short; the contract's 20-minute default is for real episodes)."""
        if self.options.episode_timeout is not None:
            return self.options.episode_timeout
        minutes = self.loaded.manifest.episode_timeout_minutes
        return minutes * 60 if minutes else CERTIFICATION_EPISODE_MINUTES * 60

    @property
    def main(self) -> MainEpisode:
        self.start()
        assert self._main is not None
        return self._main

    def probe_game(self) -> ProbeGame:
        """The probe game, healthy; started once the episode's players have (or the episode ended without)."""
        self.main.wait_play_began()
        assert self._probe is not None
        self._probe.start()
        return self._probe.wait_healthy()

    def release_probe_game(self) -> None:
        """The last check that uses the probe game has run: remove it on a thread while the other checks go
        on, rather than with everything else at the end (kept with `--coworld-keep-containers`).

        When the replay viewer is watched, its browser pages kept the probe game until about the episode's
        end, and the viewer's second of watching follows the replay servers' start: the probe game then
        goes beside the episode's own removal, once the replay servers have started (the engine would
        remove it while the episode ends, and the replay servers start, slower than both). Otherwise it goes
        at once, while the episode still plays."""
        if self._probe is None or self.options.keep_containers:
            return
        with self._lock:
            now = self._viewer_probe is None or self._episode_removal_began
            self._probe_waits = not now
        if now:
            self._remove_probe_game()

    def _remove_probe_game(self) -> None:
        assert self._probe is not None
        with self._lock:
            if self._closed:  # the run's own removal takes it
                return
        removal = threading.Thread(target=self._probe.close, name="coworld-probe-removal", daemon=True)
        removal.start()
        self._background.append(removal)

    def replay_server(self, mode: str) -> ReplayHandle:
        """The replay server of `mode` (`classic`/`current`) on the episode's replay, started on first use."""
        from pytest_coworld.certification.reports import replay_file

        main = self.main
        modes = self._certified_replay_modes()
        if mode not in modes:
            served = main.client_routes("player").served_by
            raise NotApplicable(
                f"the game follows the {'/'.join(served) or self.options.contract} generation of routes"
            )
        problem = main.replay_problem()
        if problem:
            raise CheckBlocked(f"the episode has no replay (replay.written: {problem})")
        replay = replay_file(main.result())
        assert replay is not None
        return self._replays.handle(mode, modes, replay)

    def _certified_replay_modes(self) -> list[str]:
        """The replay modes to certify: the `--coworld-contract` one, else those the game's routes serve."""
        if self.loaded.manifest.game.replay_viewer is not None:
            raise NotApplicable("the game declares a static replay viewer bundle, so it has no replay mode")
        served = self.main.client_routes("player").served_by
        wanted = self.options.contract
        if wanted != "auto":
            return [wanted]
        return [mode.value for mode in ReplayMode if not served or mode.value in served]

    def _players_started(self) -> None:
        """The episode's players have started: start the probe game, and make the replay servers ready if a
        check will use them (the engine starts one thing at a time faster than all at once)."""
        assert self._probe is not None
        self._probe.start()
        self._prepare_replays()

    def _prepare_replays(self) -> None:
        """Make the replay servers ready on a thread, if a check will use them."""

        def prepare() -> None:
            with suppress(Exception):  # a server that could not be prepared is started, and judged, on use
                self._replays.prepare(self._certified_replay_modes())

        if self._replays_wanted():
            threading.Thread(target=prepare, name="coworld-replay-prepare", daemon=True).start()

    def _start_replays(self, episode: Episode) -> None:
        """The game has exited: start the prepared replay servers on the replay it wrote, if it wrote one."""
        workspace = episode.workspace
        if workspace is None or workspace.path(workspace.replay_name).is_dir():
            return
        with suppress(Exception):  # unreadable or too large: replay.written says so, the checks are blocked
            replay = workspace.read(workspace.replay_name, episode.game)
            if replay:
                self._replays.start_with(replay)
                self._watch_replay_viewer()

    def _let_replays_start(self) -> None:
        """The engine removes the episode's containers, or starts the replay servers, faster than both at
        once: the replay servers, which the checks wait for, go first. A probe game waiting for the episode's
        removal goes with it."""
        self._replays.join(self.options.healthz_timeout + 30)
        with self._lock:
            self._episode_removal_began = True
            waits, self._probe_waits = self._probe_waits, False
        if waits:
            self._remove_probe_game()

    def _watch_replay_viewer(self) -> None:
        """When its check is selected, open the replay viewer as soon as its replay server is healthy, on a
        thread, while the other checks run (the check reads what it saw: `replay_viewer_seen`)."""
        probe = self._viewer_probe
        if probe is None:
            return
        mode = viewed_replay_mode(self.main.client_routes("player").served_by)
        expect_replay_viewer()
        seen: Future[ViewerObservation] = Future()
        self._replay_viewer = (mode, seen)

        def watch() -> None:
            handle = self._replays.started(mode)
            if handle is None or handle.healthz_problem:
                seen.cancel()  # the check reports it, from the replay server
                return
            resolve(seen, probe, handle.server.viewer_url)

        threading.Thread(target=watch, name="coworld-replay-viewer", daemon=True).start()

    def replay_viewer_seen(self, mode: str) -> ViewerObservation | None:
        """What the replay viewer of `mode` showed when opened as soon as its server was healthy (raises what
        that probe raised); None when it was not opened then."""
        if self._replay_viewer is None or self._replay_viewer[0] != mode:
            return None
        seen = self._replay_viewer[1]
        with suppress(CancelledError):
            return seen.result(timeout=PROBE_SECONDS + OBSERVATION_SLACK)
        return None

    def close(self, keep: bool = False) -> None:
        """Remove everything this run started (with `keep`, leave the containers for debugging); once, after
        a start in progress (on another thread) has ended."""
        with self._lock:
            started, self._closed = self._main is not None and not self._closed, True
        if not started:
            return
        self._replays.join(self.options.healthz_timeout + 30)
        if not keep:  # the replay servers go beside the probe game's removal, not after it
            removal = threading.Thread(target=self._replays.close, name="coworld-replay-removal", daemon=True)
            removal.start()
            self._background.append(removal)
        for work in self._background:
            work.join(timeout=self.options.healthz_timeout + 30)
        if keep:
            self.context.detach()
            return
        self.context.close()
