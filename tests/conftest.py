"""Fixtures shared by our own tests: a real Docker engine, provisioned if needed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A Docker SDK client of a running engine that has the base image (provisioned on a bare machine)."""
    import docker

    from pytest_coworld.provision.base_image import ensure_base_image
    from pytest_coworld.provision.engine import ensure_engine

    ensure_engine()
    ensure_base_image()
    client = docker.from_env()
    yield client
    client.close()
