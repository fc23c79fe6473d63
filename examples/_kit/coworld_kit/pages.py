"""The self-contained HTML pages of a game: player client, live viewer and replay viewer."""

from __future__ import annotations

from pathlib import Path

WEB = Path(__file__).parent / "web"
PAGE_KINDS = ("player", "global", "replay")
PAGE_ROUTES = {f"/{prefix}/{kind}": kind for prefix in ("client", "clients") for kind in PAGE_KINDS}
TITLES = {"player": "player", "global": "live viewer", "replay": "replay viewer"}
BLANK_VIEW_JS = (
    "const GameView = { drawState() {}, applyUpdate(state) { return state; }, renderPlayer() {} };"
)


def _web(name: str) -> str:
    return (WEB / name).read_text(encoding="utf-8")


class Pages:
    """Each page rendered once from the kit template, the address rule, the game view and the page script."""

    def __init__(self, game_name: str, view_js: str, defect: str | None) -> None:
        honours_address = "false" if defect == "ignores-address-param" else "true"
        keeps_params = "false" if defect == "drops-page-params" else "true"
        address_js = (
            _web("address.js")
            .replace("@@HONOURS_ADDRESS@@", honours_address)
            .replace("@@KEEPS_PARAMS@@", keeps_params)
        )
        self._html: dict[str, str] = {}
        for kind in PAGE_KINDS:
            blank = kind == "global" and defect == "blank-global-viewer"
            self._html[kind] = (
                _web("page.html")
                .replace("@@TITLE@@", f"{game_name}: {TITLES[kind]}")
                .replace("@@KIND@@", kind)
                .replace("@@ADDRESS_JS@@", address_js)
                .replace("@@VIEW_JS@@", BLANK_VIEW_JS if blank else view_js)
                .replace("@@PAGE_JS@@", _web(f"{kind}.js"))
            )

    def for_path(self, path: str) -> str | None:
        """The page served at `path` (`/client/<kind>` or `/clients/<kind>`), None for other paths."""
        kind = PAGE_ROUTES.get(path)
        return None if kind is None else self._html[kind]
