"""Fixtures for the platform tests: a real OCI registry, the platform stand-in, test images, the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from coworld_standin import StandinServer
from oci_registry import RegistryPair, RegistryReader, start_registry_pair
from platform_testkit import BuiltImage, RunCli, consoles_width, new_standin, platform_app, tar_bytes
from registry_provisioning import RegistryUnavailable, bcrypt_hasher, ensure_registry_tools
from typer.testing import CliRunner

from pytest_coworld.provision.base_image import BASE_IMAGE_TAG
from pytest_coworld.runtime.labels import LABEL_RUN_ID


@pytest.fixture(scope="session")
def registry_binary() -> str:
    try:
        return ensure_registry_tools()
    except RegistryUnavailable as reason:
        pytest.skip(f"no OCI registry for the platform tests: {reason}")


@pytest.fixture(scope="session")
def registries(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryPair]:
    pair = start_registry_pair(registry_binary, tmp_path_factory.mktemp("registry"), bcrypt_hasher())
    yield pair
    pair.stop()


@pytest.fixture(scope="session")
def registry_reader(registries: RegistryPair) -> Iterator[RegistryReader]:
    reader = RegistryReader(registries)
    yield reader
    reader.close()


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway HOME and working directory, and no platform settings from the outer environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("COWORLD_TOKEN", raising=False)
    monkeypatch.delenv("COWORLD_SERVER", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def standin(registries: RegistryPair) -> Iterator[StandinServer]:
    with new_standin(registries) as server:
        yield server


@pytest.fixture
def logged_in(standin: StandinServer, monkeypatch: pytest.MonkeyPatch) -> StandinServer:
    monkeypatch.setenv("COWORLD_TOKEN", standin.state.token)
    return standin


@pytest.fixture(scope="session")
def run_cli() -> RunCli:
    """Run `coworld ARGS…` in-process; the result has `exit_code`, `stdout` and `stderr`."""
    app = platform_app()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        with consoles_width((env or {}).get("COLUMNS")):
            return CliRunner().invoke(app, list(args), input=input, env=env)

    return run


@pytest.fixture(scope="session")
def policy_image(docker_client: Any, run_id: str) -> Iterator[BuiltImage]:
    """A small policy image built FROM the base image, unique to this session; removed afterwards."""
    reference = f"pytest-coworld-test/policy-{run_id}:latest"
    context = io.BytesIO(
        tar_bytes(
            {
                "Dockerfile": b"ARG BASE\nFROM ${BASE}\nCOPY policy.txt /policy.txt\n",
                "policy.txt": f"policy of run {run_id}\n".encode(),
            }
        )
    )
    image, _ = docker_client.images.build(
        fileobj=context,
        custom_context=True,
        buildargs={"BASE": BASE_IMAGE_TAG},
        labels={LABEL_RUN_ID: run_id},
        tag=reference,
        rm=True,
    )
    yield BuiltImage(reference, image.id)
    docker_client.images.remove(image.id, force=True)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _load_image(
    docker_client: Any, reference: str, architecture: str, payload: bytes, run_id: str
) -> BuiltImage:
    """`docker load` a one-layer image made here (a file holding `payload`), labelled with the run id."""
    layer = tar_bytes({"payload.bin": payload})
    config = json.dumps(
        {
            "architecture": architecture,
            "os": "linux",
            "config": {"Labels": {LABEL_RUN_ID: run_id}},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{_sha256(layer)}"]},
        }
    ).encode()
    config_name = f"{_sha256(config)}.json"
    manifest = [{"Config": config_name, "RepoTags": [reference], "Layers": ["layer/layer.tar"]}]
    archive = tar_bytes(
        {"manifest.json": json.dumps(manifest).encode(), config_name: config, "layer/layer.tar": layer}
    )
    (image,) = docker_client.images.load(archive)
    return BuiltImage(reference, image.id)


@pytest.fixture(scope="session")
def arm64_image(docker_client: Any, run_id: str) -> Iterator[BuiltImage]:
    """A tiny linux/arm64 image (loaded, so no emulation is needed); removed afterwards."""
    image = _load_image(
        docker_client, f"pytest-coworld-test/arm64-{run_id}:latest", "arm64", b"arm64\n", run_id
    )
    yield image
    docker_client.images.remove(image.id, force=True)


@pytest.fixture(scope="session")
def small_image(docker_client: Any, run_id: str) -> Iterator[BuiltImage]:
    """A linux/amd64 image with one 4 MiB layer, for fault injection that must not wait on big pushes."""
    payload = os.urandom(4 * 1024 * 1024)
    image = _load_image(docker_client, f"pytest-coworld-test/small-{run_id}:latest", "amd64", payload, run_id)
    yield image
    docker_client.images.remove(image.id, force=True)
