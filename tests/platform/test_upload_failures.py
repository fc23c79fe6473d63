"""Upload failures: login, server errors, an unreachable server, a registry that drops or rejects a blob.

A dropped connection is retried (without waiting here); what does not pass must end in a one-line error with
a hint, and re-running the same command after it must succeed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import httpx
import pytest
from coworld_standin import API_PREFIX, StandinServer
from faulty_proxy import FaultyProxy
from oci_registry import RegistryPair, RegistryReader, free_port
from platform_testkit import BuiltImage, RunCli

from pytest_coworld.platform import registry_push
from pytest_coworld.platform.retries import RetryPolicy

ONE_MIB = 1 << 20


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries go on at once: the backoff is computed and shown, but not slept."""
    monkeypatch.setattr(registry_push, "DEFAULT_RETRY", RetryPolicy(sleep=lambda seconds: None))


def _upload(run_cli: RunCli, standin: StandinServer, image: BuiltImage) -> tuple[int, str, str]:
    result = run_cli("upload-policy", image.reference, "--name", "my-bot", "--server", standin.server_url)
    return result.exit_code, result.stdout, result.stderr


def _pushed_image_is_complete(standin: StandinServer, reader: RegistryReader, image: BuiltImage) -> bool:
    (record,) = standin.state.images.values()
    manifest, _ = reader.manifest(record["_repository"], record["_tag"])
    return record["status"] == "ready" and manifest["config"]["digest"] == image.id


def test_without_a_login_nothing_is_sent(
    standin: StandinServer, run_cli: RunCli, small_image: BuiltImage
) -> None:
    code, _, stderr = _upload(run_cli, standin, small_image)

    assert code == 1
    assert stderr.splitlines() == [
        f"error: not logged in to {standin.server_url}",
        "hint: log in with `coworld login --token TOKEN` (add --server URL for another server), "
        "or set COWORLD_TOKEN",
    ]
    assert standin.state.calls == []


