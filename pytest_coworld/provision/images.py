"""Build the example images from their Dockerfiles, offline-capable and cached by content.

The build context is the `examples/` folder plus the wheelhouse under `wheelhouse/`, packed into a
deterministic tar. Its sha256 (with the base image id) is stored as an image label: when an image with that
label exists, the build is skipped, so a second `coworld example build` takes well under a second.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_coworld.provision import ProvisionError
from pytest_coworld.provision.base_image import BASE_IMAGE_TAG, ensure_base_image
from pytest_coworld.provision.wheelhouse import ensure_wheelhouse

CONTEXT_LABEL = "pytest-coworld.context-sha256"
OFFLINE_PIP_ARGS = "--no-index --find-links /tmp/deps"
SKIPPED_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


@dataclass(frozen=True)
class ImageBuild:
    """One image to build: its tag and its Dockerfile, relative to the context folder."""

    tag: str
    dockerfile: str


def _context_files(context: Path) -> Iterable[tuple[str, Path]]:
    for path in sorted(context.rglob("*")):
        relative = path.relative_to(context)
        if path.is_file() and not SKIPPED_PARTS & set(relative.parts) and relative.parts[0] != "wheelhouse":
            yield relative.as_posix(), path


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 0
    tar.addfile(info, io.BytesIO(data))


def pack_context(context: Path, wheelhouse: Path) -> bytes:
    """A deterministic tar of `context`, with the wheels of `wheelhouse` under `wheelhouse/`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, path in _context_files(context):
            _add(tar, name, path.read_bytes())
        for wheel in sorted(wheelhouse.glob("*.whl")):
            _add(tar, f"wheelhouse/{wheel.name}", wheel.read_bytes())
    return buffer.getvalue()


def _existing_context_label(client: Any, tag: str) -> str | None:
    import docker.errors

    try:
        return client.images.get(tag).labels.get(CONTEXT_LABEL)  # type: ignore[no-any-return]
    except docker.errors.ImageNotFound:
        return None


def _build(client: Any, context_tar: bytes, build: ImageBuild, digest: str) -> None:
    log: list[str] = []
    stream = client.api.build(
        fileobj=io.BytesIO(context_tar),
        custom_context=True,
        dockerfile=build.dockerfile,
        tag=build.tag,
        buildargs={"BASE_IMAGE": BASE_IMAGE_TAG, "PIP_INSTALL_ARGS": OFFLINE_PIP_ARGS},
        labels={CONTEXT_LABEL: digest},
        rm=True,
        forcerm=True,
        decode=True,
    )
    for chunk in stream:
        log.extend(chunk.get("stream", "").splitlines())
        if "error" in chunk:
            tail = "\n".join(line for line in log[-15:] if line.strip())
            raise ProvisionError(
                f"building {build.tag} from {build.dockerfile} failed: {chunk['error']}\n{tail}"
            )


def build_images(context: Path, builds: list[ImageBuild]) -> dict[str, str]:
    """Build each image of `builds` unless an identical one exists; return `{tag: "built" | "cached"}`."""
    import docker

    ensure_base_image()
    client = docker.from_env()
    wheelhouse = ensure_wheelhouse(context / "requirements.txt")
    context_tar = pack_context(context, wheelhouse)
    base_id = client.images.get(BASE_IMAGE_TAG).id
    outcome: dict[str, str] = {}
    for build in builds:
        digest = hashlib.sha256(context_tar + base_id.encode() + build.dockerfile.encode()).hexdigest()
        if _existing_context_label(client, build.tag) == digest:
            outcome[build.tag] = "cached"
            continue
        _build(client, context_tar, build, digest)
        outcome[build.tag] = "built"
    return outcome
