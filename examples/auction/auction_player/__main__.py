"""`python -m auction_player`: the example auction bidder."""

from coworld_kit.player import run_player

from auction_player.bidder import policy

if __name__ == "__main__":
    run_player("auction bidder", policy)
