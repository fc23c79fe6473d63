"""Finding and removing labelled resources: one run's, stale ones (dead owners), or every one (`gc --all`).

Containers go before networks (a network with endpoints cannot be removed), both in parallel.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests.exceptions

from pytest_coworld.runtime.docker_api import is_gone
from pytest_coworld.runtime.labels import LABEL_CREATED, LABEL_HOST, LABEL_PID, LABEL_RUN_ID
from pytest_coworld.scratch_folders import SCRATCH_PREFIX

REMOVAL_THREADS = 8
PID_START_SLACK_SECONDS = 2.0


@dataclass(frozen=True)
class LabelledResource:
    kind: str
    id: str
    name: str
    labels: dict[str, str]
    handle: Any = field(repr=False, compare=False)

    @property
    def run_id(self) -> str:
        return self.labels.get(LABEL_RUN_ID, "")


@dataclass
class RemovalReport:
    """What a sweep removed, and what it could not remove (with why)."""

    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.containers) + len(self.networks)

    def merge(self, other: RemovalReport) -> None:
        self.containers += other.containers
        self.networks += other.networks
        self.errors += other.errors


def sweep_stale_scratch_folders(temp_root: Path | None = None) -> list[Path]:
    """Remove the scratch folders (with everything a certification left in them, browser profiles included)
    whose `coworld certify` process is gone: killed before its own cleanup could run."""
    removed = []
    for folder in Path(temp_root or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or not folder.is_dir():
            continue
        created = datetime.fromtimestamp(folder.stat().st_mtime).astimezone().isoformat()
        if not owner_alive(int(pid), created):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def work_folder_prefix(run_id: str) -> str:
    """How the name of a run's work folder (in the temp dir) starts; `<run id>-<target>` runs share it."""
    return f"coworld-{run_id}-"


def list_labelled(client: docker.DockerClient, run_id: str | None = None) -> list[LabelledResource]:
    """Every container and network carrying our run-id label (of `run_id` only, when given)."""
    label = f"{LABEL_RUN_ID}={run_id}" if run_id else LABEL_RUN_ID
    found = [
        LabelledResource("container", c.id, c.name, dict(c.labels), c)
        for c in client.containers.list(all=True, filters={"label": label}, ignore_removed=True)
    ]
    found += [
        LabelledResource("network", n.id, n.name, dict(n.attrs.get("Labels") or {}), n)
        for n in client.networks.list(filters={"label": label})
    ]
    return found


def _remove_one(resource: LabelledResource) -> str | None:
    try:
        if resource.kind == "container":
            resource.handle.remove(force=True)
        else:
            resource.handle.remove()
    except docker.errors.APIError as error:
        if not is_gone(error):
            return f"{resource.kind} {resource.name}: {getattr(error, 'explanation', None) or error}"
    except requests.exceptions.RequestException as error:
        return f"{resource.kind} {resource.name}: {error}"
    return None


def remove_resources(resources: list[LabelledResource]) -> RemovalReport:
    """Remove the containers, then the networks, of `resources`."""
    report = RemovalReport()
    with ThreadPoolExecutor(REMOVAL_THREADS) as pool:
        for kind, removed in (("container", report.containers), ("network", report.networks)):
            batch = [resource for resource in resources if resource.kind == kind]
            for resource, error in zip(batch, pool.map(_remove_one, batch), strict=True):
                if error:
                    report.errors.append(error)
                else:
                    removed.append(resource.name)
    return report


def remove_run(client: docker.DockerClient, run_id: str) -> RemovalReport:
    """Remove every resource of one run."""
    return remove_resources(list_labelled(client, run_id))


def _process_start_epoch(pid: int) -> float | None:
    """When `pid` started (Linux /proc), or None when unknown."""
    try:
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, IndexError, ValueError):
        return None


def owner_alive(pid: int, created: str | None) -> bool:
    """True when process `pid` exists and is not a newer process that reused the pid after `created`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = _process_start_epoch(pid)
    if started is None or not created:
        return True
    try:
        created_epoch = datetime.fromisoformat(created).timestamp()
    except ValueError:
        return True
    return started <= created_epoch + PID_START_SLACK_SECONDS


def is_stale(resource: LabelledResource, host: str | None = None) -> bool:
    """A resource of this host whose owning process is gone. Other hosts' resources are never stale here."""
    labels = resource.labels
    if labels.get(LABEL_HOST) != (host or socket.gethostname()):
        return False
    try:
        pid = int(labels.get(LABEL_PID, ""))
    except ValueError:
        return False
    return not owner_alive(pid, labels.get(LABEL_CREATED))


def sweep_stale(client: docker.DockerClient) -> RemovalReport:
    """Remove the resources of dead runs on this host (left by a crash the guard could not clean)."""
    return remove_resources([resource for resource in list_labelled(client) if is_stale(resource)])


def collect_garbage(
    client: docker.DockerClient, everything: bool = False, run_id: str | None = None
) -> RemovalReport:
    """`coworld gc`: stale resources; or one run's resources and work folders (its targets' runs included,
    `<run id>-<target>`); or with `everything` every labelled resource of any run and host."""
    if everything:
        return remove_resources(list_labelled(client))
    if run_id is not None:
        for folder in Path(tempfile.gettempdir()).glob(f"{work_folder_prefix(run_id)}*"):
            shutil.rmtree(folder, ignore_errors=True)
        of_run = [r for r in list_labelled(client) if r.run_id == run_id or r.run_id.startswith(f"{run_id}-")]
        return remove_resources(of_run)
    return sweep_stale(client)


def sweep_until_clean(
    client: docker.DockerClient, run_id: str, passes: int = 5, pause: float = 0.5
) -> RemovalReport:
    """Remove a run's resources, again until a pass finds none (catches creations that were in flight)."""
    report = RemovalReport()
    for _ in range(passes):
        found = list_labelled(client, run_id)
        if not found:
            break
        report.merge(remove_resources(found))
        time.sleep(pause)
    return report
