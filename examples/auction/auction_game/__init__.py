"""Auction: a turn-based sealed-bid auction for 3 or 4 players (a Coworld example)."""
