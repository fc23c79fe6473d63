"""What the runtime contract passes to a game container through its environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coworld_kit import KitError

DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class GameSettings:
    """The `COGAME_*` variables a game reads; the ones a game only has to tolerate are not kept."""

    config_uri: str | None
    host: str
    port: int
    results_uri: str | None
    results_method: str
    replay_uri: str | None
    replay_method: str
    player_failure_uri: str | None
    replay_server: bool
    load_replay_uri: str | None

    @property
    def replay_mode(self) -> bool:
        """True when the container should serve a replay viewer instead of running an episode."""
        return self.replay_server or self.load_replay_uri is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GameSettings:
        port_text = env.get("COGAME_PORT") or str(DEFAULT_PORT)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise KitError(f"COGAME_PORT={port_text!r} is not a TCP port; set it to a number from 1 to 65535")
        return cls(
            config_uri=env.get("COGAME_CONFIG_URI") or None,
            host=env.get("COGAME_HOST") or DEFAULT_HOST,
            port=int(port_text),
            results_uri=env.get("COGAME_RESULTS_URI") or None,
            results_method=env.get("COGAME_RESULTS_METHOD") or "PUT",
            replay_uri=env.get("COGAME_SAVE_REPLAY_URI") or None,
            replay_method=env.get("COGAME_SAVE_REPLAY_METHOD") or "PUT",
            player_failure_uri=env.get("COGAME_PLAYER_FAILURE_URI") or None,
            replay_server=env.get("COGAME_REPLAY_SERVER", "").lower() in ("1", "true", "yes"),
            load_replay_uri=env.get("COGAME_LOAD_REPLAY_URI") or None,
        )
