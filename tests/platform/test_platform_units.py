"""The platform package's small parts: names, servers, credentials, request bodies, tar layouts, messages."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import stat
from pathlib import Path

import httpx
import pytest
from platform_testkit import tar_bytes
from rich.console import Console

from pytest_coworld.admission import CertifyCommand
from pytest_coworld.cli.platform_options import redact
from pytest_coworld.platform.credentials import load_token, require_token, save_token
from pytest_coworld.platform.download import _is_file
from pytest_coworld.platform.errors import PlatformError
from pytest_coworld.platform.http_errors import server_message
from pytest_coworld.platform.image_archive import (
    GZIP_LAYER_MEDIA_TYPE,
    LAYER_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    open_archive,
)
from pytest_coworld.platform.local_images import upload_name
from pytest_coworld.platform.models import PolicyVersionEntry
from pytest_coworld.platform.policies import (
    InvalidPolicyReference,
    parse_policy_reference,
    parse_secret_env,
    policy_completion_body,
    require_league_id,
)
from pytest_coworld.platform.progress import PlainProgress, RichProgress, progress_for
from pytest_coworld.platform.registry_push import upload_url
from pytest_coworld.platform.server import api_base, normalize_server

SERVER = "https://softmax.com/api"


@pytest.mark.parametrize(
    ("reference", "name"),
    [
        ("coworld-examples/paint-game:latest", "paint-game"),
        ("paint-game", "paint-game"),
        ("localhost:5000/team/bot:v2", "bot"),
        ("registry.example/team/bot@sha256:" + "a" * 64, "bot"),
        ("registry.example:443/bot:1@sha256:" + "b" * 64, "bot"),
    ],
)
def test_upload_name_is_the_last_segment_without_tag_or_digest(reference: str, name: str) -> None:
    assert upload_name(reference) == name


def test_the_api_lives_under_observatory_except_on_the_older_host() -> None:
    assert api_base(normalize_server("https://softmax.com/api/")) == "https://softmax.com/api/observatory"
    legacy = "https://api.observatory.softmax-research.net"
    assert api_base(normalize_server(legacy)) == legacy


def test_a_server_that_is_not_an_http_url_is_refused() -> None:
    with pytest.raises(PlatformError, match=r"^--server must be an http\(s\) URL; got 'softmax.com'$"):
        normalize_server("softmax.com")


def _write_yaml(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_token_comes_from_the_environment_then_softmax_then_cogames(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_token(SERVER) is None
    _write_yaml(isolated_home / ".metta" / "cogames.yaml", f"login_tokens:\n  {SERVER}: from-cogames\n")
    assert load_token(SERVER) == "from-cogames"
    _write_yaml(isolated_home / ".softmax" / "credentials.yaml", f"tokens:\n  {SERVER}: from-softmax\n")
    assert load_token(SERVER) == "from-softmax"
    assert load_token("https://other.example/api") is None
    monkeypatch.setenv("COWORLD_TOKEN", "from-env")
    assert load_token(SERVER) == "from-env"


def test_no_token_is_a_not_logged_in_error_naming_how_to_log_in() -> None:
    with pytest.raises(PlatformError) as caught:
        require_token(SERVER)
    assert caught.value.message == f"not logged in to {SERVER}"
    assert caught.value.hint is not None and "coworld login --token" in caught.value.hint


def test_save_token_keeps_other_entries_and_is_private(isolated_home: Path) -> None:
    credentials = isolated_home / ".softmax" / "credentials.yaml"
    _write_yaml(
        credentials, "player_sessions:\n  active: ply_1\ntokens:\n  https://other.example/api: other\n"
    )

    assert save_token(SERVER, "new-token") == credentials

    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert load_token(SERVER) == "new-token"
    assert load_token("https://other.example/api") == "other"
    assert "player_sessions:\n  active: ply_1" in credentials.read_text()


def test_an_unreadable_credentials_file_is_one_line(isolated_home: Path) -> None:
    _write_yaml(isolated_home / ".softmax" / "credentials.yaml", "tokens: [unclosed\n")

    with pytest.raises(PlatformError, match=r"^cannot read .*credentials\.yaml: ") as caught:
        load_token(SERVER)
    assert caught.value.hint == "fix or delete the file, then log in again"


def test_secret_env_and_bedrock_make_the_policy_secret_env() -> None:
    secrets = parse_secret_env(["API_KEY=a=b", "EMPTY="], use_bedrock=True)

    assert secrets == {"API_KEY": "a=b", "EMPTY": "", "USE_BEDROCK": "true"}
    assert policy_completion_body("bot", "img_1", ["python3", "-m", "bot"], secrets) == {
        "name": "bot",
        "container_image_id": "img_1",
        "run": ["python3", "-m", "bot"],
        "policy_secret_env": secrets,
    }
    assert policy_completion_body("bot", "img_1", [], {}) == {"name": "bot", "container_image_id": "img_1"}


@pytest.mark.parametrize("assignment", ["NO_EQUALS_SIGN", "1BAD=x", "=x"])
def test_a_malformed_secret_env_names_its_position_only(assignment: str) -> None:
    with pytest.raises(PlatformError, match=r"^--secret-env #2 must be KEY=VALUE") as caught:
        parse_secret_env(["OK=1", assignment], use_bedrock=False)
    assert assignment not in caught.value.message


def test_policy_references_and_league_ids() -> None:
    assert parse_policy_reference("my-bot") == ("my-bot", None)
    assert parse_policy_reference("my-bot:v12") == ("my-bot", 12)
    assert parse_policy_reference("my-bot:7") == ("my-bot", 7)
    assert parse_policy_reference("team:bot:v2") == ("team:bot", 2)
    for invalid in ("team:bot", ":v2", "my-bot:latest"):
        with pytest.raises(InvalidPolicyReference):
            parse_policy_reference(invalid)
    assert require_league_id("league_abc") == "league_abc"
    with pytest.raises(PlatformError, match=r"^--league must be a league id \(league_…\); got 'abc'$"):
        require_league_id("abc")


def test_policy_version_entries_accept_both_field_spellings() -> None:
    old = PolicyVersionEntry.model_validate({"policy_version_id": "pv1", "policy_name": "bot", "version": 2})
    new = PolicyVersionEntry.model_validate({"id": "pv1", "name": "bot", "version": 2})
    assert old == new


@pytest.mark.parametrize(
    "location",
    ["/v2/repo/blobs/uploads/u1?_state=s", "http://127.0.0.1:5000/v2/repo/blobs/uploads/u1?_state=s"],
)
def test_the_upload_url_resolves_a_relative_location_and_keeps_its_query(location: str) -> None:
    url = upload_url("http://127.0.0.1:5000/v2/repo", location, "sha256:abc")

    assert str(url) == "http://127.0.0.1:5000/v2/repo/blobs/uploads/u1?_state=s&digest=sha256%3Aabc"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"detail": "Token expired"}', "Token expired"),
        (b'{"detail": [{"msg": "field required"}, {"msg": "bad type"}]}', "field required; bad type"),
        (b'{"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown"}]}', "BLOB_UNKNOWN: blob unknown"),
        (b"upstream\n  timed out", "upstream timed out"),
        (b"", "Bad Gateway"),
    ],
)
def test_the_server_message_is_one_line(body: bytes, message: str) -> None:
    assert server_message(httpx.Response(502, content=body)) == message


def test_redact_hides_every_secret_value() -> None:
    assert redact("key abc and abcdef", ["abc", "abcdef", ""]) == "key [redacted] and [redacted]"


def _digest(content: bytes) -> str:
    return f"sha256:{hashlib.sha256(content).hexdigest()}"


def test_a_classic_docker_save_reads_digests_from_the_config(tmp_path: Path) -> None:
    first, second = tar_bytes({"a.txt": b"a"}), tar_bytes({"b.txt": b"b"})
    config = json.dumps(
        {"rootfs": {"type": "layers", "diff_ids": [_digest(first), _digest(second), _digest(first)]}}
    )
    config_name = f"{_digest(config.encode())[7:]}.json"
    saved = tmp_path / "image.tar"
    manifest = [{"Config": config_name, "Layers": ["l1/layer.tar", "l2/layer.tar", "l3/layer.tar"]}]
    saved.write_bytes(
        tar_bytes(
            {
                "manifest.json": json.dumps(manifest).encode(),
                config_name: config.encode(),
                "l1/layer.tar": first,
                "l2/layer.tar": second,
            },
            links={"l3/layer.tar": "../l1/layer.tar"},
        )
    )

    with open_archive(saved) as archive:
        image = archive.read()
        streamed = [b"".join(archive.chunks(layer)) for layer in image.layers]

    assert image.config.digest == _digest(config.encode())
    assert [layer.digest for layer in image.layers] == [_digest(first), _digest(second), _digest(first)]
    assert {layer.media_type for layer in image.layers} == {LAYER_MEDIA_TYPE}
    assert streamed == [first, second, first]
    pushed = json.loads(image.manifest_bytes())
    assert pushed["mediaType"] == MANIFEST_MEDIA_TYPE
    assert [layer["size"] for layer in pushed["layers"]] == [len(first), len(second), len(first)]


def test_an_oci_layout_save_reads_digests_from_blob_names(tmp_path: Path) -> None:
    layer = gzip.compress(tar_bytes({"a.txt": b"a"}))
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode()
    layer_path, config_path = f"blobs/sha256/{_digest(layer)[7:]}", f"blobs/sha256/{_digest(config)[7:]}"
    saved = tmp_path / "image.tar"
    manifest = [{"Config": config_path, "Layers": [layer_path]}]
    saved.write_bytes(
        tar_bytes({"manifest.json": json.dumps(manifest).encode(), config_path: config, layer_path: layer})
    )

    with open_archive(saved) as archive:
        image = archive.read()

    assert [(blob.digest, blob.media_type) for blob in image.layers] == [
        (_digest(layer), GZIP_LAYER_MEDIA_TYPE)
    ]


def test_a_file_that_is_not_a_saved_image_is_one_line(tmp_path: Path) -> None:
    not_a_tar = tmp_path / "image.tar"
    not_a_tar.write_text("hello")

    with pytest.raises(PlatformError, match=r"is not a tar file$"), open_archive(not_a_tar):
        pass


def _report_one_blob(console: Console) -> str:
    with progress_for(console) as progress:
        progress.blob_started("layer 1/1 0123456789ab", 2_500_000)
        progress.blob_advanced(1_000_000)
        progress.blob_finished("pushed")
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_progress_is_a_live_bar_on_a_terminal_and_one_line_per_blob_elsewhere() -> None:
    terminal = Console(file=io.StringIO(), force_terminal=True, width=120)
    pipe = Console(file=io.StringIO(), force_terminal=False)

    assert isinstance(progress_for(terminal), RichProgress)
    assert isinstance(progress_for(pipe), PlainProgress)
    assert "layer 1/1 0123456789ab" in _report_one_blob(terminal)
    assert _report_one_blob(pipe) == "  layer 1/1 0123456789ab (2.5 MB): pushed\n"


def test_certify_passes_every_manifest_to_pytest_as_an_absolute_reference(tmp_path: Path) -> None:
    command = CertifyCommand(
        manifest="/abs/main.json",
        extra=("--coworld-manifest=other.json", "--coworld-manifest=https://example.test/m.json", "-k", "x"),
    )
    argv = command.argv(tmp_path)

    assert f"--coworld-manifest={Path('other.json').absolute()}" in argv
    assert "--coworld-manifest=https://example.test/m.json" in argv and argv[-2:] == ["-k", "x"]


def test_a_coworld_id_too_long_for_a_file_name_is_not_taken_for_a_path() -> None:
    assert not _is_file("cow_" + "x" * 300)
