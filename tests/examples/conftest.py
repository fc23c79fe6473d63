"""Fixtures for the example-game tests: the four images built once, and containers removed after each test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from example_containers import ExampleContainers

from pytest_coworld.runtime.labels import LABEL_RUN_ID

EXAMPLE_NAMES = ("paint", "auction")


@pytest.fixture(scope="session")
def example_images(docker_client: Any) -> dict[str, str]:
    """Build (or reuse, when unchanged) the game and player images of both examples, offline-capable."""
    from pytest_coworld.examples import build_example

    built: dict[str, str] = {}
    for name in EXAMPLE_NAMES:
        built |= build_example(name)
    return built


@pytest.fixture(scope="session")
def examples_run_id(docker_client: Any) -> Iterator[str]:
    """The run id on every container and network of these tests; anything left with it is swept at the end."""
    run_id = f"examples-{uuid.uuid4().hex[:12]}"
    yield run_id
    leftover = {"label": f"{LABEL_RUN_ID}={run_id}"}
    for container in docker_client.containers.list(all=True, filters=leftover):
        container.remove(force=True)
    for network in docker_client.networks.list(filters=leftover):
        network.remove()


def _containers(docker_client: Any, examples_run_id: str) -> Iterator[ExampleContainers]:
    tracker = ExampleContainers(docker_client, examples_run_id)
    try:
        yield tracker
    finally:
        tracker.remove_all()


@pytest.fixture
def containers(
    docker_client: Any, examples_run_id: str, example_images: dict[str, str]
) -> Iterator[ExampleContainers]:
    """Containers and networks of one test."""
    yield from _containers(docker_client, examples_run_id)


@pytest.fixture(scope="module")
def module_containers(
    docker_client: Any, examples_run_id: str, example_images: dict[str, str]
) -> Iterator[ExampleContainers]:
    """Containers and networks shared by the probes of one test module."""
    yield from _containers(docker_client, examples_run_id)
