"""The catalogue commands: `list`, `show`, `images`, `hosted-game create|join`
(PLATFORM_API.md, "Catalogue")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pytest_coworld.cli.common import GROUP_CONTEXT, stdout
from pytest_coworld.cli.platform_options import JsonOption, ServerOption, platform_errors, print_json, say
from pytest_coworld.platform.server import DEFAULT_SERVER, normalize_server

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.table import Table

    from pytest_coworld.platform.client import PlatformClient
    from pytest_coworld.platform.models import CoworldRecord

DEFAULT_LIMIT = 200
MAX_LIMIT = 500
SHOWN_HASH_CHARS = len("sha256:") + 12

LimitOption = Annotated[
    int, typer.Option("--limit", min=1, max=MAX_LIMIT, help=f"Rows to show (1 to {MAX_LIMIT}).")
]
OffsetOption = Annotated[int, typer.Option("--offset", min=0, help="Rows to skip first (for the next page).")]


def _client(server: str) -> PlatformClient:
    """A client of `server` carrying the stored token when there is one; each call says if it needs one."""
    from pytest_coworld.platform.client import PlatformClient
    from pytest_coworld.platform.credentials import load_token

    normalized = normalize_server(server)
    return PlatformClient(normalized, load_token(normalized))


def _raw(found: BaseModel | Sequence[BaseModel]) -> Any:
    """The JSON the server sent: the fields it gave (and no defaults the models fill in)."""
    if isinstance(found, Sequence):
        return [item.model_dump(mode="json", exclude_unset=True) for item in found]
    return found.model_dump(mode="json", exclude_unset=True)


def _table(*columns: str) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, no_wrap=column == "ID", overflow="fold")  # an id is never broken
    return table


def _add_row(table: Table, *cells: str) -> None:
    """A row shown as it is: the server's text is never read as rich markup."""
    from rich.text import Text

    table.add_row(*(Text(cell) for cell in cells))


def _size(size_bytes: int | None) -> str:
    """`812 bytes`, `3.4 kB`, `1.2 MB`…; `-` when unknown."""
    from rich.filesize import decimal

    return "-" if size_bytes is None else decimal(size_bytes)


def _short_hash(digest: str | None) -> str:
    if not digest:
        return "-"
    return digest if len(digest) <= SHOWN_HASH_CHARS else digest[:SHOWN_HASH_CHARS] + "…"


def _fields(*rows: tuple[str, str | None]) -> None:
    """`Label: value` lines, aligned; rows without a value are left out."""
    shown = [(label, value) for label, value in rows if value is not None]
    width = max(len(label) for label, _ in shown) + 1
    for label, value in shown:
        say(f"{label + ':':<{width}} {value}")


def _page_note(what: str, count: int, limit: int, offset: int) -> None:
    if not count:
        say(f"No {what}" + (f" after the first {offset}." if offset else "."))
        return
    note = f"Rows {offset + 1}-{offset + count}"
    say(note + (f"; next page: --offset {offset + count}" if count == limit else ""))


