"""Make the test machine able to run a real OCI registry: Debian's `docker-registry` and a bcrypt hasher.

Installs with apt-get only when root on Debian and something is missing (idempotent); anywhere else the
caller skips with the reason this module gives.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

REGISTRY_PACKAGE = "docker-registry"
REGISTRY_BINARY = "docker-registry"
HTPASSWD_PACKAGE = "apache2-utils"
INSTALL_LOCK = Path(tempfile.gettempdir()) / "pytest-coworld-registry-provisioning.lock"


class RegistryUnavailable(RuntimeError):
    """The registry or a bcrypt hasher is missing and cannot be installed here; the message says why."""


def _is_root_on_debian() -> bool:
    return os.geteuid() == 0 and Path("/etc/debian_version").exists()


def _has_bcrypt_library() -> bool:
    return any(importlib.util.find_spec(name) is not None for name in ("bcrypt", "passlib"))


def _apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, capture_output=True)


def _missing_packages() -> list[str]:
    missing = [] if shutil.which(REGISTRY_BINARY) else [REGISTRY_PACKAGE]
    if not _has_bcrypt_library() and shutil.which("htpasswd") is None:
        missing.append(HTPASSWD_PACKAGE)
    return missing


def ensure_registry_tools() -> str:
    """The registry binary's path; installs what is missing when allowed, one process at a time."""
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _install_missing()


def _install_missing() -> str:
    missing = _missing_packages()
    if missing:
        if not _is_root_on_debian():
            raise RegistryUnavailable(
                f"needs {', '.join(missing)} (apt-get install -y {' '.join(missing)}); "
                "not root on Debian, so the tests cannot install it"
            )
        try:
            _apt_install(missing)
        except subprocess.CalledProcessError as error:
            output = (error.stderr or b"").decode(errors="replace").strip().splitlines()
            raise RegistryUnavailable(
                f"apt-get install {' '.join(missing)} failed: {output[-1] if output else error}"
            ) from None
    binary = shutil.which(REGISTRY_BINARY)
    if binary is None:
        raise RegistryUnavailable(f"{REGISTRY_PACKAGE} installed, but no {REGISTRY_BINARY} on PATH")
    return binary


def _hash_with_bcrypt(password: str) -> str:
    import bcrypt

    hashed: bytes = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
    return hashed.decode()


def _hash_with_passlib(password: str) -> str:
    from passlib.hash import bcrypt

    hashed: str = bcrypt.hash(password)
    return hashed


def _hash_with_htpasswd(password: str) -> str:
    found = subprocess.run(
        ["htpasswd", "-nbB", "user", password], check=True, capture_output=True, text=True
    ).stdout
    return found.strip().split(":", 1)[1]


def bcrypt_hasher() -> Callable[[str], str]:
    """The first available bcrypt: the `bcrypt` module, `passlib`, else apache2-utils' `htpasswd`."""
    if importlib.util.find_spec("bcrypt") is not None:
        return _hash_with_bcrypt
    if importlib.util.find_spec("passlib") is not None:
        return _hash_with_passlib
    return _hash_with_htpasswd
