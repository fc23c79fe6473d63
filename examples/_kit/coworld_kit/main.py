"""The entry point of every example game image: pick the mode, run it, exit with the contract's status."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import NoReturn

from coworld_kit import KitError
from coworld_kit.defects import GAME_DEFECT_VARIABLE, GAME_DEFECTS, selected_defect
from coworld_kit.game_config import ConfigReader, load_config
from coworld_kit.pages import Pages
from coworld_kit.replay import ReplayServer
from coworld_kit.rollout import Rollout
from coworld_kit.rules import GameDefinition
from coworld_kit.settings import GameSettings

log = logging.getLogger("coworld_kit")


def configure_logging() -> None:
    """One line per event on stdout; websockets' per-request lines are left out."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stdout)
    logging.getLogger("websockets").setLevel(logging.WARNING)


def exit_on_sigterm() -> None:
    """Stop promptly on `docker stop` (PID 1 ignores SIGTERM unless it handles it)."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))


def _rollout(settings: GameSettings, game: GameDefinition, pages: Pages, defect: str | None) -> Rollout:
    config = load_config(settings.config_uri)
    reader = ConfigReader(config, game.config_keys)
    tokens = reader.tokens()
    rules = game.make_rules(reader)
    if len(tokens) != rules.slot_count:
        raise KitError(
            f"config has {len(tokens)} tokens but this {game.name} episode has {rules.slot_count} slots"
        )
    return Rollout(settings, config, rules, tokens, reader.connect_timeout_seconds(), pages, defect)


def run_game(game: GameDefinition) -> NoReturn:
    """Run a game container: an episode in rollout mode, or the replay viewer in replay mode."""
    configure_logging()
    exit_on_sigterm()
    try:
        defect = selected_defect(GAME_DEFECT_VARIABLE, GAME_DEFECTS)
        if defect is not None:
            log.info("defect %s is switched on (%s)", defect, GAME_DEFECT_VARIABLE)
        settings = GameSettings.from_env(os.environ)
        log.info("%s speaks the %s generation of the contract", game.name, settings.generation)
        pages = Pages(game.name, game.view_js, defect, settings.generation)
        if settings.replay_mode:
            asyncio.run(ReplayServer(settings, pages, defect).run())
        else:
            asyncio.run(_rollout(settings, game, pages, defect).run())
    except KitError as error:
        log.error("%s", error)
        sys.exit(2)
    sys.exit(0)
