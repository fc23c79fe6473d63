"""The base image every example image builds `FROM`: a public Python slim image, or a local Debian rootfs.

Online, the public image is pulled and tagged as ours. Where no registry can be reached, a Debian bookworm
rootfs with python3 and python3-venv is made by `debootstrap` and `docker import`ed under the same tag. The
tag is the cache: when it exists, nothing is done.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from pytest_coworld.provision import ProvisionError
from pytest_coworld.provision.engine import _apt_install, _is_root_on_debian

BASE_IMAGE_TAG = "pytest-coworld/python-base:bookworm"
PUBLIC_BASE_IMAGE = "python:3.11-slim-bookworm"
DEBIAN_SUITE = "bookworm"
_IMPORT_CHANGES = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
]


def _docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def image_exists(tag: str) -> bool:
    return _docker("image", "inspect", tag, check=False).returncode == 0


def _pull_public(tag: str) -> bool:
    if _docker("pull", PUBLIC_BASE_IMAGE, check=False).returncode != 0:
        return False
    _docker("tag", PUBLIC_BASE_IMAGE, tag)
    return True


def _debootstrap_import(tag: str) -> None:
    if not _is_root_on_debian():
        raise ProvisionError(
            f"Cannot pull {PUBLIC_BASE_IMAGE} and cannot build a local base image without root on Debian. "
            f"Connect to a registry, or `docker tag <a python3.11 bookworm image> {tag}`."
        )
    if shutil.which("debootstrap") is None:
        _apt_install("debootstrap")
    with tempfile.TemporaryDirectory(prefix="coworld-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-venv,ca-certificates",
                DEBIAN_SUITE,
                str(rootfs),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
        changes = [arg for change in _IMPORT_CHANGES for arg in ("--change", change)]
        with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
            subprocess.run(
                ["docker", "import", *changes, "-", tag],
                stdin=tar.stdout,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        if tar.returncode not in (0, None):
            raise ProvisionError(f"tar of the rootfs failed with exit code {tar.returncode}")


def ensure_base_image(tag: str = BASE_IMAGE_TAG) -> str:
    """Make `tag` exist; return how ("cached", "pulled" or "debootstrapped")."""
    if image_exists(tag):
        return "cached"
    if _pull_public(tag):
        return "pulled"
    _debootstrap_import(tag)
    return "debootstrapped"
