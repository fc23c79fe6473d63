"""A real OCI registry (CNCF distribution, Debian's `docker-registry`) on 127.0.0.1, and a reader for it.

`start_registry_pair` starts two processes over one throwaway storage dir: a private one with htpasswd basic
auth (where uploads are pushed) and an anonymous read-only one (the "public" URIs that downloads pull from).
Their access logs go to their log files, so a test can count the requests the registry itself answered.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

MANIFEST_ACCEPT = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)
READY_TIMEOUT_SECONDS = 30.0
_ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[0-9.]+" (?P<status>\d{3}) ')


@dataclass(frozen=True)
class LoggedRequest:
    """One line of a registry's access log."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RegistryProcess:
    """One running registry process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def logged_requests(self, repository: str) -> list[LoggedRequest]:
        """The requests for `repository` that this registry answered, in order, from its access log."""
        found = []
        for match in _ACCESS_LINE.finditer(self.log.read_text(errors="replace")):
            target = urlsplit(match["target"])
            if target.path.startswith(f"/v2/{repository}/"):
                query = parse_qs(target.query)
                found.append(LoggedRequest(match["method"], target.path, query, int(match["status"])))
        return found

    def completed_uploads(self, repository: str) -> list[str]:
        """The digests of the blob uploads this registry completed (`PUT …/blobs/uploads/…?digest=` → 201)."""
        return [
            request.query["digest"][0]
            for request in self.logged_requests(repository)
            if request.method == "PUT" and "/blobs/uploads/" in request.path and request.status == 201
        ]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _config(storage: Path, port: int, htpasswd: Path | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "version": "0.1",
        "log": {"level": "warn", "accesslog": {"disabled": False}},
        "storage": {
            "filesystem": {"rootdirectory": str(storage)},
            "maintenance": {
                "uploadpurging": {"enabled": False},
                "readonly": {"enabled": htpasswd is None},
            },
        },
        "http": {"addr": f"127.0.0.1:{port}", "relativeurls": True, "secret": secrets.token_hex(16)},
    }
    if htpasswd is not None:
        config["auth"] = {"htpasswd": {"realm": "pytest-coworld", "path": str(htpasswd)}}
    return config


def _wait_ready(registry: RegistryProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if registry.process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {registry.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{registry.url}/v2/", timeout=2).status_code in (200, 401):
                return
        except httpx.TransportError:
            time.sleep(0.05)
    registry.stop()
    raise RuntimeError(f"docker-registry did not answer within {READY_TIMEOUT_SECONDS:.0f} s")


def start_registry(
    binary: str, storage: Path, workdir: Path, name: str, htpasswd: Path | None
) -> RegistryProcess:
    """Start one registry on a free loopback port and wait until it answers `/v2/`."""
    port = free_port()
    config_file = workdir / f"{name}.yml"
    config_file.write_text(json.dumps(_config(storage, port, htpasswd)))
    log = workdir / f"{name}.log"
    with log.open("wb") as log_handle:
        process = subprocess.Popen(
            [binary, "serve", str(config_file)], stdout=log_handle, stderr=subprocess.STDOUT
        )
    registry = RegistryProcess(process=process, port=port, log=log)
    _wait_ready(registry)
    return registry


@dataclass
class RegistryPair:
    """The authenticated push registry and the anonymous read-only registry over the same storage."""

    private: RegistryProcess
    public: RegistryProcess
    user: str
    password: str

    @property
    def authorization_token(self) -> str:
        return base64.b64encode(f"{self.user}:{self.password}".encode()).decode()

    def stop(self) -> None:
        self.private.stop()
        self.public.stop()


def start_registry_pair(binary: str, workdir: Path, hasher: Callable[[str], str]) -> RegistryPair:
    storage = workdir / "storage"
    storage.mkdir(parents=True)
    user, password = "coworld-test", secrets.token_urlsafe(12)
    htpasswd = workdir / "htpasswd"
    htpasswd.write_text(f"{user}:{hasher(password)}\n")
    private = start_registry(binary, storage, workdir, "private", htpasswd)
    try:
        public = start_registry(binary, storage, workdir, "public", None)
    except BaseException:
        private.stop()
        raise
    return RegistryPair(private=private, public=public, user=user, password=password)


class RegistryReader:
    """Reads manifests and blobs back from the private registry, as a test's independent witness."""

    def __init__(self, pair: RegistryPair) -> None:
        self._http = httpx.Client(
            base_url=f"{pair.private.url}/v2/",
            headers={"Authorization": f"Basic {pair.authorization_token}"},
            timeout=60,
        )

    def close(self) -> None:
        self._http.close()

    def manifest(self, repository: str, tag: str) -> tuple[dict[str, Any], str]:
        """The image manifest and its `Docker-Content-Digest`."""
        response = self._http.get(f"{repository}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT})
        response.raise_for_status()
        return response.json(), response.headers["Docker-Content-Digest"]

    def blob_digest(self, repository: str, digest: str) -> str:
        """The sha256 of the blob's bytes as the registry serves them, read in a stream."""
        hasher = hashlib.sha256()
        with self._http.stream("GET", f"{repository}/blobs/{digest}", follow_redirects=True) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                hasher.update(chunk)
        return f"sha256:{hasher.hexdigest()}"

    def has_blob(self, repository: str, digest: str) -> bool:
        return self._http.head(f"{repository}/blobs/{digest}").status_code == 200
