"""Helpers of the certification tests: a certification's outcome, and example manifests with a defect."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_coworld.examples import apply_defect, example_manifest_path

EXAMPLES = ("paint", "auction")


@dataclass
class Certification:
    result: pytest.RunResult
    report: dict[str, Any]
    junit: Path

    def checks(self, target: str) -> list[dict[str, Any]]:
        entry = next(c for c in self.report["certifications"] if c["target"] == target)
        return list(entry["checks"])

    def ids_with(self, target: str, *outcomes: str) -> set[str]:
        return {c["id"] for c in self.checks(target) if c["outcome"] in outcomes}

    def blocked(self, target: str) -> set[str]:
        return {c["id"] for c in self.checks(target) if c.get("skip_kind") == "blocked"}


PLAYER_CONNECT_SECONDS = 20  # a player that never connects fails the episode this soon, not after 180 s
PATIENT_GAME_DEFECTS = {"hang-on-bad-token"}
"""Defects whose probe game keeps the example's own patience (180 s): each wrong token there hangs for the
probe's 5 s handshake limit, and three of them, after the browser's probes, outlast 20 s under load."""


def manifest_with_defect(folder: Path, example: str, defect: str) -> Path:
    document = apply_defect(json.loads(example_manifest_path(example).read_text()), defect)
    if defect not in PATIENT_GAME_DEFECTS:
        document["certification"]["game_config"]["player_connect_timeout_seconds"] = PLAYER_CONNECT_SECONDS
    path = folder / f"{example}-{defect}.json"
    path.write_text(json.dumps(document))
    return path
