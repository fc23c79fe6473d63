"""Every certification check by its stable id: its category, title, the contract rule it enforces, and its
level.

- **required** checks decide the verdict: what the platform's own certification demands, and the contract
  rules without which leagues or hosted viewing break.
- **recommended** checks are rules the platform no longer enforces, or that many correct games break: a
  failure is a warning the author sees, never a rejection (`--coworld-strict` makes them required).

pytest-free (the CLI reads it too): pytest is imported only to make markers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

RecordProperty = Callable[[str, object], None]
"""The type of pytest's `record_property` fixture (pytest exports no name for it)."""

CATEGORIES = ("Manifest", "Images", "Routes", "Tokens", "Players", "Viewers", "Results", "Replay", "Browser")
GAMELESS_CATEGORIES = ("Manifest", "Images")  # checks that read files and the engine's images, no game
REQUIRED = "required"
RECOMMENDED = "recommended"


@dataclass(frozen=True)
class CheckInfo:
    id: str
    category: str
    title: str
    rule: str
    level: str = REQUIRED
    classic_level: str | None = None  # the level for classic-generation games, when it differs

    def level_for(self, generation: str | None) -> str:
        """The check's level for a game of `generation` (`classic`, `current-v0`, `current-v1`)."""
        if generation == "classic" and self.classic_level:
            return self.classic_level
        return self.level


_CHECKS = [
    CheckInfo(
        "manifest.schema",
        "Manifest",
        "The manifest matches the JSON Schema of its generation",
        "MANIFEST.md: top level, game, role specs, variants, certification",
    ),
    CheckInfo(
        "manifest.generation",
        "Manifest",
        "The manifest follows a known contract generation",
        "MANIFEST.md: the current generation",
    ),
    CheckInfo(
        "manifest.tokens",
        "Manifest",
        "The config schema declares the tokens rule",
        "MANIFEST.md rule 1; RUNTIME.md: player slots and tokens",
    ),
    CheckInfo(
        "manifest.slots",
        "Manifest",
        "Certification players fill every slot with declared players",
        "MANIFEST.md rule 2",
    ),
    CheckInfo("manifest.ids", "Manifest", "Ids are unique within each section", "MANIFEST.md rule 3"),
    CheckInfo(
        "manifest.configs",
        "Manifest",
        "Author configs are token-free and valid against the config schema",
        "MANIFEST.md rules 4 and 5",
    ),
    CheckInfo(
        "manifest.references", "Manifest", "Variant parents and documents resolve", "MANIFEST.md rule 6"
    ),
    CheckInfo(
        "manifest.tags",
        "Manifest",
        "A current-generation manifest has at least 3 tags",
        "MANIFEST.md: the current generation (certification requires tags)",
    ),
    CheckInfo(
        "manifest.players_certified",
        "Manifest",
        "Every declared player is used by a certification slot",
        "MANIFEST.md: the current generation (every player[] entry is certified)",
    ),
    CheckInfo("images.present", "Images", "Every referenced image is present", "RUNTIME.md: roles"),
    CheckInfo(
        "runtime.healthz",
        "Routes",
        "GET /healthz answers 200 within its timeout",
        "RUNTIME.md: routes in rollout mode",
    ),
    CheckInfo(
        "routes.player_client",
        "Routes",
        "The player browser client page is served",
        "RUNTIME.md: routes in rollout mode",
    ),
    CheckInfo(
        "routes.global_client",
        "Routes",
        "The live viewer page is served",
        "RUNTIME.md: routes in rollout mode",
    ),
    CheckInfo(
        "routes.player_socket",
        "Routes",
        "WEBSOCKET /player accepts a valid slot and token",
        "RUNTIME.md: routes in rollout mode",
    ),
    CheckInfo("tokens.bad_token", "Tokens", "A wrong token is rejected", "RUNTIME.md: WEBSOCKET /player"),
    CheckInfo(
        "tokens.missing_token", "Tokens", "A missing token is rejected", "RUNTIME.md: WEBSOCKET /player"
    ),
    CheckInfo(
        "tokens.other_slot_token",
        "Tokens",
        "Another slot's token is rejected",
        "RUNTIME.md: WEBSOCKET /player",
    ),
    CheckInfo(
        "tokens.slot_out_of_range",
        "Tokens",
        "A slot beyond the slot count is rejected",
        "RUNTIME.md: WEBSOCKET /player",
    ),
    CheckInfo(
        "tokens.malformed_slot",
        "Tokens",
        "A slot that is not a number is rejected",
        "RUNTIME.md: WEBSOCKET /player",
    ),
    CheckInfo(
        "player.reconnect",
        "Players",
        "A slot may reconnect with its token and gets state again",
        "RUNTIME.md: reconnect",
    ),
    CheckInfo(
        "players.connected",
        "Players",
        "Each slot's player connected and played",
        "RUNTIME.md: episode lifecycle 5-6",
    ),
    CheckInfo(
        "players.exit",
        "Players",
        "Each slot's player exited 0 after the episode",
        "RUNTIME.md: episode lifecycle 8",
    ),
    CheckInfo(
        "viewer.first_message", "Viewers", "A /global viewer receives state", "RUNTIME.md: WEBSOCKET /global"
    ),
    CheckInfo(
        "viewer.late_state",
        "Viewers",
        "A viewer joining mid-episode receives renderable state",
        "RUNTIME.md: WEBSOCKET /global (late viewers)",
    ),
    CheckInfo(
        "viewer.ping_pong",
        "Viewers",
        "/global answers a websocket Ping with a Pong",
        "RUNTIME.md: two generations (keepalive)",
        classic_level=RECOMMENDED,
    ),
    CheckInfo(
        "game.exit",
        "Results",
        "The game ends cleanly after the episode (exit 0, or stopped once its results are written)",
        "RUNTIME.md: episode lifecycle 8",
    ),
    CheckInfo(
        "game.linger",
        "Results",
        "The game exits by itself soon after writing its results",
        "RUNTIME.md: episode lifecycle 8; what real games taught us (lingering)",
        level=RECOMMENDED,
    ),
    CheckInfo(
        "results.present", "Results", "The game writes a results file", "RUNTIME.md: episode lifecycle 8"
    ),
    CheckInfo(
        "results.schema", "Results", "Results validate against the results schema", "RUNTIME.md: results"
    ),
    CheckInfo("results.score_count", "Results", "Results hold one score per slot", "RUNTIME.md: results"),
    CheckInfo("replay.written", "Replay", "The game writes a replay", "RUNTIME.md: episode lifecycle 8"),
    CheckInfo("replay.healthz", "Replay", "Replay mode answers GET /healthz", "RUNTIME.md: replay mode"),
    CheckInfo(
        "replay.client_page", "Replay", "Replay mode serves its viewer page", "RUNTIME.md: replay mode"
    ),
    CheckInfo(
        "replay.first_frame",
        "Replay",
        "The replay websocket streams a frame that is not an error",
        "RUNTIME.md: replay mode",
    ),
    CheckInfo(
        "replay.bundle",
        "Replay",
        "The static replay bundle has index.html",
        "RUNTIME.md: two generations (static replay viewer)",
    ),
    CheckInfo(
        "browser.player_page",
        "Browser",
        "The player page opens a websocket to the game, and the game accepts it",
        "RUNTIME.md: routes in rollout mode (GET /clients/player)",
    ),
    CheckInfo(
        "browser.player_params",
        "Browser",
        "The player page connects to /player with every page parameter",
        "RUNTIME.md: the address rule for browser clients",
        level=RECOMMENDED,
    ),
    CheckInfo(
        "browser.player_address",
        "Browser",
        "The player page connects to exactly the `address` URL",
        "RUNTIME.md: the address rule for browser clients",
        level=RECOMMENDED,
    ),
    CheckInfo(
        "browser.global_viewer",
        "Browser",
        "The live viewer page receives frames and draws them",
        "RUNTIME.md: routes in rollout mode (GET /clients/global)",
    ),
    CheckInfo(
        "browser.global_address",
        "Browser",
        "The live viewer page connects to exactly the `address` URL",
        "RUNTIME.md: the address rule for browser clients",
        level=RECOMMENDED,
    ),
    CheckInfo(
        "browser.replay_viewer",
        "Browser",
        "The replay viewer loads the episode's replay and advances",
        "RUNTIME.md: replay mode; two generations (static replay viewer)",
    ),
]
CHECKS: dict[str, CheckInfo] = {check.id: check for check in _CHECKS}
BROWSER_CHECKS = frozenset(check_id for check_id in CHECKS if check_id.startswith("browser."))


