"""`coworld validate`: exit 0 valid, 1 invalid with every violation, 2 unreadable; `--json` has one shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from pytest_coworld.cli.app import app
from pytest_coworld.examples import list_examples

Document = dict[str, Any]
JSON_KEYS = {
    "valid",
    "source",
    "generation",
    "slot_count",
    "token_bounds",
    "images",
    "variants",
    "violations",
}


def _validate(*args: str) -> Result:
    return CliRunner().invoke(app, ["validate", *args])


def _write(folder: Path, document: Any) -> str:
    path = folder / "coworld_manifest.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_a_valid_manifest_exits_0_with_a_summary(tmp_path: Path, current_doc: Document) -> None:
    path = _write(tmp_path, current_doc)

    result = _validate(path)

    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"valid: {path}",
        "generation: current-v0",
        "slots: 3 (tokens allow 2-4)",
        "images:",
        "  game.runnable.image  tiles-game:1.2.0",
        "  player[0].image      tiles-greedy:1.2.0",
        "  player[1].image      tiles-random:1.2.0",
        "  grader[0].image      tiles-grader:1.2.0",
        "variants: duel, brawl",
    ]


def test_a_fixed_slot_count_shows_no_bounds(tmp_path: Path, classic_doc: Document) -> None:
    result = _validate(_write(tmp_path, classic_doc))

    assert result.exit_code == 0
    assert "generation: classic" in result.stdout.splitlines()
    assert "slots: 2" in result.stdout.splitlines()


def test_an_invalid_manifest_exits_1_and_lists_every_violation(tmp_path: Path, classic_doc: Document) -> None:
    del classic_doc["game"]["owner"]
    classic_doc["variants"][1]["game_config"]["width"] = 1
    path = _write(tmp_path, classic_doc)

    result = _validate(path)

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"invalid: {path} (classic manifest)",
        "  game.owner  [schema.required]",
        "    missing required key 'owner'",
        "    hint: add 'owner'",
        "  variants[1].game_config.width  [config.schema]",
        "    1 is too small",
        "    hint: change variants[1].game_config to satisfy game.config_schema: use a number at least 2",
        f"2 violations in {path}",
    ]


def test_a_flood_of_violations_shows_the_first_50_and_json_has_them_all(
    tmp_path: Path, classic_doc: Document
) -> None:
    classic_doc["variants"] = [{"id": f"v{i}", "name": "", "game_config": {"width": 1}} for i in range(60)]
    path = _write(tmp_path, classic_doc)

    text, as_json = _validate(path), _validate(path, "--json")

    found = json.loads(as_json.stdout)["violations"]
    assert text.exit_code == as_json.exit_code == 1 and len(found) > 60
    assert f"  … and {len(found) - 50} more (--json lists them all)" in text.stdout.splitlines()
    assert sum(line.startswith("    hint:") for line in text.stdout.splitlines()) == 50


def test_json_output_of_a_valid_manifest(tmp_path: Path, current_doc: Document) -> None:
    current_doc["apiVersion"] = "coworld.softmax.com/v1"
    path = _write(tmp_path, current_doc)

    result = _validate(path, "--json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "valid": True,
        "source": path,
        "generation": "current-v1",
        "slot_count": 3,
        "token_bounds": [2, 4],
        "images": [
            {"path": "game.runnable.image", "image": "tiles-game:1.2.0"},
            {"path": "player[0].image", "image": "tiles-greedy:1.2.0"},
            {"path": "player[1].image", "image": "tiles-random:1.2.0"},
            {"path": "grader[0].image", "image": "tiles-grader:1.2.0"},
        ],
        "variants": ["duel", "brawl"],
        "violations": [],
    }


def test_json_output_of_an_invalid_manifest(tmp_path: Path, current_doc: Document) -> None:
    current_doc["tags"] = ["grid"]

    result = _validate(_write(tmp_path, current_doc), "--json")

    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert set(summary) == JSON_KEYS
    assert (summary["valid"], summary["generation"], summary["slot_count"]) == (False, "current-v0", None)
    assert summary["violations"] == [
        {
            "path": "tags",
            "rule": "tags.min-count",
            "message": "has 1 entry, needs at least 3",
            "hint": "list at least 3 tags, or remove `tags`",
        }
    ]


def test_contract_option_forces_a_generation(tmp_path: Path, classic_doc: Document) -> None:
    result = _validate(_write(tmp_path, classic_doc), "--contract", "current", "--json")

    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["generation"] == "current-v0"
    assert [(found["path"], found["rule"]) for found in summary["violations"]] == [
        ("variants[1].parent_id", "variant.parent-id-removed")
    ]


def test_a_missing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _validate(str(tmp_path / "nope.json"))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: manifest file not found: {tmp_path / 'nope.json'} (check the path)\n"


def test_json_that_does_not_parse_exits_2_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "coworld_manifest.json"
    path.write_text('{"game": }')

    result = _validate(str(path), "--json")

    assert result.exit_code == 2
    assert result.stderr == f"error: {path} is not valid JSON: Expecting value at line 1, column 10\n"
    assert "Traceback" not in result.output


def test_an_unknown_contract_is_a_usage_error(tmp_path: Path, classic_doc: Document) -> None:
    result = _validate(_write(tmp_path, classic_doc), "--contract", "newest")

    assert result.exit_code == 2
    assert "Invalid value for '--contract'" in result.stderr


def test_an_unknown_example_exits_2() -> None:
    result = _validate("--example", "no-such-example")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: no bundled example named 'no-such-example'")


@pytest.mark.parametrize("name", [example.name for example in list_examples()])
def test_every_bundled_example_is_valid(name: str) -> None:
    result = _validate("--example", name)

    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("valid: ")
