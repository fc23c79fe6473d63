"""Local Docker images: look one up, refuse what the platform cannot run, save it to a tar file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_coworld.platform.errors import PlatformError

PLATFORM_OS = "linux"
PLATFORM_ARCHITECTURE = "amd64"


def upload_name(reference: str) -> str:
    """The last path segment of an image reference, without tag or digest (`a/b/game:1` -> `game`)."""
    last_segment = reference.split("@", 1)[0].rsplit("/", 1)[-1]
    return last_segment.split(":", 1)[0]


@dataclass(frozen=True)
class LocalImage:
    """An image in the local engine: the reference the user gave and what `docker image inspect` says."""

    reference: str
    id: str
    os: str
    architecture: str

    @property
    def upload_name(self) -> str:
        return upload_name(self.reference)

    def require_platform_arch(self) -> None:
        """Refuse an image that is not linux/amd64, before anything is uploaded."""
        if (self.os, self.architecture) != (PLATFORM_OS, PLATFORM_ARCHITECTURE):
            raise PlatformError(
                f"image {self.reference} is {self.os}/{self.architecture}; the platform runs "
                f"{PLATFORM_OS}/{PLATFORM_ARCHITECTURE} images only",
                hint=f"rebuild it with `docker build --platform {PLATFORM_OS}/{PLATFORM_ARCHITECTURE} ...`",
            )


def docker_engine() -> Any:
    """A Docker SDK client of the local engine, or a one-line error when none answers."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        raise PlatformError(
            f"cannot reach the Docker engine: {error}", hint="start Docker, then run this again"
        ) from None
    return client


def inspect_local_image(engine: Any, reference: str) -> LocalImage:
    """The local image `reference`, or a one-line error saying how to build it."""
    import docker

    try:
        attributes = engine.images.get(reference).attrs
    except docker.errors.ImageNotFound:
        raise PlatformError(
            f"image {reference} is not in the local Docker engine",
            hint="build it first (`coworld example build NAME` for a bundled example, else `docker build`)",
        ) from None
    except docker.errors.APIError as error:
        raise PlatformError(f"cannot inspect image {reference}: {error.explanation or error}") from None
    return LocalImage(
        reference=reference,
        id=attributes["Id"],
        os=attributes.get("Os", ""),
        architecture=attributes.get("Architecture", ""),
    )


def save_image(engine: Any, image: LocalImage, destination: Path) -> None:
    """Stream `docker image save` of `image` into `destination`, chunk by chunk (never whole in memory)."""
    import docker

    try:
        chunks = engine.images.get(image.id).save(named=False)
        with destination.open("wb") as archive:
            for chunk in chunks:
                archive.write(chunk)
    except docker.errors.APIError as error:
        raise PlatformError(
            f"`docker image save` of {image.reference} failed: {error.explanation or error}"
        ) from None
