"""Read a `docker image save` tar: the config and layer blobs, their digests, and the image manifest to push.

Two layouts exist. Docker 20.10 writes `manifest.json`, `<config-hex>.json` and `<id>/layer.tar`
(uncompressed; its digest is the config's `rootfs.diff_ids[i]`). Newer engines write an OCI layout whose
`manifest.json` points at `blobs/sha256/<hex>`, the file name being the digest. Blobs stream from the tar.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_coworld.platform.errors import PlatformError

MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar"
GZIP_LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK_BYTES = 1024 * 1024
_BLOB_PATH = re.compile(r"^blobs/sha256/(?P<hex>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Blob:
    """One blob of the image: where it sits in the tar, and its OCI descriptor."""

    digest: str
    size: int
    media_type: str
    member: str

    def descriptor(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "size": self.size, "digest": self.digest}


@dataclass(frozen=True)
class SavedImage:
    """The blobs of a saved image, layers in order, and the image manifest that references them."""

    config: Blob
    layers: tuple[Blob, ...]

    def manifest_bytes(self) -> bytes:
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": self.config.descriptor(),
            "layers": [layer.descriptor() for layer in self.layers],
        }
        return json.dumps(manifest, indent=3).encode()


class ImageArchive:
    """A `docker image save` tar opened for random access (see `open_archive`)."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self._tar = tar

    def _member(self, name: str) -> tarfile.TarInfo:
        try:
            member = self._tar.getmember(name)
        except KeyError:
            raise PlatformError(
                f"the saved image has no {name}; is this a `docker image save` tar?"
            ) from None
        if member.issym() or member.islnk():
            base = posixpath.dirname(name) if member.issym() else ""
            return self._member(posixpath.normpath(posixpath.join(base, member.linkname)))
        return member

    def _read_small(self, name: str) -> bytes:
        handle = self._tar.extractfile(self._member(name))
        if handle is None:
            raise PlatformError(f"{name} in the saved image is not a regular file")
        with handle:
            return handle.read()

    def _layer_media_type(self, member: tarfile.TarInfo) -> str:
        handle = self._tar.extractfile(member)
        head = handle.read(len(ZSTD_MAGIC)) if handle is not None else b""
        if head.startswith(GZIP_MAGIC):
            return GZIP_LAYER_MEDIA_TYPE
        if head.startswith(ZSTD_MAGIC):
            raise PlatformError(
                f"layer {member.name} of the saved image is zstd-compressed, which this client cannot push",
                hint="save the image with gzip or uncompressed layers (the classic Docker image store)",
            )
        return LAYER_MEDIA_TYPE

    def read(self) -> SavedImage:
        """The image's config and layer blobs, with their digests and sizes."""
        entries = json.loads(self._read_small("manifest.json"))
        if not isinstance(entries, list) or len(entries) != 1:
            raise PlatformError("the saved image's manifest.json must describe exactly one image")
        config_name, layer_names = entries[0]["Config"], entries[0]["Layers"]
        config_bytes = self._read_small(config_name)
        config_digest = f"sha256:{hashlib.sha256(config_bytes).hexdigest()}"
        config = Blob(config_digest, len(config_bytes), CONFIG_MEDIA_TYPE, config_name)
        diff_ids = json.loads(config_bytes).get("rootfs", {}).get("diff_ids", [])
        layers = tuple(self._layer(name, index, diff_ids) for index, name in enumerate(layer_names))
        return SavedImage(config=config, layers=layers)

    def _layer(self, name: str, index: int, diff_ids: list[str]) -> Blob:
        member = self._member(name)
        from_path = _BLOB_PATH.match(member.name)
        if from_path:
            digest = f"sha256:{from_path['hex']}"
        elif index < len(diff_ids):
            digest = diff_ids[index]
        else:
            raise PlatformError(f"the saved image's config lists no diff_id for layer {index + 1} ({name})")
        return Blob(digest, member.size, self._layer_media_type(member), member.name)

    def chunks(self, blob: Blob) -> Iterator[bytes]:
        """The blob's bytes in chunks of at most 1 MiB, read straight from the tar member."""
        handle = self._tar.extractfile(self._member(blob.member))
        if handle is None:
            raise PlatformError(f"{blob.member} in the saved image is not a regular file")
        with handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk


@contextmanager
def open_archive(path: Path) -> Iterator[ImageArchive]:
    """Open the `docker image save` tar at `path`; a one-line error when it is not a readable tar."""
    if not tarfile.is_tarfile(path):
        raise PlatformError(f"the saved image {path} is not a tar file", hint="save the image again")
    with tarfile.open(path, "r:") as tar:
        yield ImageArchive(tar)
