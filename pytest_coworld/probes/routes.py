"""Which browser-client routes a game serves, and so which generation of routes it follows.

httpx is not imported with this module: a certification's games start before it is loaded (0.13 s of the
time before the first container, otherwise). `prepare_http_client` loads it while the game boots."""

from __future__ import annotations

import ssl
from contextlib import suppress
from dataclasses import dataclass
from functools import cache

CURRENT_PREFIX = "/client"
CLASSIC_PREFIX = "/clients"


@dataclass(frozen=True)
class PageProbe:
    path: str
    status: int | None
    content_type: str
    error: str | None = None

    @property
    def is_html(self) -> bool:
        return self.status == 200 and "html" in self.content_type

    def describe(self) -> str:
        if self.error:
            return f"GET {self.path}: {self.error}"
        return f"GET {self.path}: {self.status} {self.content_type or '(no content type)'}"


def prepare_http_client() -> None:
    """Load httpx, the transport it loads on first use and our TLS settings (about 0.1 s), meant for a thread
    while a game boots: the first probe of the healthy game then does not, and the live pages, which the
    players wait for, open after that probe. Best effort: what fails here fails again in the probe."""
    with suppress(Exception):
        import httpx

        httpx.Client(trust_env=False, verify=_tls_context()).close()


@cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS settings, made once: `httpx.get` otherwise loads the CA bundle on every call
    (23 ms of CPU), which the probes around a game's start paid eight times at once."""
    return ssl.create_default_context()


def get_page(base_url: str, path: str, timeout: float = 5.0) -> PageProbe:
    """`GET base_url + path` as the probes make it: its status and content type, or the error.
    trust_env=False: probes of our own loopback ports never go through a proxy, and reading proxy settings
    iterates os.environ, which races pytest's PYTEST_CURRENT_TEST on the threads these probes run on."""
    import httpx

    try:
        response = httpx.get(base_url + path, timeout=timeout, trust_env=False, verify=_tls_context())
    except httpx.HTTPError as error:
        return PageProbe(path, None, "", f"{type(error).__name__}: {error}")
    return PageProbe(path, response.status_code, response.headers.get("content-type", ""))


@dataclass(frozen=True)
class ClientRoutes:
    """The pages of one browser client (`player`, `global` or `replay`) under both route generations."""

    current: PageProbe
    classic: PageProbe

    @property
    def served_by(self) -> list[str]:
        return [name for name, page in (("current", self.current), ("classic", self.classic)) if page.is_html]

    def describe(self) -> str:
        return f"{self.current.describe()}; {self.classic.describe()}"


def probe_client(base_url: str, client: str, query: str = "") -> ClientRoutes:
    suffix = f"/{client}{query}"
    return ClientRoutes(
        get_page(base_url, CURRENT_PREFIX + suffix), get_page(base_url, CLASSIC_PREFIX + suffix)
    )
