"""The kit speaks exactly one contract generation per image: the one `COWORLD_EXAMPLE_GENERATION` names."""

from __future__ import annotations

import sys

import pytest
from example_containers import EXAMPLES

sys.path.insert(0, str(EXAMPLES / "_kit"))
from coworld_kit import KitError
from coworld_kit.pages import Pages
from coworld_kit.player import player_url
from coworld_kit.settings import GENERATION_VARIABLE, GameSettings, Generation

CLASSIC = {GENERATION_VARIABLE: "classic"}
CURRENT = {GENERATION_VARIABLE: "current"}
BOTH_URLS = {"COGAMES_ENGINE_WS_URL": "ws://classic/player", "COWORLD_PLAYER_WS_URL": "ws://current/player"}
BOTH_REPLAY_MODES = {"COGAME_REPLAY_SERVER": "1", "COGAME_LOAD_REPLAY_URI": "file:///replay/replay"}


@pytest.mark.parametrize("env", [{}, {GENERATION_VARIABLE: ""}, {GENERATION_VARIABLE: "both"}])
def test_an_image_without_a_known_generation_is_refused(env: dict[str, str]) -> None:
    with pytest.raises(KitError, match=f"{GENERATION_VARIABLE}=.* is not a contract generation"):
        Generation.from_env(env)


@pytest.mark.parametrize(
    ("generation", "url"), [(CLASSIC, "ws://classic/player"), (CURRENT, "ws://current/player")]
)
def test_a_player_reads_only_its_generations_variable(generation: dict[str, str], url: str) -> None:
    assert player_url(generation | BOTH_URLS) == url


@pytest.mark.parametrize(
    ("generation", "other", "variable"),
    [
        (CLASSIC, "COWORLD_PLAYER_WS_URL", "COGAMES_ENGINE_WS_URL"),
        (CURRENT, "COGAMES_ENGINE_WS_URL", "COWORLD_PLAYER_WS_URL"),
    ],
)
def test_a_player_given_only_the_other_variable_is_refused(
    generation: dict[str, str], other: str, variable: str
) -> None:
    with pytest.raises(KitError, match=f"{variable} is not set"):
        player_url(generation | {other: "ws://game/player"})


def test_classic_replay_mode_is_only_cogame_replay_server() -> None:
    assert GameSettings.from_env(CLASSIC | BOTH_REPLAY_MODES).replay_mode
    loaded_only = GameSettings.from_env(CLASSIC | {"COGAME_LOAD_REPLAY_URI": "file:///replay/replay"})
    assert (loaded_only.replay_mode, loaded_only.load_replay_uri) == (False, None)


def test_current_replay_mode_is_only_cogame_load_replay_uri() -> None:
    both = GameSettings.from_env(CURRENT | BOTH_REPLAY_MODES)
    assert (both.replay_mode, both.load_replay_uri) == (True, "file:///replay/replay")
    assert not GameSettings.from_env(CURRENT | {"COGAME_REPLAY_SERVER": "1"}).replay_mode


@pytest.mark.parametrize(("generation", "address"), [(CLASSIC, ("0.0.0.0", 8080)), (CURRENT, ("::", 9000))])
def test_only_current_games_bind_to_cogame_host_and_port(
    generation: dict[str, str], address: tuple[str, int]
) -> None:
    settings = GameSettings.from_env(generation | {"COGAME_HOST": "::", "COGAME_PORT": "9000"})
    assert (settings.host, settings.port) == address


@pytest.mark.parametrize(
    ("generation", "own", "other"), [("classic", "clients", "client"), ("current", "client", "clients")]
)
def test_pages_are_served_only_under_their_generations_prefix(generation: str, own: str, other: str) -> None:
    pages = Pages("game", "", None, Generation(generation))
    for kind in ("player", "global", "replay"):
        assert pages.for_path(f"/{own}/{kind}") is not None
        assert pages.for_path(f"/{other}/{kind}") is None
