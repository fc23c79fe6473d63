"""Manifests and images of the fake game used by the runtime tests (see fake/)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import docker

from pytest_coworld.manifest.models import Generation, LoadedManifest, Manifest

FAKE_DIR = Path(__file__).parent / "fake"
BASE_IMAGE = "pytest-coworld/python-base:bookworm"
GAME_IMAGE = "coworld-test/fake-game:latest"
PLAYER_IMAGE = "coworld-test/fake-player:latest"
PLAYER_B_IMAGE = "coworld-test/fake-player-b:latest"
IMAGE_BUILDS = (
    (GAME_IMAGE, "game.Dockerfile", {}),
    (PLAYER_IMAGE, "player.Dockerfile", {"PLAYER_NAME": "a"}),
    (PLAYER_B_IMAGE, "player.Dockerfile", {"PLAYER_NAME": "b"}),
)
FAST_CONFIG = {"ticks": 12, "tick_ms": 100, "connect_timeout_s": 30}


def build_fake_images() -> None:
    """Build the fake game and player images (Docker's layer cache makes rebuilds quick)."""
    client = docker.from_env()
    for tag, dockerfile, args in IMAGE_BUILDS:
        client.images.build(
            path=str(FAKE_DIR),
            dockerfile=dockerfile,
            tag=tag,
            buildargs={"BASE_IMAGE": BASE_IMAGE, **args},
            rm=True,
            forcerm=True,
        )


def _player(player_id: str, env: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "player",
        "id": player_id,
        "name": f"Fake player {player_id}",
        "description": "answers every tick",
        "image": PLAYER_IMAGE,
        "env": env,
    }


def fake_document(
    slots: int = 2,
    *,
    current: bool = False,
    game_env: dict[str, str] | None = None,
    player_env: dict[str, str] | None = None,
    slot_env: dict[int, dict[str, str]] | None = None,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A manifest document for the fake game with `slots` slots.

    `player_env` goes to every player; `slot_env` gives single slots their own player spec with extra env.
    """
    text = {"type": "text", "value": "fake"}
    players = [_player("fake-player", dict(player_env or {}))]
    certification_players = [{"player_id": "fake-player"} for _ in range(slots)]
    for slot, env in sorted((slot_env or {}).items()):
        players.append(_player(f"fake-player-slot{slot}", {**(player_env or {}), **env}))
        certification_players[slot] = {"player_id": f"fake-player-slot{slot}"}
    document: dict[str, Any] = {
        "game": {
            "name": "fake-game",
            "version": "1.0.0",
            "description": "the runtime tests' fake game",
            "owner": "tests",
            "runnable": {"type": "game", "image": GAME_IMAGE, "env": dict(game_env or {})},
            "config_schema": {
                "type": "object",
                "required": ["tokens"],
                "properties": {
                    "tokens": {
                        "type": "array",
                        "items": {"type": "string"},
                        "minItems": slots,
                        "maxItems": slots,
                    },
                    "ticks": {"type": "integer", "minimum": 1},
                    "tick_ms": {"type": "integer", "minimum": 1},
                    "connect_timeout_s": {"type": "number"},
                    "others_connect_timeout_s": {"type": "number"},
                    "missing_players": {"enum": ["fail", "play"]},
                },
                "additionalProperties": False,
            },
            "results_schema": {
                "type": "object",
                "required": ["scores"],
                "properties": {
                    "scores": {"type": "array", "items": {"type": "number"}},
                    "tokens_echo": {"type": "array"},
                },
                "additionalProperties": False,
            },
            "protocols": {"player": text, "global": text},
            "docs": {"readme": text},
        },
        "player": players,
        "variants": [
            {"id": "fast", "name": "Fast", "description": "a short game", "game_config": dict(FAST_CONFIG)},
            {"id": "longer", "name": "Longer", "description": "more ticks", "game_config": {"ticks": 20}},
        ],
        "certification": {
            "game_config": {**FAST_CONFIG, **(config or {})},
            "players": certification_players,
        },
    }
    if current:
        document["apiVersion"] = "coworld.softmax.com/v1"
    return document


def loaded_manifest(document: dict[str, Any], source: str = "tests/runtime/fakes.py") -> LoadedManifest:
    """A LoadedManifest built directly (the fake manifests are valid by construction)."""
    generation = Generation.CURRENT_V1 if "apiVersion" in document else Generation.CLASSIC
    return LoadedManifest(
        source=source,
        base_dir=None,
        raw=json.dumps(document, sort_keys=True).encode(),
        document=copy.deepcopy(document),
        generation=generation,
        manifest=Manifest.model_validate(document),
    )


def fake_manifest(**options: Any) -> LoadedManifest:
    return loaded_manifest(fake_document(**options))
