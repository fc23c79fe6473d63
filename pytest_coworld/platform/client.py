"""The platform HTTP API client: one method per endpoint of PLATFORM_API.md; failures are `PlatformError`s."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from pytest_coworld.platform.errors import LOGIN_HINT, PlatformError
from pytest_coworld.platform.http_errors import server_message, transport_error
from pytest_coworld.platform.models import (
    ContainerImage,
    CoworldRecord,
    ImageUploadResponse,
    LeagueSubmission,
    PolicyVersion,
    PolicyVersionPage,
)
from pytest_coworld.platform.server import api_base

ModelT = TypeVar("ModelT", bound=BaseModel)
ShapeT = TypeVar("ShapeT")
Params = Mapping[str, str | int | bool | None]
PAGE_SIZE = 100
NEXT_CURSOR_HEADER = "X-Next-Cursor"


@cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def _query(params: Params | None) -> dict[str, str | int] | None:
    """The query string's values: booleans as `true`/`false` (PLATFORM_API.md), None left out."""
    if params is None:
        return None
    return {
        key: ("true" if value else "false") if isinstance(value, bool) else value
        for key, value in params.items()
        if value is not None
    }


class PlatformClient:
    """Calls the platform API at `<server>/observatory` with `Authorization: Bearer <token>`."""

    def __init__(self, server: str, token: str | None, timeout: float = 120.0) -> None:
        self.server = server
        self._token = token
        self._http = httpx.Client(base_url=api_base(server), timeout=timeout)

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _headers(self, auth_required: bool) -> dict[str, str]:
        if self._token is None:
            if auth_required:
                raise PlatformError(f"not logged in to {self.server}", hint=LOGIN_HINT)
            return {}
        return {"Authorization": f"Bearer {self._token}"}

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: Params | None = None,
        auth_required: bool = True,
    ) -> httpx.Response:
        what = f"{method} {path}"
        try:
            response = self._http.request(
                method, path, json=body, params=_query(params), headers=self._headers(auth_required)
            )
        except httpx.TransportError as error:
            raise transport_error(error, what, self.server) from None
        if response.status_code in (401, 403):
            raise PlatformError(
                f"{self.server} refused {what} ({response.status_code}): {server_message(response)}",
                hint=f"the login is missing, expired or not allowed here; {LOGIN_HINT}",
                status=response.status_code,
            )
        if not response.is_success:
            raise PlatformError(
                f"{self.server} answered {what} with {response.status_code} "
                f"{response.reason_phrase}: {server_message(response)}",
                status=response.status_code,
            )
        return response

    def _parse(self, model: type[ModelT], response: httpx.Response) -> ModelT:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            raise self._unexpected(response, error) from None

    def _parse_as(self, shape: Any, response: httpx.Response) -> Any:
        try:
            return _adapter(shape).validate_json(response.content)
        except ValidationError as error:
            raise self._unexpected(response, error) from None

    def get(
        self, path: str, shape: type[ShapeT], *, params: Params | None = None, auth_required: bool = True
    ) -> ShapeT:
        """GET `path` (below the API base) and parse its JSON as `shape`: a model, or e.g. `list[Model]`."""
        response = self._call("GET", path, params=params, auth_required=auth_required)
        return self._parse_as(shape, response)  # type: ignore[no-any-return]

    def get_bytes(self, path: str, *, params: Params | None = None, auth_required: bool = True) -> bytes:
        """GET `path` (below the API base) and return its body as it came."""
        return self._call("GET", path, params=params, auth_required=auth_required).content

    def post(self, path: str, body: dict[str, Any], shape: type[ShapeT]) -> ShapeT:
        """POST `body` as JSON to `path` (below the API base) and parse the answer as `shape`."""
        return self._parse_as(shape, self._call("POST", path, body=body))  # type: ignore[no-any-return]

    def _unexpected(self, response: httpx.Response, error: ValidationError) -> PlatformError:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        request = f"{response.request.method} {response.request.url.path}"
        return PlatformError(
            f"unexpected answer to {request}: {where}: {first['msg']}",
            hint="this client may be older than the server; upgrade pytest-coworld",
        )

    def request_image_upload(self, name: str, client_hash: str) -> ImageUploadResponse:
        response = self._call(
            "POST", "/v2/container_images/upload", body={"name": name, "client_hash": client_hash}
        )
        return self._parse(ImageUploadResponse, response)

    def complete_image_upload(self, image_id: str) -> ContainerImage:
        response = self._call("POST", "/v2/container_images/upload/complete", body={"id": image_id})
        return self._parse(ContainerImage, response)

    def get_image(self, image_id: str) -> ContainerImage:
        response = self._call("GET", f"/v2/container_images/{image_id}", auth_required=False)
        return self._parse(ContainerImage, response)

    def upload_coworld(self, manifest: dict[str, Any]) -> CoworldRecord:
        response = self._call("POST", "/v2/coworlds/upload", body={"manifest": manifest})
        return self._parse(CoworldRecord, response)

    def get_coworld(self, coworld_id: str) -> CoworldRecord:
        response = self._call("GET", f"/v2/coworlds/{coworld_id}", auth_required=False)
        return self._parse(CoworldRecord, response)

    def list_coworlds(self, page_size: int = PAGE_SIZE) -> Iterator[CoworldRecord]:
        """Every coworld, page by page (`limit`/`offset`; a full page or `X-Next-Cursor` means more)."""
        offset = 0
        while True:
            response = self._call(
                "GET", "/v2/coworlds", params={"limit": page_size, "offset": offset}, auth_required=False
            )
            page: list[CoworldRecord] = self._parse_as(list[CoworldRecord], response)
            yield from page
            if not page or (len(page) < page_size and NEXT_CURSOR_HEADER not in response.headers):
                return
            offset += len(page)

    def complete_policy_upload(self, body: dict[str, Any]) -> PolicyVersion:
        response = self._call("POST", "/stats/policies/docker-img/complete", body=body)
        return self._parse(PolicyVersion, response)

    def find_policy_versions(self, name: str, version: int | None) -> PolicyVersionPage:
        params: dict[str, str | int | bool | None] = {"mine": True, "name_exact": name, "limit": PAGE_SIZE}
        if version is not None:
            params["version"] = version
        response = self._call("GET", "/stats/policy-versions", params=params)
        return self._parse(PolicyVersionPage, response)

    def submit_to_league(self, league_id: str, policy_version_id: str) -> LeagueSubmission:
        response = self._call(
            "POST",
            "/v2/league-submissions",
            body={"league_id": league_id, "policy_version_id": policy_version_id},
        )
        return self._parse(LeagueSubmission, response)
