"""The Docker client and the translation of Docker SDK errors into one-line `InfrastructureError`s."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import docker
import docker.errors

from pytest_coworld.runtime.errors import InfrastructureError

CLIENT_POOL_SIZE = 64
CLIENT_TIMEOUT_SECONDS = 120


def connect_docker() -> docker.DockerClient:
    """A client for the engine of DOCKER_HOST (or the default socket); a clear error when none answers."""
    try:
        client = docker.from_env(max_pool_size=CLIENT_POOL_SIZE, timeout=CLIENT_TIMEOUT_SECONDS)
        # no proxy settings from the environment: reading them iterates os.environ, which is not thread-safe
        # while pytest sets and deletes PYTEST_CURRENT_TEST (KeyError in our background threads)
        client.api.trust_env = False
        client.ping()
    except docker.errors.DockerException as error:
        where = os.environ.get("DOCKER_HOST", "the default Docker socket")
        raise InfrastructureError(
            f"cannot reach the Docker engine at {where} ({_first_line(error)}); start Docker "
            "(or set DOCKER_HOST) and make sure your user may use it"
        ) from None
    return client


def image_id(client: docker.DockerClient, reference: str) -> str:
    """The local image id (`sha256:…`) of `reference`; a clear error when the image is not there."""
    try:
        return str(client.images.get(reference).id)
    except docker.errors.ImageNotFound:
        raise InfrastructureError(
            f"image {reference} not found locally — build it or docker pull it"
        ) from None
    except docker.errors.DockerException as error:
        raise InfrastructureError(f"cannot inspect image {reference}: {_first_line(error)}") from None


@contextmanager
def docker_errors(action: str) -> Iterator[None]:
    """Turn any Docker SDK error raised inside into `InfrastructureError("<action>: <reason>")`."""
    try:
        yield
    except docker.errors.ImageNotFound as error:
        raise InfrastructureError(
            f"{action}: image not found locally — build it or docker pull it ({_first_line(error)})"
        ) from None
    except docker.errors.DockerException as error:
        raise InfrastructureError(f"{action}: {_first_line(error)}") from None


def is_gone(error: Exception) -> bool:
    """True for errors that mean the resource no longer exists or is already being removed."""
    if isinstance(error, docker.errors.NotFound):
        return True
    status = getattr(getattr(error, "response", None), "status_code", None)
    return status == 409 and "already in progress" in str(error)


def _first_line(error: Any) -> str:
    explanation = getattr(error, "explanation", None) or str(error)
    return str(explanation).strip().splitlines()[0] if str(explanation).strip() else type(error).__name__
