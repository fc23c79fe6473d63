"""The probe game goes as soon as its last user has run: which tests use it, by target, and its users run
together (so that it can go beside the episode's own containers, not at the end)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from pytest_coworld.examples import example_manifest_path
from pytest_coworld.game_users import ProbeGameUsers


@dataclass
class CallSpec:
    params: dict[str, Any]


@dataclass
class Item:
    """What ProbeGameUsers reads of a collected test."""

    nodeid: str
    target: str | None
    fixturenames: list[str] = field(default_factory=list)

    @property
    def callspec(self) -> CallSpec:
        return CallSpec({"coworld_target": self.target} if self.target else {})


def users(*items: Item) -> ProbeGameUsers:
    return ProbeGameUsers(cast(list[pytest.Item], list(items)))


def test_the_last_user_of_a_targets_probe_game_releases_it() -> None:
    tracker = users(
        Item("tokens[a]", "a", ["coworld_game"]),
        Item("reconnect[a]", "a", ["make_coworld_player", "coworld_game"]),
        Item("replay[a]", "a", ["coworld_episode"]),
        Item("tokens[b]", "b", ["coworld_game"]),
    )

    assert tracker.finished("tokens[a]") is None
    assert tracker.finished("replay[a]") is None  # not a user
    assert tracker.finished("reconnect[a]") == "a"
    assert tracker.finished("reconnect[a]") is None  # once
    assert tracker.finished("tokens[b]") == "b"


def test_tests_without_a_target_are_never_counted() -> None:
    tracker = users(Item("test_mine", None, ["coworld_game"]), Item("tokens[a]", "a", ["coworld_game"]))

    assert tracker.finished("test_mine") is None
    assert tracker.finished("tokens[a]") == "a"


def test_the_probe_games_users_run_together_its_browser_pages_checks_right_after_reconnect(
    pytester: pytest.Pytester,
) -> None:
    manifest = f"--coworld-manifest={example_manifest_path('paint')}"
    collected = pytester.runpytest("-p", "no:cacheprovider", manifest, "--collect-only", "-q").outlines
    names = [line.split("::")[1].split("[")[0] for line in collected if "::" in line]

    at = names.index("test_reconnect")
    assert names[at - 6 : at + 4] == [
        "test_player_socket",
        *["test_token_rejected"] * 5,
        "test_reconnect",
        "test_player_page",
        "test_player_params",
        "test_player_address",
    ]
    assert names[at + 4] == "test_player_connected" and names[-1] == "test_replay_viewer"
