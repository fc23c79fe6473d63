"""`coworld run-episode`: run Coworld episodes in real containers, show progress and a results table.

Exit status: 0 when every episode completed, 1 otherwise (or when Docker fails), 2 for usage errors,
130 when interrupted (every container and network of the run is removed first).
"""

from __future__ import annotations

import json
import statistics
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from pytest_coworld.cli.common import ExampleOption, fail, manifest_reference, stderr, stdout
from pytest_coworld.cli.episode_inputs import env_pairs, load_episode_manifest, memory_size, secret_env_pairs
from pytest_coworld.manifest.models import LoadedManifest

if TYPE_CHECKING:
    from pytest_coworld.runtime import EpisodeResult, EpisodeSpec, RunContext

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
LOG_LINES_SHOWN = 12
WIDE_SLOTS = 4  # more slots than this (and than episodes): one row per slot

ManifestArgument = Annotated[
    str | None,
    typer.Argument(
        help="coworld_manifest.json: a path, a file:// or http(s):// URI, "
        "or a cow_… id (downloaded from $COWORLD_SERVER).",
        metavar="MANIFEST",
        show_default=False,
    ),
]
ImagesArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="Player images: none = the manifest's certification players, one = that image for every slot, "
        "or one per slot.",
        metavar="IMAGE",
        show_default=False,
    ),
]
DefectOption = Annotated[
    str | None,
    typer.Option(
        "--defect", help="With --example: switch on one of its defects (`coworld example defects`)."
    ),
]
VariantOption = Annotated[
    str | None, typer.Option("--variant", help="Play this variant's game_config (default: certification).")
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Play the game_config in this JSON file (without tokens).")
]
RunOption = Annotated[
    list[str] | None,
    typer.Option("--run", help="Player command override in argv form; repeat once per argument."),
]
EnvOption = Annotated[list[str] | None, typer.Option("--env", help="KEY=VALUE for every player; repeatable.")]
SecretEnvOption = Annotated[
    list[str] | None,
    typer.Option(
        "--secret-env",
        help="KEY=VALUE, or KEY alone to take the value from this environment (so it stays out of your "
        "command line and shell history), for every player; never printed nor stored; repeatable.",
    ),
]
EpisodesOption = Annotated[int, typer.Option("--episodes", min=1, help="How many episodes to run.")]
ParallelOption = Annotated[int, typer.Option("--parallel", min=1, help="How many episodes run at once.")]
OutputDirOption = Annotated[
    Path | None,
    typer.Option("--output-dir", help="Artifacts folder (default ./coworld-artifacts/<run id>)."),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout", min=0.1, help="Episode timeout in seconds (default: the manifest's, else 20 min)."
    ),
]
NoLimitsOption = Annotated[
    bool, typer.Option("--no-limits", help="No CPU/memory limits (default: 1 CPU and 1 GiB per container).")
]
CpusOption = Annotated[float, typer.Option("--cpus", min=0.01, help="CPUs per container.")]
MemoryOption = Annotated[
    str,
    typer.Option("--memory", metavar="SIZE", help="Memory per container (512m, 2g)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of the table.")]


