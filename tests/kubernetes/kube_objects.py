"""Rendering an example's episode for the tests, and checking objects against Kubernetes' OpenAPI schemas."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import kubernetes_validate
import kubernetes_validate.utils

from pytest_coworld.examples import example_manifest_path
from pytest_coworld.kubernetes.identity import EpisodeIdentity
from pytest_coworld.kubernetes.placement import Placement
from pytest_coworld.kubernetes.render import anchor, episode_objects
from pytest_coworld.manifest import load_manifest
from pytest_coworld.runtime import EpisodeSpec, ResourceLimits, build_episode_spec
from pytest_coworld.runtime.config import make_tokens

VERSIONS = ("1.30", "1.37")
"""Two supported minor versions, a year and a half apart; the strict schemas refuse unknown fields."""
OWNER_UID = "0f3c6a52-9d1e-4b7a-8a44-2f4f8b0c1d2e"
kubernetes_validate.utils.schema_contents = cache(kubernetes_validate.utils.schema_contents)
"""Each schema file read once, not once per object (the definitions are 1.2 MB of JSON per version)."""
SECRET_ENV = {"OPENAI_API_KEY": "sk-not-a-real-key-4f9a", "BEDROCK_REGION": "eu-west-1-secret"}


@dataclass(frozen=True)
class Rendered:
    identity: EpisodeIdentity
    spec: EpisodeSpec
    tokens: list[str]
    objects: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [item for item in self.objects if item["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        return next(item for item in self.of_kind(kind) if item["metadata"]["name"] == name)


def render(
    example: str,
    variant: str | None = None,
    secret_env: dict[str, str] | None = None,
    limits: ResourceLimits | None = None,
    placement: Placement | None = None,
    owner_uid: str | None = OWNER_UID,
) -> Rendered:
    loaded = load_manifest(str(example_manifest_path(example)))
    spec = build_episode_spec(loaded, variant=variant, secret_env=secret_env, limits=limits)
    identity = EpisodeIdentity("coworld-test", owner_uid=owner_uid)
    tokens = make_tokens(spec.slot_count)
    objects = [anchor(identity, spec), *episode_objects(identity, spec, tokens, placement)]
    return Rendered(identity, spec, tokens, objects)


def assert_valid(objects: list[dict[str, Any]]) -> None:
    """Every object validates against the strict schemas of every version in VERSIONS."""
    for version in VERSIONS:
        for item in objects:
            kubernetes_validate.validate(item, version, strict=True)
