"""What the Docker engine says a run did, from its events: `EngineEvents` records them, `GamesCreated` counts
the game containers a run created.

The engine keeps only its last 256 events for a query after the fact, which a busy engine overwrites within
a certification; so both follow the event stream live, from before the run starts.
"""

from __future__ import annotations

import threading
from collections import Counter
from types import TracebackType
from typing import Any, Self

from pytest_coworld.runtime.labels import LABEL_ROLE, LABEL_RUN_ID, LABEL_TEST


class EngineEvents:
    """A context manager that records the engine's events matching `filters` while it is open (each as the
    engine gives it: `Action`, `Actor.Attributes` with the labels, `timeNano`)."""

    def __init__(self, client: Any, filters: dict[str, Any]) -> None:
        self.client = client
        self.filters = filters
        self.events: list[dict[str, Any]] = []
        self._stream: Any = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> Self:
        self._stream = self.client.events(filters=self.filters, decode=True)
        self._reader = threading.Thread(target=self._read, name="engine-events", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        try:
            for event in self._stream:
                self.events.append(event)
        except Exception:  # the stream was closed under us: what was read is the record
            return

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stream.close()
        if self._reader is not None:
            self._reader.join(timeout=10)

    def of_run(self, run_id: str) -> list[dict[str, Any]]:
        """The events of run `run_id` and its per-target runs (their run ids start with it), in order."""
        return [e for e in list(self.events) if event_labels(e).get(LABEL_RUN_ID, "").startswith(run_id)]


class GamesCreated(EngineEvents):
    """Every game container created while open; `count(run_id)` then gives `(target, episode kind:
    certification, probe, …)` of those of run `run_id` and its per-target runs (replay servers are not
    counted)."""

    def __init__(self, client: Any, targets: tuple[str, ...]) -> None:
        super().__init__(client, {"type": "container", "event": "create", "label": f"{LABEL_ROLE}=game"})
        self.targets = targets

    def count(self, run_id: str) -> Counter[tuple[str, str]]:
        counted: Counter[tuple[str, str]] = Counter()
        for labels in map(event_labels, self.of_run(run_id)):
            if labels.get(LABEL_TEST) != "replay":
                target = next(name for name in self.targets if f"-{name}-" in labels["name"])
                counted[(target, labels.get(LABEL_TEST, "?"))] += 1
        return counted


def event_labels(event: dict[str, Any]) -> dict[str, str]:
    """The attributes of an event's container: its name and its labels."""
    return dict(event["Actor"]["Attributes"])
