"""Valid base manifests of both generations; tests build invalid ones from them by small mutations."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


def read_base(name: str) -> dict[str, Any]:
    """A fresh copy of `data/<name>.json` (`classic` or `current_v0`)."""
    document: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return document


@pytest.fixture
def base_document() -> Callable[[str], dict[str, Any]]:
    """Reads a fresh copy of a base manifest by name (`classic` or `current_v0`)."""
    return read_base


@pytest.fixture
def classic_doc() -> dict[str, Any]:
    return read_base("classic")


@pytest.fixture
def current_doc() -> dict[str, Any]:
    return read_base("current_v0")
