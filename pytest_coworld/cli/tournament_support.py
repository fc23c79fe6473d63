"""What the tournament commands share: the API session (login, `--server`, one-line errors), id checks, and
how values and tables are printed."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console

from pytest_coworld.cli.common import fail, stdout
from pytest_coworld.cli.platform_options import platform_errors, print_json

if TYPE_CHECKING:
    from rich.table import Table

    from pytest_coworld.platform.tournament import TournamentApi
    from pytest_coworld.platform.tournament_models import ReadModel

NONE = "-"
UNWRAPPED_WIDTH = 100_000  # a table printed to a pipe keeps its natural width (scripts grep it)


@contextmanager
def api_session(server: str) -> Iterator[TournamentApi]:
    """A `TournamentApi` on `server` with the stored login; any `PlatformError` exits 1 with one line and its
    hint, a `UsageProblem` exits 2."""
    from pytest_coworld.platform.client import PlatformClient
    from pytest_coworld.platform.credentials import require_token
    from pytest_coworld.platform.server import normalize_server
    from pytest_coworld.platform.tournament import TournamentApi, UsageProblem

    with platform_errors():
        try:
            normalized = normalize_server(server)
            with PlatformClient(normalized, require_token(normalized)) as client:
                yield TournamentApi(client)
        except UsageProblem as problem:
            fail(str(problem))


def print_raw(found: ReadModel | list[Any]) -> None:
    """What the server answered, as JSON (2-space indent) on stdout."""
    print_json([item.raw() for item in found] if isinstance(found, list) else found.raw())


def emit(as_json: bool, found: ReadModel | list[Any], render: Callable[[], None]) -> None:
    """`found` as the server's JSON with `--json`, else as `render` shows it."""
    if as_json:
        print_raw(found)
    else:
        render()


def checked_id(value: str | None, kind: str, what: str) -> str | None:
    """`value` when it is a `kind` id (or None), else a usage error."""
    from pytest_coworld.platform.tournament import UsageProblem, require_id

    if value is None:
        return None
    try:
        return require_id(value, kind, what)
    except UsageProblem as problem:
        fail(str(problem))


def when(value: str | None) -> str:
    """An ISO timestamp as `YYYY-MM-DD HH:MM` UTC; anything unparsable as given."""
    if not value:
        return NONE
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def score(value: float | None) -> str:
    """A score to 4 places."""
    return NONE if value is None else f"{value:.4f}"


def shown(value: Any) -> str:
    """A value for a table cell or a detail line: `-` for nothing, true/false for booleans."""
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def table(title: str, *columns: str, right: tuple[str, ...] = ()) -> Table:
    """A table with `columns` (those in `right` right-aligned)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    made = Table(title=Text(title), box=box.SIMPLE_HEAVY, pad_edge=False, title_justify="left")
    for column in columns:
        made.add_column(column, justify="right" if column in right else "left")
    return made


def add_row(rows: Table, *cells: Any) -> None:
    """A row of plain text (never Rich markup: names come from the server)."""
    from rich.text import Text

    rows.add_row(*(Text(shown(cell)) for cell in cells))


def print_table(rows: Table) -> None:
    """The table on stdout: fitted to a terminal, at its full width anywhere else."""
    if stdout.is_terminal:
        stdout.print(rows)
        return
    Console(file=sys.stdout, width=UNWRAPPED_WIDTH, highlight=False).print(rows)


def detail(label: str, value: Any) -> None:
    """One `Label: value` line on stdout."""
    stdout.print(f"{label}: {shown(value)}", markup=False, highlight=False, soft_wrap=True)
