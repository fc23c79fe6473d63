"""Benchmark of the episode runtime: wall time per episode against the game's own play time, by phase.

    python3 benchmarks/episode_bench.py [--example paint] [--episodes 3] [--parallel 2] [--json]

It measures (1) the cost of starting one bare container, (2) sequential episodes: wall time (cleanup
included), each phase, the overhead above the floor (the play time the config asks for: ticks x tick_ms),
and the runner's own share of it (the phases spent in Docker calls and files, without the game's startup
before healthz and the players' startup before they connect), (3) episodes per minute, sequential and with
`--parallel` episodes at once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pytest_coworld.examples import build_example, example_manifest_path  # noqa: E402
from pytest_coworld.manifest import load_manifest  # noqa: E402
from pytest_coworld.provision.base_image import BASE_IMAGE_TAG  # noqa: E402
from pytest_coworld.runtime import EpisodeSpec, RunContext, build_episode_spec, run_episode  # noqa: E402

CONTAINER_SAMPLES = 5
PHASES = ("prepare", "game_start", "healthz", "players_start", "play", "wind_down", "collect", "cleanup")
RUNNER_PHASES = ("prepare", "game_start", "players_start", "wind_down", "collect", "cleanup")


def container_start_cost(run: RunContext) -> dict[str, float]:
    """Median seconds to create, start, and remove a container that exits at once."""
    create, start, remove = [], [], []
    for index in range(CONTAINER_SAMPLES):
        began = time.monotonic()
        container = run.client.containers.create(
            BASE_IMAGE_TAG,
            ["true"],
            name=run.resource_name("bench", str(index)),
            labels=run.identity.labels("bench"),
        )
        created = time.monotonic()
        container.start()
        started = time.monotonic()
        container.wait()
        waited = time.monotonic()
        container.remove(force=True)
        create.append(created - began)
        start.append(started - created)
        remove.append(time.monotonic() - waited)
    return {name: round(statistics.median(values), 3) for name, values in
            (("create", create), ("start", start), ("remove", remove))}  # fmt: skip


def one_episode(spec: EpisodeSpec, run: RunContext, folder: Path) -> dict[str, Any]:
    began = time.monotonic()
    result = run_episode(spec, folder, run)
    wall = time.monotonic() - began
    phases = dict(result.timings)
    phases["cleanup"] = round(wall - result.record["timings"]["total"], 3)
    return {"outcome": result.outcome.kind.value, "wall": round(wall, 3), "phases": phases}


def floor_seconds(spec: EpisodeSpec) -> float | None:
    """The play time the config asks for (ticks x tick_ms), when the config says so."""
    config = spec.game_config
    if isinstance(config.get("ticks"), int) and isinstance(config.get("tick_ms"), int):
        return config["ticks"] * config["tick_ms"] / 1000
    return None


def measure(example: str, episodes: int, parallel: int) -> dict[str, Any]:
    build_example(example)
    spec = build_episode_spec(load_manifest(str(example_manifest_path(example))))
    with RunContext() as run, tempfile.TemporaryDirectory(prefix="coworld-bench-") as scratch:
        folder = Path(scratch)
        starts = container_start_cost(run)
        one_episode(spec, run, folder / "warmup")
        began = time.monotonic()
        sequential = [one_episode(spec, run, folder / f"seq-{index}") for index in range(episodes)]
        sequential_wall = time.monotonic() - began
        began = time.monotonic()
        with ThreadPoolExecutor(parallel) as pool:
            batch = list(
                pool.map(lambda i: one_episode(spec, run, folder / f"par-{i}"), range(episodes * parallel))
            )
        parallel_wall = time.monotonic() - began
    floor = floor_seconds(spec)
    wall = statistics.median(entry["wall"] for entry in sequential)
    phases = {
        phase: round(statistics.median(entry["phases"].get(phase, 0.0) for entry in sequential), 3)
        for phase in PHASES
    }
    return {
        "example": example,
        "slots": spec.slot_count,
        "container": starts,
        "floor_seconds": floor,
        "episode_wall_seconds": round(wall, 3),
        "overhead_seconds": round(wall - floor, 3) if floor is not None else None,
        "phases_seconds": phases,
        "runner_seconds": round(sum(phases[phase] for phase in RUNNER_PHASES), 3),
        "episodes_per_minute": round(60 * episodes / sequential_wall, 2),
        f"episodes_per_minute_parallel_{parallel}": round(60 * len(batch) / parallel_wall, 2),
        "outcomes": sorted({entry["outcome"] for entry in sequential + batch}),
    }


def print_report(report: dict[str, Any]) -> None:
    container = report["container"]
    print(f"example {report['example']} ({report['slots']} slots), outcomes: {', '.join(report['outcomes'])}")
    costs = ", ".join(f"{step} {seconds} s" for step, seconds in container.items())
    print(f"bare container: {costs}")
    print(
        f"episode wall {report['episode_wall_seconds']} s, floor {report['floor_seconds']} s, "
        f"overhead {report['overhead_seconds']} s; runner's own work {report['runner_seconds']} s"
    )
    for phase, seconds in report["phases_seconds"].items():
        print(f"  {phase:<14} {seconds:6.3f} s")
    for key in (key for key in report if key.startswith("episodes_per_minute")):
        print(f"{key.replace('_', ' ')}: {report[key]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="paint")
    parser.add_argument(
        "--episodes", type=int, default=3, help="sequential episodes (parallel runs twice as many)"
    )
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args()
    report = measure(arguments.example, arguments.episodes, arguments.parallel)
    if arguments.json:
        print(json.dumps(report, indent=2))
        return 0
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
