"""The sandbox of every pod run from a stranger's image: the Docker backend's SANDBOX and resource limits,
as far as a pod spec can say them, and the episode's deadline."""

from __future__ import annotations

import math
from typing import Any

from pytest_coworld.kubernetes.placement import Placement
from pytest_coworld.runtime.containers import KEPT_CAPABILITIES
from pytest_coworld.runtime.episode import SIGTERM_GRACE_SECONDS
from pytest_coworld.runtime.settings import ResourceLimits, Timeouts

MIB = 1024 * 1024
START_ALLOWANCE_SECONDS = 120
"""Added to a pod's deadline: Kubernetes counts the image pull and scheduling, the Docker backend not."""
CONTAINER_SECURITY: dict[str, Any] = {
    "allowPrivilegeEscalation": False,  # Docker's no-new-privileges
    "privileged": False,
    "capabilities": {"drop": ["ALL"], "add": list(KEPT_CAPABILITIES)},
}
POD_SECURITY: dict[str, Any] = {"seccompProfile": {"type": "RuntimeDefault"}}
"""Docker applies its default seccomp profile; the kubelet's default is Unconfined unless told otherwise."""


def resources(limits: ResourceLimits) -> dict[str, Any] | None:
    """Requests equal to limits (each container is sure of what Docker would give it); None when disabled."""
    if not limits.enabled:
        return None
    memory = limits.memory_bytes
    amounts = {
        "cpu": f"{round(limits.cpus * 1000)}m",
        "memory": f"{memory // MIB}Mi" if memory % MIB == 0 else str(memory),
    }
    return {"requests": dict(amounts), "limits": amounts}


def deadline_seconds(timeouts: Timeouts) -> int:
    """A pod's `activeDeadlineSeconds`: every phase of the episode (healthz, play, the game's and the players'
    exit) plus the start allowance. The runner ends an episode on time; this stops pods the runner lost."""
    phases = ("healthz", "episode", "game_exit", "player_exit")
    return math.ceil(sum(timeouts.seconds(phase) for phase in phases)) + START_ALLOWANCE_SECONDS


def pod_spec(
    containers: list[dict[str, Any]],
    volumes: list[dict[str, Any]],
    placement: Placement,
    deadline: int,
) -> dict[str, Any]:
    """A pod that runs once, holds no API token, gets no other Service's address in its env, and has the
    Docker backend's SIGTERM grace."""
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "activeDeadlineSeconds": deadline,
        "terminationGracePeriodSeconds": math.ceil(SIGTERM_GRACE_SECONDS),
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": dict(POD_SECURITY),
        "containers": containers,
        **placement.pod_fields(),
    }
    if volumes:
        spec["volumes"] = volumes
    return spec
