"""One target's certification: the episode, the probe game and the replay servers, shared by its checks.

`CertificationRun.start()` starts the certification episode and the probe game at once, each on its own
thread, so probes and checks overlap with play. Everything is removed by `close()`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from pytest_coworld.browser.live import live_probes, probe_game_probes
from pytest_coworld.certification.main_episode import MainEpisode, Viewers
from pytest_coworld.certification.probe_game import ProbeGame, TokenProbe
from pytest_coworld.certification.replay import ReplayHandle
from pytest_coworld.failures import CheckBlocked, NotApplicable
from pytest_coworld.options import CoworldOptions
from pytest_coworld.runtime.record import EpisodeResult
from pytest_coworld.runtime.replay import ReplayMode, ReplayServer
from pytest_coworld.runtime.run import RunContext
from pytest_coworld.runtime.settings import Timeouts
from pytest_coworld.runtime.spec import build_episode_spec
from pytest_coworld.targets import Target

CERTIFICATION_EPISODE_MINUTES = 5.0

__all__ = ["CertificationRun", "MainEpisode", "ProbeGame", "ReplayHandle", "TokenProbe", "Viewers"]


class CertificationRun:
    def __init__(
        self, target: Target, options: CoworldOptions, run_id: str, worker: str, artifacts_dir: Path
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
        self._replays: dict[str, ReplayHandle] = {}
        self._background: list[threading.Thread] = []  # replay servers starting, a probe game being removed
        self._lock = threading.Lock()
        self._closed = False

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
            keep = self.options.keep_containers
            self._main = MainEpisode(self.context, spec, episode_dir, contract, browser_main, not keep)
            self._probe = ProbeGame(self.context, spec, self.artifacts_dir / "probe", contract, browser_probe)
            self._main.start()
            self._probe.start()

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
        self.start()
        assert self._probe is not None
        return self._probe.wait_healthy()

    def release_probe_game(self) -> None:
        """The last check that uses the probe game has run: remove it now, on a thread, while the other checks
        go on, rather than with everything else at the end (kept with `--coworld-keep-containers`)."""
        if self._probe is None or self.options.keep_containers:
            return
        removal = threading.Thread(target=self._probe.close, name="coworld-probe-removal", daemon=True)
        removal.start()
        self._background.append(removal)

    def replay_server(self, mode: str) -> ReplayHandle:
        """The replay server of `mode` (`classic`/`current`) on the episode's replay, started on first use."""
        main = self.main
        if self.loaded.manifest.game.replay_viewer is not None:
            raise NotApplicable("the game declares a static replay viewer bundle, so it has no replay mode")
        served = main.client_routes("player").served_by
        if mode not in self._replay_modes(served):
            raise NotApplicable(
                f"the game follows the {'/'.join(served) or self.options.contract} generation of routes"
            )
        problem = main.replay_problem()
        if problem:
            raise CheckBlocked(f"the episode has no replay (replay.written: {problem})")
        with self._lock:
            if not self._replays:
                self._start_replay_servers(main.result(), self._replay_modes(served))
        return self._replays[mode].ensure_started()

    def _replay_modes(self, served: list[str]) -> list[str]:
        """The replay modes to certify: the `--coworld-contract` one, else those the game's routes serve."""
        wanted = self.options.contract
        if wanted != "auto":
            return [wanted]
        return [mode.value for mode in ReplayMode if not served or mode.value in served]

    def _start_replay_servers(self, result: EpisodeResult, modes: list[str]) -> None:
        """Start the replay server of every mode at once, each on its own thread."""
        from pytest_coworld.certification.reports import replay_file

        replay = replay_file(result)
        assert replay is not None
        for mode in modes:
            server = ReplayServer.for_manifest(
                self.context,
                self.loaded,
                replay,
                ReplayMode(mode),
                healthz_timeout=self.options.healthz_timeout,
                limits=self.options.limits,
            )
            handle = self._replays[mode] = ReplayHandle(server)
            starting = threading.Thread(
                target=handle.ensure_started, name=f"coworld-replay-{mode}", daemon=True
            )
            starting.start()
            self._background.append(starting)

    def close(self, keep: bool = False) -> None:
        """Remove everything this run started (with `keep`, leave the containers for debugging); once, after
        a start in progress (on another thread) has ended."""
        with self._lock:
            started, self._closed = self._main is not None and not self._closed, True
        if not started:
            return
        for work in self._background:  # a replay server still starting would outlive the removal
            work.join(timeout=self.options.healthz_timeout + 30)
        if keep:
            self.context.detach()
            return
        self.context.close()
