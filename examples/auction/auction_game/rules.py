"""The rules of the auction: each round one item is sold to the single highest sealed bid."""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

from coworld_kit import KitError
from coworld_kit.game_config import ConfigReader
from coworld_kit.rules import ProtocolViolation, Publisher

CONFIG_KEYS = frozenset({"players", "rounds", "budget", "turn_ms", "human_turn_ms", "reveal_ms", "seed"})
MIN_PLAYERS, MAX_PLAYERS = 3, 4
ROLES = ("bot", "human")
FRAME_MS = 500


def _player_names(config: ConfigReader) -> list[str]:
    players = config.config.get("players")
    names = (
        [p.get("name") if isinstance(p, dict) else None for p in players] if isinstance(players, list) else []
    )
    if not MIN_PLAYERS <= len(names) <= MAX_PLAYERS or not all(
        isinstance(name, str) and name for name in names
    ):
        raise KitError(
            f"config players must list {MIN_PLAYERS} to {MAX_PLAYERS} objects with a non-empty name, "
            'e.g. [{"name": "ada"}, {"name": "bo"}, {"name": "cy"}]; its length is the slot count'
        )
    return [str(name) for name in names]


class AuctionRules:
    """`rounds` sealed-bid rounds; score = value of the items won + the budget left."""

    name = "auction"
    frame_ms = FRAME_MS

    def __init__(self, config: ConfigReader) -> None:
        self.names = _player_names(config)
        self.slot_count = len(self.names)
        self.rounds = config.integer("rounds", 10, 1, 200)
        budget = config.integer("budget", 100, 1, 10_000)
        self.turn_ms = config.integer("turn_ms", 2_000, 50, 60_000)
        self.human_turn_ms = config.integer("human_turn_ms", 30_000, 1_000, 600_000)
        self.reveal_ms = config.integer("reveal_ms", 500, 0, 10_000)
        rng = random.Random(config.integer("seed", 0, 0, 2**31 - 1))
        self.items = [rng.randint(max(1, budget // 20), max(1, budget * 2 // 5)) for _ in range(self.rounds)]
        self.step_count = 2 * self.rounds
        self.round = 0
        self.open = False
        self.budgets = [budget] * self.slot_count
        self.won: list[list[int]] = [[] for _ in range(self.slot_count)]
        self.roles = ["bot"] * self.slot_count
        self.timeouts = [0] * self.slot_count
        self.bids: dict[int, int] = {}
        self.history: list[dict[str, Any]] = []
        self._bid_arrived = asyncio.Event()

    def seat(self, slot: int, params: dict[str, str]) -> None:
        """`role=human` on the player URL gives the slot the longer human turn deadline."""
        self.roles[slot] = "human" if params.get("role") == "human" else "bot"

    def handle(self, slot: int, message: dict[str, Any]) -> None:
        amount = message.get("amount")
        if message.get("type") != "bid" or not isinstance(message.get("round"), int):
            raise ProtocolViolation(
                f'expected {{"type": "bid", "round": r, "amount": n}}, got {str(message)[:200]}'
            )
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= self.budgets[slot]:
            raise ProtocolViolation(
                f"bid amount {amount!r} must be a whole number from 0 to {self.budgets[slot]}"
            )
        if self.open and message["round"] == self.round:
            self.bids[slot] = amount
            self._bid_arrived.set()

    def scores(self) -> list[int]:
        return [budget + sum(won) for budget, won in zip(self.budgets, self.won, strict=True)]

    def _turn_ms(self, slot: int) -> int:
        return self.human_turn_ms if self.roles[slot] == "human" else self.turn_ms

    def _players(self) -> list[dict[str, Any]]:
        return [
            {
                "name": self.names[slot],
                "role": self.roles[slot],
                "budget": self.budgets[slot],
                "items": len(self.won[slot]),
                "score": score,
                "bid_in": slot in self.bids,
            }
            for slot, score in enumerate(self.scores())
        ]

    def _current(self) -> dict[str, Any]:
        item = self.items[self.round - 1] if self.round else None
        return {"round": self.round, "rounds": self.rounds, "item": item, "open": self.open}

    def snapshot(self) -> dict[str, Any]:
        return {**self._current(), "players": self._players(), "history": list(self.history)}

    def observation(self, slot: int) -> dict[str, Any]:
        return {
            "type": "turn",
            "you": slot,
            **self._current(),
            "budget": self.budgets[slot],
            "your_bid": self.bids.get(slot),
            "deadline_ms": self._turn_ms(slot),
            "players": self._players(),
            "last": self.history[-1] if self.history else None,
        }

    def _delta(self, resolved: dict[str, Any] | None) -> dict[str, Any]:
        return {**self._current(), "players": self._players(), "resolved": resolved}

    async def _collect_bids(self) -> None:
        """Wait until every slot bid or ran out of its turn time (bots and humans have their own)."""
        loop = asyncio.get_running_loop()
        opened = loop.time()
        deadlines = [opened + self._turn_ms(slot) / 1000 for slot in range(self.slot_count)]
        while waiting := [
            s for s in range(self.slot_count) if s not in self.bids and loop.time() < deadlines[s]
        ]:
            self._bid_arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._bid_arrived.wait(), min(deadlines[s] for s in waiting) - loop.time()
                )

    def _resolve(self) -> dict[str, Any]:
        """Sell the item: a single highest bid wins and pays; a tie sells nothing. A missing bid is 0."""
        bids = [self.bids.get(slot, 0) for slot in range(self.slot_count)]
        defaulted = [slot for slot in range(self.slot_count) if slot not in self.bids]
        for slot in defaulted:
            self.timeouts[slot] += 1
        top = [slot for slot, bid in enumerate(bids) if bid == max(bids)]
        winner = top[0] if len(top) == 1 else None
        if winner is not None:
            self.budgets[winner] -= bids[winner]
            self.won[winner].append(self.items[self.round - 1])
        entry = {"round": self.round, "item": self.items[self.round - 1], "bids": bids, "winner": winner}
        self.history.append({**entry, "defaulted": defaulted})
        self.open = False
        self.bids = {}
        return self.history[-1]

    async def play(self, table: Publisher) -> dict[str, Any]:
        for _ in range(self.rounds):
            self.round += 1
            self.open = True
            await table.publish(self._delta(None))
            await self._collect_bids()
            await table.publish(self._delta(self._resolve()))
            await asyncio.sleep(self.reveal_ms / 1000)
        return {
            "scores": self.scores(),
            "rounds": self.rounds,
            "names": self.names,
            "roles": self.roles,
            "items_won": [len(won) for won in self.won],
            "timeouts": self.timeouts,
        }
