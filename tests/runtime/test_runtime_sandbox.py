"""Every container of an episode runs in the sandbox profile: few capabilities, no setuid privilege gains, a
process limit, and capped logs; a process flood inside the game stops at the limit, and a raw socket or a
device node cannot be made."""

from __future__ import annotations

from pathlib import Path

from runtime_fakes import fake_manifest

from pytest_coworld.runtime import Episode, RunContext, build_episode_spec
from pytest_coworld.runtime.containers import KEPT_CAPABILITIES, SANDBOX

RAW_SOCKET = "import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"


def test_game_and_relay_run_in_the_sandbox_and_a_process_flood_stops_at_the_limit(
    run: RunContext, tmp_path: Path
) -> None:
    with Episode(run, build_episode_spec(fake_manifest()), tmp_path) as episode:
        assert episode.start_game() and episode.game is not None and episode.relay is not None
        for handle in (episode.game, episode.relay.handle):
            handle.container.reload()
            host = handle.container.attrs["HostConfig"]
            assert host["CapDrop"] == ["ALL"] and sorted(host["CapAdd"]) == sorted(KEPT_CAPABILITIES)
            assert "no-new-privileges" in host["SecurityOpt"]
            assert host["PidsLimit"] == SANDBOX["pids_limit"]
            assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-file": "2", "max-size": "20m"}}

        raw_socket = episode.game.container.exec_run(["python3", "-c", RAW_SOCKET])
        assert raw_socket.exit_code != 0 and b"PermissionError" in raw_socket.output

        device = episode.game.container.exec_run(["mknod", "/tmp/null2", "c", "1", "3"])
        assert device.exit_code != 0 and b"Operation not permitted" in device.output

        # last: the flood's sleepers hold every pid for a minute, so no exec starts after it
        flood = f"for i in $(seq {SANDBOX['pids_limit'] + 50}); do sleep 60 & done; wait"
        _, output = episode.game.container.exec_run(["sh", "-c", flood])
        assert b"fork" in output.lower(), output[-500:]  # dash: "Cannot fork": it hit the pids limit
        episode.finish()
