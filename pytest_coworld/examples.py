"""The bundled example Coworlds: where they live, what they are, their defects, and how to build them.

In a checkout the examples are the repository's `examples/` folder; an installed wheel carries the same
folder as `pytest_coworld/_examples`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

GAME_DEFECT_ENV = "COWORLD_EXAMPLE_DEFECT"
PLAYER_DEFECT_ENV = "COWORLD_EXAMPLE_PLAYER_DEFECT"


class ExampleNotFound(LookupError):
    """No bundled example, or no defect, of that name."""


@dataclass(frozen=True)
class Example:
    name: str
    description: str
    folder: Path
    images: dict[str, str]

    @property
    def manifest_path(self) -> Path:
        return self.folder / "coworld_manifest.json"

    def slots(self) -> str:
        """The slot count, or its bounds (`3-4`) when the manifest declares variable bounds."""
        tokens = json.loads(self.manifest_path.read_text())["game"]["config_schema"]["properties"]["tokens"]
        low, high = tokens["minItems"], tokens["maxItems"]
        return str(low) if low == high else f"{low}-{high}"


@dataclass(frozen=True)
class Defect:
    id: str
    target: str
    rule: str
    observed: str
    check: str
    examples: tuple[str, ...]


def examples_root() -> Path:
    packaged = Path(__file__).parent / "_examples"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "examples"


@cache
def list_examples() -> tuple[Example, ...]:
    found = []
    for description_file in sorted(examples_root().glob("*/example.json")):
        data = json.loads(description_file.read_text())
        found.append(Example(data["name"], data["description"], description_file.parent, data["images"]))
    return tuple(found)


def get_example(name: str) -> Example:
    for example in list_examples():
        if example.name == name:
            return example
    known = ", ".join(example.name for example in list_examples()) or "none"
    raise ExampleNotFound(f"no bundled example named {name!r} (bundled: {known})")


def example_manifest_path(name: str) -> Path:
    return get_example(name).manifest_path


@cache
def all_defects() -> tuple[Defect, ...]:
    entries = json.loads((examples_root() / "defects.json").read_text())
    return tuple(Defect(**{**entry, "examples": tuple(entry["examples"])}) for entry in entries)


def defects_of(example: str) -> list[Defect]:
    get_example(example)
    return [defect for defect in all_defects() if example in defect.examples]


def get_defect(defect_id: str) -> Defect:
    for defect in all_defects():
        if defect.id == defect_id:
            return defect
    raise ExampleNotFound(f"no example defect named {defect_id!r}; `coworld example defects NAME` lists them")


def apply_defect(document: dict[str, Any], defect_id: str) -> dict[str, Any]:
    """A copy of an example manifest with one defect switched on.

    A game defect goes into the game's env. A player defect breaks exactly one slot, the last certification
    slot: it gets its own copy of that player spec, with the defect in its env.
    """
    defect = get_defect(defect_id)
    changed = copy.deepcopy(document)
    if defect.target == "game":
        changed["game"]["runnable"].setdefault("env", {})[GAME_DEFECT_ENV] = defect.id
        return changed
    last_slot = changed["certification"]["players"][-1]
    original = next(spec for spec in changed["player"] if spec["id"] == last_slot["player_id"])
    broken = {**copy.deepcopy(original), "id": f"{original['id']}-{defect.id}"}
    broken["env"] = {**original.get("env", {}), PLAYER_DEFECT_ENV: defect.id}
    changed["player"].append(broken)
    last_slot["player_id"] = broken["id"]
    return changed


def build_example(name: str) -> dict[str, str]:
    """Build the example's images (cached); return `{tag: "built" | "cached"}`."""
    from pytest_coworld.provision.images import ImageBuild, build_images

    example = get_example(name)
    builds = [ImageBuild(tag, dockerfile) for tag, dockerfile in sorted(example.images.items())]
    return build_images(examples_root(), builds)
