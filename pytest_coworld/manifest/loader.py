"""Read a manifest from a path, a `file://` URI or an `http(s)://` URL; load it as a validated manifest.

A harness reads strangers' manifests, so reading is bounded: only regular files, at most `MAX_MANIFEST_BYTES`,
at most `MAX_NESTING_DEPTH` levels of arrays and objects (checked on the raw bytes, before the recursive JSON
parser sees them), and an HTTP download ends after `HTTP_TOTAL_SECONDS` however slowly the server sends.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
from array import array
from itertools import accumulate
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pytest_coworld.manifest.generation import Contract
from pytest_coworld.manifest.models import LoadedManifest
from pytest_coworld.manifest.validation import ManifestInvalid, check_document

MANIFEST_FILE_NAME = "coworld_manifest.json"
PLATFORM_ID = re.compile(r"^cow_[A-Za-z0-9_-]+$")

# Real manifests are a few KiB (the examples: 6-8 KiB); inline docs and schemas fit many times over.
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
# Real manifests nest under 10 levels (the examples: 6-8). Checking a schema costs about 9 stack frames a
# level, so 64 levels stay far from Python's recursion limit (1,000), wherever the check runs.
MAX_NESTING_DEPTH = 64
HTTP_TIMEOUT_SECONDS = 15.0  # to connect, and between two reads of the answer
HTTP_TOTAL_SECONDS = 30.0  # the whole download, redirects included, however slowly the server sends

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


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
    elif PLATFORM_ID.match(ref) and not os.path.exists(ref):
        raise ManifestLoadError(
            f"{ref} is a platform id: the coworld commands fetch it (`coworld certify {ref}`), or "
            f"`coworld download {ref}` writes its coworld_manifest.json"
        )
    elif len(scheme) > 1:
        raise ManifestLoadError(
            f"unsupported manifest URI scheme {scheme!r} in {ref}: use a path, file:// or http(s)://"
        )
    else:
        path = _manifest_file(Path(os.path.expanduser(ref)))  # os.path: `~nobody` and too long a name pass
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
    """The manifest file at `path`, or the `coworld_manifest.json` inside it when it is a folder.

    `os.path` tests are false for a path that cannot be looked at (too long a name); reading it says why."""
    if os.path.isdir(path):
        inside = path / MANIFEST_FILE_NAME
        if not os.path.isfile(inside):
            raise ManifestLoadError(
                f"{path} is a folder without a {MANIFEST_FILE_NAME}: pass the manifest file"
            )
        return inside
    return path


def _read(path: Path) -> bytes:
    """At most `MAX_MANIFEST_BYTES` of the regular file at `path` (a pipe or device is refused unread)."""
    try:
        with open(path, "rb", opener=_open_nonblocking) as file:
            _require_regular_file(path, os.fstat(file.fileno()).st_mode)
            raw = file.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise ManifestLoadError(f"manifest file not found: {path} (check the path)") from None
    except OSError as error:
        raise ManifestLoadError(f"cannot read manifest {path}: {error.strerror or error}") from None
    return _within_size_limit(raw, str(path))


def _open_nonblocking(path: str, flags: int) -> int:
    """Open without waiting: opening a named pipe for reading would block until a writer came."""
    return os.open(path, flags | os.O_NONBLOCK)


def _require_regular_file(path: Path, mode: int) -> None:
    """Refuse a folder, pipe, device or socket: reading one may never end."""
    for is_kind, kind in _FILE_KINDS:
        if is_kind(mode):
            raise ManifestLoadError(
                f"{path} is {kind}, not a regular file: pass the path of the manifest file"
            )


def _within_size_limit(raw: bytes, source: str) -> bytes:
    """`raw`, unless it is longer than a manifest may be."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestLoadError(
            f"{source} is larger than {MAX_MANIFEST_BYTES / 2**20:g} MiB, the limit for a manifest: "
            "keep large content (docs, assets) out of it and link to it"
        )
    return raw


def _fetch(url: str) -> bytes:
    """The body at `url`: at most `MAX_MANIFEST_BYTES`, within `HTTP_TOTAL_SECONDS` (a synchronous call)."""
    import httpx

    try:
        return _within_size_limit(asyncio.run(_download(url)), url)
    except TimeoutError:
        raise ManifestLoadError(
            f"cannot fetch manifest {url}: the download took longer than {HTTP_TOTAL_SECONDS:g} s "
            "(the limit for a manifest): serve it faster, or download it and pass the file"
        ) from None
    except httpx.HTTPError as error:
        raise ManifestLoadError(f"cannot fetch manifest {url}: {error or type(error).__name__}") from None


async def _download(url: str) -> bytes:
    """Stream the body; stop one chunk past `MAX_MANIFEST_BYTES` or at `HTTP_TOTAL_SECONDS`."""
    import httpx

    async with (
        asyncio.timeout(HTTP_TOTAL_SECONDS),
        httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=True) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code >= 400:
            raise ManifestLoadError(
                f"cannot fetch manifest {url}: HTTP {response.status_code} {response.reason_phrase}"
            )
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_MANIFEST_BYTES:
                break
        return bytes(body)


def _nesting_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in the JSON text `raw`, counted without parsing or recursion.

    Brackets inside strings are dropped with the strings; every other byte but a bracket is dropped; the
    depth is the highest running sum of +1 per opening and -1 per closing bracket.
    """
    steps = _JSON_STRING.sub(b"", raw).translate(_BRACKET_STEPS, _NOT_BRACKETS)
    return max(accumulate(array("b", steps)), default=0)


def _parse(raw: bytes, source: str) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ManifestLoadError(
            f"{source} is not UTF-8 text (byte {error.start}): save it as UTF-8 JSON"
        ) from None
    depth = _nesting_depth(raw)
    if depth > MAX_NESTING_DEPTH:
        raise ManifestLoadError(
            f"{source} nests arrays and objects {depth} levels deep, more than the {MAX_NESTING_DEPTH} "
            "a manifest may use: flatten the deepest part"
        )
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
