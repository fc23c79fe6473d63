"""The house rules the next engineer relies on: ruff's lint and format, and mypy --strict on the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "command", [("ruff", "check", "."), ("ruff", "format", "--check", ".")], ids=["lint", "format"]
)
def test_ruff_is_clean(command: tuple[str, ...]) -> None:
    finished = _run(*command)
    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_mypy_strict_is_clean_on_the_package() -> None:
    finished = _run("mypy", "pytest_coworld")
    assert finished.returncode == 0, finished.stdout + finished.stderr
