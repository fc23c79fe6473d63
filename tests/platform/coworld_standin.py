"""A stand-in of the Coworld platform API (PLATFORM_API.md), served by uvicorn on loopback in a thread.

It speaks the real JSON shapes, answers a wrong field with a 400 and a message like a real server, hands out
push info for the test registry, checks the registry really holds what the client says it pushed, and records
every call (method, path, headers, raw body) for the tests to inspect.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from oci_registry import MANIFEST_ACCEPT, RegistryPair
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from pytest_coworld.manifest import check_document

API_PREFIX = "/api/observatory"
IMAGE_SECTIONS = ("player", "grader", "reporter", "commissioner", "diagnoser", "optimizer")
KNOWN_LEAGUE = "league_standin"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ImageUploadBody(_Body):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    client_hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class ImageCompleteBody(_Body):
    id: str = Field(pattern=r"^img_")


class CoworldUploadBody(_Body):
    manifest: dict[str, Any]


class PolicyCompleteBody(_Body):
    name: str = Field(min_length=1)
    container_image_id: str = Field(pattern=r"^img_")
    run: list[str] = Field(default_factory=list, min_length=1)
    policy_secret_env: dict[str, str] = Field(default_factory=dict, min_length=1)


class SubmissionBody(_Body):
    league_id: str = Field(pattern=r"^league_")
    policy_version_id: str = Field(min_length=1)


@dataclass
class Call:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Reject(Exception):
    """Answer with `status` and `{"detail": detail}`."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass
class PlatformState:
    """Everything the stand-in knows; tests read and tweak it directly."""

    registries: RegistryPair
    token: str = "standin-token"
    expired_tokens: set[str] = field(default_factory=set)
    repository_prefix: str = "coworld-images"
    push_endpoint_port: int | None = None
    push_authorization: str | None = None
    max_page_size: int = 100
    calls: list[Call] = field(default_factory=list)
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    coworlds: list[dict[str, Any]] = field(default_factory=list)
    policy_versions: list[dict[str, Any]] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    def fail_next(self, method: str, path: str, status: int, detail: str) -> None:
        """The next `method path` (path below the API prefix) answers `status` with `detail`."""
        self.failures[(method, path)] = (status, detail)

    def seed_policy_version(self, name: str) -> dict[str, Any]:
        """Register a version of policy `name` as if it had been uploaded; returns its entry."""
        entry = {
            "policy_version_id": str(uuid.uuid4()),
            "policy_name": name,
            "version": 1 + sum(1 for known in self.policy_versions if known["policy_name"] == name),
            "container_image_id": f"img_{uuid.uuid4()}",
            "created_at": _now(),
        }
        self.policy_versions.append(entry)
        return entry

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [call for call in self.calls if call.method == method and call.path == path]


def _parse(model: type[_Body], body: bytes) -> Any:
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise Reject(400, f"{where}: {first['msg']}") from None


def _now() -> str:
    return datetime.now(UTC).isoformat()