def test_an_expired_login_gets_the_server_message_and_a_login_hint(
    standin: StandinServer, run_cli: RunCli, small_image: BuiltImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin.state.expired_tokens.add("old-token")
    monkeypatch.setenv("COWORLD_TOKEN", "old-token")

    code, _, stderr = _upload(run_cli, standin, small_image)

    assert code == 1
    assert (
        f"error: {standin.server_url} refused POST /v2/container_images/upload (401): Token expired" in stderr
    )
    assert "hint: the login is missing, expired or not allowed here; log in with `coworld login" in stderr


def test_a_server_error_is_shown_with_its_status_and_a_rerun_completes(
    logged_in: StandinServer, run_cli: RunCli, small_image: BuiltImage, registry_reader: RegistryReader
) -> None:
    logged_in.state.fail_next("POST", "/v2/container_images/upload/complete", 500, "database unavailable")

    code, _, stderr = _upload(run_cli, logged_in, small_image)

    assert code == 1
    assert (
        f"error: {logged_in.server_url} answered POST /v2/container_images/upload/complete with "
        "500 Internal Server Error: database unavailable"
    ) in stderr
    code, stdout, stderr = _upload(run_cli, logged_in, small_image)
    assert code == 0, stderr
    assert "Upload complete: my-bot:v1" in stdout
    assert ": already in the registry" in stderr and ": pushed" not in stderr
    assert _pushed_image_is_complete(logged_in, registry_reader, small_image)


def test_an_unreachable_server_is_one_line_with_a_hint(
    run_cli: RunCli, small_image: BuiltImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COWORLD_TOKEN", "any")
    server = f"http://127.0.0.1:{free_port()}/api"

    result = run_cli("upload-policy", small_image.reference, "--name", "my-bot", "--server", server)

    assert result.exit_code == 1
    first, hint = result.stderr.splitlines()
    assert first.startswith(f"error: cannot reach {server} (POST /v2/container_images/upload): ")
    assert hint == "hint: check the address (--server) and your network connection"


@dataclass
class PolicyUpload:
    """`coworld upload-policy` of the small image to a logged-in platform, maybe through a faulty proxy."""

    standin: StandinServer
    run_cli: RunCli
    image: BuiltImage
    registries: RegistryPair
    reader: RegistryReader

    def run(self, proxy: FaultyProxy | None = None) -> tuple[int, str, str]:
        self.standin.state.push_endpoint_port = proxy.port if proxy else None
        return _upload(self.run_cli, self.standin, self.image)

    def is_complete(self) -> bool:
        return _pushed_image_is_complete(self.standin, self.reader, self.image)

    def completed_uploads(self) -> Counter[str]:
        """How often the registry completed the upload of each blob of the image's repository."""
        (record,) = self.standin.state.images.values()
        return Counter(self.registries.private.completed_uploads(record["_repository"]))


@pytest.fixture
def policy_upload(
    logged_in: StandinServer,
    run_cli: RunCli,
    small_image: BuiltImage,
    registries: RegistryPair,
    registry_reader: RegistryReader,
) -> PolicyUpload:
    return PolicyUpload(logged_in, run_cli, small_image, registries, registry_reader)


def test_a_connection_dropped_mid_upload_is_retried_and_the_blob_completed_once(
    policy_upload: PolicyUpload, registries: RegistryPair
) -> None:
    with FaultyProxy(registries.private.port, "drop", after_bytes=ONE_MIB) as proxy:
        code, stdout, stderr = policy_upload.run(proxy)

    assert proxy.fired == 1
    assert code == 0, stderr
    assert "Upload complete: my-bot:v1" in stdout
    assert (
        f"the connection to registry 127.0.0.1:{proxy.port} dropped during the upload of layer 1/" in stderr
    )
    assert "; retry 1/4 in " in stderr
    assert policy_upload.is_complete()
    assert sorted(policy_upload.completed_uploads().values()) == [1, 1], "the layer and the config, once each"


def test_a_connection_that_keeps_dropping_ends_in_the_clear_error_and_a_rerun_completes(
    policy_upload: PolicyUpload, registries: RegistryPair
) -> None:
    with FaultyProxy(registries.private.port, "drop", after_bytes=ONE_MIB, times=1000) as proxy:
        code, _, stderr = policy_upload.run(proxy)

    assert proxy.fired == RetryPolicy().attempts
    assert code == 1
    assert (
        f"error: the connection to registry 127.0.0.1:{proxy.port} dropped during the upload of layer 1/"
        in stderr
    )
    assert "hint: re-run the same command: finished steps are skipped" in stderr
    code, stdout, stderr = policy_upload.run()

    assert code == 0, stderr
    assert "Upload complete: my-bot:v1" in stdout
    assert policy_upload.is_complete()


def test_a_blob_the_registry_rejects_is_named_in_the_error(
    logged_in: StandinServer, run_cli: RunCli, small_image: BuiltImage, registries: RegistryPair
) -> None:
    with FaultyProxy(registries.private.port, "corrupt", after_bytes=ONE_MIB) as proxy:
        logged_in.state.push_endpoint_port = proxy.port
        code, _, stderr = _upload(run_cli, logged_in, small_image)

    assert proxy.fired
    assert code == 1
    assert (f"error: registry 127.0.0.1:{proxy.port} rejected the upload of layer 1/") in stderr
    assert "(400): DIGEST_INVALID: provided digest did not match uploaded content" in stderr
    assert "hint: re-run the same command" in stderr
    assert logged_in.state.calls_to("POST", "/v2/container_images/upload/complete") == []


def test_push_credentials_the_registry_refuses_get_a_hint(
    logged_in: StandinServer, run_cli: RunCli, small_image: BuiltImage
) -> None:
    logged_in.state.push_authorization = "bm9ib2R5Om5vdGhpbmc="

    code, _, stderr = _upload(run_cli, logged_in, small_image)

    assert code == 1
    assert "refused the check of layer 1/" in stderr and "(401): Unauthorized" in stderr
    assert "hint: the push credentials may have expired: re-run the command to get fresh ones" in stderr


def test_the_standin_rejects_a_wrong_field_like_a_real_server(logged_in: StandinServer) -> None:
    response = httpx.post(
        f"http://127.0.0.1:{logged_in.port}{API_PREFIX}/v2/container_images/upload",
        json={"name": "game", "client_hash": "sha256:" + "0" * 64, "tag": "latest"},
        headers={"Authorization": f"Bearer {logged_in.state.token}"},
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "tag: Extra inputs are not permitted"}
