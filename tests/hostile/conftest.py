"""The hostile game image: the fake game's image plus one hostile act (image/hostile_game.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from runtime_fakes import GAME_IMAGE

HOSTILE_IMAGE = "coworld-test/hostile-game:latest"


@pytest.fixture(scope="session")
def hostile_image(docker_client: Any, fake_images: None) -> str:
    docker_client.images.build(
        path=str(Path(__file__).parent / "image"),
        tag=HOSTILE_IMAGE,
        buildargs={"GAME_IMAGE": GAME_IMAGE},
        rm=True,
        forcerm=True,
    )
    return HOSTILE_IMAGE
