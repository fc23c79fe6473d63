"""Push a saved image to an OCI distribution registry with the push info the platform handed out.

For each layer, then the config: `HEAD` the blob (already there: skip, so a re-run resumes), else open an
upload session (`POST …/blobs/uploads/`), send every chunk but the last with `PATCH <Location>` and
`Content-Range` (following the new `Location` each time), and close the session with `PUT <Location>?digest=…`
carrying the last chunk: a blob of one chunk is a monolithic `POST` + `PUT`. Then `PUT …/manifests/<tag>`.

Transient failures are retried (see `retries`). After a failed request the pusher asks where the upload
stands: `HEAD` the blob (a lost answer may have been a success), then `GET <Location>` (`Range: 0-<last>`).
It resumes there when that fits what it sent, else cancels the session and sends the blob again from its
start. The offset counts what the registry acknowledged, not a `PATCH` answer's `Range` (ECR's stays stale).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any, TypeVar

import httpx

from pytest_coworld.platform.errors import RERUN_HINT, PlatformError
from pytest_coworld.platform.http_errors import server_message, transport_error
from pytest_coworld.platform.image_archive import MANIFEST_MEDIA_TYPE, Blob, ImageArchive, SavedImage
from pytest_coworld.platform.models import EcrPushInfo
from pytest_coworld.platform.progress import TransferProgress
from pytest_coworld.platform.retries import (
    TRANSIENT_STATUSES,
    RetryPolicy,
    TransientFailure,
    retry_after_seconds,
)

EXPIRED_PUSH_HINT = "the push credentials may have expired: re-run the command to get fresh ones"
UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024  # within ECR's layer part limits (5 to 10 MiB)
PROGRESS_STEP_BYTES = 1024 * 1024
DEFAULT_RETRY = RetryPolicy()
UNRESUMABLE_STATUSES = frozenset(range(400, 500)) - {401, 403, 429}
_RANGE = re.compile(r"(?:bytes=)?0-(\d+)")
T = TypeVar("T")


def short_digest(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def repository_url(push_info: EcrPushInfo) -> str:
    """`https://<registry>/v2/<repository>`, plain http when the endpoint URL is http."""
    scheme = "http" if (push_info.endpoint_url or "").startswith("http://") else "https"
    return f"{scheme}://{push_info.registry}/v2/{push_info.repository}"


def session_url(repository: str, location: str) -> httpx.URL:
    """An upload session's `Location`, absolute or relative to the registry, as a URL."""
    return httpx.URL(repository).join(location)


def upload_url(repository: str, location: str, digest: str) -> httpx.URL:
    """The closing upload URL: the session's `Location` plus `digest=`."""
    return session_url(repository, location).copy_merge_params({"digest": digest})


def reported_offset(response: httpx.Response) -> int | None:
    """How many bytes an upload session holds, from its `Range: 0-<last byte>` (`0-0`: none yet)."""
    match = _RANGE.fullmatch(response.headers.get("Range", "").strip())
    if match is None:
        return None
    last = int(match[1])
    return last + 1 if last else 0


def data_headers(start: int, size: int, ranged: bool) -> dict[str, str]:
    """Headers for a request carrying `size` bytes of a blob from `start`; `Content-Range` when `ranged`."""
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
    if ranged and size:
        headers["Content-Range"] = f"{start}-{start + size - 1}"
    return headers