REPLAY_SERVER_CHECKS = frozenset(
    {"replay.healthz", "replay.client_page", "replay.first_frame", "browser.replay_viewer"}
)
"""The checks that observe the game in replay mode (a replay server on the episode's replay)."""


def needs_a_game(check_id: str) -> bool:
    """Whether the check observes a running game (the certification episode, the probe game or a replay
    server): every check but the manifest's and the images'."""
    return CHECKS[check_id].category not in GAMELESS_CATEGORIES


def level_of(check_id: str, generation: str | None, strict: bool = False) -> str:
    """The level a check has for a game of `generation`; with `strict`, every check is required."""
    return REQUIRED if strict else CHECKS[check_id].level_for(generation)


def required_checks(generation: str | None, strict: bool = False) -> frozenset[str]:
    """The checks that must run and pass (or not apply) for a game of `generation` to be CERTIFIED."""
    return frozenset(c for c in CHECKS if level_of(c, generation, strict) == REQUIRED)


def check_mark(check_id: str) -> pytest.MarkDecorator:
    """The marker that ties a test (or one parametrized case) to its check id."""
    import pytest

    if check_id not in CHECKS:
        raise KeyError(f"unknown check id {check_id!r}")
    return pytest.mark.coworld_check(check_id)


def check_param(check_id: str, *values: object) -> object:
    """A `pytest.param` whose id is the check id and which carries that check's marker."""
    import pytest

    return pytest.param(*values, id=check_id, marks=check_mark(check_id))


def check_id_of(item: pytest.Item) -> str | None:
    """The check id a collected test carries (its `coworld_check` marker), or None for any other test."""
    marker = item.get_closest_marker("coworld_check")
    return str(marker.args[0]) if marker and marker.args else None
