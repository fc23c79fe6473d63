"""Reading what the game wrote: the results JSON (checked against the contract) and a player failure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from pytest_coworld.json_path import schema_error_line


@dataclass(frozen=True)
class ResultsCheck:
    """Parsed results when they satisfy the contract, else the problem in one line."""

    results: dict[str, Any] | None
    problem: str | None = None

    @property
    def scores(self) -> list[float] | None:
        return list(self.results["scores"]) if self.results is not None else None


@dataclass(frozen=True)
class PlayerFailure:
    """The game's `player_failure.json`: which slot failed, why, and the kind."""

    slot: int | None
    message: str
    kind: str


def check_results(raw: bytes, schema: dict[str, Any], slot_count: int) -> ResultsCheck:
    """Results must be a JSON object with `scores` (one number per slot) valid against `results_schema`."""
    results, problem = parse_results(raw)
    if results is None:
        return ResultsCheck(None, problem)
    problem = score_problem(results, slot_count)
    if problem:
        return ResultsCheck(None, problem)
    errors = schema_errors(results, schema)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return ResultsCheck(
            None, f"results.json does not validate against game.results_schema at {errors[0]}{more}"
        )
    return ResultsCheck(results)


def parse_results(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """`(results, None)` when `raw` is a JSON object, else `(None, the problem)`."""
    try:
        results = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        return None, f"results.json is not JSON ({error})"
    if not isinstance(results, dict):
        return None, f"results.json holds a {type(results).__name__}, not a JSON object"
    return results, None


def score_problem(results: dict[str, Any], slot_count: int) -> str | None:
    """None when `scores` holds one number per slot, else what is wrong with it."""
    scores = results.get("scores")
    if not isinstance(scores, list):
        return "results.json has no `scores` array (one number per player slot)"
    if not all(isinstance(score, int | float) and not isinstance(score, bool) for score in scores):
        return f"results.json `scores` must hold numbers, got {json.dumps(scores)[:200]}"
    if len(scores) != slot_count:
        return f"results.json has {len(scores)} score(s) for {slot_count} player slots"
    return None


def schema_errors(results: dict[str, Any], schema: dict[str, Any], limit: int = 20) -> list[str]:
    """Every way `results` breaks `schema` (`where: message`, at most `limit`), in document order."""
    try:
        errors = sorted(Draft202012Validator(schema).iter_errors(results), key=lambda error: list(error.path))
    except SchemaError as error:
        return [f"(schema): game.results_schema is not a valid JSON Schema ({error.message})"]
    return [schema_error_line(error) for error in errors[:limit]]


def parse_player_failure(raw: bytes) -> PlayerFailure | str:
    """The parsed player failure, or the problem with the file in one line."""
    try:
        failure = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        return f"player_failure.json is not JSON ({error})"
    if not isinstance(failure, dict) or not isinstance(failure.get("message"), str):
        return "player_failure.json must be an object with a `message` string"
    slot = failure.get("failed_policy_index")
    slot = slot if isinstance(slot, int) and not isinstance(slot, bool) else None
    return PlayerFailure(slot, failure["message"], str(failure.get("kind", "player_error")))
