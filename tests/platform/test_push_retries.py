"""Pushes that survive network hiccups: chunked uploads through a faulty proxy to a real registry.

The pusher runs directly (no Docker, no platform) on a saved image written here, with 1 MiB chunks and a retry
policy that records its waits instead of sleeping. The registry's access log is the witness of what it stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from faulty_proxy import FaultyProxy, RequestSplitter
from oci_registry import RegistryPair, RegistryReader
from platform_testkit import tar_bytes

from pytest_coworld.platform.errors import PlatformError
from pytest_coworld.platform.image_archive import SavedImage, open_archive
from pytest_coworld.platform.models import EcrPushInfo
from pytest_coworld.platform.registry_push import RegistryPusher, reported_offset
from pytest_coworld.platform.retries import RetryPolicy, TransientFailure

MIB = 1 << 20
LAYER_PAYLOAD_BYTES = 6 * MIB


@dataclass
class RecordingProgress:
    """A `TransferProgress` that remembers what it was told."""

    advanced: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _label: str = ""

    def blob_started(self, label: str, size: int) -> None:
        self._label = label
        self.advanced[label] = 0

    def blob_advanced(self, count: int) -> None:
        self.advanced[self._label] += count

    def blob_finished(self, outcome: str) -> None:
        self.outcomes[self._label] = outcome

    def note(self, text: str) -> None:
        self.notes.append(text)


@dataclass
class Push:
    """One push of the saved image to a fresh repository, with what it reported and how long it waited."""

    registries: RegistryPair
    archive: Path
    repository: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}/retries")
    progress: RecordingProgress = field(default_factory=RecordingProgress)
    waits: list[float] = field(default_factory=list)

    def run(self, port: int, token: str | None = None) -> str:
        """Push through `port`; the manifest digest."""
        host = f"127.0.0.1:{port}"
        push_info = EcrPushInfo(
            kind="ecr",
            region="us-east-1",
            registry=host,
            repository=self.repository,
            tag="v1",
            image_uri=f"{host}/{self.repository}:v1",
            endpoint_url=f"http://{host}",
            authorization_token=token or self.registries.authorization_token,
        )
        retry = RetryPolicy(sleep=self.waits.append)
        pusher = RegistryPusher(push_info, self.progress, retry=retry, chunk_bytes=MIB)
        with open_archive(self.archive) as archive, pusher:
            return pusher.push(archive, archive.read())

    def image(self) -> SavedImage:
        with open_archive(self.archive) as archive:
            return archive.read()

    def completed_uploads(self) -> Counter[str]:
        return Counter(self.registries.private.completed_uploads(self.repository))

    def logged(self, method: str, status: int) -> int:
        requests = self.registries.private.logged_requests(self.repository)
        return sum(1 for request in requests if request.method == method and request.status == status)


def _blob_name(content: bytes) -> tuple[str, str]:
    """`(digest, tar member name)` of a blob in an OCI-layout `docker image save`."""
    hexdigest = hashlib.sha256(content).hexdigest()
    return f"sha256:{hexdigest}", f"blobs/sha256/{hexdigest}"


@pytest.fixture(scope="module")
def saved_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OCI-layout image archive with one layer of 6 MiB of random bytes (seven 1 MiB chunks)."""
    layer = tar_bytes({"payload.bin": os.urandom(LAYER_PAYLOAD_BYTES)})
    layer_digest, layer_name = _blob_name(layer)
    config = json.dumps({"os": "linux", "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}).encode()
    _, config_name = _blob_name(config)
    entries = [{"Config": config_name, "RepoTags": ["retries:v1"], "Layers": [layer_name]}]
    path = tmp_path_factory.mktemp("saved") / "image.tar"
    path.write_bytes(
        tar_bytes({"manifest.json": json.dumps(entries).encode(), layer_name: layer, config_name: config})
    )
    return path


@pytest.fixture
def push(registries: RegistryPair, saved_image: Path) -> Push:
    return Push(registries, saved_image)


def _assert_pushed_once(push: Push, reader: RegistryReader, manifest_digest: str) -> None:
    """The registry holds the image's manifest and blobs, each blob uploaded once, and progress adds up."""
    image = push.image()
    manifest, digest = reader.manifest(push.repository, "v1")
    assert digest == manifest_digest
    assert manifest == json.loads(image.manifest_bytes())
    blobs = [*image.layers, image.config]
    for blob in blobs:
        assert reader.blob_digest(push.repository, blob.digest) == blob.digest
    assert push.completed_uploads() == Counter(blob.digest for blob in blobs)
    assert list(push.progress.advanced.values()) == [blob.size for blob in blobs]
    assert set(push.progress.outcomes.values()) == {"pushed"}


def test_resets_mid_layer_are_retried_and_each_blob_is_completed_once(
    push: Push, registries: RegistryPair, registry_reader: RegistryReader
) -> None:
    with FaultyProxy(registries.private.port, "drop", after_bytes=5 * MIB // 2, times=2) as proxy:
        manifest_digest = push.run(proxy.port)

    assert proxy.fired == 2
    _assert_pushed_once(push, registry_reader, manifest_digest)
    assert len(push.waits) == 2
    assert push.logged("GET", 404) == 2, "this registry drops a session that got part of a chunk"
    assert push.logged("POST", 202) == 4, "so the layer started again twice (and the config once)"
    dropped = f"the connection to registry 127.0.0.1:{proxy.port} dropped during the upload of layer 1/1 "
    assert [note.startswith(f"  {dropped}") for note in push.progress.notes] == [True, True]


def test_a_503_mid_layer_resumes_where_the_registry_stands_after_its_retry_after(
    push: Push, registries: RegistryPair, registry_reader: RegistryReader
) -> None:
    with FaultyProxy(
        registries.private.port,
        "unavailable",
        after_bytes=5 * MIB // 2,
        times=2,
        request="PATCH ",
        retry_after=2,
    ) as proxy:
        manifest_digest = push.run(proxy.port)

    assert proxy.fired == 2
    _assert_pushed_once(push, registry_reader, manifest_digest)
    assert push.waits == [2.0, 2.0]
    assert push.logged("POST", 202) == 2, (
        "one upload session per blob: the layer's was resumed, not restarted"
    )
    assert push.logged("PATCH", 202) == 6, "each of the six chunks before the last reached the registry once"
    assert "could not take the upload of layer 1/1" in push.progress.notes[0]


def test_a_lost_answer_to_the_closing_put_does_not_push_the_blob_again(
    push: Push, registries: RegistryPair, registry_reader: RegistryReader
) -> None:
    with FaultyProxy(registries.private.port, "lose_answer", request="PUT ") as proxy:
        manifest_digest = push.run(proxy.port)

    assert proxy.fired == 1
    _assert_pushed_once(push, registry_reader, manifest_digest)
    assert len(push.waits) == 1


def test_a_connection_that_keeps_dropping_ends_in_the_clear_error_after_bounded_tries(
    push: Push, registries: RegistryPair
) -> None:
    proxy = FaultyProxy(registries.private.port, "drop", after_bytes=MIB // 2, times=1000)
    with proxy, pytest.raises(PlatformError) as raised:
        push.run(proxy.port)

    assert raised.value.message.startswith(
        f"the connection to registry 127.0.0.1:{proxy.port} dropped during the upload of layer 1/1 "
    )
    assert raised.value.hint is not None and raised.value.hint.startswith("re-run the same command")
    assert len(push.waits) == RetryPolicy().attempts - 1
    assert all(0 < wait <= RetryPolicy().max_wait for wait in push.waits)
    assert push.completed_uploads() == Counter()


def test_refused_credentials_are_not_retried(push: Push, registries: RegistryPair) -> None:
    with pytest.raises(PlatformError) as raised:
        push.run(registries.private.port, token="bm9ib2R5Om5vdGhpbmc=")

    assert "refused the check of layer 1/1" in raised.value.message and "(401)" in raised.value.message
    assert raised.value.hint == "the push credentials may have expired: re-run the command to get fresh ones"
    assert push.waits == []


def test_the_retry_policy_backs_off_then_honours_retry_after_and_gives_up_with_the_last_failure() -> None:
    waits: list[float] = []
    notes: list[tuple[str, int, float]] = []
    failures = iter(
        [TransientFailure("reset"), TransientFailure("busy", retry_after=7), TransientFailure("end")]
    )

    def flaky() -> None:
        raise next(failures)

    policy = RetryPolicy(attempts=3, first_wait=0.5, max_wait=4.0, sleep=waits.append)
    with pytest.raises(TransientFailure, match=r"^end$"):
        policy.call(flaky, lambda failure, retry, wait: notes.append((failure.message, retry, wait)))

    assert 0.5 <= waits[0] <= 1.0 and waits[1] == 4.0
    assert notes == [("reset", 1, waits[0]), ("busy", 2, 4.0)]


@pytest.mark.parametrize(
    ("header", "offset"), [("0-0", 0), ("0-1048575", MIB), ("bytes=0-9", 10), ("", None)]
)
def test_the_upload_status_range_is_the_bytes_held(header: str, offset: int | None) -> None:
    response = httpx.Response(204, headers={"Range": header} if header else {})

    assert reported_offset(response) == offset


def test_the_request_splitter_finds_each_request_in_any_cut_of_the_stream() -> None:
    stream = b"PATCH /u HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /s HTTP/1.1\r\nHost: x\r\n\r\n"
    splitter = RequestSplitter()

    parts = [part for cut in (stream[:7], stream[7:41], stream[41:]) for part in splitter.feed(cut)]

    assert [kind for kind, _ in parts] == ["head", "body", "body", "end", "head", "end"]
    assert b"".join(data for _, data in parts) == stream
