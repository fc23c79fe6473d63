"""Find and replace the image references of a manifest document (local tags <-> `img_…` ids)."""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import ValidationError

from pytest_coworld.manifest.models import Manifest
from pytest_coworld.platform.errors import PlatformError

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def image_references(document: dict[str, Any]) -> list[tuple[str, str]]:
    """`(json path, image)` for every image the manifest document references."""
    try:
        return Manifest.model_validate(document).referenced_images()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PlatformError(f"the manifest is malformed at {where}: {first['msg']}") from None


def _set_path(document: dict[str, Any], path: str, value: str) -> None:
    keys: list[str | int] = [name if name else int(index) for name, index in _PATH_PART.findall(path)]
    target: Any = document
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


def replace_images(document: dict[str, Any], replacements: dict[str, str]) -> dict[str, Any]:
    """A copy of `document` with every image reference found in `replacements` replaced."""
    rewritten = copy.deepcopy(document)
    for path, image in image_references(document):
        if image in replacements:
            _set_path(rewritten, path, replacements[image])
    return rewritten
