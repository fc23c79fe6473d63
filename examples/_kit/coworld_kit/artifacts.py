"""The episode's outputs: results, replay document and player failure, written to their URIs."""

from __future__ import annotations

import json
import logging
from typing import Any

from coworld_kit.settings import GameSettings
from coworld_kit.storage import write_uri
from coworld_kit.table import PlayerFailure

log = logging.getLogger("coworld_kit")
REPLAY_FORMAT = "coworld-kit-replay/1"


def replay_document(
    game: str, config: dict[str, Any], frame_ms: int, frames: list[dict[str, Any]], results: dict[str, Any]
) -> dict[str, Any]:
    """The replay artifact; the config is kept without its tokens."""
    public_config = {key: value for key, value in config.items() if key != "tokens"}
    return {
        "format": REPLAY_FORMAT,
        "game": game,
        "config": public_config,
        "frame_ms": frame_ms,
        "frames": frames,
        "results": results,
    }


def damaged_results(results: dict[str, Any], defect: str | None) -> dict[str, Any]:
    """The results as written: unchanged, unless a results defect is switched on."""
    scores = results["scores"]
    if defect == "invalid-results":
        return {**results, "verdict": "a field the results schema does not allow"}
    if defect == "wrong-score-count":
        return {**results, "scores": scores[:-1]}
    return results


def write_results(settings: GameSettings, results: dict[str, Any], defect: str | None) -> None:
    if defect == "no-results":
        log.info("defect no-results: no results file is written")
    elif settings.results_uri is None:
        log.info("COGAME_RESULTS_URI is not set; results are only logged: %s", json.dumps(results))
    else:
        write_uri(settings.results_uri, json.dumps(results).encode(), settings.results_method)


def write_replay(settings: GameSettings, replay: dict[str, Any], defect: str | None) -> None:
    if defect == "no-replay":
        log.info("defect no-replay: no replay file is written")
    elif settings.replay_uri is None:
        log.info("COGAME_SAVE_REPLAY_URI is not set; no replay is saved")
    else:
        write_uri(settings.replay_uri, json.dumps(replay).encode(), settings.replay_method)


def write_player_failure(settings: GameSettings, failure: PlayerFailure) -> None:
    log.error("player failure: %s", failure.message)
    if settings.player_failure_uri is None:
        log.info("COGAME_PLAYER_FAILURE_URI is not set; the failure is only logged")
        return
    document = {
        "message": failure.message[:2000],
        "failed_policy_index": failure.slot,
        "kind": "player_error",
    }
    write_uri(settings.player_failure_uri, json.dumps(document).encode())
