"""Fixtures of the browser-check tests: a browser (provisioned if needed) and the example images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def browser_executable() -> Path:
    """A Chromium for the checks; as root on Debian it is installed when missing."""
    from pytest_coworld.provision.browser import ensure_browser

    return ensure_browser()


@pytest.fixture(scope="session")
def example_images(docker_client: Any, browser_executable: Path) -> None:
    """The images of both examples, built once (cached when unchanged)."""
    from pytest_coworld.examples import build_example

    for name in ("paint", "auction"):
        build_example(name)
