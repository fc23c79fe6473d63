"""Paint: a real-time, tick-based territory-painting game for two players (a Coworld example)."""
