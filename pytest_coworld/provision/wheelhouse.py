"""A host-side wheelhouse for the example images, so their builds never need an index.

`pip download` runs on the host (which reaches PyPI); images install from the wheelhouse with
`--no-index --find-links`. The folder is keyed by the requirements' hash, so a second run does nothing.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

from pytest_coworld.provision import ProvisionError

IMAGE_PYTHON_VERSION = "3.11"


def cache_dir() -> Path:
    """`$COWORLD_CACHE_DIR`, else `$XDG_CACHE_HOME/pytest-coworld`, else `~/.cache/pytest-coworld`."""
    if configured := os.environ.get("COWORLD_CACHE_DIR"):
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pytest-coworld"


def _platform_tags() -> list[str]:
    arch = {"arm64": "aarch64", "amd64": "x86_64"}.get(platform.machine().lower(), platform.machine().lower())
    return [f"manylinux2014_{arch}", f"manylinux_2_17_{arch}", f"manylinux_2_28_{arch}"]


def ensure_wheelhouse(requirements: Path) -> Path:
    """Return a folder holding wheels for every line of `requirements`, downloading them once."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    target = cache_dir() / "wheelhouse" / digest
    stamp = target / ".complete"
    if stamp.exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    platforms = [arg for tag in _platform_tags() for arg in ("--platform", tag)]
    download = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--python-version",
            IMAGE_PYTHON_VERSION,
            "--implementation",
            "cp",
            *platforms,
            "-d",
            str(target),
            "-r",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if download.returncode != 0:
        tail = "\n".join(download.stderr.strip().splitlines()[-5:])
        raise ProvisionError(f"pip download of {requirements} failed (is PyPI reachable?):\n{tail}")
    stamp.write_text(digest)
    return target
