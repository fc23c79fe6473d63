"""`python -m paint_player`: the greedy paint bot."""

from coworld_kit.player import run_player

from paint_player.greedy import policy

if __name__ == "__main__":
    run_player("greedy painter", policy)
