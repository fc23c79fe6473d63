"""Benchmark of the episode runtime: wall time per episode against the game's own play time, by phase,
and the throughput and cost of N episodes at each parallelism.

    python3 benchmarks/episode_bench.py [--example paint] [--episodes 20] [--parallel 1 2 4] [--json]

It measures (1) the cost of starting one bare container, (2) the floor: the same episode played with bare
Docker calls (`raw_episode.py`), whose overhead (wall minus play) any runner pays, then for each K of
`--parallel`, N episodes with at most K at once: (3) episodes per minute, wall time per episode, and the
machine's CPU-seconds per episode (all busy time in /proc/stat over the batch: the runner, Docker and the
containers), (4) for the first K, each phase, our overhead (wall minus play) and how far above the floor's
it is, and the runner's own share of it (the phases spent in Docker calls and files, without the game's
startup before healthz and the players' startup before they connect).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from raw_episode import raw_episode  # noqa: E402

from pytest_coworld.examples import build_example, example_manifest_path  # noqa: E402
from pytest_coworld.manifest import load_manifest  # noqa: E402
from pytest_coworld.provision.base_image import BASE_IMAGE_TAG  # noqa: E402
from pytest_coworld.runtime import EpisodeSpec, RunContext, build_episode_spec, run_episode  # noqa: E402
from pytest_coworld.runtime.observer import EpisodeObserver  # noqa: E402
from pytest_coworld.runtime.start_turns import StartTurns, turns_for_this_machine  # noqa: E402

CONTAINER_SAMPLES = 5
RAW_SAMPLES = 5
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


def one_episode(spec: EpisodeSpec, run: RunContext, folder: Path, turns: StartTurns) -> dict[str, Any]:
    """One episode, as `coworld run-episode` plays it: in its turn to start among `turns`' episodes. Its
    wall time starts with its turn (the wait for one is the batch's, not the episode's)."""
    with turns.turn(EpisodeObserver(), spec.slot_count) as observer:
        began = time.monotonic()
        result = run_episode(spec, folder, run, observer)
        wall = time.monotonic() - began
    phases = dict(result.timings)
    phases["cleanup"] = round(wall - result.record["timings"]["total"], 3)
    return {"outcome": result.outcome.kind.value, "wall": round(wall, 3), "phases": phases}


def raw_floor(spec: EpisodeSpec, run: RunContext) -> dict[str, float]:
    """The medians of `RAW_SAMPLES` bare-Docker episodes: wall, play, and overhead (wall minus play)."""
    samples = [raw_episode(spec, run) for _ in range(RAW_SAMPLES)]
    wall, play = (statistics.median(sample[key] for sample in samples) for key in ("wall", "play"))
    overheads = [sample["wall"] - sample["play"] for sample in samples]
    return {"wall": wall, "play": play, "overhead": round(statistics.median(overheads), 3)}


def floor_seconds(spec: EpisodeSpec) -> float | None:
    """The play time the config asks for (ticks x tick_ms), when the config says so."""
    config = spec.game_config
    if isinstance(config.get("ticks"), int) and isinstance(config.get("tick_ms"), int):
        return config["ticks"] * config["tick_ms"] / 1000
    return None


def busy_cpu_seconds() -> float:
    """The machine's CPU time spent busy so far (all cores, /proc/stat: all but idle and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def raw_episodes_per_minute(spec: EpisodeSpec, run: RunContext, count: int, parallel: int) -> float:
    """The floor's throughput: `count` bare-Docker episodes with at most `parallel` at once."""
    began = time.monotonic()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda _: raw_episode(spec, run), range(count)))
    return round(60 * count / (time.monotonic() - began), 2)


def batch(spec: EpisodeSpec, run: RunContext, folder: Path, count: int, parallel: int) -> dict[str, Any]:
    """`count` episodes with at most `parallel` at once: throughput, cost, and each episode's entry; and
    the throughput of as many bare-Docker episodes."""
    turns = StartTurns(turns_for_this_machine(), run.cancel)
    cpu, began = busy_cpu_seconds(), time.monotonic()
    with ThreadPoolExecutor(parallel) as pool:
        entries = list(
            pool.map(lambda index: one_episode(spec, run, folder / str(index), turns), range(count))
        )
    wall, cpu = time.monotonic() - began, busy_cpu_seconds() - cpu
    return {
        "parallel": parallel,
        "episodes": count,
        "wall_seconds": round(wall, 2),
        "episodes_per_minute": round(60 * count / wall, 2),
        "raw_episodes_per_minute": raw_episodes_per_minute(spec, run, count, parallel),
        "episode_wall_seconds": round(statistics.median(entry["wall"] for entry in entries), 3),
        "cpu_seconds_per_episode": round(cpu / count, 2),
        "outcomes": sorted({entry["outcome"] for entry in entries}),
        "entries": entries,
    }


