"""The URLs of the address rule: client page URLs, the websocket URL a page must open, and comparing them."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PREFIXES = {"current": "/client", "classic": "/clients"}
PROBE_PARAM = ("coworld_probe", "1")  # a parameter no game knows: the page must forward it all the same


def route_generation(served_by: list[str], contract: str) -> str | None:
    """Which generation's page to open: the one certified when the game serves it, else the first served."""
    if contract in served_by:
        return contract
    return served_by[0] if served_by else None


def client_page_url(base_url: str, generation: str, client: str, query: list[tuple[str, str]]) -> str:
    """`<base>/client(s)/<client>?<query>`."""
    suffix = f"?{urlencode(query)}" if query else ""
    return f"{base_url}{PREFIXES[generation]}/{client}{suffix}"


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), (name, value)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def socket_url_of_page(page_url: str) -> str:
    """The rule without `address`: `/client(s)/<kind>` becomes `/<kind>`, every parameter kept, http → ws."""
    parts = urlsplit(page_url)
    kind = parts.path.rstrip("/").rsplit("/", 1)[-1]
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, f"/{kind}", parts.query, ""))


def as_websocket_url(address: str) -> str:
    """The rule with `address`: the value itself, with http → ws and https → wss."""
    for plain, secure in (("http://", "ws://"), ("https://", "wss://")):
        if address.startswith(plain):
            return secure + address.removeprefix(plain)
    return address


def same_socket_url(observed: str, expected: str) -> bool:
    """Same scheme, host, port and path, and the same parameters (in any order)."""
    seen, wanted = urlsplit(observed), urlsplit(expected)
    return (seen.scheme, seen.netloc, seen.path or "/") == (
        wanted.scheme,
        wanted.netloc,
        wanted.path or "/",
    ) and (
        sorted(parse_qsl(seen.query, keep_blank_values=True))
        == sorted(parse_qsl(wanted.query, keep_blank_values=True))
    )


def parameter_difference(observed: str, expected: str) -> str:
    """Which parameters the observed URL lacks or adds, compared with the expected one."""
    seen = parse_qsl(urlsplit(observed).query, keep_blank_values=True)
    wanted = parse_qsl(urlsplit(expected).query, keep_blank_values=True)
    missing = [f"{name}={value}" for name, value in wanted if (name, value) not in seen]
    extra = [f"{name}={value}" for name, value in seen if (name, value) not in wanted]
    parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
        [f"extra {', '.join(extra)}"] if extra else []
    )
    return "; ".join(parts)
