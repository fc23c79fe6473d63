"""`coworld login`, and finding coworlds on the server: by id, by name over pages, as a manifest argument."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import pytest
from coworld_standin import KNOWN_LEAGUE, StandinServer
from platform_testkit import RunCli

from pytest_coworld.platform.client import PlatformClient
from pytest_coworld.platform.download import find_coworld
from pytest_coworld.platform.errors import PlatformError
from pytest_coworld.platform.manifest_reference import resolve_manifest_reference

TOKEN = "tok-4f1c9e-login-test"


def test_login_stores_the_token_privately_and_later_commands_use_it(
    standin: StandinServer, run_cli: RunCli, isolated_home: Path
) -> None:
    standin.state.token = TOKEN

    login = run_cli("login", "--token", TOKEN, "--server", standin.server_url)
    submit = run_cli("submit", "ghost-bot", "--league", KNOWN_LEAGUE, "--server", standin.server_url)

    assert login.exit_code == 0, login.output
    assert TOKEN not in login.output
    credentials = isolated_home / ".softmax" / "credentials.yaml"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert f"{standin.server_url}: {TOKEN}" in credentials.read_text()
    assert submit.exit_code == 1
    (lookup,) = standin.state.calls_to("GET", "/stats/policy-versions")
    assert lookup.headers["authorization"] == f"Bearer {TOKEN}"


def test_login_asks_for_the_token_without_echoing_it(
    standin: StandinServer, run_cli: RunCli, isolated_home: Path
) -> None:
    result = run_cli("login", "--server", standin.server_url, input=f"{TOKEN}\n")

    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    assert TOKEN in (isolated_home / ".softmax" / "credentials.yaml").read_text()


def test_login_refuses_an_empty_token(run_cli: RunCli, isolated_home: Path) -> None:
    result = run_cli("login", "--token", "  ")

    assert result.exit_code == 1
    assert "error: --token is empty" in result.stderr
    assert not (isolated_home / ".softmax").exists()


def _seed_coworld(standin: StandinServer, name: str, canonical: bool) -> str:
    coworld_id = f"cow_{uuid.uuid4()}"
    version = 1 + sum(1 for record in standin.state.coworlds if record["name"] == name)
    standin.state.coworlds.append(
        {
            "id": coworld_id,
            "name": name,
            "version": version,
            "manifest": {"game": {"name": name}},
            "manifest_hash": "sha256:" + "0" * 64,
            "size_bytes": 2,
            "canonical": canonical,
            "created_at": "now",
        }
    )
    return coworld_id


def test_a_name_finds_the_canonical_entry_across_pages(standin: StandinServer) -> None:
    standin.state.max_page_size = 2
    for name in ("alpha", "beta", "gamma"):
        _seed_coworld(standin, name, canonical=True)
    _seed_coworld(standin, "my_game", canonical=False)
    wanted = _seed_coworld(standin, "my_game", canonical=True)

    with PlatformClient(standin.server_url, token=None) as client:
        found = find_coworld(client, "my-game")

    assert (found.id, found.version) == (wanted, 2)
    assert len(standin.state.calls_to("GET", "/v2/coworlds")) == 3


def test_a_name_without_a_canonical_entry_lists_the_ids(standin: StandinServer) -> None:
    first = _seed_coworld(standin, "draft", canonical=False)

    with PlatformClient(standin.server_url, token=None) as client, pytest.raises(PlatformError) as caught:
        find_coworld(client, "draft")

    assert caught.value.message == f"coworld 'draft' has no canonical version on {standin.server_url}"
    assert caught.value.hint == f"download one version by id: {first} (v1)"


def test_a_coworld_id_resolves_to_its_manifest_and_other_references_stay(standin: StandinServer) -> None:
    coworld_id = _seed_coworld(standin, "paint", canonical=True)

    assert resolve_manifest_reference(coworld_id, standin.server_url) == {"game": {"name": "paint"}}
    assert resolve_manifest_reference("examples/paint", standin.server_url) == "examples/paint"
    assert standin.state.calls_to("GET", f"/v2/coworlds/{coworld_id}")[0].headers.get("authorization") is None


def test_an_unknown_coworld_id_is_the_servers_404(standin: StandinServer) -> None:
    with pytest.raises(PlatformError) as caught:
        resolve_manifest_reference("cow_missing", standin.server_url)

    assert caught.value.message == (
        f"{standin.server_url} answered GET /v2/coworlds/cow_missing with 404 Not Found: "
        "Coworld cow_missing not found"
    )
