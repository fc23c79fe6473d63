"""A fake Coworld game for the runtime tests: stdlib only, behaviour chosen by FAKE_GAME_MODE.

Rollout: reads the config (tokens, ticks, tick_ms, connect_timeout_s, missing_players), serves /healthz and
the /player websocket, sends one tick message per tick to every slot, scores the replies, then writes results
and replay and exits. It prints its config (tokens included) on purpose, so redaction can be tested.
Replay mode (COGAME_REPLAY_SERVER=1 or COGAME_LOAD_REPLAY_URI): /healthz, a viewer page, a /replay websocket.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from fakews import Connection, accept_key

MODE = os.environ.get("FAKE_GAME_MODE", "ok")
REPLAY_URI = os.environ.get("COGAME_LOAD_REPLAY_URI") or ""
REPLAY_MODE = os.environ.get("COGAME_REPLAY_SERVER") == "1" or bool(REPLAY_URI)


def local_path(uri: str) -> str:
    if not uri.startswith("file://"):
        sys.exit(f"fake game: only file:// URIs are supported, got {uri!r}")
    return unquote(urlsplit(uri).path)


def write(uri_env: str, text: str) -> None:
    with open(local_path(os.environ[uri_env]), "w") as handle:
        handle.write(text)


class Game:
    def __init__(self, config: dict) -> None:
        self.tokens: list[str] = config["tokens"]
        self.ticks = int(config.get("ticks", 10))
        self.tick_ms = int(config.get("tick_ms", 100))
        self.connect_timeout = float(config.get("connect_timeout_s", 20))
        # once one player is in, how long the others may take (a slot that never comes is found this fast)
        self.others_timeout = float(config.get("others_connect_timeout_s", self.connect_timeout))
        self.missing_players = config.get("missing_players", "fail")
        self.connections: dict[int, Connection] = {}
        self.scores = [0] * len(self.tokens)
        self.any_connected = threading.Event()
        self.all_connected = threading.Event()
        self.lock = threading.Lock()

    def join(self, slot: int, connection: Connection) -> None:
        with self.lock:
            self.connections[slot] = connection
            self.any_connected.set()
            if len(self.connections) == len(self.tokens):
                self.all_connected.set()
        print(f"fake game: slot {slot} connected", flush=True)

    def reply(self, slot: int) -> None:
        with self.lock:
            self.scores[slot] += 1

    def play(self) -> None:
        everyone = self.any_connected.wait(self.connect_timeout) and self.all_connected.wait(
            self.others_timeout
        )
        if not everyone:
            missing = [slot for slot in range(len(self.tokens)) if slot not in self.connections]
            print(f"fake game: slots {missing} never connected", flush=True)
            if self.missing_players == "fail":
                failure = {
                    "message": f"slot {missing[0]} never connected",
                    "failed_policy_index": missing[0],
                    "kind": "player_error",
                }
                write("COGAME_PLAYER_FAILURE_URI", json.dumps(failure))
                self.finish()
        frames = []
        for tick in range(self.ticks):
            if MODE == "crash" and tick == self.ticks // 2:
                raise RuntimeError(f"fake game: crash at tick {tick}")
            for connection in list(self.connections.values()):
                with contextlib.suppress(OSError):
                    connection.send(json.dumps({"tick": tick}))
            frames.append({"tick": tick, "scores": list(self.scores)})
            time.sleep(self.tick_ms / 1000)
        if MODE == "player_failure":
            failure = {"message": "slot 1 sent garbage", "failed_policy_index": 1, "kind": "player_error"}
            write("COGAME_PLAYER_FAILURE_URI", json.dumps(failure))
            self.finish()
        if MODE == "hang":
            print("fake game: hanging before results", flush=True)
            time.sleep(3600)
        self.write_results()
        if MODE != "no_replay":
            write("COGAME_SAVE_REPLAY_URI", json.dumps({"frames": frames, "tokens": self.tokens}))
        if MODE == "linger":
            print("fake game: results written, lingering", flush=True)
            time.sleep(3600)
        self.finish()

    def write_results(self) -> None:
        results: object = {"scores": self.scores, "tokens_echo": self.tokens}
        if MODE == "no_results":
            return
        if MODE == "not_json":
            write("COGAME_RESULTS_URI", "{oops")
            return
        if MODE == "no_scores":
            results = {"winner": 0}
        if MODE == "wrong_count":
            results = {"scores": self.scores[:-1]}
        if MODE == "scores_strings":
            results = {"scores": [str(score) for score in self.scores]}
        if MODE == "schema_invalid":
            results = {"scores": self.scores, "surprise": True}
        write("COGAME_RESULTS_URI", json.dumps(results))
        if MODE == "results_0600":
            os.chmod(local_path(os.environ["COGAME_RESULTS_URI"]), 0o600)
            os.chown(local_path(os.environ["COGAME_RESULTS_URI"]), 4321, 4321)

    def finish(self) -> None:
        for connection in self.connections.values():
            connection.close()
        print("fake game: episode over", flush=True)
        os._exit(0)


class Handler(BaseHTTPRequestHandler):
    game: Game | None = None
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_text(self, status: int, text: str, content_type: str = "text/plain") -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def upgrade(self) -> Connection:
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept_key(self.headers["Sec-WebSocket-Key"]))
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        return Connection(self.connection, masked=False)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/healthz":
            self.send_text(503 if MODE == "never_healthy" else 200, "ok")
        elif REPLAY_MODE and url.path in ("/clients/replay", "/client/replay"):
            self.send_text(200, "<html><body>fake replay viewer</body></html>", "text/html")
        elif REPLAY_MODE and url.path == "/replay":
            self.serve_replay(query.get("uri") or REPLAY_URI)
        elif not REPLAY_MODE and url.path == "/player" and self.game is not None:
            self.serve_player(query)
        else:
            self.send_text(404, "not found")

    def serve_player(self, query: dict[str, str]) -> None:
        game = self.game
        assert game is not None
        slot = int(query.get("slot", "-1"))
        if not 0 <= slot < len(game.tokens) or query.get("token") != game.tokens[slot]:
            self.send_text(401, "bad token")
            if MODE == "ends_after_refusal":  # its players' time runs out just then: the episode is over
                failure = {
                    "message": "slot 0 never connected",
                    "failed_policy_index": 0,
                    "kind": "player_error",
                }
                write("COGAME_PLAYER_FAILURE_URI", json.dumps(failure))
                game.finish()
            if MODE == "crashes_after_refusal":
                os._exit(1)
            return
        connection = self.upgrade()
        game.join(slot, connection)
        while connection.receive() is not None:
            game.reply(slot)

    def serve_replay(self, uri: str) -> None:
        connection = self.upgrade()
        try:
            with open(local_path(uri)) as handle:
                frames = json.load(handle)["frames"]
            connection.send(json.dumps({"type": "replay_info", "frame_count": len(frames)}))
        except (OSError, ValueError, KeyError) as error:
            connection.send(json.dumps({"type": "error", "message": str(error)}))
        connection.close()


def main() -> None:
    print(f"fake game: mode {MODE}, replay mode {REPLAY_MODE}", flush=True)
    if MODE == "exit_at_start":
        print("fake game: crashing at start", file=sys.stderr, flush=True)
        sys.exit(1)
    if not REPLAY_MODE:
        with open(local_path(os.environ["COGAME_CONFIG_URI"])) as handle:
            config = json.load(handle)
        print(f"fake game: config {json.dumps(config)}", flush=True)
        Handler.game = Game(config)
    host, port = os.environ.get("COGAME_HOST", "0.0.0.0"), int(os.environ.get("COGAME_PORT", "8080"))
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if Handler.game is None:
        threading.Event().wait()
    Handler.game.play()


if __name__ == "__main__":
    main()
