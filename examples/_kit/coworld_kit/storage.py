"""Read and write the artifact URIs of the contract: `file://` always, `http(s)://` with PUT or POST."""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from coworld_kit import KitError

HTTP_TIMEOUT_SECONDS = 15


def _file_path(uri: str) -> Path:
    return Path(url2pathname(urlsplit(uri).path))


def _unsupported(uri: str) -> KitError:
    return KitError(f"unsupported URI {uri!r}: use a file:// or http(s):// URI")


def read_uri(uri: str) -> bytes:
    """The bytes stored at `uri`."""
    scheme = urlsplit(uri).scheme
    try:
        if scheme == "file":
            return _file_path(uri).read_bytes()
        if scheme in ("http", "https"):
            with urllib.request.urlopen(uri, timeout=HTTP_TIMEOUT_SECONDS) as response:
                return bytes(response.read())
    except (OSError, urllib.error.URLError) as error:
        raise KitError(f"cannot read {uri}: {error}") from None
    raise _unsupported(uri)


def _write_file_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def write_uri(uri: str, data: bytes, method: str = "PUT", content_type: str = "application/json") -> None:
    """Store `data` at `uri`; a file appears complete or not at all."""
    scheme = urlsplit(uri).scheme
    try:
        if scheme == "file":
            _write_file_atomically(_file_path(uri), data)
            return
        if scheme in ("http", "https"):
            request = urllib.request.Request(
                uri, data=data, method=method.upper(), headers={"Content-Type": content_type}
            )
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS):
                return
    except (OSError, urllib.error.URLError) as error:
        raise KitError(f"cannot write {uri}: {error}") from None
    raise _unsupported(uri)
