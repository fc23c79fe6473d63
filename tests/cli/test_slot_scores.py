"""The per-slot summary that `run-episode` prints after its episodes."""

from __future__ import annotations

import pytest

from pytest_coworld.cli.slot_scores import SlotScores, slot_scores


def test_mean_spread_range_and_wins_per_slot() -> None:
    summary = slot_scores([[3, 1], [2, 2], [0, 5]])

    assert summary == [
        SlotScores(slot=0, episodes=3, mean=5 / 3, stdev=pytest.approx(1.5275, abs=1e-4), low=0, high=3,
                   wins=1, shared_wins=1),
        SlotScores(slot=1, episodes=3, mean=8 / 3, stdev=pytest.approx(2.0817, abs=1e-4), low=1, high=5,
                   wins=1, shared_wins=1),
    ]  # fmt: skip


def test_one_episode_has_no_spread_and_no_episode_no_summary() -> None:
    (only,) = slot_scores([[7.5]])

    assert (only.stdev, only.wins, only.shared_wins) == (None, 1, 0)
    assert slot_scores([]) == []


def test_a_three_way_tie_below_the_top_is_no_win() -> None:
    summary = slot_scores([[1, 1, 1, 4]])

    assert [(slot.wins, slot.shared_wins) for slot in summary] == [(0, 0), (0, 0), (0, 0), (1, 0)]
