"""A stand-in of the Coworld platform API (PLATFORM_API.md), served by uvicorn on loopback in a thread.

It speaks the real JSON shapes, answers a wrong field with a 400 and a message like a real server, hands out
push info for the test registry, checks the registry really holds what the client says it pushed, and records
every call (method, path, headers, raw body) for the tests to inspect.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from loopback_asgi import LoopbackAsgiServer
from oci_registry import MANIFEST_ACCEPT, RegistryPair
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from pytest_coworld.examples import example_manifest_path
from pytest_coworld.manifest import Manifest, check_document
from pytest_coworld.platform.local_images import upload_name
from pytest_coworld.platform.manifest_images import image_references, replace_images

API_PREFIX = "/api/observatory"
IMAGE_SECTIONS = ("player", "grader", "reporter", "commissioner", "diagnoser", "optimizer")
KNOWN_LEAGUE = "league_standin"
PLAY_HOST = "https://play.standin.invalid"


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


class PlaySessionBody(_Body):
    coworld_id: str = Field(pattern=r"^cow_")
    variant_id: str | None
    allow_spectators: bool


class PlayJoinBody(_Body):
    pass


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
    hosted_games: dict[str, dict[str, Any]] = field(default_factory=dict)
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

    def seed_image(self, name: str) -> dict[str, Any]:
        """Register a ready image `name` as if it had been uploaded and pushed; returns its record."""
        version = 1 + sum(1 for image in self.images.values() if image["name"] == name)
        repository, tag = f"{self.repository_prefix}/{name}", f"v{version}"
        content = f"{repository}:{tag}".encode()
        image = {
            "id": f"img_{uuid.uuid4()}",
            "name": name,
            "version": version,
            "client_hash": f"sha256:{hashlib.sha256(b'local ' + content).hexdigest()}",
            "status": "ready",
            "image_uri": f"{self.registries.private.host}/{repository}:{tag}",
            "image_digest": f"sha256:{hashlib.sha256(content).hexdigest()}",
            "public_image_uri": f"{self.registries.public.host}/{repository}:{tag}",
            "_repository": repository,
            "_tag": tag,
        }
        self.images[image["id"]] = image
        return image

    def add_coworld(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Record `manifest` as the new canonical version of its game, as an upload does; its record."""
        name = manifest["game"]["name"]
        for coworld in self.coworlds:
            if coworld["name"] == name:
                coworld["canonical"] = False
        canonical_json = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        record = {
            "id": f"cow_{uuid.uuid4()}",
            "name": name,
            "version": 1 + sum(1 for coworld in self.coworlds if coworld["name"] == name),
            "manifest": manifest,
            "manifest_hash": f"sha256:{hashlib.sha256(canonical_json).hexdigest()}",
            "size_bytes": len(canonical_json),
            "canonical": True,
            "created_at": _now(),
        }
        self.coworlds.append(record)
        return record

    def seed_example_coworld(self, example: str) -> dict[str, Any]:
        """Upload the bundled example `example` without Docker: each image seeded, its manifest recorded."""
        manifest = json.loads(example_manifest_path(example).read_text())
        references = sorted({image for _, image in image_references(manifest)})
        ids = {reference: self.seed_image(upload_name(reference))["id"] for reference in references}
        return self.add_coworld(replace_images(manifest, ids))

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


ExtraRoutes = Callable[["StandinApp"], list[Route]]
"""More endpoints for the stand-in, made from it; their handlers begin with `await standin.enter(request)`."""


