"""A fake Coworld player for the runtime tests: stdlib only, behaviour chosen by FAKE_PLAYER_MODE.

It connects to the URL in COWORLD_PLAYER_WS_URL (checking COGAMES_ENGINE_WS_URL agrees), answers every
message, and exits 0 when the game closes the connection (`slow_exit`: 1.5 s later, as the contract
allows). PROBE_TARGETS="host:port,..." makes it first try a TCP connection to each target and print whether
it was reachable (network isolation tests).
"""

from __future__ import annotations

import os
import socket
import sys
import time
from urllib.parse import urlsplit

from fakews import client_connect

MODE = os.environ.get("FAKE_PLAYER_MODE", "ok")


def probe(targets: str) -> None:
    for target in filter(None, targets.split(",")):
        host, port = target.rsplit(":", 1)
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            print(f"probe {target}: reachable", flush=True)
        except OSError as error:
            print(f"probe {target}: unreachable ({error})", flush=True)


def connect(url: str):  # type: ignore[no-untyped-def]
    parts = urlsplit(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            return client_connect(parts.hostname or "", parts.port or 80, f"{parts.path}?{parts.query}")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main() -> None:
    url = os.environ.get("COWORLD_PLAYER_WS_URL", "")
    print(f"fake player {os.environ.get('FAKE_PLAYER_NAME', 'a')}: mode {MODE}, url {url}", flush=True)
    if "ECHO_SECRET" in os.environ:
        print(f"fake player: my secret is {os.environ['ECHO_SECRET']}", flush=True)
    if url != os.environ.get("COGAMES_ENGINE_WS_URL"):
        sys.exit("fake player: COWORLD_PLAYER_WS_URL and COGAMES_ENGINE_WS_URL differ")
    if MODE == "crash":
        sys.exit("fake player: crashing at start")
    if MODE == "never_connect":
        time.sleep(3600)
    probe(os.environ.get("PROBE_TARGETS", ""))
    connection = connect(url)
    messages = 0
    while (message := connection.receive()) is not None:
        messages += 1
        connection.send(f'{{"echo": {message}}}')
    print(f"fake player: game closed the connection after {messages} messages", flush=True)
    if MODE == "never_exit":
        time.sleep(3600)
    if MODE == "slow_exit":
        time.sleep(1.5)
    sys.exit(4 if MODE == "bad_exit" else 0)


if __name__ == "__main__":
    main()
