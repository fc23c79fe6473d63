"""The self-contained HTML pages of a game: player client, live viewer and replay viewer."""

from __future__ import annotations

from pathlib import Path

from coworld_kit.settings import Generation

WEB = Path(__file__).parent / "web"
PAGE_KINDS = ("player", "global", "replay")
PAGE_PREFIXES = {Generation.CLASSIC: "/clients", Generation.CURRENT: "/client"}
TITLES = {"player": "player", "global": "live viewer", "replay": "replay viewer"}
BLANK_VIEW_JS = (
    "const GameView = { drawState() {}, applyUpdate(state) { return state; }, renderPlayer() {} };"
)


def _web(name: str) -> str:
    return (WEB / name).read_text(encoding="utf-8")


def _address_js(prefix: str, defect: str | None) -> str:
    """The address rule for pages served under `prefix`, as a defect may bend it."""
    honours_address = "false" if defect == "ignores-address-param" else "true"
    keeps_params = "false" if defect == "drops-page-params" else "true"
    return (
        _web("address.js")
        .replace("@@PAGE_PREFIX@@", prefix)
        .replace("@@HONOURS_ADDRESS@@", honours_address)
        .replace("@@KEEPS_PARAMS@@", keeps_params)
    )


class Pages:
    """Each page rendered once from the kit template, the address rule, the game view and the page script,
    served only under its generation's prefix: `/clients/<kind>` (classic) or `/client/<kind>` (current)."""

    def __init__(self, game_name: str, view_js: str, defect: str | None, generation: Generation) -> None:
        prefix = PAGE_PREFIXES[generation]
        address_js = _address_js(prefix, defect)
        self._html: dict[str, str] = {}
        for kind in PAGE_KINDS:
            blank = kind == "global" and defect == "blank-global-viewer"
            self._html[f"{prefix}/{kind}"] = (
                _web("page.html")
                .replace("@@TITLE@@", f"{game_name}: {TITLES[kind]}")
                .replace("@@KIND@@", kind)
                .replace("@@ADDRESS_JS@@", address_js)
                .replace("@@VIEW_JS@@", BLANK_VIEW_JS if blank else view_js)
                .replace("@@PAGE_JS@@", _web(f"{kind}.js"))
            )

    def for_path(self, path: str) -> str | None:
        """The page served at `path` (`<prefix>/<kind>` of this generation), None for other paths."""
        return self._html.get(path)
