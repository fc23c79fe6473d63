"""What `run-episode`, `play` and `k8s render` take from their arguments: the manifest to run, env pairs,
secret env, the per-slot policy secrets, a memory size, images that exist; each a one-line exit when it is
wrong."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_coworld.cli.common import fail

if TYPE_CHECKING:
    from pytest_coworld.manifest.models import LoadedManifest
    from pytest_coworld.runtime import EpisodeSpec, RunContext


def load_episode_manifest(reference: str, example: str | None, defect: str | None) -> LoadedManifest:
    """The manifest to run, valid (with an example's defect switched on when asked), or a one-line exit."""
    from pytest_coworld.manifest import ManifestInvalid, ManifestLoadError, load_manifest

    if defect and not example:
        fail("--defect needs --example: defects exist only in the bundled examples")
    try:
        loaded = load_manifest(reference)
    except ManifestLoadError as error:
        fail(str(error))
    except ManifestInvalid as error:
        fail(f"the manifest is invalid: {str(error).splitlines()[0]}", hint=f"`coworld validate {reference}`")
    if not defect:
        return loaded
    from pytest_coworld.examples import ExampleNotFound, apply_defect, defects_of

    try:
        if defect not in {known.id for known in defects_of(example or "")}:
            fail(f"example {example} has no defect {defect!r}", hint=f"`coworld example defects {example}`")
        return loaded.with_document(apply_defect(loaded.document, defect))
    except ExampleNotFound as error:
        fail(str(error))


def memory_size(size: str) -> int:
    """`--memory` in bytes, or a one-line exit."""
    from pytest_coworld.runtime.settings import memory_bytes

    try:
        return memory_bytes(size)
    except ValueError as error:
        fail(f"--memory: {error}")


def env_pairs(option: str, values: list[str] | None) -> dict[str, str]:
    """KEY=VALUE values of `option`, or a one-line exit."""
    pairs: dict[str, str] = {}
    for value in values or []:
        key, separator, content = value.partition("=")
        if not separator or not key:
            fail(f"{option} expects KEY=VALUE, got {value!r}")
        pairs[key] = content
    return pairs


def secret_env_pairs(values: list[str] | None) -> dict[str, str]:
    """`--secret-env` values: KEY=VALUE, or KEY alone for the value of this process's environment. Errors
    name the option's position, never what was given (it may be the secret itself)."""
    pairs: dict[str, str] = {}
    for position, value in enumerate(values or [], start=1):
        key, separator, content = value.partition("=")
        if separator and key:
            pairs[key] = content
        elif not separator and key in os.environ:
            pairs[key] = os.environ[key]
        else:
            fail(
                f"--secret-env #{position} is neither KEY=VALUE nor a variable of your environment",
                hint="give KEY=VALUE, or export KEY and give --secret-env KEY",
            )
    return pairs


POLICY_SECRETS_ENV = "POLICY_SECRETS_URI"
"""The platform's runner reads each slot's secrets from the file this names, after removing it from its
environment (KUBERNETES.md); so do `run-episode` and `k8s render` when `--policy-secrets` is not given."""


def policy_secrets(path: Path | None) -> dict[int, dict[str, str]]:
    """Each slot's secret env from `{"policies": {"<slot>": {KEY: VALUE}}}` in `path`, else in the file
    $POLICY_SECRETS_URI names (a path or file:// URI; the variable is removed from this process's
    environment first, so nothing started later inherits it); {} with neither. Errors never show a value."""
    import json

    named = os.environ.pop(POLICY_SECRETS_ENV, None)
    if path is None and named:
        path = Path(named.removeprefix("file://"))
    if path is None:
        return {}
    where = f"policy secrets {path}"
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        fail(f"{where}: {error.strerror or error}")
    except ValueError:
        fail(f"{where} is not JSON", hint='write {"policies": {"0": {"KEY": "VALUE"}}}')
    policies = document.get("policies") if isinstance(document, dict) else None
    if not isinstance(policies, dict):
        fail(f'{where} has no "policies" object', hint='write {"policies": {"0": {"KEY": "VALUE"}}}')
    secrets: dict[int, dict[str, str]] = {}
    for slot, values in policies.items():
        if not str(slot).isdigit():
            fail(f'{where}: "policies" keys are slot numbers, not {slot!r}')
        if not isinstance(values, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in values.items()
        ):
            fail(f"{where}: slot {slot}'s secrets must map names to strings")
        secrets[int(slot)] = dict(values)
    return secrets


def check_images(context: RunContext, spec: EpisodeSpec, example: str | None) -> None:
    """Every image of `spec` exists locally, or a one-line exit (with how to build an example's)."""
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
