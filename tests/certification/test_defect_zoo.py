"""Each defect of the example zoo fails exactly the checks that enforce the rule it breaks, and says why.

Checks downstream of a failure are skipped as `blocked`, never failed: one defect, one clear failure set. A
defect of a required rule is NOT CERTIFIED (exit 1); one of a recommended rule is CERTIFIED with exactly that
warning (exit 0), and NOT CERTIFIED under `--coworld-strict`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from certification_runs import EXAMPLES, manifest_with_defect

from pytest_coworld.checks.catalog import REQUIRED, level_of
from pytest_coworld.examples import defects_of

GENERATIONS = {"paint": "classic", "auction": "current-v1"}

# defect -> {check id that must fail: a phrase its message must contain}
EXPECTED: dict[str, dict[str, str]] = {
    "never-healthy": {"runtime.healthz": "GET /healthz"},
    "binds-loopback-only": {"runtime.healthz": "0.0.0.0:8080"},
    "crash-mid-episode": {"game.exit": "exited with status 1"},
    "hang-after-episode": {"game.linger": "still running"},
    "lingers-60s-after-results": {"game.linger": "stopped with SIGTERM and obeyed"},
    "ignores-sigterm-after-episode": {"game.exit": "of a SIGTERM; it was killed"},
    "accepts-bad-token": {
        "tokens.bad_token": "accepted",
        "tokens.missing_token": "accepted",
        "tokens.other_slot_token": "accepted",
    },
    "accepts-other-slots-token": {"tokens.other_slot_token": "accepted"},
    "error-500-on-bad-token": {
        "tokens.bad_token": "not a refusal: handshake failed with HTTP 500",
        "tokens.missing_token": "HTTP 500",
        "tokens.other_slot_token": "HTTP 500",
    },
    "hang-on-bad-token": {
        "tokens.bad_token": "not a refusal: connection failed: TimeoutError",
        "tokens.missing_token": "TimeoutError",
        "tokens.other_slot_token": "TimeoutError",
    },
    # the first wrong token stops the probe game: the token cases and reconnect after it are blocked
    "crash-on-bad-token": {"tokens.bad_token": "then the game stopped answering"},
    "ignores-slot-bounds": {"tokens.slot_out_of_range": "accepted", "tokens.malformed_slot": "accepted"},
    "player-route-404": {"routes.player_socket": "HTTP 404"},
    "no-late-viewer-state": {"viewer.late_state": "first message is type=update"},
    "empty-late-snapshot": {"viewer.late_state": "emptier than the state an early viewer holds"},
    "no-pong": {"viewer.ping_pong": "no Pong"},
    # the browser's player page is itself a reconnect of the probe slot, so it is refused too
    "refuses-reconnect": {
        "player.reconnect": "reconnect with the same slot and token was refused",
        "browser.player_page": "",
    },
    "reconnect-resets-state": {"player.reconnect": "fresh start"},
    "invalid-results": {"results.schema": "schema error"},
    "wrong-score-count": {"results.score_count": "score(s) for"},
    "no-results": {"results.present": "no results file"},
    "no-replay": {"replay.written": "no replay"},
    "replay-server-broken": {"replay.healthz": "replay mode", "browser.replay_viewer": "replay"},
    "replay-error-frame": {"replay.first_frame": "error frame", "browser.replay_viewer": "error"},
    "ignores-address-param": {"browser.player_address": "address", "browser.global_address": "address"},
    "drops-page-params": {"browser.player_params": "missing coworld_probe=1"},
    "blank-global-viewer": {"browser.global_viewer": "blank"},
    "crash-on-start": {"players.connected": "no connection reached the game", "players.exit": "exited 1"},
    "never-connects": {
        "players.connected": "no connection reached the game",
        "players.exit": "did not exit in time",
    },
    "player-talks-to-global-only": {"players.connected": "instead: GET /global: HTTP 101"},
    "player-retries-refused-handshake": {
        "players.connected": "HTTP 401",
        "players.exit": "did not exit in time",
    },
    "never-exits": {"players.exit": "did not exit in time"},
}
NEVER_HEALTHY = {"never-healthy", "binds-loopback-only"}  # these wait out the healthz timeout: keep it short
CASES = [(example, defect.id) for example in EXAMPLES for defect in defects_of(example)]


def test_every_defect_has_expectations() -> None:
    assert {defect for _, defect in CASES} == set(EXPECTED)


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_defect_names_a_check_that_catches_it(example: str) -> None:
    assert {
        defect.id: defect.check for defect in defects_of(example) if defect.check not in EXPECTED[defect.id]
    } == {}


@pytest.mark.parametrize(("example", "defect"), CASES, ids=[f"{e}-{d}" for e, d in CASES])
def test_defect_fails_exactly_its_checks(certify: Any, tmp_path: Path, example: str, defect: str) -> None:
    short_healthz = ("--coworld-healthz-timeout=5",) if defect in NEVER_HEALTHY else ()
    manifest = manifest_with_defect(tmp_path, example, defect)
    run = certify(manifest, args=short_healthz)

    required = {c for c in EXPECTED[defect] if level_of(c, GENERATIONS[example]) == REQUIRED}
    assert (run.ids_with(example, "failed"), run.ids_with(example, "warning")) == (
        required,
        set(EXPECTED[defect]) - required,
    )
    assert run.ids_with(example, "error") == set()
    assert run.report["verdict"] == ("not-certified" if required else "certified"), run.report
    assert run.result.ret == (1 if required else 0)
    for check in run.checks(example):
        if check["id"] in EXPECTED[defect] and check["outcome"] in ("failed", "warning"):
            assert EXPECTED[defect][check["id"]] in check["message"], check["message"]
            assert f"reproduce: coworld certify {manifest} --checks {check['id']}" in check["message"]
            assert "Traceback" not in harness_text(check["message"]), check["message"]


def harness_text(message: str) -> str:
    """The message without the quoted log tail: a crashing game's own traceback belongs there, ours never."""
    return "\n".join(line for line in message.splitlines() if not line.lstrip().startswith("|"))


def test_strict_makes_a_warning_a_rejection(certify: Any, tmp_path: Path) -> None:
    manifest = manifest_with_defect(tmp_path, "paint", "ignores-address-param")
    run = certify(manifest, args=("--coworld-strict", "--coworld-checks=browser.player_address"))

    assert run.ids_with("paint", "failed") == {"browser.player_address"}
    assert run.report["verdict"] == "not-certified"
    assert run.result.ret == 1


def test_a_failure_reproduces_with_the_command_its_message_gives(certify: Any, tmp_path: Path) -> None:
    """`--checks players.connected` alone fails it too: the player never opened its connection, so the probe
    game (over by then, its players never came) is not asked whether the game refuses a valid token."""
    manifest = manifest_with_defect(tmp_path, "paint", "never-connects")
    run = certify(manifest, args=("--coworld-checks=players.connected",))

    assert run.ids_with("paint", "failed") == {"players.connected"}
    failed = [check for check in run.checks("paint") if check["outcome"] == "failed"]
    assert all("no connection reached the game" in check["message"] for check in failed)
