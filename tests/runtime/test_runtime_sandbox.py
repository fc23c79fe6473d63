"""Every container of an episode runs in the sandbox profile: no setuid privilege gains, a process limit, and
capped logs; a process flood inside the game stops at the limit."""

from __future__ import annotations

from pathlib import Path

from runtime_fakes import fake_manifest

from pytest_coworld.runtime import Episode, RunContext, build_episode_spec
from pytest_coworld.runtime.containers import SANDBOX


def test_game_and_relay_run_in_the_sandbox_and_a_process_flood_stops_at_the_limit(
    run: RunContext, tmp_path: Path
) -> None:
    with Episode(run, build_episode_spec(fake_manifest()), tmp_path) as episode:
        assert episode.start_game() and episode.game is not None and episode.relay is not None
        for handle in (episode.game, episode.relay.handle):
            handle.container.reload()
            host = handle.container.attrs["HostConfig"]
            assert "no-new-privileges" in host["SecurityOpt"]
            assert host["PidsLimit"] == SANDBOX["pids_limit"]
            assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-file": "2", "max-size": "20m"}}

        flood = f"for i in $(seq {SANDBOX['pids_limit'] + 50}); do sleep 60 & done; wait"
        _, output = episode.game.container.exec_run(["sh", "-c", flood])

        assert b"fork" in output.lower(), output[-500:]  # dash: "Cannot fork": it hit the pids limit
        episode.finish()
