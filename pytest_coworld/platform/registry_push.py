"""Push a saved image to an OCI distribution registry with the push info the platform handed out.

For each layer, then the config: `HEAD` the blob (already there: skip, so a re-run resumes), else
`POST …/blobs/uploads/` and `PUT <Location>?digest=…` streaming the tar member. Then `PUT …/manifests/<tag>`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import httpx

from pytest_coworld.platform.errors import RERUN_HINT, PlatformError
from pytest_coworld.platform.http_errors import server_message, transport_error
from pytest_coworld.platform.image_archive import MANIFEST_MEDIA_TYPE, Blob, ImageArchive, SavedImage
from pytest_coworld.platform.models import EcrPushInfo
from pytest_coworld.platform.progress import TransferProgress

EXPIRED_PUSH_HINT = "the push credentials may have expired: re-run the command to get fresh ones"


def short_digest(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


def repository_url(push_info: EcrPushInfo) -> str:
    """`https://<registry>/v2/<repository>`, plain http when the endpoint URL is http."""
    scheme = "http" if (push_info.endpoint_url or "").startswith("http://") else "https"
    return f"{scheme}://{push_info.registry}/v2/{push_info.repository}"


def upload_url(repository: str, location: str, digest: str) -> httpx.URL:
    """The monolithic upload URL: `Location` (absolute, or relative to the registry) plus `digest=`."""
    return httpx.URL(repository).join(location).copy_merge_params({"digest": digest})


class RegistryPusher:
    """Pushes one saved image to the repository of `push_info`; use as a context manager."""

    def __init__(self, push_info: EcrPushInfo, progress: TransferProgress, timeout: float = 300.0) -> None:
        self._push_info = push_info
        self._repository = repository_url(push_info)
        self._target = f"registry {push_info.registry}"
        self._progress = progress
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
            raise transport_error(error, what, self._target) from None
        if response.status_code in expected:
            return response
        if response.status_code in (401, 403):
            raise PlatformError(
                f"{self._target} refused {what} ({response.status_code}): {server_message(response)}",
                hint=EXPIRED_PUSH_HINT,
            )
        raise PlatformError(
            f"{self._target} rejected {what} ({response.status_code}): {server_message(response)}",
            hint=RERUN_HINT,
        )

    def push(self, archive: ImageArchive, image: SavedImage) -> str:
        """Push every blob that is missing, then the manifest; return the manifest digest."""
        count = len(image.layers)
        for index, layer in enumerate(image.layers, start=1):
            self._push_blob(archive, layer, f"layer {index}/{count} {short_digest(layer.digest)}")
        self._push_blob(archive, image.config, f"config {short_digest(image.config.digest)}")
        return self._put_manifest(image)

    def _blob_exists(self, blob: Blob, label: str) -> bool:
        response = self._send(
            "HEAD", f"{self._repository}/blobs/{blob.digest}", f"the check of {label}", {200, 404}
        )
        return response.status_code == 200

    def _push_blob(self, archive: ImageArchive, blob: Blob, label: str) -> None:
        self._progress.blob_started(label, blob.size)
        if self._blob_exists(blob, label):
            self._progress.blob_finished("already in the registry")
            return
        what = f"the upload of {label}"
        started = self._send("POST", f"{self._repository}/blobs/uploads/", what, {202})
        location = started.headers.get("Location")
        if not location:
            raise PlatformError(f"{self._target} started {what} without a Location header", hint=RERUN_HINT)
        hasher = hashlib.sha256()
        self._send(
            "PUT",
            upload_url(self._repository, location, blob.digest),
            what,
            {201},
            content=self._hashed_chunks(archive, blob, hasher),
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(blob.size)},
        )
        if f"sha256:{hasher.hexdigest()}" != blob.digest:
            raise PlatformError(
                f"{label} of the saved image does not match its digest {blob.digest}",
                hint="the local image may be corrupt: rebuild it, then run this again",
            )
        self._progress.blob_finished("pushed")

    def _hashed_chunks(self, archive: ImageArchive, blob: Blob, hasher: Any) -> Iterator[bytes]:
        for chunk in archive.chunks(blob):
            hasher.update(chunk)
            self._progress.blob_advanced(len(chunk))
            yield chunk

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
