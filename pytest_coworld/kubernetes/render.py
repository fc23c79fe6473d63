"""One episode as Kubernetes objects (plain dicts, as the API and `kubectl` take them), in creation order."""

from __future__ import annotations

import json
from typing import Any

from pytest_coworld.kubernetes.identity import EpisodeIdentity
from pytest_coworld.kubernetes.network import game_policy, game_service, player_url, players_policy
from pytest_coworld.kubernetes.placement import Placement, PullPolicy
from pytest_coworld.kubernetes.pods import game_pod, player_pod
from pytest_coworld.kubernetes.secrets import config_secret, player_secret
from pytest_coworld.runtime.config import concrete_config
from pytest_coworld.runtime.spec import EpisodeSpec

ANCHOR_KEY = "episode.json"


def anchor(identity: EpisodeIdentity, spec: EpisodeSpec) -> dict[str, Any]:
    """The episode's parent, created first: a ConfigMap saying what the episode plays (nothing secret). Every
    other object names it as owner, so deleting it deletes the episode."""
    manifest, loaded = spec.loaded.manifest, spec.loaded
    facts = {
        "run_id": identity.run_id,
        "episode_id": identity.episode_id,
        "game": manifest.game.name,
        "version": manifest.game.version,
        "generation": loaded.generation.value,
        "manifest_sha256": loaded.sha256,
        "config_source": spec.config_source,
        "game_image": spec.game.image,
        "player_images": [player.image for player in spec.players],
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": identity.name,
            "namespace": identity.namespace,
            "labels": identity.labels("episode"),
        },
        "data": {ANCHOR_KEY: json.dumps(facts, indent=2)},
    }


def episode_objects(
    identity: EpisodeIdentity,
    spec: EpisodeSpec,
    tokens: list[str],
    placement: Placement | None = None,
    pull: PullPolicy | None = None,
) -> list[dict[str, Any]]:
    """The anchor's children: the config Secret, the NetworkPolicies (before any pod runs), the game pod and
    its Service, then each slot's Secret and player pod (created once the game answers /healthz)."""
    placement = placement or Placement()
    objects = [
        config_secret(identity, concrete_config(spec.game_config, tokens)),
        game_policy(identity),
        players_policy(identity),
        game_pod(identity, spec, placement, pull),
        game_service(identity),
    ]
    for slot, player in enumerate(spec.players):
        objects.append(
            player_secret(identity, slot, player_url(identity, slot, tokens[slot]), player.secret_env)
        )
        objects.append(player_pod(identity, spec, slot, placement, pull))
    return objects