class BlobReader:
    """One blob of the archive in chunks of `chunk_bytes`: hashes each byte once, keeps the last one read."""

    def __init__(self, archive: ImageArchive, blob: Blob, chunk_bytes: int) -> None:
        self.blob = blob
        self._archive = archive
        self._chunk_bytes = chunk_bytes
        self.last_index = max(blob.size - 1, 0) // chunk_bytes
        self._hasher = hashlib.sha256()
        self._hashed = 0
        self._rewind()

    def _rewind(self) -> None:
        self._pieces = self._archive.chunks(self.blob)
        self._spare = bytearray()
        self._next = 0
        self._current: tuple[int, bytes] = (-1, b"")

    def _take(self, size: int) -> bytes:
        while len(self._spare) < size and (piece := next(self._pieces, None)) is not None:
            self._spare += piece
        taken = bytes(self._spare[:size])
        del self._spare[:size]
        return taken

    def chunk(self, index: int) -> bytes:
        """Chunk `index`: the one kept, else read on from the tar (from its start when going back)."""
        if index == self._current[0]:
            return self._current[1]
        if index < self._next:
            self._rewind()
        while self._next <= index:
            data = self._take(self._chunk_bytes)
            if self._next == self._hashed:
                self._hasher.update(data)
                self._hashed += 1
            self._current, self._next = (self._next, data), self._next + 1
        return self._current[1]

    def is_last(self, offset: int) -> bool:
        """Whether the byte at `offset` lies in the last chunk (or past the end)."""
        return offset // self._chunk_bytes >= self.last_index

    def rest_of_chunk(self, offset: int) -> bytes:
        """The bytes from `offset` to the end of its chunk."""
        index = min(offset // self._chunk_bytes, self.last_index)
        return self.chunk(index)[offset - index * self._chunk_bytes :]

    def digest(self) -> str:
        """The sha256 of all the blob's bytes (reading what was not read yet)."""
        self.chunk(self.last_index)
        return f"sha256:{self._hasher.hexdigest()}"


@dataclass
class BlobUpload:
    """Where the upload of one blob stands: its session, what the registry acknowledged, what was shown."""

    reader: BlobReader
    label: str
    location: str | None = None
    offset: int = 0
    furthest: int = 0
    sent: int = 0
    shown: int = 0
    in_doubt: bool = False
    done: bool = False

    @property
    def what(self) -> str:
        return f"the upload of {self.label}"

    def acknowledged(self, location: str | None, offset: int) -> None:
        """The registry holds `offset` bytes; the next request goes to `location` (when it named one)."""
        self.location = location or self.location
        self.offset = offset
        self.furthest = max(self.furthest, offset)

    def restart(self) -> None:
        self.location, self.offset = None, 0

    def newly_shown(self, end: int) -> int:
        """How many bytes up to `end` the progress display has not counted yet (it counts each byte once)."""
        new = max(end - self.shown, 0)
        self.shown += new
        return new


class RegistryPusher:
    """Pushes one saved image to the repository of `push_info`; use as a context manager."""

    def __init__(
        self,
        push_info: EcrPushInfo,
        progress: TransferProgress,
        timeout: float = 300.0,
        retry: RetryPolicy | None = None,
        chunk_bytes: int | None = None,
    ) -> None:
        self._push_info = push_info
        self._repository = repository_url(push_info)
        self._target = f"registry {push_info.registry}"
        self._progress = progress
        self._retry = retry or DEFAULT_RETRY
        self._chunk_bytes = chunk_bytes or UPLOAD_CHUNK_BYTES
        self._http = httpx.Client(
            headers={"Authorization": f"Basic {push_info.authorization_token}"},
            timeout=httpx.Timeout(timeout, connect=30.0),
        )

    def __enter__(self) -> RegistryPusher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._http.close()

    def _send(
        self, method: str, url: str | httpx.URL, what: str, expected: set[int], **kwargs: Any
    ) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as error:
            failure = transport_error(error, what, self._target)
            raise TransientFailure(failure.message, failure.hint) from None
        if response.status_code not in expected:
            raise self._refusal(response, what)
        return response

    def _refusal(self, response: httpx.Response, what: str) -> PlatformError:
        """The error for an unexpected answer: transient (busy, unavailable), refused credentials, or else."""
        status, message = response.status_code, server_message(response)
        if status in TRANSIENT_STATUSES:
            return TransientFailure(
                f"{self._target} could not take {what} now ({status}): {message}",
                hint=RERUN_HINT,
                retry_after=retry_after_seconds(response),
            )
        if status in (401, 403):
            return PlatformError(
                f"{self._target} refused {what} ({status}): {message}", hint=EXPIRED_PUSH_HINT
            )
        return PlatformError(f"{self._target} rejected {what} ({status}): {message}", hint=RERUN_HINT)

    def _retrying(self, action: Callable[[], T]) -> T:
        return self._retry.call(action, self._note_retry)

    def _note_retry(self, failure: TransientFailure, retry: int, wait: float) -> None:
        reason = failure.message.rstrip(".")
        self._progress.note(f"  {reason}; retry {retry}/{self._retry.attempts - 1} in {wait:.1f} s")

    def push(self, archive: ImageArchive, image: SavedImage) -> str:
        """Push every blob that is missing, then the manifest; return the manifest digest."""
        count = len(image.layers)
        for index, layer in enumerate(image.layers, start=1):
            self._push_blob(archive, layer, f"layer {index}/{count} {short_digest(layer.digest)}")
        self._push_blob(archive, image.config, f"config {short_digest(image.config.digest)}")
        return self._retrying(partial(self._put_manifest, image))

    def _blob_exists(self, blob: Blob, label: str) -> bool:
        response = self._send(
            "HEAD", f"{self._repository}/blobs/{blob.digest}", f"the check of {label}", {200, 404}
        )
        return response.status_code == 200

    def _push_blob(self, archive: ImageArchive, blob: Blob, label: str) -> None:
        self._progress.blob_started(label, blob.size)
        if self._retrying(partial(self._blob_exists, blob, label)):
            self._progress.blob_finished("already in the registry")
            return
        upload = BlobUpload(BlobReader(archive, blob, self._chunk_bytes), label)
        while not upload.done:
            self._retrying(partial(self._gain_ground, upload))
        self._progress.blob_finished("pushed")

    def _gain_ground(self, upload: BlobUpload) -> None:
        """One try at a step: learn where the upload stands after a failure, then send until the registry
        holds more of the blob than it ever did (or all of it). Each step has its own bounded tries.
        """
        if upload.in_doubt:
            self._recover(upload)
        furthest = upload.furthest
        upload.in_doubt = True
        while not upload.done and upload.offset <= furthest:
            self._send_next(upload)
        upload.in_doubt = False

    def _send_next(self, upload: BlobUpload) -> None:
        if upload.location is None:
            upload.location = self._start_session(upload)
        data = upload.reader.rest_of_chunk(upload.offset)
        upload.sent = upload.offset + len(data)
        if upload.reader.is_last(upload.offset):
            self._close_session(upload, upload.location, data)
        else:
            self._patch(upload, upload.location, data)

    def _start_session(self, upload: BlobUpload) -> str:
        started = self._send("POST", f"{self._repository}/blobs/uploads/", upload.what, {202})
        location: str = started.headers.get("Location", "")
        if not location:
            raise PlatformError(
                f"{self._target} started {upload.what} without a Location header", hint=RERUN_HINT
            )
        return location

    def _patch(self, upload: BlobUpload, location: str, data: bytes) -> None:
        response = self._send(
            "PATCH",
            session_url(self._repository, location),
            upload.what,
            {201, 202},  # ECR answers a chunk with 201
            content=self._streamed(upload, data),
            headers=data_headers(upload.offset, len(data), ranged=True),
        )
        upload.acknowledged(response.headers.get("Location"), upload.sent)

    def _close_session(self, upload: BlobUpload, location: str, data: bytes) -> None:
        blob = upload.reader.blob
        if upload.reader.digest() != blob.digest:
            raise PlatformError(
                f"{upload.label} of the saved image does not match its digest {blob.digest}",
                hint="the local image may be corrupt: rebuild it, then run this again",
            )
        self._send(
            "PUT",
            upload_url(self._repository, location, blob.digest),
            upload.what,
            {201},
            content=self._streamed(upload, data),
            headers=data_headers(upload.offset, len(data), ranged=upload.offset > 0),  # monolithic: no range
        )
        upload.done = True

    def _streamed(self, upload: BlobUpload, data: bytes) -> Iterator[bytes]:
        start = upload.offset
        for begin in range(0, len(data), PROGRESS_STEP_BYTES):
            piece = data[begin : begin + PROGRESS_STEP_BYTES]
            yield piece
            self._progress.blob_advanced(upload.newly_shown(start + begin + len(piece)))

    def _recover(self, upload: BlobUpload) -> None:
        """After a failed request: the blob is complete, or the upload resumes, or it starts again."""
        if self._blob_exists(upload.reader.blob, upload.label):
            upload.done = True
        elif upload.location is not None:
            self._resume_or_restart(upload, upload.location)

    def _resume_or_restart(self, upload: BlobUpload, location: str) -> None:
        status = self._send(
            "GET", session_url(self._repository, location), upload.what, {204} | UNRESUMABLE_STATUSES
        )
        offset = reported_offset(status) if status.status_code == 204 else None
        if offset is not None and upload.offset <= offset <= upload.sent:
            upload.acknowledged(status.headers.get("Location"), offset)
            return
        if status.status_code == 204:
            self._cancel(location)
        upload.restart()

    def _cancel(self, location: str) -> None:
        """Ask the registry to drop an upload session that will not be finished; its answer is ignored."""
        with contextlib.suppress(httpx.HTTPError):
            self._http.delete(session_url(self._repository, location))

    def _put_manifest(self, image: SavedImage) -> str:
        body = image.manifest_bytes()
        response = self._send(
            "PUT",
            f"{self._repository}/manifests/{self._push_info.tag}",
            f"the image manifest {self._push_info.image_uri}",
            {200, 201},
            content=body,
            headers={"Content-Type": MANIFEST_MEDIA_TYPE},
        )
        return response.headers.get("Docker-Content-Digest") or f"sha256:{hashlib.sha256(body).hexdigest()}"
