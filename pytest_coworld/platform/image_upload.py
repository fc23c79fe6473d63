"""Upload one local image: ask the platform, push it when asked to, and mark the upload complete."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pytest_coworld.platform.client import PlatformClient
from pytest_coworld.platform.image_archive import open_archive
from pytest_coworld.platform.local_images import LocalImage, save_image
from pytest_coworld.platform.models import ContainerImage
from pytest_coworld.platform.progress import TransferProgress
from pytest_coworld.platform.registry_push import RegistryPusher


def upload_image(
    client: PlatformClient, engine: Any, image: LocalImage, progress: TransferProgress
) -> ContainerImage:
    """The platform's record of `image`; pushes the image only when the platform does not have it yet."""
    requested = client.request_image_upload(name=image.upload_name, client_hash=image.id)
    push_info = requested.pre_signed_info
    if push_info is None:
        progress.note(f"{image.reference}: the platform already has it ({requested.image.id}), skipped")
        return requested.image
    progress.note(f"{image.reference}: pushing to {push_info.image_uri}")
    with tempfile.TemporaryDirectory(prefix="coworld-push-") as scratch:
        archive_path = Path(scratch) / "image.tar"
        save_image(engine, image, archive_path)
        with open_archive(archive_path) as archive, RegistryPusher(push_info, progress) as pusher:
            pusher.push(archive, archive.read())
    return client.complete_image_upload(requested.image.id)