def measure(example: str, episodes: int, parallels: list[int]) -> dict[str, Any]:
    build_example(example)
    spec = build_episode_spec(load_manifest(str(example_manifest_path(example))))
    with RunContext() as run, tempfile.TemporaryDirectory(prefix="coworld-bench-") as scratch:
        folder = Path(scratch)
        starts = container_start_cost(run)
        one_episode(spec, run, folder / "warmup", StartTurns(1, run.cancel))
        raw = raw_floor(spec, run)
        batches = [batch(spec, run, folder / f"k{k}", episodes, k) for k in parallels]
    floor = floor_seconds(spec)
    first = batches[0]["entries"]
    wall = statistics.median(entry["wall"] for entry in first)
    overhead = statistics.median(entry["wall"] - entry["phases"]["play"] for entry in first)
    phases = {
        phase: round(statistics.median(entry["phases"].get(phase, 0.0) for entry in first), 3)
        for phase in PHASES
    }
    base, raw_base = batches[0]["episodes_per_minute"], batches[0]["raw_episodes_per_minute"]
    for entry in batches:
        del entry["entries"]
        entry["speedup"] = round(entry["episodes_per_minute"] / base, 2)
        entry["raw_speedup"] = round(entry["raw_episodes_per_minute"] / raw_base, 2)
    return {
        "example": example,
        "slots": spec.slot_count,
        "cpus": os.cpu_count(),
        "container": starts,
        "floor_seconds": floor,
        "episode_wall_seconds": round(wall, 3),
        "overhead_seconds": round(wall - floor, 3) if floor is not None else None,
        "raw_docker": raw,
        "runner_overhead_seconds": round(overhead, 3),
        "over_raw_floor_seconds": round(overhead - raw["overhead"], 3),
        "phases_seconds": phases,
        "runner_seconds": round(sum(phases[phase] for phase in RUNNER_PHASES), 3),
        "batches": batches,
    }


def print_report(report: dict[str, Any]) -> None:
    container = report["container"]
    print(f"example {report['example']} ({report['slots']} slots), {report['cpus']} CPUs")
    costs = ", ".join(f"{step} {seconds} s" for step, seconds in container.items())
    print(f"bare container: {costs}")
    raw = report["raw_docker"]
    print(f"bare-Docker episode: wall {raw['wall']} s, play {raw['play']} s, overhead {raw['overhead']} s")
    print(
        f"episode wall {report['episode_wall_seconds']} s, floor {report['floor_seconds']} s, "
        f"overhead {report['overhead_seconds']} s; runner's own work {report['runner_seconds']} s"
    )
    print(
        f"overhead (wall - play) {report['runner_overhead_seconds']} s: "
        f"{report['over_raw_floor_seconds']} s over the bare-Docker episode's"
    )
    for phase, seconds in report["phases_seconds"].items():
        print(f"  {phase:<14} {seconds:6.3f} s")
    print(
        f"{'K':>3} {'episodes':>8} {'wall s':>7} {'per min':>8} {'speedup':>7} {'episode s':>9} "
        f"{'CPU s/ep':>8} {'bare per min':>12} {'bare speedup':>12}"
    )
    for entry in report["batches"]:
        print(
            f"{entry['parallel']:>3} {entry['episodes']:>8} {entry['wall_seconds']:>7} "
            f"{entry['episodes_per_minute']:>8} {entry['speedup']:>7} {entry['episode_wall_seconds']:>9} "
            f"{entry['cpu_seconds_per_episode']:>8} {entry['raw_episodes_per_minute']:>12} "
            f"{entry['raw_speedup']:>12}  {', '.join(entry['outcomes'])}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="paint")
    parser.add_argument("--episodes", type=int, default=20, help="episodes at each parallelism")
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 2, 4], help="episodes at once")
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
