"""Fixtures shared by our own tests: a real Docker engine, provisioned if needed, and the fake game's images
and run context (tests/runtime/fake)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from runtime_fakes import build_fake_images

from pytest_coworld.runtime import RunContext
from pytest_coworld.runtime.cleanup import list_labelled


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


@pytest.fixture(scope="session")
def fake_images(docker_client: Any) -> None:
    """The fake game and player images, built once per session."""
    build_fake_images()


@pytest.fixture(scope="session")
def session_run(fake_images: None) -> Iterator[RunContext]:
    with RunContext(worker=os.environ.get("PYTEST_XDIST_WORKER")) as run:
        yield run


@pytest.fixture
def run(session_run: RunContext) -> Iterator[RunContext]:
    """The session's RunContext; after the test, nothing labelled with its run id may remain."""
    yield session_run
    leftovers = list_labelled(session_run.client, session_run.run_id)
    assert not leftovers, f"the test left resources behind: {[r.name for r in leftovers]}"
