"""What the local Docker engine knows of an image: its id, repo digests and platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ImageFacts:
    reference: str
    id: str
    repo_digests: tuple[str, ...]
    platform: str


def inspect_image(client: Any, reference: str) -> ImageFacts | None:
    """The facts of `reference`, or None when the engine does not have it."""
    import docker.errors

    try:
        attrs = client.images.get(reference).attrs
    except docker.errors.ImageNotFound:
        return None
    platform = f"{attrs.get('Os', '?')}/{attrs.get('Architecture', '?')}"
    return ImageFacts(reference, attrs["Id"], tuple(attrs.get("RepoDigests") or ()), platform)


def inspect_images(references: list[str]) -> dict[str, ImageFacts | None]:
    """Facts for each reference; an empty dict when no engine answers (the report then says so)."""
    import docker
    import docker.errors

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException:
        return {}
    try:
        return {reference: inspect_image(client, reference) for reference in sorted(set(references))}
    finally:
        client.close()
