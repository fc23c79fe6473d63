"""Valid manifests of both generations are accepted, modelled, and report their generation and slots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_coworld.manifest import Generation, check_document

Document = dict[str, Any]
V1 = "coworld.softmax.com/v1"


def _accepted(document: Document, contract: str = "auto") -> Any:
    report = check_document(document, contract)
    assert report.violations == []
    assert report.manifest is not None
    return report


def test_classic_manifest_is_classic_with_a_fixed_slot_count(classic_doc: Document) -> None:
    report = _accepted(classic_doc)

    assert report.generation is Generation.CLASSIC
    assert report.manifest.token_bounds() == (2, 2)
    assert report.manifest.slot_count() == 2
    assert [variant.id for variant in report.manifest.variants] == ["default", "long"]
    assert report.manifest.variant("long").parent_id == "default"


def test_current_v0_manifest_has_variable_token_bounds(current_doc: Document) -> None:
    report = _accepted(current_doc)

    assert report.generation is Generation.CURRENT_V0
    assert report.manifest.token_bounds() == (2, 4)
    assert report.manifest.slot_count() == 3
    assert report.manifest.slot_count(report.manifest.variant("brawl").game_config) == 4


def test_current_v1_manifest_declares_its_api_version(current_doc: Document) -> None:
    current_doc["apiVersion"] = V1

    report = _accepted(current_doc)

    assert report.generation is Generation.CURRENT_V1
    assert report.manifest.api_version == V1


def test_minimal_classic_manifest_without_optional_sections(classic_doc: Document) -> None:
    for optional in ("$schema", "grader"):
        del classic_doc[optional]
    del classic_doc["game"]["docs"]
    del classic_doc["game"]["runnable"]["type"]
    del classic_doc["variants"][1]["parent_id"]

    assert _accepted(classic_doc).generation is Generation.CLASSIC


def test_classic_docs_may_be_null(classic_doc: Document) -> None:
    classic_doc["game"]["docs"] = None

    assert _accepted(classic_doc).generation is Generation.CLASSIC


def _with_replay_bundle(document: Document) -> None:
    document["game"]["replay_viewer"] = {
        "bundle": "build/replay-viewer",
        "replay_compression": "gzip",
        "format_identity": "tiles.replay.v1",
    }


def _with_episode_timeout(document: Document) -> None:
    document["episode_timeout_minutes"] = 30


def _with_tags(document: Document) -> None:
    document["tags"] = ["grid", "strategy", "multiplayer"]


def _with_uri_readme(document: Document) -> None:
    document["game"]["docs"] = {
        "readme": {"type": "uri", "value": "https://example.com/tiles/README.md"},
        "pages": [{"id": "faq", "title": "FAQ", "content": {"type": "text", "value": "# FAQ"}}],
    }


def _with_game_hosted_file_player(document: Document) -> None:
    document["game"]["player_runtime"] = "game-hosted"
    player = document["player"][1]
    del player["image"]
    player["file"] = "players/random.py"


def _with_wasm_reporter(document: Document) -> None:
    document["reporter"].append(
        {"wasm": "reporters/recap.wasm", "id": "recap", "attributes": {"purpose": "Recap each episode"}}
    )


def _with_every_supporting_role(document: Document) -> None:
    for role in ("commissioner", "diagnoser", "optimizer"):
        document[role] = [
            {
                "type": role,
                "id": role,
                "name": role.title(),
                "description": f"A {role}.",
                "image": f"{role}:1",
            }
        ]


def _with_nullable_keys_set_to_null(document: Document) -> None:
    game = document["game"]
    for key in ("promo", "achievements", "log", "memory", "task_environments", "replay_viewer"):
        game[key] = None
    game["protocols"]["engine_runtime"] = None
    document["player"][0]["startup"] = None
    document["players_per_user"] = None
    document["episode_timeout_minutes"] = None


def _with_catalog_keys(document: Document) -> None:
    game = document["game"]
    game["promo"] = {"video_url": "https://example.com/tiles/promo.mp4"}
    game["achievements"] = [
        {"id": "first-win", "name": "First win", "description": "Win once.", "points": 10}
    ]
    game["log"] = {"objective": "Claim the most tiles.", "panels": [{"title": "Moves", "kinds": ["move"]}]}
    game["memory"] = {"protocol": "append-v1"}
    game["task_environments"] = [{"id": "practice"}, {"id": "ranked"}]
    game["protocols"]["engine_runtime"] = "cogweb"
    document["players_per_user"] = 2


CURRENT_SHAPES: list[tuple[str, Callable[[Document], None]]] = [
    ("static-replay-bundle", _with_replay_bundle),
    ("episode-timeout", _with_episode_timeout),
    ("tags", _with_tags),
    ("uri-readme", _with_uri_readme),
    ("game-hosted-file-player", _with_game_hosted_file_player),
    ("wasm-reporter", _with_wasm_reporter),
    ("every-supporting-role", _with_every_supporting_role),
    ("nullable-keys-null", _with_nullable_keys_set_to_null),
    ("catalog-keys", _with_catalog_keys),
]


@pytest.mark.parametrize(("name", "shape"), CURRENT_SHAPES, ids=[name for name, _ in CURRENT_SHAPES])
@pytest.mark.parametrize("api_version", [None, V1], ids=["v0", "v1"])
def test_current_manifest_shapes_are_valid(
    current_doc: Document, name: str, shape: Callable[[Document], None], api_version: str | None
) -> None:
    if api_version:
        current_doc["apiVersion"] = api_version
    shape(current_doc)

    report = _accepted(current_doc)

    assert report.generation is (Generation.CURRENT_V1 if api_version else Generation.CURRENT_V0)


def test_static_replay_bundle_is_modelled(current_doc: Document) -> None:
    _with_replay_bundle(current_doc)

    replay_viewer = _accepted(current_doc).manifest.game.replay_viewer

    assert replay_viewer.bundle == "build/replay-viewer"
    assert replay_viewer.replay_compression == "gzip"


def test_episode_timeout_is_modelled(current_doc: Document) -> None:
    _with_episode_timeout(current_doc)

    assert _accepted(current_doc).manifest.episode_timeout_minutes == 30


def test_referenced_images_cover_game_players_and_supporting_roles(current_doc: Document) -> None:
    images = _accepted(current_doc).manifest.referenced_images()

    assert images == [
        ("game.runnable.image", "tiles-game:1.2.0"),
        ("player[0].image", "tiles-greedy:1.2.0"),
        ("player[1].image", "tiles-random:1.2.0"),
        ("grader[0].image", "tiles-grader:1.2.0"),
    ]


def test_a_current_manifest_with_fixed_bounds_can_be_checked_as_current(current_doc: Document) -> None:
    tokens = current_doc["game"]["config_schema"]["properties"]["tokens"]
    tokens["minItems"] = tokens["maxItems"] = 3
    for variant in current_doc["variants"]:
        variant["game_config"]["players"] = [{"name": "a"}, {"name": "b"}, {"name": "c"}]

    report = _accepted(current_doc, "current")

    assert report.generation is Generation.CURRENT_V0
    assert report.manifest.token_bounds() == (3, 3)