class StandinApp:
    """The ASGI app over a `PlatformState`."""

    def __init__(self, state: PlatformState) -> None:
        self.state = state
        routes = [
            Route("/v2/container_images/upload", self.image_upload, methods=["POST"]),
            Route("/v2/container_images/upload/complete", self.image_complete, methods=["POST"]),
            Route("/v2/container_images", self.image_list, methods=["GET"]),
            Route("/v2/container_images/{image_id}", self.image_get, methods=["GET"]),
            Route("/v2/coworlds/upload", self.coworld_upload, methods=["POST"]),
            Route("/v2/coworlds", self.coworld_list, methods=["GET"]),
            Route("/v2/coworlds/{coworld_id}", self.coworld_get, methods=["GET"]),
            Route("/stats/policies/docker-img/complete", self.policy_complete, methods=["POST"]),
            Route("/stats/policy-versions", self.policy_versions, methods=["GET"]),
            Route("/v2/league-submissions", self.league_submission, methods=["POST"]),
        ]
        self.app = Starlette(routes=[Mount(API_PREFIX, routes=routes)])

    async def _enter(self, request: Request, auth: bool = True) -> bytes:
        body = await request.body()
        path = request.url.path.removeprefix(API_PREFIX)
        self.state.calls.append(Call(request.method, path, request.url.query, dict(request.headers), body))
        failure = self.state.failures.pop((request.method, path), None)
        if failure:
            raise Reject(*failure)
        if auth:
            self._authenticate(request)
        return body

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        token = (
            header.removeprefix("Bearer ")
            if header.startswith("Bearer ")
            else request.headers.get("x-auth-token")
        )
        if not token:
            raise Reject(401, "Not authenticated")
        if token in self.state.expired_tokens:
            raise Reject(401, "Token expired")
        if token != self.state.token:
            raise Reject(401, "Invalid token")

    def _image(self, image_id: str) -> dict[str, Any]:
        image = self.state.images.get(image_id)
        if image is None:
            raise Reject(404, f"Container image {image_id} not found")
        return image

    def _push_info(self, image: dict[str, Any]) -> dict[str, Any]:
        port = self.state.push_endpoint_port or self.state.registries.private.port
        registry = f"127.0.0.1:{port}"
        repository, tag = image["_repository"], image["_tag"]
        return {
            "kind": "ecr",
            "region": "us-east-1",
            "registry": registry,
            "repository": repository,
            "tag": tag,
            "image_uri": f"{registry}/{repository}:{tag}",
            "endpoint_url": f"http://{registry}",
            "authorization_token": self.state.push_authorization or self.state.registries.authorization_token,
        }

    @staticmethod
    def _public(record: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in record.items() if not key.startswith("_")}

    async def image_upload(self, request: Request) -> Response:
        body = _parse(ImageUploadBody, await self._enter(request))
        for image in self.state.images.values():
            if image["client_hash"] == body.client_hash and image["name"] == body.name:
                pre_signed = None if image["status"] == "ready" else self._push_info(image)
                return JSONResponse({"image": self._public(image), "pre_signed_info": pre_signed})
        version = 1 + sum(1 for image in self.state.images.values() if image["name"] == body.name)
        image = {
            "id": f"img_{uuid.uuid4()}",
            "name": body.name,
            "version": version,
            "client_hash": body.client_hash,
            "status": "pending",
            "image_uri": None,
            "image_digest": None,
            "public_image_uri": None,
            "_repository": f"{self.state.repository_prefix}/{body.name}",
            "_tag": f"v{version}",
        }
        self.state.images[image["id"]] = image
        return JSONResponse({"image": self._public(image), "pre_signed_info": self._push_info(image)})

    async def image_complete(self, request: Request) -> Response:
        body = _parse(ImageCompleteBody, await self._enter(request))
        image = self._image(body.id)
        registries = self.state.registries
        reference = f"{image['_repository']}/manifests/{image['_tag']}"
        async with httpx.AsyncClient(timeout=30) as client:
            found = await client.head(
                f"{registries.private.url}/v2/{reference}",
                headers={
                    "Authorization": f"Basic {registries.authorization_token}",
                    "Accept": MANIFEST_ACCEPT,
                },
            )
        if found.status_code != 200:
            raise Reject(400, f"Image {image['id']} was not pushed: the registry has no {reference}")
        image["status"] = "ready"
        image["image_digest"] = found.headers["Docker-Content-Digest"]
        image["image_uri"] = f"{registries.private.host}/{image['_repository']}:{image['_tag']}"
        image["public_image_uri"] = f"{registries.public.host}/{image['_repository']}:{image['_tag']}"
        return JSONResponse(self._public(image))

    async def image_list(self, request: Request) -> Response:
        await self._enter(request)
        return JSONResponse([self._public(image) for image in self.state.images.values()])

    async def image_get(self, request: Request) -> Response:
        await self._enter(request, auth=False)
        return JSONResponse(self._public(self._image(request.path_params["image_id"])))

    def _check_images(self, manifest: dict[str, Any]) -> None:
        found = [("game.runnable.image", manifest.get("game", {}).get("runnable", {}).get("image"))]
        for section in IMAGE_SECTIONS:
            for index, entry in enumerate(manifest.get(section) or []):
                if isinstance(entry, dict) and "image" in entry:
                    found.append((f"{section}[{index}].image", entry["image"]))
        for path, image_id in found:
            image = self.state.images.get(image_id) if isinstance(image_id, str) else None
            if image is None or image["status"] != "ready":
                raise Reject(400, f"{path}: {image_id!r} is not an uploaded container image id (img_…)")

    async def coworld_upload(self, request: Request) -> Response:
        body = _parse(CoworldUploadBody, await self._enter(request))
        report = check_document(body.manifest)
        if report.violations:
            raise Reject(400, f"Invalid manifest: {report.violations[0].one_line()}")
        self._check_images(body.manifest)
        name = body.manifest["game"]["name"]
        for coworld in self.state.coworlds:
            if coworld["name"] == name:
                coworld["canonical"] = False
        canonical_json = json.dumps(body.manifest, sort_keys=True, separators=(",", ":")).encode()
        record = {
            "id": f"cow_{uuid.uuid4()}",
            "name": name,
            "version": 1 + sum(1 for coworld in self.state.coworlds if coworld["name"] == name),
            "manifest": body.manifest,
            "manifest_hash": f"sha256:{hashlib.sha256(canonical_json).hexdigest()}",
            "size_bytes": len(canonical_json),
            "canonical": True,
            "created_at": _now(),
        }
        self.state.coworlds.append(record)
        return JSONResponse({key: value for key, value in record.items() if key != "created_at"})

    async def coworld_list(self, request: Request) -> Response:
        await self._enter(request, auth=False)
        limit = min(int(request.query_params.get("limit", "100")), self.state.max_page_size)
        offset = int(request.query_params.get("offset", "0"))
        page = self.state.coworlds[offset : offset + limit]
        more = offset + limit < len(self.state.coworlds)
        headers = {"X-Next-Cursor": str(offset + limit)} if more else {}
        return JSONResponse(page, headers=headers)

    async def coworld_get(self, request: Request) -> Response:
        await self._enter(request, auth=False)
        for coworld in self.state.coworlds:
            if coworld["id"] == request.path_params["coworld_id"]:
                return JSONResponse(coworld)
        raise Reject(404, f"Coworld {request.path_params['coworld_id']} not found")

    async def policy_complete(self, request: Request) -> Response:
        body = _parse(PolicyCompleteBody, await self._enter(request))
        if self._image(body.container_image_id)["status"] != "ready":
            raise Reject(400, f"Container image {body.container_image_id} is not ready")
        version = self.state.seed_policy_version(body.name)
        version["container_image_id"] = body.container_image_id
        # the real platform was seen echoing the whole request back in its rejection
        rejected = f"rejected: {body.model_dump_json()}" if body.name.startswith("rejected-") else None
        return JSONResponse(
            {
                "id": version["policy_version_id"],
                "name": body.name,
                "version": version["version"],
                "submit_error": rejected,
            }
        )

    async def policy_versions(self, request: Request) -> Response:
        await self._enter(request)
        query = request.query_params
        if query.get("mine") != "true" or "name_exact" not in query or "limit" not in query:
            raise Reject(400, "mine=true, name_exact and limit are required")
        entries = [
            entry
            for entry in self.state.policy_versions
            if entry["policy_name"] == query["name_exact"]
            and ("version" not in query or entry["version"] == int(query["version"]))
        ]
        return JSONResponse({"entries": entries[: int(query["limit"])], "total_count": len(entries)})

    async def league_submission(self, request: Request) -> Response:
        body = _parse(SubmissionBody, await self._enter(request))
        if body.league_id != KNOWN_LEAGUE:
            raise Reject(404, f"League {body.league_id} not found")
        if not any(
            entry["policy_version_id"] == body.policy_version_id for entry in self.state.policy_versions
        ):
            raise Reject(404, f"Policy version {body.policy_version_id} not found")
        submission = {
            "id": f"lsub_{uuid.uuid4()}",
            "status": "placed",
            "league_policy_membership_id": f"lpm_{uuid.uuid4()}",
            "notes": None,
        }
        self.state.submissions.append({**submission, **body.model_dump()})
        return JSONResponse(submission)


async def _rejected(request: Request, error: Exception) -> Response:
    assert isinstance(error, Reject)
    return JSONResponse({"detail": error.detail}, status_code=error.status)


class StandinServer:
    """Serve a `StandinApp` with uvicorn on 127.0.0.1 in a thread; use as a context manager."""

    def __init__(self, state: PlatformState) -> None:
        self.state = state
        standin = StandinApp(state)
        standin.app.add_exception_handler(Reject, _rejected)
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(standin.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def server_url(self) -> str:
        """What the client takes as `--server` (the API lives at `<server>/observatory`)."""
        return f"http://127.0.0.1:{self.port}/api"

    def __enter__(self) -> StandinServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the platform stand-in did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
