"""The episode workspace: a host folder mounted at /coworld in the game, and the contract's file URIs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from pytest_coworld.manifest.models import Generation
from pytest_coworld.runtime.containers import ContainerHandle

MOUNT_POINT = "/coworld"
CONFIG_FILE = "config.json"
RESULTS_FILE = "results.json"
PLAYER_FAILURE_FILE = "player_failure.json"
REPLAY_FILES = {False: "replay.json", True: "replay"}
MIB = 1024 * 1024
READ_LIMITS = {CONFIG_FILE: 16 * MIB, RESULTS_FILE: 16 * MIB, PLAYER_FAILURE_FILE: 1 * MIB}
REPLAY_READ_LIMIT = 256 * MIB
"""The most the harness reads into memory of each file a game writes (a certification episode is short)."""


class FileTooLarge(Exception):
    """A file the game wrote is larger than the harness reads; it is left unread."""

    def __init__(self, name: str, size: int, limit: int) -> None:
        super().__init__(
            f"{name} is {size / MIB:,.1f} MiB, more than the {limit // MIB} MiB the harness reads of it "
            "from a certification episode; it was not read"
        )


def replay_file_name(generation: Generation) -> str:
    """`replay.json` (classic) or `replay` (current): where the game saves its replay."""
    return REPLAY_FILES[generation.is_current]


def game_env(generation: Generation) -> dict[str, str]:
    """The contract's COGAME_* variables: the files under /coworld, and 0.0.0.0:8080 (any backend)."""
    return {
        "COGAME_CONFIG_URI": f"file://{MOUNT_POINT}/{CONFIG_FILE}",
        "COGAME_RESULTS_URI": f"file://{MOUNT_POINT}/{RESULTS_FILE}",
        "COGAME_SAVE_REPLAY_URI": f"file://{MOUNT_POINT}/{replay_file_name(generation)}",
        "COGAME_PLAYER_FAILURE_URI": f"file://{MOUNT_POINT}/{PLAYER_FAILURE_FILE}",
        "COGAME_HOST": "0.0.0.0",
        "COGAME_PORT": "8080",
    }


class Workspace:
    """A folder writable by any container user, holding the concrete config and what the game writes.

    The real tokens live only here (and in the game's memory); artifacts get redacted copies.
    """

    def __init__(self, folder: Path, generation: Generation) -> None:
        self.folder = folder
        self.generation = generation
        self.replay_name = replay_file_name(generation)
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o777)

    def path(self, name: str) -> Path:
        return self.folder / name

    def game_env(self) -> dict[str, str]:
        """The COGAME_* variables that point the game at this workspace and make it listen on 0.0.0.0:8080."""
        return game_env(self.generation)

    def mounts(self) -> dict[str, dict[str, str]]:
        return {str(self.folder): {"bind": MOUNT_POINT, "mode": "rw"}}

    def write_config(self, config: dict[str, Any]) -> None:
        target = self.path(CONFIG_FILE)
        target.write_text(json.dumps(config, indent=2))
        target.chmod(0o644)

    def has(self, name: str) -> bool:
        return self.path(name).exists()

    def read(self, name: str, container: ContainerHandle | None = None) -> bytes | None:
        """The bytes of a file the game wrote; via the container when the host may not read it (mode 0600).
        None when absent; FileTooLarge above its read limit."""
        target = self.path(name)
        if not target.exists():
            return None
        limit = READ_LIMITS.get(name, REPLAY_READ_LIMIT)
        if (size := target.stat().st_size) > limit:
            raise FileTooLarge(name, size, limit)
        try:
            return target.read_bytes()
        except PermissionError:
            if container is None:
                raise
            return container.read_file(f"{MOUNT_POINT}/{name}")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
