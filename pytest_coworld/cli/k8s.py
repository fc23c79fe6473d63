"""`coworld k8s render`: one episode's Kubernetes objects as YAML, for review and `kubectl apply --dry-run`.

Exit status: 0 rendered, 2 for usage errors (a manifest that cannot be read or played, a bad option).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pytest_coworld.cli.common import (
    GROUP_CONTEXT,
    ExampleOption,
    ManifestArgument,
    fail,
    manifest_reference,
    stderr,
)
from pytest_coworld.cli.episode_inputs import (
    load_episode_manifest,
    memory_size,
    policy_secrets,
    secret_env_pairs,
)
from pytest_coworld.cli.kube_options import NamespaceOption, NodeSelectorOption, PullOption, TolerationOption
from pytest_coworld.cli.run_episode import (
    CpusOption,
    MemoryOption,
    NoLimitsOption,
    PolicySecretsOption,
    TimeoutOption,
    VariantOption,
)
from pytest_coworld.kubernetes.placement import Placement

if TYPE_CHECKING:
    from pytest_coworld.kubernetes.identity import EpisodeIdentity

app = typer.Typer(no_args_is_help=True, context_settings=GROUP_CONTEXT)

PlayerImageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--player-image",
        help="Player image: once for every slot, or once per slot (default: the certification players).",
    ),
]
RevealOption = Annotated[
    bool,
    typer.Option(
        "--reveal-secrets",
        help="Print the real fresh tokens (and --secret-env values) in the Secrets, for a real run; "
        "without it they are placeholders.",
    ),
]
SecretEnvOption = Annotated[
    list[str] | None,
    typer.Option(
        "--secret-env",
        help="KEY=VALUE, or KEY alone for the value of this environment: for every player, in its Secret "
        "(printed only with --reveal-secrets); repeatable.",
    ),
]
OwnerOption = Annotated[
    str | None,
    typer.Option(
        "--owner-uid",
        help="The uid of the episode's anchor ConfigMap: every other object then names it as owner.",
    ),
]


@app.callback()
def k8s_callback() -> None:
    """Coworld episodes on Kubernetes (phase 1: render the objects; nothing is sent to a cluster)."""


@app.command("render")
def render_command(
    manifest: ManifestArgument = None,
    example: ExampleOption = None,
    variant: VariantOption = None,
    namespace: NamespaceOption = "default",
    player_image: PlayerImageOption = None,
    node_selector: NodeSelectorOption = None,
    toleration: TolerationOption = None,
    image_pull_policy: PullOption = None,
    secret_env: SecretEnvOption = None,
    policy_secrets_file: PolicySecretsOption = None,
    timeout: TimeoutOption = None,
    no_limits: NoLimitsOption = False,
    cpus: CpusOption = 1.0,
    memory: MemoryOption = "1g",
    reveal_secrets: RevealOption = False,
    owner_uid: OwnerOption = None,
) -> None:
    """Print one episode's objects as YAML documents: the anchor ConfigMap, the config Secret, the
    NetworkPolicies, the game pod and its Service, and per slot a Secret and a player pod.

    Tokens are fresh every time and appear only in the Secrets, as placeholders unless --reveal-secrets.
    """
    from pytest_coworld.kubernetes.identity import EpisodeIdentity
    from pytest_coworld.kubernetes.output import redacted, to_yaml
    from pytest_coworld.kubernetes.render import anchor, episode_objects
    from pytest_coworld.runtime import (
        NO_LIMITS,
        EpisodeSetupError,
        ResourceLimits,
        Timeouts,
        build_episode_spec,
    )
    from pytest_coworld.runtime.config import make_tokens

    loaded = load_episode_manifest(manifest_reference(manifest, example), example, None)
    try:
        placement = Placement.parse(node_selector or [], toleration or [])
        identity = EpisodeIdentity(namespace, owner_uid=owner_uid)
        spec = build_episode_spec(
            loaded,
            variant=variant,
            images=player_image or [],
            secret_env=secret_env_pairs(secret_env),
            slot_secret_env=policy_secrets(policy_secrets_file),
            timeouts=Timeouts(episode=timeout),
            limits=NO_LIMITS if no_limits else ResourceLimits(cpus, memory_size(memory)),
        )
        tokens = make_tokens(spec.slot_count)
        objects = [
            anchor(identity, spec),
            *episode_objects(identity, spec, tokens, placement, image_pull_policy),
        ]
    except (ValueError, EpisodeSetupError) as error:
        fail(str(error))
    if not reveal_secrets:
        objects = redacted(objects, spec, tokens)
    header, note = _header(identity, loaded.source, reveal_secrets), _secret_note(reveal_secrets)
    typer.echo(to_yaml(objects, header, note), nl=False)
    how = "real fresh tokens in the Secrets" if reveal_secrets else "tokens redacted"
    stderr.print(f"episode {identity.name}: {len(objects)} objects, {how}", markup=False)


def _header(identity: EpisodeIdentity, source: str, revealed: bool) -> list[str]:
    lines = [
        f"Coworld episode {identity.name} of {source}, in namespace {identity.namespace}.",
        "Check it with: kubectl apply --dry-run=server -f FILE",
    ]
    if revealed:
        lines.append(
            "The Secrets hold REAL tokens: run with `kubectl create -f FILE`; never commit or share FILE."
        )
    else:
        lines.append(
            "Tokens are placeholders: --reveal-secrets prints real ones (in the Secrets only) for a run."
        )
    if identity.owner_uid:
        lines.append(
            f"Deleting the anchor removes the episode: kubectl delete -n {identity.namespace} "
            f"configmap {identity.name}"
        )
    else:
        lines += [
            "No owner references (--owner-uid gives the anchor's uid); remove the episode with",
            f"  kubectl delete -n {identity.namespace} pods,services,secrets,configmaps,networkpolicies "
            f"-l coworld-job-id={identity.name}",
        ]
    return lines


def _secret_note(revealed: bool) -> str:
    if revealed:
        return "SECRET: this episode's REAL tokens (and secret env); never commit or share."
    return "Secret: this episode's tokens (and secret env), redacted."
