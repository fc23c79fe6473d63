"""`coworld upload-policy` and `coworld submit` against the platform stand-in and a real registry."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from coworld_standin import KNOWN_LEAGUE, StandinServer
from image_witness import saved_digests
from oci_registry import RegistryReader
from platform_testkit import BuiltImage, RunCli

SECRET_VALUE = "s3cr3t-value-that-must-never-leak"


def _files_containing(root: Path, needle: str) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and needle.encode() in path.read_bytes()]


def test_upload_policy_pushes_the_image_and_registers_a_version(
    logged_in: StandinServer, run_cli: RunCli, policy_image: BuiltImage, registry_reader: RegistryReader
) -> None:
    result = run_cli(
        "upload-policy", policy_image.reference, "--name", "my-bot", "--server", logged_in.server_url
    )

    assert result.exit_code == 0, result.output
    assert "Upload complete: my-bot:v1" in result.stdout
    (upload,) = logged_in.state.calls_to("POST", "/v2/container_images/upload")
    assert upload.headers["authorization"] == f"Bearer {logged_in.state.token}"
    expected_name = policy_image.reference.rsplit("/", 1)[1].split(":")[0]
    assert upload.json() == {"name": expected_name, "client_hash": policy_image.id}
    (complete,) = logged_in.state.calls_to("POST", "/stats/policies/docker-img/complete")
    image = next(iter(logged_in.state.images.values()))
    assert complete.json() == {"name": "my-bot", "container_image_id": image["id"]}
    assert image["status"] == "ready"

    manifest, digest = registry_reader.manifest(image["_repository"], image["_tag"])
    assert digest == image["image_digest"]
    config_digest, layer_digests = saved_digests(policy_image.id)
    assert manifest["config"]["digest"] == config_digest == policy_image.id
    assert [layer["digest"] for layer in manifest["layers"]] == layer_digests
    for blob_digest in [config_digest, *layer_digests]:
        assert registry_reader.blob_digest(image["_repository"], blob_digest) == blob_digest
    assert "layer 1/" in result.stderr and ": pushed" in result.stderr


def test_upload_policy_sends_run_and_secrets_only_in_the_request_body(
    logged_in: StandinServer,
    run_cli: RunCli,
    small_image: BuiltImage,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    result = run_cli(
        "upload-policy",
        small_image.reference,
        "--name",
        "llm-bot",
        "--run",
        "python3",
        "--run",
        "/policy.py",
        "--secret-env",
        f"OPENAI_API_KEY={SECRET_VALUE}",
        "--use-bedrock",
        "--server",
        logged_in.server_url,
    )

    assert result.exit_code == 0, result.output
    (complete,) = logged_in.state.calls_to("POST", "/stats/policies/docker-img/complete")
    assert complete.json()["run"] == ["python3", "/policy.py"]
    assert complete.json()["policy_secret_env"] == {"OPENAI_API_KEY": SECRET_VALUE, "USE_BEDROCK": "true"}
    other_calls = [call for call in logged_in.state.calls if call is not complete]
    assert not [call.path for call in other_calls if SECRET_VALUE.encode() in call.body + call.query.encode()]
    assert SECRET_VALUE not in result.stdout + result.stderr
    assert SECRET_VALUE not in caplog.text
    assert _files_containing(tmp_path, SECRET_VALUE) == []


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_rejection_that_echoes_the_secrets_is_shown_without_them(
    logged_in: StandinServer, run_cli: RunCli, small_image: BuiltImage, as_json: bool
) -> None:
    result = run_cli(
        "upload-policy",
        small_image.reference,
        "--name",
        "rejected-bot",
        "--secret-env",
        f"OPENAI_API_KEY={SECRET_VALUE}",
        *(["--json"] if as_json else []),
        "--server",
        logged_in.server_url,
    )

    assert result.exit_code == 0, result.output
    assert SECRET_VALUE not in result.stdout + result.stderr
    assert "OPENAI_API_KEY" in result.stdout + result.stderr and "[redacted]" in result.stdout + result.stderr


def test_reupload_of_a_known_image_skips_the_push(
    logged_in: StandinServer, run_cli: RunCli, small_image: BuiltImage
) -> None:
    first = run_cli(
        "upload-policy", small_image.reference, "--name", "my-bot", "--server", logged_in.server_url
    )
    second = run_cli(
        "upload-policy", small_image.reference, "--name", "my-bot", "--server", logged_in.server_url
    )

    assert first.exit_code == second.exit_code == 0, second.output
    assert "Upload complete: my-bot:v2" in second.stdout
    assert "already has it" in second.stderr and ": pushed" not in second.stderr
    assert len(logged_in.state.calls_to("POST", "/v2/container_images/upload/complete")) == 1


def test_upload_policy_refuses_a_non_amd64_image_before_uploading(
    logged_in: StandinServer, run_cli: RunCli, arm64_image: BuiltImage
) -> None:
    result = run_cli(
        "upload-policy", arm64_image.reference, "--name", "arm-bot", "--server", logged_in.server_url
    )

    assert result.exit_code == 1
    assert (
        f"error: image {arm64_image.reference} is linux/arm64; the platform runs linux/amd64" in result.stderr
    )
    assert "hint: rebuild it with `docker build --platform linux/amd64" in result.stderr
    assert logged_in.state.calls == []


def test_a_malformed_secret_env_is_refused_without_echoing_it(
    logged_in: StandinServer, run_cli: RunCli
) -> None:
    result = run_cli(
        "upload-policy",
        "any:latest",
        "--name",
        "x",
        "--secret-env",
        SECRET_VALUE,
        "--server",
        logged_in.server_url,
    )

    assert result.exit_code == 1
    assert "--secret-env #1 must be KEY=VALUE" in result.stderr
    assert SECRET_VALUE not in result.output
    assert logged_in.state.calls == []


def test_submit_finds_the_latest_version_and_posts_it(logged_in: StandinServer, run_cli: RunCli) -> None:
    logged_in.state.seed_policy_version("my-bot")
    latest = logged_in.state.seed_policy_version("my-bot")

    result = run_cli("submit", "my-bot", "--league", KNOWN_LEAGUE, "--server", logged_in.server_url, "--json")

    assert result.exit_code == 0, result.output
    (lookup,) = logged_in.state.calls_to("GET", "/stats/policy-versions")
    assert lookup.query == "mine=true&name_exact=my-bot&limit=100"
    (posted,) = logged_in.state.calls_to("POST", "/v2/league-submissions")
    assert posted.json() == {"league_id": KNOWN_LEAGUE, "policy_version_id": latest["policy_version_id"]}
    assert json.loads(result.stdout)["status"] == "placed"


def test_submit_of_a_version_asks_for_that_version(logged_in: StandinServer, run_cli: RunCli) -> None:
    first = logged_in.state.seed_policy_version("my-bot")
    logged_in.state.seed_policy_version("my-bot")

    result = run_cli("submit", "my-bot:v1", "--league", KNOWN_LEAGUE, "--server", logged_in.server_url)

    assert result.exit_code == 0, result.output
    assert "Submitted my-bot:v1 to league_standin" in result.stdout
    (lookup,) = logged_in.state.calls_to("GET", "/stats/policy-versions")
    assert lookup.query == "mine=true&name_exact=my-bot&limit=100&version=1"
    (posted,) = logged_in.state.calls_to("POST", "/v2/league-submissions")
    assert posted.json()["policy_version_id"] == first["policy_version_id"]


def test_submit_of_an_unknown_policy_posts_nothing(logged_in: StandinServer, run_cli: RunCli) -> None:
    result = run_cli("submit", "ghost-bot", "--league", KNOWN_LEAGUE, "--server", logged_in.server_url)

    assert result.exit_code == 1
    assert "error: Policy 'ghost-bot' not found — upload it with upload-policy" in result.stderr
    assert logged_in.state.calls_to("POST", "/v2/league-submissions") == []


def test_submit_to_an_unknown_league_shows_the_server_message(
    logged_in: StandinServer, run_cli: RunCli
) -> None:
    logged_in.state.seed_policy_version("my-bot")

    result = run_cli("submit", "my-bot", "--league", "league_nowhere", "--server", logged_in.server_url)

    assert result.exit_code == 1
    assert (
        "answered POST /v2/league-submissions with 404 Not Found: League league_nowhere not found"
        in result.stderr
    )
