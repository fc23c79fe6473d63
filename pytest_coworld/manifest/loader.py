"""Read a manifest from a path, a `file://` URI or an `http(s)://` URL; load it as a validated manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pytest_coworld.manifest.generation import Contract
from pytest_coworld.manifest.models import LoadedManifest
from pytest_coworld.manifest.validation import ManifestInvalid, check_document

MANIFEST_FILE_NAME = "coworld_manifest.json"
HTTP_TIMEOUT_SECONDS = 15.0
PLATFORM_ID = re.compile(r"^cow_[A-Za-z0-9_-]+$")


class ManifestLoadError(Exception):
    """The manifest could not be read or parsed; the message is one line that says what and how to fix it."""


def load_manifest(ref: str, contract: Contract | str = Contract.AUTO) -> LoadedManifest:
    """Read, check and model the manifest at `ref`.

    Raises `ManifestLoadError` when it cannot be read, `ManifestInvalid` when it breaks the contract.
    """
    document, source, base_dir, raw = load_document(ref)
    report = check_document(document, contract)
    if report.manifest is None:
        raise ManifestInvalid(report, source)
    return LoadedManifest(source, base_dir, raw, document, report.generation, report.manifest)


def load_document(ref: str) -> tuple[dict[str, Any], str, Path | None, bytes]:
    """`(document, source, base_dir, raw bytes)` of the manifest at `ref`; `base_dir` is None for URLs.

    A JSON object with the manifest under a `manifest` key (the platform's upload body) is unwrapped.
    """
    scheme = urlparse(ref).scheme.lower()
    if scheme in ("http", "https"):
        raw, source, base_dir = _fetch(ref), ref, None
    elif scheme == "file":
        path = _file_uri_path(ref)
        raw, source, base_dir = _read(path), ref, path.parent
    elif PLATFORM_ID.match(ref) and not Path(ref).exists():
        raise ManifestLoadError(
            f"{ref} is a platform id: the coworld commands fetch it (`coworld certify {ref}`), or "
            f"`coworld download {ref}` writes its coworld_manifest.json"
        )
    elif len(scheme) > 1:
        raise ManifestLoadError(
            f"unsupported manifest URI scheme {scheme!r} in {ref}: use a path, file:// or http(s)://"
        )
    else:
        path = _manifest_file(Path(ref).expanduser())
        raw, source, base_dir = _read(path), str(path), path.parent.resolve()
    return _unwrap(_parse(raw, source), source), source, base_dir, raw


def _file_uri_path(ref: str) -> Path:
    parsed = urlparse(ref)
    if parsed.netloc not in ("", "localhost"):
        raise ManifestLoadError(
            f"file URI {ref} names host {parsed.netloc!r}: only local files are supported"
        )
    return _manifest_file(Path(unquote(parsed.path)))


def _manifest_file(path: Path) -> Path:
    """The manifest file at `path`, or the `coworld_manifest.json` inside it when it is a folder."""
    if path.is_dir():
        inside = path / MANIFEST_FILE_NAME
        if not inside.is_file():
            raise ManifestLoadError(
                f"{path} is a folder without a {MANIFEST_FILE_NAME}: pass the manifest file"
            )
        return inside
    return path


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ManifestLoadError(f"manifest file not found: {path} (check the path)") from None
    except OSError as error:
        raise ManifestLoadError(f"cannot read manifest {path}: {error.strerror or error}") from None


def _fetch(url: str) -> bytes:
    import httpx

    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=True)
    except httpx.HTTPError as error:
        raise ManifestLoadError(f"cannot fetch manifest {url}: {error or type(error).__name__}") from None
    if response.status_code >= 400:
        raise ManifestLoadError(
            f"cannot fetch manifest {url}: HTTP {response.status_code} {response.reason_phrase}"
        )
    return response.content


def _parse(raw: bytes, source: str) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ManifestLoadError(
            f"{source} is not UTF-8 text (byte {error.start}): save it as UTF-8 JSON"
        ) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ManifestLoadError(
            f"{source} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except ValueError as error:
        raise ManifestLoadError(f"{source} is not valid JSON: {error}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _unwrap(document: Any, source: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        kind = "an array" if isinstance(document, list) else "a single value"
        raise ManifestLoadError(f"{source} holds {kind}, but a manifest is a JSON object with a `game` key")
    wrapped = document.get("manifest")
    if "game" not in document and isinstance(wrapped, dict):
        return wrapped
    return document
