"""The generation of a manifest: from `apiVersion`, from current-only features, or forced by `--contract`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_coworld.manifest import Contract, Generation, check_document, detect_generation

Document = dict[str, Any]
V1 = "coworld.softmax.com/v1"


def _game(key: str, value: Any) -> Callable[[Document], None]:
    return lambda document: document["game"].__setitem__(key, value)


def _top(key: str, value: Any) -> Callable[[Document], None]:
    return lambda document: document.__setitem__(key, value)


def _runnable(key: str, value: Any) -> Callable[[Document], None]:
    return lambda document: document["game"]["runnable"].__setitem__(key, value)


def _player(key: str, value: Any) -> Callable[[Document], None]:
    return lambda document: document["player"][0].__setitem__(key, value)


def _engine_runtime(document: Document) -> None:
    document["game"]["protocols"]["engine_runtime"] = "cogweb"


def _token_range(document: Document) -> None:
    document["game"]["config_schema"]["properties"]["tokens"]["maxItems"] = 4


CURRENT_ONLY = {
    "game.replay_viewer": _game("replay_viewer", {"bundle": "viewer"}),
    "game.player_runtime": _game("player_runtime", "platform-hosted"),
    "game.promo": _game("promo", {"video_url": "https://example.com/promo.mp4"}),
    "game.achievements": _game("achievements", []),
    "game.log": _game("log", {}),
    "game.memory": _game("memory", {}),
    "game.task_environments": _game("task_environments", []),
    "game.protocols.engine_runtime": _engine_runtime,
    "tags": _top("tags", ["a", "b", "c"]),
    "players_per_user": _top("players_per_user", 1),
    "episode_timeout_minutes": _top("episode_timeout_minutes", 20),
    "runnable.source_url": _runnable("source_url", "https://example.com/tiles"),
    "runnable.resources": _runnable("resources", {"requests": {"cpu": "1"}}),
    "player.startup": _player("startup", {"port": 8081}),
    "player.file": _player("file", "players/greedy.py"),
    "player.repository_url": _player("repository_url", "https://example.com/greedy"),
    "tokens.minItems<maxItems": _token_range,
}


def test_classic_features_only_mean_classic(classic_doc: Document) -> None:
    assert detect_generation(classic_doc) is Generation.CLASSIC


@pytest.mark.parametrize("feature", list(CURRENT_ONLY.values()), ids=list(CURRENT_ONLY))
def test_a_current_only_feature_means_current_v0(
    classic_doc: Document, feature: Callable[[Document], None]
) -> None:
    feature(classic_doc)

    assert detect_generation(classic_doc) is Generation.CURRENT_V0


@pytest.mark.parametrize("contract", ["auto", "current"])
def test_api_version_v1_means_current_v1(current_doc: Document, contract: str) -> None:
    current_doc["apiVersion"] = V1

    assert detect_generation(current_doc, contract) is Generation.CURRENT_V1


@pytest.mark.parametrize("api_version", ["coworld.softmax.com/v0", "coworld.softmax.com/v2", "", 1])
def test_any_other_api_version_is_reported_at_api_version(classic_doc: Document, api_version: Any) -> None:
    classic_doc["apiVersion"] = api_version

    report = check_document(classic_doc)

    assert report.generation is Generation.CURRENT_V0
    assert ("apiVersion", "api-version") in [(found.path, found.rule) for found in report.violations]


def test_contract_current_reads_a_plain_manifest_as_current_v0(classic_doc: Document) -> None:
    assert detect_generation(classic_doc, Contract.CURRENT) is Generation.CURRENT_V0


def test_contract_classic_wins_over_current_features(current_doc: Document) -> None:
    current_doc["apiVersion"] = V1

    assert detect_generation(current_doc, "classic") is Generation.CLASSIC


def test_contract_classic_rejects_current_keys(current_doc: Document) -> None:
    report = check_document(current_doc, "classic")

    found = [(found.path, found.rule) for found in report.violations]
    assert ("game.player_runtime", "schema.additional-properties") in found
    assert ("reporter[0].image", "schema.required") in found


def test_an_unknown_contract_is_refused(classic_doc: Document) -> None:
    with pytest.raises(ValueError, match="'newest' is not a valid Contract"):
        check_document(classic_doc, "newest")
