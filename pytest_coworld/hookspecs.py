"""Hooks that pytest-coworld offers to other plugins and conftest files."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_coworld_update_results_json(config: pytest.Config, results: dict[str, Any]) -> None:
    """Change the certification report (coworld-certification.json) in place before it is written."""
