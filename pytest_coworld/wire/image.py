"""The relay image: the base Python image plus `relay.py`, tagged by the content it was built from.

The tag carries a hash of the Dockerfile and the relay's source, so a changed relay is rebuilt and parallel
workers with the same package share one image. The first build needs the base image (pulled online, or
made locally: see `pytest_coworld.provision.base_image`); later runs only look the tag up.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from pathlib import Path

import docker
import docker.errors

from pytest_coworld.runtime.errors import InfrastructureError

RELAY_REPOSITORY = "pytest-coworld/relay"
RELAY_SOURCE = Path(__file__).with_name("relay.py")
DOCKERFILE = """\
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}
COPY relay.py /relay.py
USER 65534
ENTRYPOINT ["python3", "-u", "/relay.py"]
"""
_lock = threading.Lock()


def relay_tag() -> str:
    digest = hashlib.sha256(DOCKERFILE.encode() + RELAY_SOURCE.read_bytes()).hexdigest()
    return f"{RELAY_REPOSITORY}:{digest[:12]}"


def ensure_relay_image(client: docker.DockerClient) -> str:
    """The relay image's tag, built first when this machine does not have it."""
    tag = relay_tag()
    with _lock:
        try:
            client.images.get(tag)
            return tag
        except docker.errors.ImageNotFound:
            pass
        _build(client, tag)
    return tag


def _build(client: docker.DockerClient, tag: str) -> None:
    from pytest_coworld.provision import ProvisionError
    from pytest_coworld.provision.base_image import BASE_IMAGE_TAG, ensure_base_image

    try:
        ensure_base_image()
    except (ProvisionError, OSError) as error:
        raise InfrastructureError(f"cannot build the wire relay image {tag}: {error}") from None
    try:
        stream = client.api.build(
            fileobj=io.BytesIO(_context()),
            custom_context=True,
            tag=tag,
            buildargs={"BASE_IMAGE": BASE_IMAGE_TAG},
            rm=True,
            forcerm=True,
            decode=True,
        )
        errors = [chunk["error"] for chunk in stream if "error" in chunk]
    except docker.errors.DockerException as error:
        errors = [str(error)]
    if errors:
        raise InfrastructureError(f"building the wire relay image {tag} failed: {errors[0].strip()}")


def _context() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("Dockerfile", DOCKERFILE.encode()), ("relay.py", RELAY_SOURCE.read_bytes())):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