class StandinApp:
    """The ASGI app over a `PlatformState`."""

    def __init__(self, state: PlatformState, extra_routes: ExtraRoutes | None = None) -> None:
        self.state = state
        routes = [
            Route("/v2/container_images/upload", self.image_upload, methods=["POST"]),
            Route("/v2/container_images/upload/complete", self.image_complete, methods=["POST"]),
            Route("/v2/container_images", self.image_list, methods=["GET"]),
            Route("/v2/container_images/{image_id}", self.image_get, methods=["GET"]),
            Route("/v2/coworlds/upload", self.coworld_upload, methods=["POST"]),
            Route("/v2/coworlds", self.coworld_list, methods=["GET"]),
            Route("/v2/coworlds/{coworld_id}", self.coworld_get, methods=["GET"]),
            Route("/v2/coworlds/play/session", self.play_session, methods=["POST"]),
            Route("/v2/coworlds/play/session/{session_id}/join", self.play_join, methods=["POST"]),
            Route("/stats/policies/docker-img/complete", self.policy_complete, methods=["POST"]),
            Route("/stats/policy-versions", self.policy_versions, methods=["GET"]),
            Route("/v2/league-submissions", self.league_submission, methods=["POST"]),
            *(extra_routes(self) if extra_routes else []),
        ]
        self.app = Starlette(routes=[Mount(API_PREFIX, routes=routes)])

    async def enter(self, request: Request, auth: bool = True) -> bytes:
        """Record the call, answer an injected failure, check the token (when `auth`); the body."""
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
        body = _parse(ImageUploadBody, await self.enter(request))
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
        body = _parse(ImageCompleteBody, await self.enter(request))
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
        await self.enter(request)
        images = [self._public(image) for image in self.state.images.values()]
        offset = int(request.query_params.get("offset", "0"))
        limit = int(request.query_params.get("limit", str(len(images))))
        return JSONResponse(images[offset : offset + limit])

    async def image_get(self, request: Request) -> Response:
        await self.enter(request, auth=False)
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
        body = _parse(CoworldUploadBody, await self.enter(request))
        report = check_document(body.manifest)
        if report.violations:
            raise Reject(400, f"Invalid manifest: {report.violations[0].one_line()}")
        self._check_images(body.manifest)
        record = self.state.add_coworld(body.manifest)
        return JSONResponse({key: value for key, value in record.items() if key != "created_at"})

    async def coworld_list(self, request: Request) -> Response:
        await self.enter(request, auth=False)
        limit = min(int(request.query_params.get("limit", "100")), self.state.max_page_size)
        offset = int(request.query_params.get("offset", "0"))
        page = self.state.coworlds[offset : offset + limit]
        more = offset + limit < len(self.state.coworlds)
        headers = {"X-Next-Cursor": str(offset + limit)} if more else {}
        return JSONResponse(page, headers=headers)

    async def coworld_get(self, request: Request) -> Response:
        await self.enter(request, auth=False)
        return JSONResponse(self._coworld(request.path_params["coworld_id"]))

    def _coworld(self, coworld_id: str) -> dict[str, Any]:
        for coworld in self.state.coworlds:
            if coworld["id"] == coworld_id:
                return coworld
        raise Reject(404, f"Coworld {coworld_id} not found")

    async def play_session(self, request: Request) -> Response:
        body = _parse(PlaySessionBody, await self.enter(request))
        manifest = Manifest.model_validate(self._coworld(body.coworld_id)["manifest"])
        try:
            game_config = manifest.variant(body.variant_id).game_config if body.variant_id else None
        except KeyError as error:
            raise Reject(404, f"variant_id: {error.args[0]}") from None
        session_id = f"ps_{uuid.uuid4().hex}"
        base = f"{PLAY_HOST}/sessions/{session_id}"
        game = {
            "session_id": session_id,
            "join_url": f"{base}/join",
            "lobby_url": f"{base}/lobby",
            "player_count": manifest.slot_count(game_config),
        }
        if body.allow_spectators:
            game["global_url"] = f"{base}/global"
        self.state.hosted_games[session_id] = {**game, **body.model_dump(), "players": []}
        return JSONResponse(game)

    async def play_join(self, request: Request) -> Response:
        _parse(PlayJoinBody, await self.enter(request) or b"{}")
        session_id = request.path_params["session_id"]
        game = self.state.hosted_games.get(session_id)
        if game is None:
            raise Reject(404, f"Play session {session_id} not found")
        slot = len(game["players"])
        if slot >= game["player_count"]:
            raise Reject(409, f"Play session {session_id} is full ({game['player_count']} players)")
        player = {"slot": slot, "label": f"Player {slot + 1}", "joined_at": _now()}
        game["players"].append(player)
        token = uuid.uuid4().hex
        player_url = f"{PLAY_HOST}/sessions/{session_id}/client/player?slot={slot}&token={token}"
        return JSONResponse({"player_url": player_url, "slot": slot, "player": player})

    async def policy_complete(self, request: Request) -> Response:
        body = _parse(PolicyCompleteBody, await self.enter(request))
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
        await self.enter(request)
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
        body = _parse(SubmissionBody, await self.enter(request))
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


class StandinServer(LoopbackAsgiServer):
    """Serve a `StandinApp` on 127.0.0.1 in a thread; use as a context manager."""

    def __init__(self, state: PlatformState, extra_routes: ExtraRoutes | None = None) -> None:
        self.state = state
        standin = StandinApp(state, extra_routes)
        standin.app.add_exception_handler(Reject, _rejected)
        super().__init__(standin.app, "the platform stand-in")

    @property
    def server_url(self) -> str:
        """What the client takes as `--server` (the API lives at `<server>/observatory`)."""
        return f"http://127.0.0.1:{self.port}/api"
