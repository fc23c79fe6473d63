"""`coworld run-episode`: run Coworld episodes in real containers, show progress and a results table.

Exit status: 0 when every episode completed, 1 otherwise (or when Docker fails), 2 for usage errors,
130 when interrupted (every container and network of the run is removed first).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pytest_coworld.cli.cluster_episodes import cluster, play_on_cluster
from pytest_coworld.cli.common import ExampleOption, ManifestArgument, fail, manifest_reference, stderr
from pytest_coworld.cli.episode_batch import run_batch
from pytest_coworld.cli.episode_inputs import (
    check_images,
    env_pairs,
    load_episode_manifest,
    memory_size,
    policy_secrets,
    secret_env_pairs,
)
from pytest_coworld.cli.episode_report import episode_summary, print_results
from pytest_coworld.cli.kube_options import (
    Backend,
    BackendOption,
    CollectorImageOption,
    ContextOption,
    KubeconfigOption,
    NamespaceOption,
    NodeSelectorOption,
    PullOption,
    TolerationOption,
    kube_api_client,
)

if TYPE_CHECKING:
    from pytest_coworld.runtime import EpisodeResult, EpisodeSpec
    from pytest_coworld.runtime.observer import EpisodeObserver

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
PolicySecretsOption = Annotated[
    Path | None,
    typer.Option(
        "--policy-secrets",
        metavar="FILE",
        help='Each slot\'s secret env, as the platform gives it: {"policies": {"<slot>": {"KEY": "VALUE"}}} '
        "(default: the file $POLICY_SECRETS_URI names, which is then removed from the environment); never "
        "printed nor stored.",
    ),
]
EpisodesOption = Annotated[int, typer.Option("--episodes", min=1, help="How many episodes to run.")]
ParallelOption = Annotated[
    int,
    typer.Option(
        "--parallel",
        min=1,
        help="How many episodes run at once (on Docker they take turns to start: one per two cores).",
    ),
]
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
    policy_secrets_file: PolicySecretsOption = None,
    episodes: EpisodesOption = 1,
    parallel: ParallelOption = 1,
    output_dir: OutputDirOption = None,
    timeout: TimeoutOption = None,
    no_limits: NoLimitsOption = False,
    cpus: CpusOption = 1.0,
    memory: MemoryOption = "1g",
    json_output: JsonOption = False,
    backend: BackendOption = Backend.DOCKER,
    namespace: NamespaceOption = "default",
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
    node_selector: NodeSelectorOption = None,
    toleration: TolerationOption = None,
    image_pull_policy: PullOption = None,
    collector_image: CollectorImageOption = None,
) -> None:
    """Run Coworld episodes in real containers: the game, one player per slot, then results and artifacts,
    and each slot's mean, spread and wins over the episodes.

    With --example, positional arguments are player images. With --backend kubernetes the episodes run as
    pods in a cluster namespace (see docs/kubernetes.md). Exits 0 when every episode completed.
    """
    from pytest_coworld.runtime import (
        NO_LIMITS,
        EpisodeSetupError,
        InfrastructureError,
        ResourceLimits,
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
            slot_secret_env=policy_secrets(policy_secrets_file),
            timeouts=Timeouts(episode=timeout),
            limits=NO_LIMITS if no_limits else ResourceLimits(cpus, memory_size(memory)),
        )
    except EpisodeSetupError as error:
        fail(str(error))
    with sigterm_as_keyboard_interrupt():
        try:
            if backend is Backend.KUBERNETES:
                api_client = kube_api_client(kubeconfig, context)
                target = cluster(
                    api_client, namespace, node_selector, toleration, image_pull_policy, collector_image
                )
                run_id, folder, results = play_on_cluster(target, spec, episodes, parallel, output_dir)
            else:
                run_id, folder, results = _play_on_docker(spec, example, episodes, parallel, output_dir)
        except KeyboardInterrupt:
            what = "episode" if backend is Backend.KUBERNETES else "container and network"
            stderr.print(f"interrupted: every {what} of this run was removed", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except InfrastructureError as error:
            fail(str(error), code=EXIT_FAILED)
    summary = episode_summary(loaded, run_id, folder, results)
    if json_output:
        typer.echo(json.dumps(summary, indent=2))
    else:
        print_results(summary, results)
    raise typer.Exit(0 if summary["completed"] == summary["total"] else EXIT_FAILED)


def _play_on_docker(
    spec: EpisodeSpec, example: str | None, count: int, parallel: int, output_dir: Path | None
) -> tuple[str, Path, list[EpisodeResult]]:
    """The episodes on this machine's Docker engine, after checking that their images exist."""
    from pytest_coworld.runtime import RunContext, run_episode
    from pytest_coworld.runtime.start_turns import StartTurns, turns_for_this_machine

    with RunContext() as context:
        check_images(context, spec, example)
        folder = output_dir or Path("coworld-artifacts") / context.run_id
        stderr.print(f"run {context.run_id}: artifacts in {folder}", markup=False, soft_wrap=True)
        turns = StartTurns(turns_for_this_machine(), context.cancel)

        def play(target: Path, observer: EpisodeObserver) -> EpisodeResult:
            with turns.turn(observer, spec.slot_count) as observing:  # parallel episodes start in turn
                return run_episode(spec, target, context, observing)

        return (
            context.run_id,
            folder,
            run_batch(play, context.cancel, spec.slot_count, count, parallel, folder),
        )
