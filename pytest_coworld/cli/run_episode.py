"""`coworld run-episode`: run Coworld episodes in real containers, show progress and a results table.

Exit status: 0 when every episode completed, 1 otherwise (or when Docker fails), 2 for usage errors,
130 when interrupted (every container and network of the run is removed first).
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pytest_coworld.cli.common import ExampleOption, ManifestArgument, fail, manifest_reference, stderr
from pytest_coworld.cli.episode_inputs import (
    check_images,
    env_pairs,
    load_episode_manifest,
    memory_size,
    secret_env_pairs,
)
from pytest_coworld.cli.episode_report import episode_summary, print_results

if TYPE_CHECKING:
    from pytest_coworld.runtime import EpisodeResult, EpisodeSpec, RunContext

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

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
                check_images(context, spec, example)
                folder = output_dir or Path("coworld-artifacts") / context.run_id
                stderr.print(f"run {context.run_id}: artifacts in {folder}", markup=False, soft_wrap=True)
                results = _run_all(context, spec, episodes, parallel, folder)
        except KeyboardInterrupt:
            stderr.print("interrupted: every container and network of this run was removed", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except InfrastructureError as error:
            fail(str(error), code=EXIT_FAILED)
    summary = episode_summary(loaded, context.run_id, folder, results)
    if json_output:
        typer.echo(json.dumps(summary, indent=2))
    else:
        print_results(summary, results)
    raise typer.Exit(0 if summary["completed"] == summary["total"] else EXIT_FAILED)


def _run_all(
    context: RunContext, spec: EpisodeSpec, count: int, parallel: int, folder: Path
) -> list[EpisodeResult]:
    from concurrent.futures import ThreadPoolExecutor

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
