"""How the backend sees the game's health and files through the API alone: a readiness probe on the game's
`/healthz`, and a `collector` sidecar that prints the work volume's files to its log once written."""

from __future__ import annotations

import base64
import copy
import gzip
import math
from dataclasses import dataclass
from typing import Any

from pytest_coworld.kubernetes.network import PORT_NAME
from pytest_coworld.kubernetes.sandbox import CONTAINER_SECURITY
from pytest_coworld.runtime.workspace import MOUNT_POINT, PLAYER_FAILURE_FILE, RESULTS_FILE

COLLECTOR = "collector"
DEFAULT_COLLECTOR_IMAGE = "busybox:1.36"
FILE_MARKER = "@@coworld-file "
END_MARKER = "@@coworld-end"
POLLS_PER_SECOND = 5
PRINT_SECONDS = 5
"""What the collector may take to print its files after its waits (a loaded node, a large replay)."""
COLLECTOR_RESOURCES = {"cpu": "100m", "memory": "64Mi"}


def collector_script(replay: str, replay_wait_seconds: float) -> str:
    """POSIX sh (busybox or any image with gzip and base64): wait for the results or a player failure, then
    (after results) up to `replay_wait_seconds` for the replay to exist and stop growing, and print each
    file, gzipped and base64-encoded (binary-safe and small in the log), after a marker line. It ends at
    most `replay_wait_seconds` + PRINT_SECONDS after the game's last file. The game's container status says
    how the game ended."""
    polls = max(1, math.ceil(replay_wait_seconds * POLLS_PER_SECOND))
    files = " ".join((RESULTS_FILE, PLAYER_FAILURE_FILE, replay))
    return f"""cd {MOUNT_POINT}
until [ -e {RESULTS_FILE} ] || [ -e {PLAYER_FAILURE_FILE} ]; do sleep 0.2; done
last=-1; polls=0
while [ $polls -lt {polls} ] && [ ! -e {PLAYER_FAILURE_FILE} ]; do
  if [ -f {replay} ]; then size=$(wc -c < {replay}); [ "$size" = "$last" ] && break; last=$size; fi
  sleep 0.2; polls=$((polls + 1))
done
sleep 0.5
for f in {files}; do
  if [ -f "$f" ]; then echo "{FILE_MARKER}$f"; gzip -c "$f" | base64; fi
done
echo "{END_MARKER}"
"""


def with_collector(
    game_pod: dict[str, Any], image: str, replay: str, replay_wait_seconds: float
) -> dict[str, Any]:
    """A copy of the rendered game pod with a readiness probe on `/healthz` and the collector sidecar, which
    mounts the work volume read-only and prints the results and the replay (file name `replay`)."""
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
        "command": ["sh", "-c", collector_script(replay, replay_wait_seconds)],
        "volumeMounts": [{"name": "work", "mountPath": MOUNT_POINT, "readOnly": True}],
        "securityContext": copy.deepcopy(CONTAINER_SECURITY),
    }
    if "resources" in game:
        collector["resources"] = {"requests": dict(COLLECTOR_RESOURCES), "limits": dict(COLLECTOR_RESOURCES)}
    if "imagePullPolicy" in game:
        collector["imagePullPolicy"] = game["imagePullPolicy"]
    spec["containers"].append(collector)
    return pod


@dataclass(frozen=True)
class Collected:
    """The files the collector printed (name to content), and those whose text in the log did not decode
    (name to why: a log the kubelet cut short, say)."""

    files: dict[str, bytes]
    unreadable: dict[str, str]


def parse_collected(log: str) -> Collected | None:
    """What the collector printed, or None unless its log ends with the end marker."""
    lines = log.splitlines()
    if END_MARKER not in lines:
        return None
    texts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines[: lines.index(END_MARKER)]:
        if line.startswith(FILE_MARKER):
            current = texts.setdefault(line.removeprefix(FILE_MARKER), [])
        elif current is not None:
            current.append(line)
    files, unreadable = {}, {}
    for name, text in texts.items():
        try:
            files[name] = gzip.decompress(base64.b64decode("".join(text), validate=True))
        except (ValueError, OSError, EOFError) as error:
            unreadable[name] = f"the collector's copy does not decode ({type(error).__name__}: {error})"
    return Collected(files, unreadable)
