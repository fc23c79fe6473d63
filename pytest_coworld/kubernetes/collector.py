"""How the backend sees the game's health and results through the API alone: a readiness probe on the
game's `/healthz`, and a `collector` sidecar that prints the work volume's files to its log once written."""

from __future__ import annotations

import copy
from typing import Any

from pytest_coworld.kubernetes.network import PORT_NAME
from pytest_coworld.kubernetes.sandbox import CONTAINER_SECURITY
from pytest_coworld.runtime.workspace import MOUNT_POINT, PLAYER_FAILURE_FILE, RESULTS_FILE

COLLECTOR = "collector"
DEFAULT_COLLECTOR_IMAGE = "busybox:1.36"
FILE_MARKER = "@@coworld-file "
END_MARKER = "@@coworld-end"
COLLECTED = (RESULTS_FILE, PLAYER_FAILURE_FILE)
COLLECTOR_SCRIPT = f"""cd {MOUNT_POINT}
until [ -e {RESULTS_FILE} ] || [ -e {PLAYER_FAILURE_FILE} ]; do sleep 0.2; done
sleep 1
for f in {" ".join(COLLECTED)}; do
  if [ -e "$f" ]; then echo "{FILE_MARKER}$f"; cat "$f"; echo; fi
done
echo "{END_MARKER}"
"""
"""POSIX sh (busybox or any shell image): wait for the results or a player failure, let the game finish
writing, print each file after a marker line. The game's container status says how the game ended."""
COLLECTOR_RESOURCES = {"cpu": "100m", "memory": "64Mi"}


def with_collector(game_pod: dict[str, Any], image: str) -> dict[str, Any]:
    """A copy of the rendered game pod with a readiness probe on `/healthz` and the collector sidecar, which
    mounts the work volume read-only."""
    pod = copy.deepcopy(game_pod)
    spec = pod["spec"]
    game = spec["containers"][0]
    game["readinessProbe"] = {
        "httpGet": {"path": "/healthz", "port": PORT_NAME},
        "periodSeconds": 1,
        "failureThreshold": 1,
    }
    collector: dict[str, Any] = {
        "name": COLLECTOR,
        "image": image,
        "command": ["sh", "-c", COLLECTOR_SCRIPT],
        "volumeMounts": [{"name": "work", "mountPath": MOUNT_POINT, "readOnly": True}],
        "securityContext": copy.deepcopy(CONTAINER_SECURITY),
    }
    if "resources" in game:
        collector["resources"] = {"requests": dict(COLLECTOR_RESOURCES), "limits": dict(COLLECTOR_RESOURCES)}
    if "imagePullPolicy" in game:
        collector["imagePullPolicy"] = game["imagePullPolicy"]
    spec["containers"].append(collector)
    return pod


def parse_collected(log: str) -> dict[str, str] | None:
    """The files the collector printed (name to text), or None unless its log ends with the end marker."""
    lines = log.splitlines()
    if END_MARKER not in lines:
        return None
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines[: lines.index(END_MARKER)]:
        if line.startswith(FILE_MARKER):
            current = files.setdefault(line.removeprefix(FILE_MARKER), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(text) for name, text in files.items()}
