"""A hostile Coworld game: the fake game (tests/runtime/fake) plus one hostile act chosen by HOSTILE_MODE.

- fork_tree: fork sleeping children until the kernel refuses, say how many, end them, then play;
- log_flood: write HOSTILE_LOG_MB megabytes of log lines, then play;
- results_flood: play, then grow results.json to 512 MiB (a sparse file: cheap to make, costly to read);
- replay_flood: play, then grow the replay to 2 GiB the same way.
Stdlib only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

MODE = os.environ.get("HOSTILE_MODE", "")
MIB = 1024 * 1024
FLOODS = {
    "results_flood": ("COGAME_RESULTS_URI", 512 * MIB),
    "replay_flood": ("COGAME_SAVE_REPLAY_URI", 2048 * MIB),
}


def fork_tree() -> None:
    children: list[int] = []
    try:
        while len(children) < 100_000:
            child = os.fork()
            if child == 0:
                time.sleep(3600)
                os._exit(0)
            children.append(child)
    except OSError as error:
        print(f"hostile game: forked {len(children)} children, then: {error}", flush=True)
    for child in children:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def log_flood() -> None:
    line = "x" * 1023 + "\n"
    for _ in range(int(os.environ.get("HOSTILE_LOG_MB", "64")) * 1024):
        sys.stdout.write(line)
    sys.stdout.flush()
    print("hostile game: flood over", flush=True)


def grow(uri_env: str, size: int) -> None:
    path = os.environ[uri_env].removeprefix("file://")
    with open(path, "ab") as handle:
        handle.truncate(size)
    print(f"hostile game: {path} is now {size // MIB} MiB", flush=True)


def main() -> None:
    print(f"hostile game: mode {MODE}", flush=True)
    if MODE == "fork_tree":
        fork_tree()
    elif MODE == "log_flood":
        log_flood()
    game = subprocess.run([sys.executable, "/app/fake_game.py"], check=False)
    if MODE in FLOODS:
        grow(*FLOODS[MODE])
    sys.exit(game.returncode)


if __name__ == "__main__":
    main()