def run_episode_command(
    manifest: ManifestArgument = None,
    images: ImagesArgument = None,
    example: ExampleOption = None,
    defect: DefectOption = None,
    variant: VariantOption = None,
    config: ConfigOption = None,
    run: RunOption = None,
    env: EnvOption = None,
    secret_env: SecretEnvOption = None,
    episodes: EpisodesOption = 1,
    parallel: ParallelOption = 1,
    output_dir: OutputDirOption = None,
    timeout: TimeoutOption = None,
    no_limits: NoLimitsOption = False,
    cpus: CpusOption = 1.0,
    memory: MemoryOption = "1g",
    json_output: JsonOption = False,
) -> None:
    """Run Coworld episodes in real containers: the game, one player per slot, then results and artifacts.

    With --example, positional arguments are player images. Exits 0 when every episode completed.
    """
    from pytest_coworld.runtime import (
        NO_LIMITS,
        EpisodeSetupError,
        InfrastructureError,
        ResourceLimits,
        RunContext,
        Timeouts,
        build_episode_spec,
    )
    from pytest_coworld.runtime.signals import sigterm_as_keyboard_interrupt

    if example and manifest:
        images, manifest = [manifest, *(images or [])], None
    loaded = load_episode_manifest(manifest_reference(manifest, example), example, defect)
    try:
        spec = build_episode_spec(
            loaded,
            variant=variant,
            config_file=config,
            images=images or [],
            run=run,
            env=env_pairs("--env", env),
            secret_env=secret_env_pairs(secret_env),
            timeouts=Timeouts(episode=timeout),
            limits=NO_LIMITS if no_limits else ResourceLimits(cpus, memory_size(memory)),
        )
    except EpisodeSetupError as error:
        fail(str(error))
    with sigterm_as_keyboard_interrupt():
        try:
            with RunContext() as context:
                _check_images(context, spec, example)
                folder = output_dir or Path("coworld-artifacts") / context.run_id
                stderr.print(f"run {context.run_id}: artifacts in {folder}", markup=False, soft_wrap=True)
                results = _run_all(context, spec, episodes, parallel, folder)
        except KeyboardInterrupt:
            stderr.print("interrupted: every container and network of this run was removed", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except InfrastructureError as error:
            fail(str(error), code=EXIT_FAILED)
    summary = _summary(loaded, context.run_id, folder, results)
    if json_output:
        typer.echo(json.dumps(summary, indent=2))
    else:
        _print_results(summary, results)
    raise typer.Exit(0 if summary["completed"] == summary["total"] else EXIT_FAILED)


def _check_images(context: RunContext, spec: EpisodeSpec, example: str | None) -> None:
    from pytest_coworld.runtime import InfrastructureError
    from pytest_coworld.runtime.docker_api import image_id

    for image in sorted({spec.game.image or "", *(player.image for player in spec.players)}):
        try:
            image_id(context.client, image)
        except InfrastructureError as error:
            fail(
                str(error),
                hint=f"`coworld example build {example}` builds the example's images" if example else None,
            )


def _run_all(
    context: RunContext, spec: EpisodeSpec, count: int, parallel: int, folder: Path
) -> list[EpisodeResult]:
    from pytest_coworld.runtime import run_episode
    from pytest_coworld.runtime.progress import LiveProgress, PlainProgress

    live = LiveProgress(stderr) if stderr.is_terminal else None
    labels = [f"episode {index}/{count}" for index in range(1, count + 1)]
    observers = [
        live.episode(label, spec.slot_count) if live else PlainProgress(label, stderr) for label in labels
    ]
    folders = [folder / f"episode-{index}" for index in range(1, count + 1)]
    with live or nullcontext():
        pool = ThreadPoolExecutor(parallel, thread_name_prefix="episode")
        try:
            futures = [
                pool.submit(run_episode, spec, target, context, observer)
                for target, observer in zip(folders, observers, strict=True)
            ]
            return [future.result() for future in futures]
        except BaseException:
            context.cancel.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _summary(
    loaded: LoadedManifest, run_id: str, folder: Path, results: list[EpisodeResult]
) -> dict[str, Any]:
    scored = [result.scores for result in results if result.completed and result.scores]
    means = [statistics.fmean(column) for column in zip(*scored, strict=True)] if scored else None
    return {
        "run_id": run_id,
        "manifest": loaded.source,
        "generation": loaded.generation.value,
        "output_dir": str(folder),
        "episodes": [
            {
                "index": index,
                "episode_id": result.episode_id,
                "outcome": result.outcome.kind.value,
                "slot": result.outcome.slot,
                "message": result.outcome.message,
                "scores": result.scores,
                "artifacts_dir": str(result.artifacts_dir),
                "timings": result.timings,
                "wire": [result.wire[slot].to_dict() for slot in sorted(result.wire)],
            }
            for index, result in enumerate(results, start=1)
        ],
        "mean_scores": means,
        "completed": sum(result.completed for result in results),
        "total": len(results),
    }


def _print_results(summary: dict[str, Any], results: list[EpisodeResult]) -> None:
    slot_count = max((len(result.record.get("players", [])) for result in results), default=0)
    stdout.print(_results_table(summary, results, slot_count))
    for result in results:
        if not result.completed:
            stderr.print(
                f"episode {result.episode_id}: {result.outcome.summary()}", markup=False, soft_wrap=True
            )
            tail = "\n".join(result.outcome.log_tail.splitlines()[-LOG_LINES_SHOWN:])
            if tail:
                stderr.print(f"--- last lines of {result.outcome.source}.log ---\n{tail}", markup=False)
    stdout.print(f"artifacts: {Path(summary['output_dir']).absolute()}", markup=False, soft_wrap=True)


def _results_table(summary: dict[str, Any], results: list[EpisodeResult], slot_count: int) -> Table:
    """Episodes by slots: one row per episode, or (when many slots outnumber the episodes) one row per slot,
    so the table stays narrow; cells fold instead of being cut."""
    means = summary["mean_scores"] or [None] * slot_count
    columns: list[tuple[str, list[str]]] = [
        (
            str(episode["index"]),
            [_outcome(episode["outcome"], result), *map(_score, episode["scores"] or [None] * slot_count)],
        )
        for episode, result in zip(summary["episodes"], results, strict=True)
    ]
    columns.append(("mean", [f"{summary['completed']}/{summary['total']} completed", *map(_score, means)]))
    columns.append(("messages", ["sent/received", *_messages(results, slot_count)]))
    row_names = ["outcome", *(f"slot {slot}" for slot in range(slot_count))]
    table = Table(title=f"run {summary['run_id']}", title_justify="left", header_style="bold", box=box.SIMPLE)
    if slot_count > max(len(results), WIDE_SLOTS):
        table.add_column("episode")
        for name, _ in columns:
            table.add_column(name, justify="right", overflow="fold")
        for index, row_name in enumerate(row_names):
            table.add_row(row_name, *(cells[index] for _, cells in columns))
        return table
    for name in ["episode", *row_names]:
        table.add_column(name, justify="left" if name in ("episode", "outcome") else "right", overflow="fold")
    for name, cells in columns:
        table.add_row(name, *cells, style="dim" if name == "messages" else None)
    return table


def _outcome(kind: str, result: EpisodeResult) -> str:
    """The outcome, and whether the game had to be stopped after it lingered."""
    game = result.record.get("game") or {}
    if not game.get("lingered_after_results"):
        return kind
    how = "SIGTERM" if game.get("obeyed_sigterm") else "killed"
    return f"{kind} (game lingered {game.get('seconds_after_results') or 0:.0f} s; {how})"


def _messages(results: list[EpisodeResult], slot_count: int) -> list[str]:
    """Per slot, the data messages its player sent and received over all episodes (from the wire relay)."""
    cells = []
    for slot in range(slot_count):
        wires = [result.wire[slot] for result in results if slot in result.wire]
        sent, received = sum(w.messages_sent for w in wires), sum(w.messages_received for w in wires)
        cells.append(f"{sent}/{received}" if wires else "-")
    return cells


def _score(score: float | None) -> str:
    return "-" if score is None else f"{score:g}"
