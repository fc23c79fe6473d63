"""The game pod and the player pods, with the env and command the Docker backend gives their containers."""

from __future__ import annotations

import copy
from typing import Any

from pytest_coworld.kubernetes.identity import DO_NOT_DISRUPT, EpisodeIdentity
from pytest_coworld.kubernetes.network import PORT_NAME
from pytest_coworld.kubernetes.placement import Placement, PullPolicy
from pytest_coworld.kubernetes.sandbox import CONTAINER_SECURITY, deadline_seconds, pod_spec, resources
from pytest_coworld.kubernetes.secrets import SECRETS_DIR, SECRETS_DIR_ENV, WS_URL_KEY
from pytest_coworld.runtime.containers import GAME_PORT
from pytest_coworld.runtime.spec import EpisodeSpec
from pytest_coworld.runtime.workspace import CONFIG_FILE, MOUNT_POINT, game_env

WS_URL_ENV = ("COWORLD_PLAYER_WS_URL", "COGAMES_ENGINE_WS_URL")
"""Both generations' names of the player's websocket URL, set to the same value as the Docker backend does."""


def game_pod(
    identity: EpisodeIdentity, spec: EpisodeSpec, placement: Placement, pull: PullPolicy | None
) -> dict[str, Any]:
    """The game: the work volume at /coworld (an emptyDir), the config Secret's `config.json` on top of it."""
    game = spec.game
    env = _values({**game.env, **game_env(spec.loaded.generation)})
    container = _container("game", game.image or "", game.run, env, spec, pull)
    container["ports"] = [{"name": PORT_NAME, "containerPort": GAME_PORT, "protocol": "TCP"}]
    container["volumeMounts"] = [
        {"name": "work", "mountPath": MOUNT_POINT},
        {
            "name": "config",
            "mountPath": f"{MOUNT_POINT}/{CONFIG_FILE}",
            "subPath": CONFIG_FILE,
            "readOnly": True,
        },
    ]
    volumes = [
        {"name": "work", "emptyDir": {}},
        _secret_volume("config", identity.config_secret, [CONFIG_FILE]),
    ]
    return _pod(
        identity, identity.game_pod, identity.pod_labels("game"), spec, placement, [container], volumes
    )


def player_pod(
    identity: EpisodeIdentity, spec: EpisodeSpec, slot: int, placement: Placement, pull: PullPolicy | None
) -> dict[str, Any]:
    """The player of `slot`: manifest env as values; secret env and the websocket URL from its Secret, the
    secret env also as files in SECRETS_DIR."""
    player, secret = spec.players[slot], identity.player_secret(slot)
    env = {
        **_values(player.env),
        **{name: _from_secret(name, secret, name) for name in player.secret_env},
        **({SECRETS_DIR_ENV: {"name": SECRETS_DIR_ENV, "value": SECRETS_DIR}} if player.secret_env else {}),
        **{name: _from_secret(name, secret, WS_URL_KEY) for name in WS_URL_ENV},
    }
    container = _container("player", player.image, player.run, env, spec, pull)
    volumes = []
    if player.secret_env:
        container["volumeMounts"] = [{"name": "secrets", "mountPath": SECRETS_DIR, "readOnly": True}]
        volumes.append(_secret_volume("secrets", secret, list(player.secret_env)))
    labels = identity.pod_labels("player", slot)
    return _pod(identity, identity.player_pod(slot), labels, spec, placement, [container], volumes)


def _pod(
    identity: EpisodeIdentity,
    name: str,
    labels: dict[str, str],
    spec: EpisodeSpec,
    placement: Placement,
    containers: list[dict[str, Any]],
    volumes: list[dict[str, Any]],
) -> dict[str, Any]:
    deadline = deadline_seconds(spec.resolved_timeouts)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": identity.metadata(name, labels, DO_NOT_DISRUPT),
        "spec": pod_spec(containers, volumes, placement, deadline),
    }


def _container(
    name: str,
    image: str,
    run: list[str] | None,
    env: dict[str, dict[str, Any]],
    spec: EpisodeSpec,
    pull: PullPolicy | None,
) -> dict[str, Any]:
    """`run[0]` the command and `run[1:]` its args (left out when empty), as the platform runner does."""
    container: dict[str, Any] = {"name": name, "image": image}
    if run:
        container["command"] = [_literal(run[0])]
        if run[1:]:
            container["args"] = [_literal(arg) for arg in run[1:]]
    if pull is not None:
        container["imagePullPolicy"] = pull.value
    container["env"] = list(env.values())
    if (amounts := resources(spec.limits)) is not None:
        container["resources"] = amounts
    container["securityContext"] = copy.deepcopy(CONTAINER_SECURITY)
    return container


def _values(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {name: {"name": name, "value": _literal(value)} for name, value in env.items()}


def _from_secret(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _secret_volume(name: str, secret: str, keys: list[str]) -> dict[str, Any]:
    """The Secret's `keys` as files, readable by whatever user the image runs as (as Docker's 0644 config)."""
    items = [{"key": key, "path": key} for key in keys]
    return {"name": name, "secret": {"secretName": secret, "defaultMode": 0o444, "items": items}}


def _literal(text: str) -> str:
    """`text` as Docker passes it: Kubernetes expands `$(NAME)` in env values, command and args, and `$$`
    escapes a `$`."""
    return text.replace("$", "$$")
