"""What the Docker engine says a run did: the game containers it created, from its events.

The engine keeps only its last 256 events for a query after the fact, which a busy engine overwrites within
a certification; so `GamesCreated` follows the event stream live, from before the run starts.
"""

from __future__ import annotations

import threading
from collections import Counter
from types import TracebackType
from typing import Any

from pytest_coworld.runtime.labels import LABEL_ROLE, LABEL_RUN_ID, LABEL_TEST


class GamesCreated:
    """A context manager that records every game container created while it is open; `count(run_id)` then
    gives `(target, episode kind: certification, probe, …)` of those of run `run_id` and its per-target runs
    (replay servers are not counted)."""

    def __init__(self, client: Any, targets: tuple[str, ...]) -> None:
        self.client = client
        self.targets = targets
        self._labels: list[dict[str, str]] = []
        self._stream: Any = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> GamesCreated:
        filters = {"type": "container", "event": "create", "label": f"{LABEL_ROLE}=game"}
        self._stream = self.client.events(filters=filters, decode=True)
        self._reader = threading.Thread(target=self._read, name="engine-events", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        try:
            for event in self._stream:
                self._labels.append(event["Actor"]["Attributes"])
        except Exception:  # the stream was closed under us: what was read is the record
            return

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stream.close()
        if self._reader is not None:
            self._reader.join(timeout=10)

    def count(self, run_id: str) -> Counter[tuple[str, str]]:
        counted: Counter[tuple[str, str]] = Counter()
        for labels in list(self._labels):
            if labels.get(LABEL_RUN_ID, "").startswith(run_id) and labels.get(LABEL_TEST) != "replay":
                target = next(name for name in self.targets if f"-{name}-" in labels["name"])
                counted[(target, labels.get(LABEL_TEST, "?"))] += 1
        return counted
