"""Ours against the platform's own certifier, on the same images, run alternately (A B A B).

    python3 benchmarks/side_by_side.py [--runs 5] [--example auction] [--platform-version 0.1.64]

The platform's certifier (`coworld` from PyPI) is installed once into a cached virtualenv
(`~/.cache/pytest-coworld/platform-certifier-<version>`). Both read a copy of the example's manifest in a
fresh folder (the platform's certifier writes guidance files beside the manifest it is given). Each
measurement runs in a small wrapper process, so its CPU (user + sys) and peak RSS are those of the certifier
and every process it waited for; containers are the engine's and count for neither. Any request of the
platform's certifier to a server goes to a closed port on 127.0.0.1 (`--server`, and the proxy variables).

Both run as on a user's machine: without this machine's `PYTHONDONTWRITEBYTECODE=1` (under which our checkout
would compile its modules, and pytest rewrite our checks, from source at every start, while the pip-installed
platform certifier reads the bytecode compiled at install), after one unmeasured run of each that writes
those caches and warms the engine's.

Printed: the medians of wall, CPU and the peak RSS of the largest process, ours with and without the browser
checks, and the ratios; plus our certification episode's phases (from its episode.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pytest_coworld.examples import build_example, example_manifest_path  # noqa: E402

CLOSED_PORT = "http://127.0.0.1:9"  # nothing listens here: no request leaves this machine
NO_OUTSIDE = {"HTTP_PROXY": CLOSED_PORT, "HTTPS_PROXY": CLOSED_PORT, "NO_PROXY": "127.0.0.1,localhost"}


def platform_certifier(version: str) -> Path:
    """The `coworld` executable of the platform's certifier `version`, installed once."""
    venv = Path.home() / ".cache" / "pytest-coworld" / f"platform-certifier-{version}"
    executable = venv / "bin" / "coworld"
    if not executable.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"coworld=={version}"], check=True)
    return executable


def measure(command: list[str], cwd: Path) -> dict[str, float]:
    """Run `command` in a wrapper process: wall seconds, CPU seconds, peak RSS (MiB), and its exit code."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "started = time.monotonic()\n"
        "quiet = {'stdout': subprocess.DEVNULL, 'stderr': subprocess.DEVNULL}\n"
        "code = subprocess.run(sys.argv[1:], **quiet).returncode\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'wall': time.monotonic() - started, 'cpu': usage.ru_utime + usage.ru_stime,\n"
        "                  'rss': usage.ru_maxrss / 1024, 'code': code}))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", wrapper, *command],
        cwd=cwd,
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, **NO_OUTSIDE},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(finished.stdout))


def run_ours(manifest: Path, folder: Path, browser: bool) -> dict[str, float]:
    coworld = Path(sys.executable).with_name("coworld")
    extra = [] if browser else ["--no-browser"]
    measured = measure([str(coworld), "certify", str(manifest), "--artifacts-dir", "art", *extra], folder)
    record = json.loads(next(folder.glob("art/*/*/episode/episode.json")).read_text())
    return {**measured, **{f"phase:{key}": value for key, value in record["timings"].items()}}


def run_platform(executable: Path, manifest: Path, folder: Path) -> dict[str, float]:
    return measure(
        [str(executable), "certify", str(manifest), "--no-open-report", "--server", CLOSED_PORT], folder
    )


def fresh_copy(example: str, root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir()
    return Path(shutil.copy(example_manifest_path(example), folder / "coworld_manifest.json"))


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--example", default="auction", help="a current-generation example")
    parser.add_argument("--platform-version", default="0.1.64")
    args = parser.parse_args()
    build_example(args.example)
    executable = platform_certifier(args.platform_version)
    kinds: dict[str, list[dict[str, float]]] = {"ours": [], "ours, no browser": [], "platform": []}
    with tempfile.TemporaryDirectory(prefix="coworld-side-by-side-") as tmp:
        root = Path(tmp)

        def run(kind: str, label: str) -> dict[str, float]:
            manifest = fresh_copy(args.example, root, f"{kind.replace(' ', '').replace(',', '-')}-{label}")
            if kind == "platform":
                return run_platform(executable, manifest, manifest.parent)
            return run_ours(manifest, manifest.parent, browser=kind == "ours")

        for kind in kinds:  # unmeasured: writes the bytecode caches, warms the engine
            run(kind, "warm-up")
        for index in range(args.runs):
            for kind in kinds:
                kinds[kind].append(run(kind, str(index)))
    platform = kinds["platform"]
    print(
        f"{args.example}, {args.runs} runs each, alternating; medians "
        f"({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)"
    )
    print(f"{'':18} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'wall x':>7} {'CPU x':>7} {'exit codes'}")
    for kind, runs in kinds.items():
        wall, cpu, rss = (median(runs, key) for key in ("wall", "cpu", "rss"))
        ratios = f"{wall / median(platform, 'wall'):7.2f} {cpu / median(platform, 'cpu'):7.2f}"
        codes = ",".join(str(int(run["code"])) for run in runs)
        print(f"{kind:18} {wall:8.2f} {cpu:8.2f} {rss:9.0f} {ratios} {codes}")
    phases = sorted({key for run in kinds["ours"] for key in run if key.startswith("phase:")})
    print(
        "our certification episode, median phases:",
        ", ".join(f"{key.removeprefix('phase:')} {median(kinds['ours'], key):.2f} s" for key in phases),
    )


if __name__ == "__main__":
    main()
