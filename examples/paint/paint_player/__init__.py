"""The greedy paint bot: walks to the nearest cell it does not own yet."""
