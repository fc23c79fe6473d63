"""Docker image references, checked against the grammar of the distribution project (`reference/regexp.go`).

    reference      := name [":" tag] ["@" digest]
    name           := [domain "/"] path-component ["/" path-component]*     (at most 255 characters)
    domain         := host [":" port]; host: DNS labels joined by ".", or "[" IPv6 "]"
    path-component := [a-z0-9]+ (separator [a-z0-9]+)*;  separator := "." | "_" | "__" | "-"+
    tag            := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest         := algorithm ":" at least 32 hex digits

The docker SDK parses references but does not validate them, hence this regex. An uploaded manifest holds the
platform's image ids (`img_…`, PLATFORM_API.md) instead; those are accepted as they are.
"""

from __future__ import annotations

import re
from typing import Any

from pytest_coworld.json_path import Path
from pytest_coworld.manifest.sections import runnables
from pytest_coworld.manifest.violations import Violation, short_json, violation

PLATFORM_IMAGE_ID = re.compile(r"img_[A-Za-z0-9_-]+")
MAX_NAME_LENGTH = 255  # distribution's NameTotalLengthMax
MAX_REFERENCE_LENGTH = MAX_NAME_LENGTH + 1 + 128 + 1 + 7 + 128  # name, ":" tag, "@sha512:" digest

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::{_TAG})?(?:@{_DIGEST})?",
    re.ASCII,
)
HINT = (
    'use name[:tag][@digest], such as "tiles-game:1.2.0" or "ghcr.io/owner/tiles:1.2.0": a lowercase name '
    "of letters and digits joined by . _ -, a tag of at most 128 letters, digits and _ . -"
)


def image_problem(image: str) -> str | None:
    """Why `image` is neither a Docker image reference nor a platform image id, or None."""
    if not image:
        return "it is empty"
    if len(image) > MAX_REFERENCE_LENGTH:
        return f"it is {len(image)} characters long"
    if PLATFORM_IMAGE_ID.fullmatch(image):
        return None
    match = REFERENCE.fullmatch(image)
    if match is None:
        lowered = REFERENCE.fullmatch(image.lower())
        return "the repository name must be lowercase" if lowered else "it does not follow the grammar"
    if len(match["name"]) > MAX_NAME_LENGTH:
        return f"its name is {len(match['name'])} characters long, more than {MAX_NAME_LENGTH}"
    return None


def image_violations(document: dict[str, Any]) -> list[Violation]:
    """Every `image` of a runnable (the game's, each role entry's) that is not a Docker image reference."""
    found = []
    for path, image in _images(document):
        problem = image_problem(image)
        if problem:
            found.append(
                violation(
                    path,
                    "image.reference",
                    f"{short_json(image)} is not a Docker image reference: {problem}",
                    HINT,
                )
            )
    return found


def _images(document: dict[str, Any]) -> list[tuple[Path, str]]:
    return [
        ((*path, "image"), runnable["image"])
        for path, runnable in runnables(document)
        if isinstance(runnable.get("image"), str)
    ]
