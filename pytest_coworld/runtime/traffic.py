"""Evidence that a player really connected and played: its container's network byte counters.

A results file alone proves nothing (real games write valid results with no player connected), so each
running player container is sampled on a background thread: from `/proc/<pid>/net/dev` when the engine runs
on this host (cheap and instant; the pid is verified to belong to the container), else from
`docker stats --no-stream` (one-shot). Counters only grow, so the last sample before the exit is the max.

Thresholds, measured here with a stdlib player on the private network of a 4-slot episode: an idle
container receives about 750 bytes of neighbour chatter (ARP, IPv6 solicitations) and sends 0; a websocket
connect plus a few messages sends about 750 and receives about 1000 bytes. "Connected" means at least 400
bytes each way: the sent bytes tell a player that spoke from an idle one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import requests.exceptions

from pytest_coworld.runtime.containers import ContainerHandle

CONNECTED_MIN_RX_BYTES = 400
CONNECTED_MIN_TX_BYTES = 400
SAMPLE_INTERVAL_SECONDS = 0.2


@dataclass(frozen=True)
class SlotTraffic:
    """The largest byte counters seen for one player container, and how many samples were taken."""

    rx_bytes: int = 0
    tx_bytes: int = 0
    samples: int = 0
    source: str = "none"

    @property
    def connected(self) -> bool:
        return self.rx_bytes >= CONNECTED_MIN_RX_BYTES and self.tx_bytes >= CONNECTED_MIN_TX_BYTES

    def to_dict(self) -> dict[str, Any]:
        return {
            "rx_bytes": self.rx_bytes,
            "tx_bytes": self.tx_bytes,
            "samples": self.samples,
            "source": self.source,
            "connected": self.connected,
        }


def _proc_counters(pid: int, container_id: str) -> tuple[int, int] | None:
    """rx/tx bytes of every non-loopback interface of `pid`, if `pid` still is that container's process."""
    try:
        if container_id not in Path(f"/proc/{pid}/cgroup").read_text():
            return None
        lines = Path(f"/proc/{pid}/net/dev").read_text().splitlines()[2:]
    except OSError:
        return None
    rx = tx = 0
    for line in lines:
        interface, _, numbers = line.partition(":")
        fields = numbers.split()
        if interface.strip() != "lo" and len(fields) >= 9:
            rx, tx = rx + int(fields[0]), tx + int(fields[8])
    return rx, tx


def _stats_counters(container: Any) -> tuple[int, int] | None:
    try:
        networks = container.stats(stream=False, one_shot=True).get("networks") or {}
    except (docker.errors.APIError, requests.exceptions.RequestException, ValueError):
        return None
    if not networks:
        return None
    return (
        sum(int(counters.get("rx_bytes", 0)) for counters in networks.values()),
        sum(int(counters.get("tx_bytes", 0)) for counters in networks.values()),
    )


class TrafficMonitor:
    """Samples each watched player container until it exits or `stop()`; reports a slot's first connection."""

    def __init__(self, on_connected: Callable[[int, SlotTraffic], None] | None = None) -> None:
        self._on_connected = on_connected
        self._traffic: dict[int, SlotTraffic] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    def watch(self, slot: int, handle: ContainerHandle) -> None:
        with self._lock:
            self._traffic[slot] = SlotTraffic()
        thread = threading.Thread(
            target=self._sample, args=(slot, handle), name=f"traffic-{slot}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def traffic(self, slot: int) -> SlotTraffic:
        with self._lock:
            return self._traffic.get(slot, SlotTraffic())

    def stop(self) -> None:
        self._stopped.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _sample(self, slot: int, handle: ContainerHandle) -> None:
        read = self._reader(handle)
        while not self._stopped.is_set() and not handle.exited:
            counters = read()
            if counters is not None:
                self._record(slot, counters, read.__name__)
            if self._stopped.wait(SAMPLE_INTERVAL_SECONDS):
                break

    def _reader(self, handle: ContainerHandle) -> Callable[[], tuple[int, int] | None]:
        container, container_id = handle.container, str(handle.id)
        try:
            container.reload()
            pid = int(container.attrs["State"]["Pid"])
        except (
            docker.errors.APIError,
            requests.exceptions.RequestException,
            KeyError,
            TypeError,
            ValueError,
        ):
            pid = 0

        def proc() -> tuple[int, int] | None:
            return _proc_counters(pid, container_id)

        def stats() -> tuple[int, int] | None:
            return _stats_counters(container)

        return proc if pid and _proc_counters(pid, container_id) is not None else stats

    def _record(self, slot: int, counters: tuple[int, int], source: str) -> None:
        with self._lock:
            before = self._traffic[slot]
            after = SlotTraffic(
                max(before.rx_bytes, counters[0]),
                max(before.tx_bytes, counters[1]),
                before.samples + 1,
                source,
            )
            self._traffic[slot] = after
        if after.connected and not before.connected and self._on_connected:
            self._on_connected(slot, after)
