"""What the runtime contract passes to a game container through its environment, in the image's generation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from coworld_kit import KitError

GENERATION_VARIABLE = "COWORLD_EXAMPLE_GENERATION"
CLASSIC_HOST = "0.0.0.0"
CLASSIC_PORT = 8080


class Generation(StrEnum):
    """The contract generation an example image speaks (RUNTIME.md "Two generations"); its Dockerfile says."""

    CLASSIC = "classic"
    CURRENT = "current"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Generation:
        """The generation named by `COWORLD_EXAMPLE_GENERATION`, which every example Dockerfile sets."""
        name = env.get(GENERATION_VARIABLE, "")
        if name not in set(cls):
            raise KitError(
                f"{GENERATION_VARIABLE}={name!r} is not a contract generation; the example's Dockerfile sets "
                f"it to one of {', '.join(cls)}"
            )
        return cls(name)


def _port(env: Mapping[str, str]) -> int:
    """`COGAME_PORT` (current generation), 8080 when unset."""
    text = env.get("COGAME_PORT") or str(CLASSIC_PORT)
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise KitError(f"COGAME_PORT={text!r} is not a TCP port; set it to a number from 1 to 65535")
    return int(text)


def _bind_address(generation: Generation, env: Mapping[str, str]) -> tuple[str, int]:
    """Classic games listen on 0.0.0.0:8080; current ones on `COGAME_HOST`:`COGAME_PORT`."""
    if generation is Generation.CLASSIC:
        return CLASSIC_HOST, CLASSIC_PORT
    return env.get("COGAME_HOST") or CLASSIC_HOST, _port(env)


def _replay_mode(generation: Generation, env: Mapping[str, str]) -> tuple[bool, str | None]:
    """Whether to serve replays, and the replay to serve: classic `COGAME_REPLAY_SERVER=1` names no replay
    (each `/replay?uri=U` does), current `COGAME_LOAD_REPLAY_URI=U` names the one replay."""
    if generation is Generation.CLASSIC:
        return env.get("COGAME_REPLAY_SERVER", "").lower() in ("1", "true", "yes"), None
    load_replay_uri = env.get("COGAME_LOAD_REPLAY_URI") or None
    return load_replay_uri is not None, load_replay_uri


@dataclass(frozen=True)
class GameSettings:
    """The `COGAME_*` variables a game reads; the ones a game only has to tolerate are not kept."""

    generation: Generation
    config_uri: str | None
    host: str
    port: int
    results_uri: str | None
    results_method: str
    replay_uri: str | None
    replay_method: str
    player_failure_uri: str | None
    replay_mode: bool
    load_replay_uri: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GameSettings:
        generation = Generation.from_env(env)
        host, port = _bind_address(generation, env)
        replay_mode, load_replay_uri = _replay_mode(generation, env)
        return cls(
            generation=generation,
            config_uri=env.get("COGAME_CONFIG_URI") or None,
            host=host,
            port=port,
            results_uri=env.get("COGAME_RESULTS_URI") or None,
            results_method=env.get("COGAME_RESULTS_METHOD") or "PUT",
            replay_uri=env.get("COGAME_SAVE_REPLAY_URI") or None,
            replay_method=env.get("COGAME_SAVE_REPLAY_METHOD") or "PUT",
            player_failure_uri=env.get("COGAME_PLAYER_FAILURE_URI") or None,
            replay_mode=replay_mode,
            load_replay_uri=load_replay_uri,
        )
