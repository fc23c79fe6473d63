"""coworld_kit: the Coworld runtime-contract plumbing shared by the example games and players.

A game supplies only its rules (`coworld_kit.rules.Rules`) and a small browser view (`view.js`); the kit
serves the routes, checks tokens, runs the episode, and writes results, replay and player failures. A player
supplies only a policy to `coworld_kit.player.run_player`.
"""


class KitError(Exception):
    """Bad input or environment; the message is one line that says what is wrong and how to fix it."""
