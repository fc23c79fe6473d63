"""Who the objects of one episode are: their names, labels, namespace and owner (the episode's anchor)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pytest_coworld.runtime.labels import (
    LABEL_EPISODE,
    LABEL_ROLE,
    LABEL_RUN_ID,
    LABEL_SLOT,
    new_episode_id,
    new_run_id,
)

LABEL_JOB_ID = "coworld-job-id"
LABEL_COMPONENT = "coworld-component"
LABEL_PLAYER_SLOT = "coworld-player-slot"
SELECTOR_JOB_ID = "job-id"
"""The platform runner's labels (KUBERNETES.md), kept beside ours so that an operator meets the same shape."""
DO_NOT_DISRUPT = {"karpenter.sh/do-not-disrupt": "true"}
"""On every pod: an episode evicted half-way is spoiled."""
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")


@dataclass(frozen=True)
class EpisodeIdentity:
    """One episode in one namespace. `owner_uid` is the anchor's uid once it exists: from then on every other
    object carries an owner reference to it, so that deleting the anchor deletes the episode."""

    namespace: str
    run_id: str = field(default_factory=new_run_id)
    episode_id: str = field(default_factory=new_episode_id)
    owner_uid: str | None = None

    def __post_init__(self) -> None:
        if not DNS_LABEL.match(self.namespace):
            raise ValueError(
                f"namespace {self.namespace!r} is not a DNS label (lowercase letters, digits and '-', "
                "at most 63, starting and ending with a letter or digit)"
            )

    @property
    def name(self) -> str:
        """`coworld-<run id>-<episode id>`: the anchor's and the Service's name, and the platform's job id."""
        return f"coworld-{self.run_id}-{self.episode_id}"

    @property
    def game_pod(self) -> str:
        return f"{self.name}-game"

    @property
    def config_secret(self) -> str:
        return f"{self.name}-config"

    def player_pod(self, slot: int) -> str:
        return f"{self.name}-player-{slot}"

    def player_secret(self, slot: int) -> str:
        return self.player_pod(slot)

    def labels(self, role: str, slot: int | None = None) -> dict[str, str]:
        """Ours (run id, episode, role, slot) and the platform's job id, on every object."""
        labels = {
            LABEL_RUN_ID: self.run_id,
            LABEL_EPISODE: self.episode_id,
            LABEL_ROLE: role,
            LABEL_JOB_ID: self.name,
        }
        if slot is not None:
            labels[LABEL_SLOT] = str(slot)
        return labels

    def component(self, role: str) -> dict[str, str]:
        """The labels that select this episode's `game` pod or its `player` pods."""
        return {LABEL_JOB_ID: self.name, LABEL_COMPONENT: role}

    def game_selector(self) -> dict[str, str]:
        """The Service's selector, the platform's: `{job-id, coworld-component: game}`."""
        return {SELECTOR_JOB_ID: self.name, LABEL_COMPONENT: "game"}

    def pod_labels(self, role: str, slot: int | None = None) -> dict[str, str]:
        labels = {**self.labels(role, slot), **self.component(role)}
        if role == "game":
            labels.update(self.game_selector())
        if slot is not None:
            labels[LABEL_PLAYER_SLOT] = str(slot)
        return labels

    def metadata(
        self, name: str, labels: dict[str, str], annotations: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """An object's metadata: name, namespace, labels, annotations, and the owner reference when known."""
        metadata: dict[str, Any] = {"name": name, "namespace": self.namespace, "labels": labels}
        if annotations:
            metadata["annotations"] = dict(annotations)
        if self.owner_uid:
            metadata["ownerReferences"] = [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": self.name, "uid": self.owner_uid}
            ]
        return metadata


def label_selector(labels: dict[str, str]) -> str:
    """`key=value,…`: the API's label selector for objects carrying all of `labels`."""
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
