"""The example folders agree: manifests validate, images match, every defect is listed and documented."""

from __future__ import annotations

import json
import sys

import pytest
from example_containers import EXAMPLES, GENERATIONS, manifest, other_generation

from pytest_coworld.manifest import load_manifest
from pytest_coworld.manifest.models import Generation

sys.path.insert(0, str(EXAMPLES / "_kit"))
from coworld_kit.defects import GAME_DEFECTS, PLAYER_DEFECTS

DEFECTS = json.loads((EXAMPLES / "defects.json").read_text())
DOCKERFILE_HEAD = [
    "ARG BASE_IMAGE=python:3.11-slim-bookworm",
    "FROM ${BASE_IMAGE}",
    "ARG PIP_INSTALL_ARGS=",
    "COPY requirements.txt wheelhouse/ /tmp/deps/",
    "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir ${PIP_INSTALL_ARGS} "
    "-r /tmp/deps/requirements.txt && rm -rf /tmp/deps",
]


@pytest.mark.parametrize(
    ("example", "generation", "slots"),
    [("paint", Generation.CLASSIC, 2), ("auction", Generation.CURRENT_V1, 4)],
)
def test_manifest_validates_in_its_generation(example: str, generation: Generation, slots: int) -> None:
    loaded = load_manifest(str(EXAMPLES / example / "coworld_manifest.json"))
    assert loaded.generation is generation
    assert loaded.manifest.slot_count() == slots


@pytest.mark.parametrize("example", ["paint", "auction"])
def test_example_json_names_the_manifest_images_and_their_dockerfiles(example: str) -> None:
    described = json.loads((EXAMPLES / example / "example.json").read_text())
    document = manifest(example)
    referenced = {document["game"]["runnable"]["image"], *(player["image"] for player in document["player"])}
    assert described["name"] == example
    assert set(described["images"]) == referenced
    for dockerfile in described["images"].values():
        lines = (EXAMPLES / dockerfile).read_text().splitlines()
        assert lines[: len(DOCKERFILE_HEAD)] == DOCKERFILE_HEAD, (
            f"{dockerfile} must start with the shared layers"
        )


@pytest.mark.parametrize(("example", "generation"), [("paint", "classic"), ("auction", "current")])
def test_both_images_of_an_example_declare_the_generation_of_its_manifest(
    example: str, generation: str
) -> None:
    described = json.loads((EXAMPLES / example / "example.json").read_text())
    for dockerfile in described["images"].values():
        lines = (EXAMPLES / dockerfile).read_text().splitlines()
        assert f"ENV COWORLD_EXAMPLE_GENERATION={generation}" in lines, dockerfile
    assert GENERATIONS[example].name == generation
    loaded = load_manifest(str(EXAMPLES / example / "coworld_manifest.json"))
    assert loaded.generation.is_current is (generation == "current")


@pytest.mark.parametrize("example", ["paint", "auction"])
def test_the_manifest_names_only_the_pages_of_the_examples_generation(example: str) -> None:
    text = json.dumps(manifest(example))
    assert f"{GENERATIONS[example].pages}/player" in text
    assert f"{other_generation(example).pages}/" not in text


def test_defects_json_lists_exactly_the_kit_defects() -> None:
    by_target = {target: {d["id"] for d in DEFECTS if d["target"] == target} for target in ("game", "player")}
    assert by_target == {"game": set(GAME_DEFECTS), "player": set(PLAYER_DEFECTS)}
    assert len(DEFECTS) == len(GAME_DEFECTS) + len(PLAYER_DEFECTS)


@pytest.mark.parametrize("defect", DEFECTS, ids=[d["id"] for d in DEFECTS])
def test_each_defect_is_described_and_in_the_readme_table(defect: dict[str, object]) -> None:
    assert set(defect) == {"id", "target", "rule", "observed", "check", "examples"}
    assert all(isinstance(defect[key], str) and defect[key] for key in ("rule", "observed", "check"))
    assert defect["examples"] and set(defect["examples"]) <= {"paint", "auction"}  # where the zoo runs it
    readme = (EXAMPLES / "README.md").read_text()
    assert f"| `{defect['id']}` | {defect['target']} |" in readme
