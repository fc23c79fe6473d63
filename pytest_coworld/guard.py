"""The out-of-process guard: when the owning process dies (even by SIGKILL), remove its run's resources.

Started detached by `RunContext` as `python3 -m pytest_coworld.guard --pid <owner> --run-id <id>`, in its
own session so a Ctrl-C to the owner's process group does not reach it. It lives outside the runtime package
so that starting it imports nothing heavy (the runtime's Docker client, pydantic, jsonschema: 0.6 s of CPU
beside every run's start) until its owner has died. It waits for the owner's
exit (a pidfd on Linux, else polling), then removes every container and network labelled with the run id,
containers first, and the run's work folder. When the owner cleans up normally it stops the guard first.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

POLL_SECONDS = 0.5


def start_guard(owner_pid: int, run_id: str, work_root: Path | None) -> subprocess.Popen[bytes]:
    """Start the guard for `run_id`, watching `owner_pid` (normally `os.getpid()`)."""
    command = [
        sys.executable,
        "-m",
        "pytest_coworld.guard",
        "--pid",
        str(owner_pid),
        "--run-id",
        run_id,
    ]
    if work_root is not None:
        command += ["--work-root", str(work_root)]
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=Path(__file__).resolve().parents[1],
    )


def stop_guard(guard: subprocess.Popen[bytes]) -> None:
    """Stop a guard this process started (its owner is cleaning up by itself)."""
    guard.terminate()
    try:
        guard.wait(timeout=5)
    except subprocess.TimeoutExpired:
        guard.kill()
        guard.wait()


def wait_for_exit(pid: int) -> None:
    """Return once process `pid` has exited."""
    try:
        descriptor = os.pidfd_open(pid)
    except (AttributeError, OSError):
        descriptor = None
    if descriptor is not None:
        try:
            select.select([descriptor], [], [])
        finally:
            os.close(descriptor)
        return
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        time.sleep(POLL_SECONDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--work-root", type=Path)
    arguments = parser.parse_args(argv)
    if os.getppid() == arguments.pid:
        wait_for_exit(arguments.pid)
    from pytest_coworld.runtime.cleanup import sweep_until_clean
    from pytest_coworld.runtime.docker_api import connect_docker

    sweep_until_clean(connect_docker(), arguments.run_id)
    if arguments.work_root is not None:
        shutil.rmtree(arguments.work_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