def list_command(
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """The platform's coworlds, a page at a time: ID, Name, Version, Canonical, Size, Manifest Hash."""
    from pytest_coworld.platform.catalogue import list_coworlds

    with platform_errors(), _client(server) as client:
        records = list_coworlds(client, limit, offset)
    if as_json:
        print_json(_raw(records))
        return
    if records:
        table = _table("ID", "Name", "Version", "Canonical", "Size", "Manifest Hash")
        for record in records:
            _add_row(
                table,
                record.id,
                record.name,
                str(record.version),
                "yes" if record.canonical else "no",
                _size(record.size_bytes),
                _short_hash(record.manifest_hash),
            )
        stdout.print(table)
    _page_note("coworlds", len(records), limit, offset)


def _show_coworld(record: CoworldRecord) -> None:
    from pytest_coworld.platform.catalogue import outline_manifest

    size = None if record.size_bytes is None else f"{_size(record.size_bytes)} ({record.size_bytes} bytes)"
    outline = outline_manifest(record.manifest)
    _fields(
        ("ID", record.id),
        ("Name", record.name),
        ("Version", str(record.version)),
        ("Canonical", "yes" if record.canonical else "no"),
        ("Size", size),
        ("Manifest hash", record.manifest_hash),
        ("Created", record.created_at),
        ("Game", outline.game),
        ("Owner", outline.owner),
        ("Description", outline.description),
    )
    say("Images:" if outline.images else "Images: none")
    width = max((len(where) for where, _ in outline.images), default=0)
    for where, image in outline.images:
        say(f"  {where:<{width}}  {image}")
    say("Variants:" if outline.variants else "Variants: none")
    width = max((len(variant_id) for variant_id, _ in outline.variants), default=0)
    for variant_id, name in outline.variants:
        say(f"  {variant_id:<{width}}  {name or ''}".rstrip())


def show_command(
    coworld_id: Annotated[str, typer.Argument(help="The coworld's id (cow_…), as `coworld list` shows it.")],
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """One coworld: its record, and its manifest's game, images and variants."""
    from pytest_coworld.platform.catalogue import find_coworld_by_id

    with platform_errors(), _client(server) as client:
        record = find_coworld_by_id(client, coworld_id)
    if as_json:
        print_json(_raw(record))
        return
    _show_coworld(record)


def _one_image(server: str, image_id: str, as_json: bool) -> None:
    with platform_errors(), _client(server) as client:
        image = client.get_image(image_id)
    if as_json:
        print_json(_raw(image))
        return
    _fields(
        ("ID", image.id),
        ("Name", image.name),
        ("Version", f"v{image.version}"),
        ("Status", image.status),
        ("Client hash", image.client_hash or "-"),
        ("Image URI", image.image_uri or "-"),
        ("Digest", image.image_digest or "-"),
        ("Public URI", image.public_image_uri or "-"),
    )


def _image_page(server: str, limit: int, offset: int, as_json: bool) -> None:
    from pytest_coworld.platform.catalogue import list_images

    with platform_errors(), _client(server) as client:
        images = list_images(client, limit, offset)
    if as_json:
        print_json(_raw(images))
        return
    if images:
        table = _table("ID", "Name", "Version", "Status", "Public URI")
        for image in images:
            _add_row(
                table, image.id, image.name, f"v{image.version}", image.status, image.public_image_uri or "-"
            )
        stdout.print(table)
    _page_note("container images", len(images), limit, offset)


def images_command(
    image_id: Annotated[
        str | None, typer.Argument(help="One image's id (img_…): show it in full instead of the list.")
    ] = None,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Your container images (ID, Name, Version, Status, Public URI), or one image with hashes and URIs."""
    if image_id:
        _one_image(server, image_id, as_json)
    else:
        _image_page(server, limit, offset, as_json)


def hosted_game_create_command(
    coworld_id: Annotated[str, typer.Argument(help="The coworld to play (cow_…).")],
    variant: Annotated[
        str | None,
        typer.Option("--variant", help="A variant id of the coworld (`coworld show` lists them)."),
    ] = None,
    spectators: Annotated[
        bool, typer.Option("--spectators/--no-spectators", help="Whether others may watch the game.")
    ] = True,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Start a game the platform hosts; print the link to share with players, the lobby and the viewer."""
    from pytest_coworld.platform.catalogue import create_hosted_game

    with platform_errors(), _client(server) as client:
        game = create_hosted_game(client, coworld_id, variant, spectators)
    if as_json:
        print_json(_raw(game))
        return
    _fields(
        ("Session", game.session_id),
        ("Players", str(game.player_count)),
        ("Join link", game.join_url),
        ("Lobby", game.lobby_url),
        ("Viewer", game.global_url),
    )
    say(f"Share the join link; to take a seat here: coworld hosted-game join {game.session_id}")


def hosted_game_join_command(
    session_id: Annotated[str, typer.Argument(help="The hosted game's session id (ps_…).")],
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Take the next free seat of a hosted game; print your player link (open it in a browser)."""
    from pytest_coworld.platform.catalogue import join_hosted_game

    with platform_errors(), _client(server) as client:
        seat = join_hosted_game(client, session_id)
    if as_json:
        print_json(_raw(seat))
        return
    _fields(
        ("Session", session_id),
        ("Slot", f"{seat.slot} ({seat.player.label})"),
        ("Player link", seat.player_url),
    )


def register(app: typer.Typer) -> None:
    """Add the catalogue commands to `app`."""
    app.command("list")(list_command)
    app.command("show")(show_command)
    app.command("images")(images_command)
    hosted_game = typer.Typer(
        help="Games the platform hosts for people: start one, or take a seat in one.",
        no_args_is_help=True,
        context_settings=GROUP_CONTEXT,
    )
    hosted_game.command("create")(hosted_game_create_command)
    hosted_game.command("join")(hosted_game_join_command)
    app.add_typer(hosted_game, name="hosted-game")
