"""`coworld`'s entry point. For `coworld certify`, the pytest process starts first: it imports pytest and the
runtime while the command line is parsed (`pytest_coworld.pytest_process`)."""

from __future__ import annotations

import sys


def main() -> None:
    early = None
    if sys.argv[1:2] == ["certify"]:
        from pytest_coworld.pytest_process import PytestProcess

        early = PytestProcess()
    try:
        from pytest_coworld.cli.app import run

        run(early)
    finally:
        if early is not None:
            early.close()
