"""Benchmark of a whole certification: wall time against the certification episode's own play time.

    python3 benchmarks/certify_bench.py [--example paint] [--runs 3] [--no-browser]

Each run is `pytest --coworld-manifest=<example>` in a fresh folder (as a game author runs it). Wall time is
the subprocess's; play time is the `play` phase of the certification episode's episode.json (from players
started to the game's end). Overhead = wall - play: everything the harness adds, probes included.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pytest_coworld.examples import build_example, example_manifest_path  # noqa: E402


def certify_once(example: str, browser: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="coworld-bench-") as tmp:
        folder = Path(tmp)
        extra = [] if browser else ["--coworld-exclude-checks=browser.*"]
        started = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-q",
                f"--coworld-manifest={example_manifest_path(example)}",
                f"--coworld-artifacts-dir={folder}",
                *extra,
            ],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        wall = time.monotonic() - started
        record = json.loads(next(folder.glob("*/*/episode/episode.json")).read_text())
    play = record["timings"]["play"]
    return {"wall": wall, "play": play, "overhead": wall - play}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="paint")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    build_example(args.example)
    runs = [certify_once(args.example, not args.no_browser) for _ in range(args.runs)]
    for key in ("wall", "play", "overhead"):
        values = [run[key] for run in runs]
        print(
            f"{args.example} {key:<8} median {statistics.median(values):5.2f} s  (runs: "
            f"{', '.join(f'{v:.2f}' for v in values)})"
        )


if __name__ == "__main__":
    main()
