"""The pytest plugin entry point (`pytest11: coworld`). Inert unless a manifest is given; cheap to import."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("coworld", "Coworld game certification")
    group.addoption(
        "--coworld-manifest",
        action="append",
        default=[],
        metavar="MANIFEST",
        help="Certify this Coworld manifest (path, file:// or http(s):// URI); repeatable. "
        "Without it the plugin does nothing. ini: coworld_manifest.",
    )
    parser.addini("coworld_manifest", "Coworld manifests to certify (--coworld-manifest).", type="linelist")
