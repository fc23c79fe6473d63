"""Smoke test of the Docker environment: base image, internal network, container-to-container, cleanup."""

from __future__ import annotations

import uuid
from typing import Any

from pytest_coworld.provision.base_image import BASE_IMAGE_TAG

LABEL = "pytest-coworld.run-id"
SERVER = (
    "import http.server as h; h.HTTPServer(('0.0.0.0', 8000), h.SimpleHTTPRequestHandler).serve_forever()"
)
CLIENT = """
import time, urllib.request
for _ in range(100):
    try:
        print(urllib.request.urlopen("http://server:8000/", timeout=5).status)
        break
    except OSError:
        time.sleep(0.1)
"""


def _labelled(client: Any, run_id: str) -> tuple[list[Any], list[Any]]:
    filters = {"label": f"{LABEL}={run_id}"}
    containers = client.containers.list(all=True, filters=filters, ignore_removed=True)
    return containers, client.networks.list(filters=filters)


def test_containers_talk_on_an_internal_network_and_leave_nothing_behind(docker_client: Any) -> None:
    run_id = f"smoke-{uuid.uuid4().hex[:8]}"
    labels = {LABEL: run_id}
    network = docker_client.networks.create(f"cw-{run_id}", internal=True, labels=labels)
    server = None
    try:
        server = docker_client.containers.run(
            BASE_IMAGE_TAG,
            ["python3", "-c", SERVER],
            detach=True,
            labels=labels,
            network=network.name,
            networking_config={network.name: docker_client.api.create_endpoint_config(aliases=["server"])},
        )
        answer = docker_client.containers.run(
            BASE_IMAGE_TAG,
            ["python3", "-c", CLIENT],
            labels=labels,
            network=network.name,
            remove=True,
        )
        assert answer.strip() == b"200"
    finally:
        if server is not None:
            server.remove(force=True)
        network.remove()
    containers, networks = _labelled(docker_client, run_id)
    assert containers == [] and networks == []
