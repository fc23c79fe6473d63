"""Which server to talk to, and where its API lives."""

from __future__ import annotations

from urllib.parse import urlsplit

from pytest_coworld.platform.errors import PlatformError

DEFAULT_SERVER = "https://softmax.com/api"
LEGACY_API_HOSTS = frozenset({"api.observatory.softmax-research.net"})


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None


def normalize_server(server: str) -> str:
    """`server` without a trailing slash; a one-line error unless it is an http(s) URL."""
    normalized = server.strip().rstrip("/")
    if not normalized.startswith(("http://", "https://")) or not _host(normalized):
        raise PlatformError(
            f"--server must be an http(s) URL; got {server!r}", hint=f"the default is {DEFAULT_SERVER}"
        )
    return normalized


def api_base(server: str) -> str:
    """The API base URL: `<server>/observatory`, or the server itself for the older API host."""
    if _host(server) in LEGACY_API_HOSTS:
        return server
    return f"{server}/observatory"
