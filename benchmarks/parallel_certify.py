"""Parallel certification, many runs: each must be CERTIFIED with one episode per target (Docker events).

    python3 benchmarks/parallel_certify.py [--runs 10] [--workers 2 4]

Each run is `pytest --coworld-manifest=paint --coworld-manifest=auction -n N` in a fresh folder. Afterwards
the engine's events of the run are read back: every game container created, by target and kind (the
certification episode and the probe game; replay servers are not counted). A correct run has exactly one of
each per target, whatever N is.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import docker

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pytest_coworld.examples import build_example, example_manifest_path  # noqa: E402
from pytest_coworld.runtime.engine_events import GamesCreated  # noqa: E402

TARGETS = ("paint", "auction")


def certify_once(workers: int) -> tuple[str, float, str]:
    """One run: its verdict, its wall time and its run id."""
    with tempfile.TemporaryDirectory(prefix="coworld-parallel-") as tmp:
        report = Path(tmp) / "report.json"
        started = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-q",
                *(f"--coworld-manifest={example_manifest_path(name)}" for name in TARGETS),
                f"--coworld-results-json={report}",
                f"--coworld-artifacts-dir={Path(tmp) / 'artifacts'}",
                "-n",
                str(workers),
            ],
            cwd=tmp,
            capture_output=True,
            check=False,
        )
        results = json.loads(report.read_text())
        return results["verdict"], time.monotonic() - started, results["run_id"]


def main(runs: int, worker_counts: list[int]) -> int:
    for name in TARGETS:
        build_example(name)
    client = docker.from_env()
    expected = Counter({(name, kind): 1 for name in TARGETS for kind in ("certification", "probe")})
    failures = 0
    print("| workers | run | verdict | games per target and kind | wall |")
    print("| --- | --- | --- | --- | --- |")
    for workers in worker_counts:
        for number in range(1, runs + 1):
            with GamesCreated(client, TARGETS) as games:
                verdict, wall, run_id = certify_once(workers)
            counted = games.count(run_id)
            right = verdict == "certified" and counted == expected
            failures += not right
            shown = ", ".join(f"{t}/{k}: {n}" for (t, k), n in sorted(counted.items()))
            print(f"| {workers} | {number} | {verdict}{'' if right else ' ✗'} | {shown} | {wall:.1f} s |")
    print(f"\n{failures} of {runs * len(worker_counts)} runs wrong")
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    arguments = parser.parse_args()
    sys.exit(main(arguments.runs, arguments.workers))
