"""What the Docker engine says a run did: the game containers it created, from its events."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from pytest_coworld.runtime.labels import LABEL_ROLE, LABEL_RUN_ID, LABEL_TEST


def games_created(client: Any, run_id: str, since: int, targets: tuple[str, ...]) -> Counter[tuple[str, str]]:
    """(target, episode kind: `certification`, `probe`, …) of every game container the run `run_id` (and its
    per-target runs) created since `since` (epoch seconds); replay servers are not counted."""
    events = client.events(
        since=since,
        until=int(time.time()) + 1,
        filters={"type": "container", "event": "create", "label": f"{LABEL_ROLE}=game"},
        decode=True,
    )
    counted: Counter[tuple[str, str]] = Counter()
    for event in events:
        labels = event["Actor"]["Attributes"]
        if labels.get(LABEL_RUN_ID, "").startswith(run_id) and labels.get(LABEL_TEST) != "replay":
            target = next(name for name in targets if f"-{name}-" in labels["name"])
            counted[(target, labels.get(LABEL_TEST, "?"))] += 1
    return counted
