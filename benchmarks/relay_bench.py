"""Benchmark of the wire relay: the latency it adds per frame and the frames per second it carries.

    python3 benchmarks/relay_bench.py [--messages 5000] [--size 200]

An echo websocket server runs on 127.0.0.1; the relay (`pytest_coworld/wire/relay.py`, the same file the relay
container runs) runs as a local process in front of it. One client sends `--messages` messages one at a time
and waits for each echo, first directly, then through the relay: the difference of the median round trips is
the latency the relay adds (each round trip crosses it twice: once per direction, so the per-frame cost is
half). Then the client sends a burst without waiting and counts echoed frames per second through the relay.
Containers are left out on purpose: the bridge hop between player and relay costs what the hop between
player and game cost before.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

RELAY = Path(__file__).resolve().parents[1] / "pytest_coworld" / "wire" / "relay.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


async def round_trips(url: str, messages: int, payload: str) -> list[float]:
    times = []
    async with connect(url, max_size=None, compression=None) as connection:
        for _ in range(messages):
            started = time.perf_counter()
            await connection.send(payload)
            await connection.recv()
            times.append(time.perf_counter() - started)
    return times


async def burst(url: str, messages: int, payload: str) -> float:
    """Frames per second, counting both directions, for `messages` sent without waiting."""
    async with connect(url, max_size=None, compression=None) as connection:
        started = time.perf_counter()

        async def send_all() -> None:
            for _ in range(messages):
                await connection.send(payload)

        sender = asyncio.create_task(send_all())
        for _ in range(messages):
            await connection.recv()
        await sender
        return 2 * messages / (time.perf_counter() - started)


def start_relay(port: int, upstream: int) -> subprocess.Popen[str]:
    relay = subprocess.Popen(
        [sys.executable, "-u", str(RELAY), "--port", str(port), "--upstream", f"127.0.0.1:{upstream}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert relay.stdout is not None
    if json.loads(relay.stdout.readline())["e"] != "listening":
        raise SystemExit("the relay did not start")
    return relay


async def main(messages: int, size: int) -> None:
    payload = "x" * size
    game_port, relay_port = free_port(), free_port()
    async with serve(echo, "127.0.0.1", game_port, max_size=None, compression=None):
        relay = start_relay(relay_port, game_port)
        try:
            direct = await round_trips(f"ws://127.0.0.1:{game_port}/player", messages, payload)
            relayed = await round_trips(f"ws://127.0.0.1:{relay_port}/player", messages, payload)
            rate_direct = await burst(f"ws://127.0.0.1:{game_port}/player", messages, payload)
            rate = await burst(f"ws://127.0.0.1:{relay_port}/player", messages, payload)
        finally:
            relay.terminate()
            relay.wait()
    median_direct, median_relayed = statistics.median(direct), statistics.median(relayed)
    added = (median_relayed - median_direct) / 2
    print(f"{messages} messages of {size} bytes, one at a time (median round trip):")
    print(f"  direct        {median_direct * 1e6:8.0f} µs")
    print(f"  through relay {median_relayed * 1e6:8.0f} µs   added per frame: {added * 1e6:.0f} µs")
    print(f"burst throughput: direct {rate_direct:,.0f} frames/s, through the relay {rate:,.0f} frames/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--size", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.messages, arguments.size))
