"""The bidding policy: between half and all of the item's value, within the budget, answered at once."""

from __future__ import annotations

import random
from typing import Any

_rng = random.Random()


def bid_amount(item: int, budget: int) -> int:
    """A sealed bid below the item's value, so that winning pays off."""
    return min(budget, _rng.randint(item // 2, max(item // 2, item - 1)))


def policy(message: dict[str, Any]) -> dict[str, Any] | None:
    """Bid once on every open round."""
    if message.get("type") != "turn" or not message["open"] or message["your_bid"] is not None:
        return None
    return {
        "type": "bid",
        "round": message["round"],
        "amount": bid_amount(message["item"], message["budget"]),
    }
