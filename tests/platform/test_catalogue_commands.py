"""`coworld list`, `show`, `images` and `hosted-game create|join` against the platform stand-in over HTTP."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest
from coworld_standin import PLAY_HOST, Call, PlatformState, StandinServer
from platform_testkit import RunCli
from rich.filesize import decimal

PLAY_SESSION = "/v2/coworlds/play/session"
WIDE = {"COLUMNS": "200"}  # a terminal where no table cell wraps


@dataclass(frozen=True)
class Catalogue:
    """A platform holding paint (v1, then the canonical v2), auction, and two more images of no coworld."""

    standin: StandinServer
    paint_v1: dict[str, Any]
    paint: dict[str, Any]
    auction: dict[str, Any]

    @property
    def server(self) -> str:
        return self.standin.server_url

    @property
    def records(self) -> list[dict[str, Any]]:
        return self.state.coworlds

    @property
    def state(self) -> PlatformState:
        return self.standin.state

    @property
    def images(self) -> list[dict[str, Any]]:
        """The images as the server shows them, in its order."""
        return [
            {key: value for key, value in image.items() if not key.startswith("_")}
            for image in self.state.images.values()
        ]


def _catalogue(standin: StandinServer) -> Catalogue:
    paint_v1 = standin.state.seed_example_coworld("paint")
    paint = standin.state.seed_example_coworld("paint")
    auction = standin.state.seed_example_coworld("auction")
    standin.state.seed_image("ghost-bot")
    standin.state.seed_image("ghost-bot")
    return Catalogue(standin, paint_v1, paint, auction)


@pytest.fixture
def catalogue(standin: StandinServer) -> Catalogue:
    return _catalogue(standin)


@pytest.fixture
def logged_in_catalogue(logged_in: StandinServer) -> Catalogue:
    return _catalogue(logged_in)


def _query(call: Call) -> dict[str, list[str]]:
    return parse_qs(call.query)


def _login_hint_shown(stderr: str) -> bool:
    return "hint: the login is missing, expired or not allowed here; log in with `coworld login" in stderr


# list


def test_list_shows_every_coworld_without_a_login(catalogue: Catalogue, run_cli: RunCli) -> None:
    result = run_cli("list", "--server", catalogue.server, env=WIDE)

    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "Manifest Hash" in line)
    assert header.split() == ["ID", "Name", "Version", "Canonical", "Size", "Manifest", "Hash"]
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines() if "cow_" in line}
    paint_hash = catalogue.paint["manifest_hash"][: len("sha256:") + 12] + "…"
    assert rows[catalogue.paint["id"]][:3] == ["paint", "2", "yes"]
    assert rows[catalogue.paint["id"]][-1] == paint_hash
    assert rows[catalogue.paint_v1["id"]][:3] == ["paint", "1", "no"]
    assert rows[catalogue.auction["id"]][:3] == ["auction", "1", "yes"]
    assert "Rows 1-3" in result.stdout
    (call,) = catalogue.state.calls_to("GET", "/v2/coworlds")
    assert _query(call) == {"limit": ["200"], "offset": ["0"]}
    assert "authorization" not in call.headers


def test_list_json_is_the_servers_records(catalogue: Catalogue, run_cli: RunCli) -> None:
    result = run_cli("list", "--json", "--server", catalogue.server)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == catalogue.records
    assert result.stdout.startswith('[\n  {\n    "id": ')


def test_list_pages_with_limit_and_offset(catalogue: Catalogue, run_cli: RunCli) -> None:
    page = run_cli("list", "--limit", "1", "--offset", "1", "--json", "--server", catalogue.server)
    table = run_cli("list", "--limit", "2", "--server", catalogue.server, env=WIDE)
    beyond = run_cli("list", "--offset", "3", "--server", catalogue.server)

    assert page.exit_code == table.exit_code == beyond.exit_code == 0, page.output + table.output
    assert json.loads(page.stdout) == [catalogue.paint]
    assert "Rows 1-2; next page: --offset 2" in table.stdout
    assert catalogue.auction["id"] not in table.stdout
    assert beyond.stdout.strip() == "No coworlds after the first 3."
    queries = [_query(call) for call in catalogue.state.calls_to("GET", "/v2/coworlds")]
    assert queries == [
        {"limit": ["1"], "offset": ["1"]},
        {"limit": ["2"], "offset": ["0"]},
        {"limit": ["200"], "offset": ["3"]},
    ]


@pytest.mark.parametrize("limit", ["0", "501"])
def test_list_refuses_a_limit_out_of_range(limit: str, catalogue: Catalogue, run_cli: RunCli) -> None:
    result = run_cli("list", "--limit", limit, "--server", catalogue.server)

    assert result.exit_code == 2
    assert "--limit" in result.stderr
    assert catalogue.state.calls == []


def test_list_sends_the_token_when_logged_in(logged_in_catalogue: Catalogue, run_cli: RunCli) -> None:
    result = run_cli("list", "--server", logged_in_catalogue.server)

    assert result.exit_code == 0, result.output
    (call,) = logged_in_catalogue.state.calls_to("GET", "/v2/coworlds")
    assert call.headers["authorization"] == f"Bearer {logged_in_catalogue.state.token}"


def test_a_server_error_shows_the_servers_body(catalogue: Catalogue, run_cli: RunCli) -> None:
    catalogue.state.fail_next("GET", "/v2/coworlds", 503, "catalogue index rebuilding")

    result = run_cli("list", "--server", catalogue.server)

    assert result.exit_code == 1
    assert (
        f"error: {catalogue.server} answered GET /v2/coworlds with 503 Service Unavailable: "
        "catalogue index rebuilding"
    ) in result.stderr
    assert result.stdout == ""


# show


def test_show_prints_the_record_and_an_outline_of_its_manifest(catalogue: Catalogue, run_cli: RunCli) -> None:
    paint = catalogue.paint
    manifest = paint["manifest"]

    result = run_cli("show", paint["id"], "--server", catalogue.server)

    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    for expected in (
        f"ID: {paint['id']}",
        "Name: paint",
        "Version: 2",
        "Canonical: yes",
        f"Manifest hash: {paint['manifest_hash']}",
        f"Created: {paint['created_at']}",
        "Game: paint 0.1.0",
        "Owner: pytest-coworld examples",
        f"Description: {manifest['game']['description']}",
        "Images:",
        f"game.runnable.image {manifest['game']['runnable']['image']}",
        f"player[0].image {manifest['player'][0]['image']}",
        "Variants:",
        "default Default",
        "small-fast Small and fast",
        "large Large",
    ):
        assert expected in lines, f"{expected!r} not in:\n{result.stdout}"
    assert f"Size: {decimal(paint['size_bytes'])} ({paint['size_bytes']} bytes)" in lines
    assert manifest["player"][0]["image"].startswith("img_")
    (call,) = catalogue.state.calls_to("GET", f"/v2/coworlds/{paint['id']}")
    assert "authorization" not in call.headers


def test_show_json_is_the_servers_record(logged_in_catalogue: Catalogue, run_cli: RunCli) -> None:
    auction = logged_in_catalogue.auction

    result = run_cli("show", auction["id"], "--json", "--server", logged_in_catalogue.server)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == auction
    (call,) = logged_in_catalogue.state.calls_to("GET", f"/v2/coworlds/{auction['id']}")
    assert call.headers["authorization"] == f"Bearer {logged_in_catalogue.state.token}"


def test_show_of_an_unknown_id_says_coworld_not_found(catalogue: Catalogue, run_cli: RunCli) -> None:
    catalogue.state.max_page_size = 2

    result = run_cli("show", "cow_00000000-0000-0000-0000-000000000000", "--server", catalogue.server)

    assert result.exit_code == 1
    assert (
        "error: Coworld not found: cow_00000000-0000-0000-0000-000000000000 on " + catalogue.server
    ) in result.stderr
    assert "hint: `coworld list` shows the coworlds and their ids" in result.stderr
    assert len(catalogue.state.calls_to("GET", "/v2/coworlds")) == 2  # the whole list, page by page


def test_show_finds_the_coworld_in_the_list_when_the_detail_fails(
    catalogue: Catalogue, run_cli: RunCli
) -> None:
    auction = catalogue.auction
    catalogue.state.fail_next("GET", f"/v2/coworlds/{auction['id']}", 404, "Not Found")

    result = run_cli("show", auction["id"], "--json", "--server", catalogue.server)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == auction


def test_show_reports_a_server_error_on_the_detail_instead_of_searching_the_list(
    catalogue: Catalogue, run_cli: RunCli
) -> None:
    auction = catalogue.auction
    catalogue.state.fail_next("GET", f"/v2/coworlds/{auction['id']}", 503, "database is down")

    result = run_cli("show", auction["id"], "--server", catalogue.server)

    assert result.exit_code == 1
    assert "503" in result.stderr and "database is down" in result.stderr
    assert not catalogue.state.calls_to("GET", "/v2/coworlds")


# images


def test_images_lists_your_images_in_a_table(logged_in_catalogue: Catalogue, run_cli: RunCli) -> None:
    result = run_cli("images", "--server", logged_in_catalogue.server, env=WIDE)

    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "Public URI" in line)
    assert header.split() == ["ID", "Name", "Version", "Status", "Public", "URI"]
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("img_")]
    assert rows == [
        [image["id"], image["name"], f"v{image['version']}", "ready", image["public_image_uri"]]
        for image in logged_in_catalogue.images
    ]
    assert f"Rows 1-{len(logged_in_catalogue.images)}" in result.stdout


def test_images_json_and_paging(logged_in_catalogue: Catalogue, run_cli: RunCli) -> None:
    everything = run_cli("images", "--json", "--server", logged_in_catalogue.server)
    page = run_cli(
        "images", "--limit", "2", "--offset", "3", "--json", "--server", logged_in_catalogue.server
    )

    assert everything.exit_code == page.exit_code == 0, everything.output + page.output
    assert json.loads(everything.stdout) == logged_in_catalogue.images
    assert json.loads(page.stdout) == logged_in_catalogue.images[3:5]
    calls = logged_in_catalogue.state.calls_to("GET", "/v2/container_images")
    assert [_query(call) for call in calls] == [
        {"limit": ["200"], "offset": ["0"]},
        {"limit": ["2"], "offset": ["3"]},
    ]


def test_images_list_needs_a_login(catalogue: Catalogue, run_cli: RunCli) -> None:
    result = run_cli("images", "--server", catalogue.server)

    assert result.exit_code == 1
    assert f"error: not logged in to {catalogue.server}" in result.stderr
    assert "hint: log in with `coworld login --token TOKEN`" in result.stderr
    assert catalogue.state.calls == []


def test_an_expired_login_gets_the_login_hint(logged_in_catalogue: Catalogue, run_cli: RunCli) -> None:
    logged_in_catalogue.state.expired_tokens.add(logged_in_catalogue.state.token)

    result = run_cli("images", "--server", logged_in_catalogue.server)

    assert result.exit_code == 1
    assert (
        f"error: {logged_in_catalogue.server} refused GET /v2/container_images (401): Token expired"
    ) in result.stderr
    assert _login_hint_shown(result.stderr)


def test_one_image_shows_its_hashes_and_uris_without_a_login(catalogue: Catalogue, run_cli: RunCli) -> None:
    image = next(image for image in catalogue.images if image["name"] == "paint-player")

    result = run_cli("images", image["id"], "--server", catalogue.server)
    as_json = run_cli("images", image["id"], "--json", "--server", catalogue.server)

    assert result.exit_code == as_json.exit_code == 0, result.output + as_json.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines == [
        f"ID: {image['id']}",
        "Name: paint-player",
        "Version: v1",
        "Status: ready",
        f"Client hash: {image['client_hash']}",
        f"Image URI: {image['image_uri']}",
        f"Digest: {image['image_digest']}",
        f"Public URI: {image['public_image_uri']}",
    ]
    assert json.loads(as_json.stdout) == image
    assert all("authorization" not in call.headers for call in catalogue.state.calls)


def test_an_unknown_image_is_the_servers_404(catalogue: Catalogue, run_cli: RunCli) -> None:
    result = run_cli("images", "img_missing", "--server", catalogue.server)

    assert result.exit_code == 1
    assert (
        f"error: {catalogue.server} answered GET /v2/container_images/img_missing with 404 Not Found: "
        "Container image img_missing not found"
    ) in result.stderr


# hosted games


def test_hosted_game_create_prints_the_links(logged_in_catalogue: Catalogue, run_cli: RunCli) -> None:
    paint = logged_in_catalogue.paint

    result = run_cli("hosted-game", "create", paint["id"], "--server", logged_in_catalogue.server)

    assert result.exit_code == 0, result.output
    (session_id,) = logged_in_catalogue.state.hosted_games
    base = f"{PLAY_HOST}/sessions/{session_id}"
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines == [
        f"Session: {session_id}",
        "Players: 2",
        f"Join link: {base}/join",
        f"Lobby: {base}/lobby",
        f"Viewer: {base}/global",
        f"Share the join link; to take a seat here: coworld hosted-game join {session_id}",
    ]
    (call,) = logged_in_catalogue.state.calls_to("POST", PLAY_SESSION)
    assert call.json() == {"coworld_id": paint["id"], "variant_id": None, "allow_spectators": True}


def test_hosted_game_create_with_a_variant_and_no_spectators(
    logged_in_catalogue: Catalogue, run_cli: RunCli
) -> None:
    auction = logged_in_catalogue.auction

    result = run_cli(
        "hosted-game",
        "create",
        auction["id"],
        "--variant",
        "three-players",
        "--no-spectators",
        "--json",
        "--server",
        logged_in_catalogue.server,
    )

    assert result.exit_code == 0, result.output
    game = json.loads(result.stdout)
    assert set(game) == {"session_id", "join_url", "lobby_url", "player_count"}
    assert game["session_id"].startswith("ps_")
    assert game["player_count"] == 3
    (call,) = logged_in_catalogue.state.calls_to("POST", PLAY_SESSION)
    assert call.json() == {
        "coworld_id": auction["id"],
        "variant_id": "three-players",
        "allow_spectators": False,
    }


def test_hosted_game_create_reports_an_unknown_coworld_or_variant(
    logged_in_catalogue: Catalogue, run_cli: RunCli
) -> None:
    server = logged_in_catalogue.server
    unknown = run_cli("hosted-game", "create", "cow_missing", "--server", server)
    variant = run_cli(
        "hosted-game", "create", logged_in_catalogue.paint["id"], "--variant", "huge", "--server", server
    )

    assert unknown.exit_code == variant.exit_code == 1
    assert (
        f"error: {server} answered POST {PLAY_SESSION} with 404 Not Found: Coworld cow_missing not found"
    ) in unknown.stderr
    assert "404 Not Found: variant_id: no variant 'huge'; the manifest declares: default" in variant.stderr
    assert logged_in_catalogue.state.hosted_games == {}


def test_hosted_game_needs_a_login(catalogue: Catalogue, run_cli: RunCli) -> None:
    create = run_cli("hosted-game", "create", catalogue.paint["id"], "--server", catalogue.server)
    join = run_cli("hosted-game", "join", "ps_anything", "--server", catalogue.server)

    for result in (create, join):
        assert result.exit_code == 1
        assert f"error: not logged in to {catalogue.server}" in result.stderr
        assert "hint: log in with `coworld login --token TOKEN`" in result.stderr
    assert catalogue.state.calls == []


def test_hosted_game_refused_gets_the_login_hint(logged_in_catalogue: Catalogue, run_cli: RunCli) -> None:
    logged_in_catalogue.state.fail_next("POST", PLAY_SESSION, 403, "Hosted games are not enabled for you")

    result = run_cli(
        "hosted-game", "create", logged_in_catalogue.paint["id"], "--server", logged_in_catalogue.server
    )

    assert result.exit_code == 1
    assert (
        f"error: {logged_in_catalogue.server} refused POST {PLAY_SESSION} (403): "
        "Hosted games are not enabled for you"
    ) in result.stderr
    assert _login_hint_shown(result.stderr)


def test_hosted_game_join_takes_the_free_seats_in_turn(
    logged_in_catalogue: Catalogue, run_cli: RunCli
) -> None:
    server = logged_in_catalogue.server
    created = run_cli("hosted-game", "create", logged_in_catalogue.paint["id"], "--json", "--server", server)
    session_id = json.loads(created.stdout)["session_id"]

    first = run_cli("hosted-game", "join", session_id, "--server", server)
    second = run_cli("hosted-game", "join", session_id, "--json", "--server", server)
    third = run_cli("hosted-game", "join", session_id, "--server", server)

    assert first.exit_code == second.exit_code == 0, first.output + second.output
    lines = [" ".join(line.split()) for line in first.stdout.splitlines()]
    assert lines[:2] == [f"Session: {session_id}", "Slot: 0 (Player 1)"]
    assert lines[2].startswith(f"Player link: {PLAY_HOST}/sessions/{session_id}/client/player?slot=0&token=")
    seat = json.loads(second.stdout)
    assert (seat["slot"], seat["player"]["slot"], seat["player"]["label"]) == (1, 1, "Player 2")
    assert "slot=1&token=" in seat["player_url"]
    assert third.exit_code == 1
    assert (
        f"answered POST {PLAY_SESSION}/{session_id}/join with 409 Conflict: "
        f"Play session {session_id} is full (2 players)"
    ) in third.stderr


def test_hosted_game_join_of_an_unknown_session(logged_in_catalogue: Catalogue, run_cli: RunCli) -> None:
    result = run_cli("hosted-game", "join", "ps_missing", "--server", logged_in_catalogue.server)

    assert result.exit_code == 1
    assert "with 404 Not Found: Play session ps_missing not found" in result.stderr
