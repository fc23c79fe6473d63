"""The labels every container and network of ours carries, and the identity of the run that made them."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

LABEL_RUN_ID = "pytest-coworld.run-id"
LABEL_EPISODE = "pytest-coworld.episode"
LABEL_PID = "pytest-coworld.pid"
LABEL_HOST = "pytest-coworld.host"
LABEL_WORKER = "pytest-coworld.worker"
LABEL_TEST = "pytest-coworld.test"
LABEL_CREATED = "pytest-coworld.created"
LABEL_ROLE = "pytest-coworld.role"
LABEL_SLOT = "pytest-coworld.slot"


def new_run_id() -> str:
    """A short random run id: 12 hex characters."""
    return uuid.uuid4().hex[:12]


def new_episode_id() -> str:
    """A short random episode id: 8 hex characters."""
    return uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class RunIdentity:
    """Who owns the resources of one run: the run id, the owning process and host, and the worker."""

    run_id: str = field(default_factory=new_run_id)
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    worker: str | None = None

    def labels(
        self, role: str, episode: str | None = None, slot: int | None = None, test: str | None = None
    ) -> dict[str, str]:
        """The labels of a new resource of this run; `created` is now, in UTC."""
        labels = {
            LABEL_RUN_ID: self.run_id,
            LABEL_PID: str(self.pid),
            LABEL_HOST: self.host,
            LABEL_CREATED: datetime.now(UTC).isoformat(timespec="seconds"),
            LABEL_ROLE: role,
        }
        optional = {LABEL_WORKER: self.worker, LABEL_EPISODE: episode, LABEL_TEST: test}
        labels.update({key: value for key, value in optional.items() if value})
        if slot is not None:
            labels[LABEL_SLOT] = str(slot)
        return labels
