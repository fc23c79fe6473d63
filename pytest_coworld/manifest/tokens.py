"""The tokens rule (RUNTIME.md "Player slots and tokens"): the config schema declares one token per slot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from pytest_coworld.json_path import Path
from pytest_coworld.manifest.models import Generation
from pytest_coworld.manifest.violations import Violation, short_json, violation

TOKENS_PATH: Path = ("game", "config_schema", "properties", "tokens")
DECLARATION = '"tokens": {"type": "array", "items": {"type": "string"}, "minItems": N, "maxItems": N}'


@dataclass(frozen=True)
class TokenBounds:
    """`minItems`/`maxItems` of the tokens array: the slot count (classic) or its bounds (current)."""

    low: int
    high: int

    def admits(self, slots: int) -> bool:
        return self.low <= slots <= self.high

    def clamp(self, slots: int) -> int:
        return min(max(slots, self.low), self.high)

    def describe(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


def tokens_rule(
    config_schema: dict[str, Any], generation: Generation
) -> tuple[list[Violation], TokenBounds | None]:
    """The violations of the tokens rule, and the token bounds when they are usable."""
    found = _required_violations(config_schema)
    properties = config_schema.get("properties")
    tokens = properties.get("tokens") if isinstance(properties, dict) else None
    if not isinstance(tokens, dict):
        found.append(
            violation(
                TOKENS_PATH,
                "tokens.declared",
                "game.config_schema declares no `tokens` property",
                f"declare {DECLARATION}; the runner injects one token per slot",
            )
        )
        return found, None
    found += _shape_violations(tokens)
    low, high = tokens.get("minItems"), tokens.get("maxItems")
    for key, value in (("minItems", low), ("maxItems", high)):
        if not _is_count(value):
            found.append(
                violation(
                    (*TOKENS_PATH, key),
                    "tokens.bounds",
                    f"tokens.{key} must be a non-negative integer, found {short_json(value)}"
                    if key in tokens
                    else f"tokens has no {key}",
                    "give tokens integer minItems and maxItems (the slot count, or its bounds)",
                )
            )
    if not (_is_count(low) and _is_count(high)):
        return found, None
    order = _order_violation(low, high, generation)
    return found + order, None if order else TokenBounds(low, high)


def _required_violations(config_schema: dict[str, Any]) -> list[Violation]:
    required = config_schema.get("required")
    if isinstance(required, list) and "tokens" in required:
        return []
    return [
        violation(
            ("game", "config_schema", "required"),
            "tokens.required",
            "game.config_schema does not list `tokens` under `required`",
            'add "tokens" to game.config_schema.required',
        )
    ]


def _shape_violations(tokens: dict[str, Any]) -> list[Violation]:
    found = []
    if tokens.get("type") != "array":
        found.append(
            violation(
                (*TOKENS_PATH, "type"),
                "tokens.string-array",
                f"tokens must be an array, its schema type is {short_json(tokens.get('type'))}",
                f"declare {DECLARATION}",
            )
        )
    items = tokens.get("items")
    if not isinstance(items, dict) or items.get("type") != "string":
        item_type = items.get("type") if isinstance(items, dict) else None
        found.append(
            violation(
                (*TOKENS_PATH, "items", "type"),
                "tokens.string-array",
                f"tokens must hold strings, its items type is {short_json(item_type)}",
                'give tokens "items": {"type": "string"}',
            )
        )
    return found


def _order_violation(low: int, high: int, generation: Generation) -> list[Violation]:
    if generation.is_current and low > high:
        return [
            violation(
                TOKENS_PATH,
                "tokens.bounds-order",
                f"tokens minItems {low} is greater than maxItems {high}",
                "make minItems at most maxItems: they bound the slot count",
            )
        ]
    if not generation.is_current and low != high:
        return [
            violation(
                TOKENS_PATH,
                "tokens.fixed-count",
                f"tokens minItems {low} and maxItems {high} differ, but classic manifests fix the slot count",
                'make them equal, or declare "apiVersion": "coworld.softmax.com/v1" for variable slot counts',
            )
        ]
    return []


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
