"""Download a coworld: find it, pull its images, tag them locally, write the manifest and an image index."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_coworld.platform.client import PlatformClient
from pytest_coworld.platform.credentials import load_token
from pytest_coworld.platform.errors import PlatformError
from pytest_coworld.platform.local_images import docker_engine
from pytest_coworld.platform.manifest_images import image_references, replace_images
from pytest_coworld.platform.manifest_reference import is_coworld_id
from pytest_coworld.platform.models import ContainerImage, CoworldRecord
from pytest_coworld.platform.progress import TransferProgress
from pytest_coworld.platform.server import DEFAULT_SERVER, normalize_server

IMAGE_ID_PREFIX = "img_"
LOCAL_REPOSITORY_PREFIX = "coworld"
MANIFEST_FILE = "coworld_manifest.json"
IMAGES_FILE = "coworld_images.json"


@dataclass(frozen=True)
class CoworldSource:
    """What to download: the coworld's id (None for a local manifest file), name, version and manifest."""

    coworld_id: str | None
    name: str
    version: int | None
    manifest: dict[str, Any]

    @classmethod
    def from_record(cls, record: CoworldRecord) -> CoworldSource:
        return cls(coworld_id=record.id, name=record.name, version=record.version, manifest=record.manifest)


@dataclass(frozen=True)
class DownloadedImage:
    public_image_uri: str
    local_image: str


@dataclass(frozen=True)
class Download:
    source: CoworldSource
    images: tuple[DownloadedImage, ...]
    manifest_path: Path
    images_path: Path

    def images_document(self) -> dict[str, Any]:
        return {
            "coworld_id": self.source.coworld_id,
            "name": self.source.name,
            "version": self.source.version,
            "images": [
                {"public_image_uri": image.public_image_uri, "local_image": image.local_image}
                for image in self.images
            ],
        }


def _same_name(left: str, right: str) -> bool:
    return left.replace("-", "_") == right.replace("-", "_")


def find_coworld(client: PlatformClient, reference: str) -> CoworldRecord:
    """A `cow_…` id directly; a name by listing and picking the canonical entry (`-` and `_` equivalent)."""
    if is_coworld_id(reference):
        return client.get_coworld(reference)
    matches = [record for record in client.list_coworlds() if _same_name(record.name, reference)]
    if not matches:
        raise PlatformError(
            f"no coworld named {reference!r} on {client.server}",
            hint="check the name, or pass the coworld's id (cow_…)",
        )
    canonical = [record for record in matches if record.canonical]
    if not canonical:
        versions = ", ".join(f"{record.id} (v{record.version})" for record in matches)
        raise PlatformError(
            f"coworld {reference!r} has no canonical version on {client.server}",
            hint=f"download one version by id: {versions}",
        )
    return max(canonical, key=lambda record: record.version)


def local_tag(image: ContainerImage) -> str:
    """The local tag of a downloaded platform image: `coworld/<name>:v<version>`."""
    return f"{LOCAL_REPOSITORY_PREFIX}/{image.name}:v{image.version}"


def _pull_and_tag(engine: Any, image: ContainerImage, progress: TransferProgress) -> DownloadedImage:
    import docker

    if not image.public_image_uri:
        raise PlatformError(
            f"image {image.id} ({image.name} v{image.version}) has no public_image_uri ({image.status})",
            hint="wait until its upload is complete, then download again",
        )
    tag = local_tag(image)
    progress.note(f"pulling {image.public_image_uri}")
    try:
        pulled = engine.images.pull(image.public_image_uri)
        repository, version = tag.rsplit(":", 1)
        pulled.tag(repository, version)
    except docker.errors.APIError as error:
        raise PlatformError(
            f"cannot pull {image.public_image_uri}: {error.explanation or error}",
            hint="check your network connection, then download again",
        ) from None
    progress.note(f"  tagged {tag}")
    return DownloadedImage(public_image_uri=image.public_image_uri, local_image=tag)


def download_coworld(
    client: PlatformClient, engine: Any, source: CoworldSource, output_dir: Path, progress: TransferProgress
) -> Download:
    """Pull every `img_…` image of `source`, then write the manifest (local tags) and the image index."""
    image_ids = sorted(
        {image for _, image in image_references(source.manifest) if image.startswith(IMAGE_ID_PREFIX)}
    )
    pulled = {image_id: _pull_and_tag(engine, client.get_image(image_id), progress) for image_id in image_ids}
    output_dir.mkdir(parents=True, exist_ok=True)
    download = Download(
        source=source,
        images=tuple(pulled.values()),
        manifest_path=output_dir / MANIFEST_FILE,
        images_path=output_dir / IMAGES_FILE,
    )
    local_manifest = replace_images(
        source.manifest, {image_id: image.local_image for image_id, image in pulled.items()}
    )
    download.manifest_path.write_text(json.dumps(local_manifest, indent=2) + "\n")
    download.images_path.write_text(json.dumps(download.images_document(), indent=2) + "\n")
    return download


def downloads_cache() -> Path:
    """Where `cow_…` ids given as manifests are downloaded: `$XDG_CACHE_HOME/coworld` (`~/.cache/coworld`)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "coworld"


def local_manifest_reference(reference: str, progress: TransferProgress, server: str | None = None) -> str:
    """A loadable manifest for `reference`: a `cow_…` id is downloaded (images pulled and tagged, once per id)
    and its local manifest's path returned; any other reference is returned unchanged.

    The server is `server`, else `$COWORLD_SERVER`, else the default. Raises `PlatformError`.
    """
    if not is_coworld_id(reference) or _is_file(reference):
        return reference
    folder = downloads_cache() / reference
    engine = docker_engine()
    if not _complete(folder, engine):
        normalized = normalize_server(server or os.environ.get("COWORLD_SERVER", DEFAULT_SERVER))
        with PlatformClient(normalized, load_token(normalized)) as client:
            source = CoworldSource.from_record(client.get_coworld(reference))
            download_coworld(client, engine, source, folder, progress)
    return str(folder / MANIFEST_FILE)


def _is_file(reference: str) -> bool:
    """Whether `reference` names an existing path (a name too long for a path names none)."""
    try:
        return Path(reference).exists()
    except OSError:
        return False


def _complete(folder: Path, engine: Any) -> bool:
    """Whether an earlier download in `folder` is whole: its manifest, index, and every image still tagged."""
    import docker

    try:
        index = json.loads((folder / IMAGES_FILE).read_text())
        for image in index["images"]:
            engine.images.get(image["local_image"])
    except (OSError, ValueError, KeyError, docker.errors.ImageNotFound):
        return False
    return (folder / MANIFEST_FILE).is_file()
