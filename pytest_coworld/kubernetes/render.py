"""One episode as Kubernetes objects (plain dicts, as the API and `kubectl` take them), in creation order."""

from __future__ import annotations

import json
import math
from typing import Any

from pytest_coworld.kubernetes.identity import EpisodeIdentity
from pytest_coworld.kubernetes.network import game_policy, game_service, player_url, players_policy
from pytest_coworld.kubernetes.placement import Placement, PullPolicy
from pytest_coworld.kubernetes.pods import game_pod, player_pod
from pytest_coworld.kubernetes.sandbox import START_ALLOWANCE_SECONDS, deadline_seconds
from pytest_coworld.kubernetes.secrets import config_secret, player_secret
from pytest_coworld.runtime.config import concrete_config
from pytest_coworld.runtime.settings import Timeouts
from pytest_coworld.runtime.spec import EpisodeSpec

ANCHOR_KEY = "episode.json"
DEADLINE_ANNOTATION = "pytest-coworld/deadline-seconds"
"""On the anchor: how many seconds after its creation the episode is certainly over (`episode_deadline`)."""


def episode_deadline(timeouts: Timeouts) -> int:
    """Seconds after the anchor's creation by which every pod of the episode has ended: the players' pods are
    created at the latest `healthz` + the start allowance after it (the backend's wait for the game), and each
    pod lives at most its `activeDeadlineSeconds`. The backend has given up on the episode by then too."""
    return math.ceil(timeouts.seconds("healthz")) + START_ALLOWANCE_SECONDS + deadline_seconds(timeouts)


def anchor(identity: EpisodeIdentity, spec: EpisodeSpec) -> dict[str, Any]:
    """The episode's parent, created first: a ConfigMap saying what the episode plays (nothing secret) and,
    in an annotation, when it is certainly over. Every other object names it as owner, so deleting it
    deletes the episode."""
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
            "annotations": {DEADLINE_ANNOTATION: str(episode_deadline(spec.resolved_timeouts))},
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
