"""An independent witness of a local image's blobs: `docker image save` (the CLI), hashed."""

from __future__ import annotations

import hashlib
import json
import posixpath
import subprocess
import tarfile
import tempfile
from pathlib import Path


def _member_digest(archive: tarfile.TarFile, name: str) -> str:
    member = archive.getmember(name)
    while member.issym():
        member = archive.getmember(
            posixpath.normpath(posixpath.join(posixpath.dirname(member.name), member.linkname))
        )
    hasher = hashlib.sha256()
    handle = archive.extractfile(member)
    assert handle is not None
    while chunk := handle.read(1 << 20):
        hasher.update(chunk)
    return f"sha256:{hasher.hexdigest()}"


def saved_digests(image: str) -> tuple[str, list[str]]:
    """`(config digest, layer digests)` of `docker image save IMAGE`."""
    with tempfile.TemporaryDirectory(prefix="coworld-witness-") as scratch:
        path = Path(scratch) / "image.tar"
        subprocess.run(["docker", "image", "save", "-o", str(path), image], check=True)
        with tarfile.open(path) as archive:
            handle = archive.extractfile("manifest.json")
            assert handle is not None
            (entry,) = json.load(handle)
            return _member_digest(archive, entry["Config"]), [
                _member_digest(archive, layer) for layer in entry["Layers"]
            ]
