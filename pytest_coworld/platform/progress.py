"""Per-layer push progress: a live Rich bar on a terminal, one plain line per blob elsewhere (CI logs)."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.filesize import decimal
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn


class TransferProgress(Protocol):
    """What a push (blob by blob) or a download (note by note) reports."""

    def blob_started(self, label: str, size: int) -> None: ...

    def blob_advanced(self, count: int) -> None: ...

    def blob_finished(self, outcome: str) -> None: ...

    def note(self, text: str) -> None: ...


class PlainProgress:
    """One line per finished blob, for logs and pipes."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._current = ("", 0)

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        return None

    def blob_started(self, label: str, size: int) -> None:
        self._current = (label, size)

    def blob_advanced(self, count: int) -> None:
        return None

    def blob_finished(self, outcome: str) -> None:
        label, size = self._current
        self._console.print(
            f"  {label} ({decimal(size)}): {outcome}", markup=False, highlight=False, soft_wrap=True
        )

    def note(self, text: str) -> None:
        self._console.print(text, markup=False, highlight=False, soft_wrap=True)


class RichProgress:
    """A live bar per blob on a terminal; use as a context manager."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("  {task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[outcome]}"),
            console=console,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._progress.stop()

    def blob_started(self, label: str, size: int) -> None:
        self._task = self._progress.add_task(label, total=size, outcome="")

    def blob_advanced(self, count: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, count)

    def blob_finished(self, outcome: str) -> None:
        if self._task is not None:
            total = self._progress.tasks[self._task].total
            self._progress.update(self._task, completed=total, outcome=outcome)

    def note(self, text: str) -> None:
        self._progress.console.print(text, markup=False, highlight=False, soft_wrap=True)


def progress_for(console: Console) -> PlainProgress | RichProgress:
    """Rich bars when `console` is a terminal, plain lines otherwise."""
    return RichProgress(console) if console.is_terminal else PlainProgress(console)
