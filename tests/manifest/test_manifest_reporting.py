"""Every violation is reported at once, and a broken part does not cascade into noise."""

from __future__ import annotations

from typing import Any

from pytest_coworld.manifest import ManifestInvalid, check_document

Document = dict[str, Any]


def _found(document: Any, contract: str = "auto") -> list[tuple[str, str]]:
    return [(found.path, found.rule) for found in check_document(document, contract).violations]


def test_several_violations_are_all_reported(classic_doc: Document) -> None:
    del classic_doc["game"]["owner"]
    classic_doc["player"][1]["id"] = classic_doc["player"][0]["id"]
    classic_doc["certification"]["players"][1]["player_id"] = "greedy"
    classic_doc["variants"][0]["game_config"]["width"] = 100
    classic_doc["variants"][1]["parent_id"] = "missing"
    classic_doc["certification"]["game_config"]["tokens"] = ["a", "b"]

    assert sorted(_found(classic_doc)) == sorted(
        [
            ("game.owner", "schema.required"),
            ("player[1].id", "ids.unique"),
            ("variants[0].game_config.width", "config.schema"),
            ("variants[1].parent_id", "variant.parent-id"),
            ("certification.game_config.tokens", "tokens.in-author-config"),
        ]
    )


def test_an_empty_object_reports_only_the_missing_sections() -> None:
    assert _found({}) == [
        ("game", "schema.required"),
        ("player", "schema.required"),
        ("variants", "schema.required"),
        ("certification", "schema.required"),
    ]


def test_a_game_that_is_not_an_object_does_not_cascade(classic_doc: Document) -> None:
    classic_doc["game"] = "tiles"

    assert _found(classic_doc) == [("game", "schema.type")]


def test_entries_that_are_not_objects_do_not_cascade(current_doc: Document) -> None:
    current_doc["player"] = ["greedy"]
    current_doc["certification"]["players"] = "greedy"
    current_doc["variants"] = [42]

    assert sorted(_found(current_doc)) == [
        ("certification.players", "schema.type"),
        ("player[0]", "schema.type"),
        ("variants[0]", "schema.type"),
    ]


def test_broken_token_bounds_skip_the_slot_rules(current_doc: Document) -> None:
    tokens = current_doc["game"]["config_schema"]["properties"]["tokens"]
    tokens["maxItems"] = "four"
    current_doc["certification"]["players"] *= 3

    assert _found(current_doc) == [("game.config_schema.properties.tokens.maxItems", "json-schema.invalid")]


def test_an_invalid_config_schema_skips_config_validation(classic_doc: Document) -> None:
    classic_doc["game"]["config_schema"]["properties"]["width"]["minimum"] = "two"
    classic_doc["variants"][0]["game_config"]["width"] = "wide"

    assert _found(classic_doc) == [("game.config_schema.properties.width.minimum", "json-schema.invalid")]


def test_a_remote_ref_in_the_config_schema_is_not_fetched(classic_doc: Document) -> None:
    classic_doc["game"]["config_schema"]["properties"]["width"] = {
        "$ref": "https://example.invalid/width.json"
    }

    assert _found(classic_doc) == [
        ("game.config_schema.properties.width.$ref", "json-schema.unresolvable-ref")
    ]


def test_nullable_object_errors_point_inside_the_object(current_doc: Document) -> None:
    current_doc["game"]["replay_viewer"] = {"bundle": "viewer", "extra": 1}

    assert _found(current_doc) == [("game.replay_viewer.extra", "schema.additional-properties")]


def test_a_wrong_kind_for_a_nullable_value_names_both_kinds(current_doc: Document) -> None:
    current_doc["players_per_user"] = "two"

    report = check_document(current_doc)

    assert [(found.path, found.rule) for found in report.violations] == [("players_per_user", "schema.type")]
    assert report.violations[0].message == "expected null or integer, got string"


def test_violation_text_names_the_path_rule_and_hint(classic_doc: Document) -> None:
    classic_doc["variants"][1]["game_config"]["width"] = 1

    (found,) = check_document(classic_doc).violations

    assert found.one_line() == (
        "variants[1].game_config.width: [config.schema] 1 is too small "
        "(hint: change variants[1].game_config to satisfy game.config_schema: use a number at least 2)"
    )


def test_manifest_invalid_lists_every_violation(classic_doc: Document) -> None:
    del classic_doc["game"]["owner"]
    classic_doc["variants"][1]["parent_id"] = "missing"
    report = check_document(classic_doc)

    text = str(ManifestInvalid(report, "tiles/coworld_manifest.json"))

    assert text.splitlines() == [
        "tiles/coworld_manifest.json is not a valid classic manifest (2 violations):",
        f"  {report.violations[0].one_line()}",
        f"  {report.violations[1].one_line()}",
    ]


def test_a_broken_player_id_does_not_flag_the_certification_slots(classic_doc: Document) -> None:
    classic_doc["player"][0]["id"] = 7

    assert _found(classic_doc) == [("player[0].id", "schema.type")]


def test_a_broken_variant_id_does_not_flag_parent_ids(classic_doc: Document) -> None:
    del classic_doc["variants"][0]["id"]

    assert _found(classic_doc) == [("variants[0].id", "schema.required")]


def test_a_broken_config_schema_required_list_skips_the_tokens_rule(classic_doc: Document) -> None:
    classic_doc["game"]["config_schema"]["required"] = [1, "width"]

    assert _found(classic_doc) == [("game.config_schema.required[0]", "json-schema.invalid")]


def test_one_bad_value_is_one_violation(current_doc: Document) -> None:
    current_doc["player"][0]["type"] = 1
    current_doc["player"][1]["image"] = 5

    assert _found(current_doc) == [
        ("player[0].type", "runnable.type-section"),
        ("player[1].image", "runnable.image-or-file"),
    ]
