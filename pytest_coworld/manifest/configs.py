"""Author configs (variants, the certification fixture): token-free, and valid once tokens are injected."""

from __future__ import annotations

from typing import Any

from pytest_coworld.json_path import Path, format_path
from pytest_coworld.manifest.author_schemas import config_validator, config_violations
from pytest_coworld.manifest.tokens import TokenBounds
from pytest_coworld.manifest.violations import Violation, violation

PLACEHOLDER_TOKEN_LENGTH = 32


def author_configs(document: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
    """`(path, config)` of every author-written game config: each variant's, then the certification one."""
    found: list[tuple[Path, dict[str, Any]]] = []
    variants = document.get("variants")
    for index, variant in enumerate(variants if isinstance(variants, list) else []):
        if isinstance(variant, dict) and isinstance(variant.get("game_config"), dict):
            found.append((("variants", index, "game_config"), variant["game_config"]))
    certification = document.get("certification")
    if isinstance(certification, dict) and isinstance(certification.get("game_config"), dict):
        found.append((("certification", "game_config"), certification["game_config"]))
    return found


def token_free_violations(document: dict[str, Any]) -> list[Violation]:
    """Author configs never contain `tokens`: the runner injects them."""
    return [
        violation(
            (*path, "tokens"),
            "tokens.in-author-config",
            "author configs must not contain tokens",
            "remove tokens: the runner injects one fresh token per slot",
        )
        for path, config in author_configs(document)
        if "tokens" in config
    ]


def config_schema_violations(
    document: dict[str, Any], config_schema: dict[str, Any], bounds: TokenBounds | None
) -> list[Violation]:
    """Each author config, with placeholder tokens added, against `game.config_schema`.

    Errors about `tokens` itself are left to the tokens rule. A variant whose `players` list gives a slot
    count outside the token bounds is reported at that list.
    """
    validator = config_validator(config_schema)
    default_slots = _certification_slots(document)
    found: list[Violation] = []
    for path, config in author_configs(document):
        players = config.get("players")
        slots = len(players) if isinstance(players, list) else default_slots
        is_variant = path[0] == "variants"
        if bounds and is_variant and isinstance(players, list) and not bounds.admits(slots):
            found.append(
                violation(
                    (*path, "players"),
                    "variant.slot-count",
                    f"a players list of {slots} is outside the token bounds {bounds.describe()}",
                    "give as many players as the tokens schema allows, or widen tokens minItems/maxItems",
                )
            )
        count = bounds.clamp(slots) if bounds else slots
        concrete = {**config, "tokens": [placeholder_token(slot) for slot in range(count)]}
        found += [
            problem
            for problem in config_violations(validator, concrete, path)
            if not _is_under(problem.path, format_path((*path, "tokens")))
        ]
    return found


def placeholder_token(slot: int) -> str:
    """A URL-safe stand-in shaped like a real token, for validating configs before any episode."""
    return f"placeholder{slot:04d}".ljust(PLACEHOLDER_TOKEN_LENGTH, "x")


def _certification_slots(document: dict[str, Any]) -> int:
    certification = document.get("certification")
    players = certification.get("players") if isinstance(certification, dict) else None
    return len(players) if isinstance(players, list) else 1


def _is_under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))
