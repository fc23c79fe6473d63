"""`python -m paint_game`: the paint game server (rollout or replay mode, chosen by the environment)."""

from pathlib import Path

from coworld_kit.main import run_game
from coworld_kit.rules import GameDefinition

from paint_game.rules import CONFIG_KEYS, PaintRules

VIEW_JS = (Path(__file__).parent / "view.js").read_text(encoding="utf-8")

if __name__ == "__main__":
    run_game(GameDefinition(name="paint", config_keys=CONFIG_KEYS, make_rules=PaintRules, view_js=VIEW_JS))
