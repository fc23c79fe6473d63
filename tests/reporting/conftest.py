"""What a real certification in the action's steps needs: Docker, the paint example's images and a browser."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def certifiable(docker_client: Any) -> None:
    """The paint example's images built (cached by content) and a Chromium for the browser checks."""
    from pytest_coworld.examples import build_example
    from pytest_coworld.provision.browser import ensure_browser

    build_example("paint")
    ensure_browser()
