"""What `run-episode` and `play` print after their episodes: the summary, the results table, and why an
episode failed (with the last lines of the log that says so)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_coworld.cli.common import stderr, stdout

if TYPE_CHECKING:
    from rich.table import Table

    from pytest_coworld.manifest.models import LoadedManifest
    from pytest_coworld.runtime import EpisodeResult

LOG_LINES_SHOWN = 12
WIDE_SLOTS = 4  # more slots than this (and than episodes): one row per slot


def episode_summary(
    loaded: LoadedManifest, run_id: str, folder: Path, results: list[EpisodeResult]
) -> dict[str, Any]:
    """The run's episodes, outcomes, scores and mean scores, as `run-episode --json` prints them."""
    from pytest_coworld.cli.slot_scores import slot_scores

    slots = slot_scores([result.scores for result in results if result.completed and result.scores])
    return {
        "run_id": run_id,
        "manifest": loaded.source,
        "generation": loaded.generation.value,
        "output_dir": str(folder),
        "episodes": [
            {
                "index": index,
                "episode_id": result.episode_id,
                "outcome": result.outcome.kind.value,
                "slot": result.outcome.slot,
                "message": result.outcome.message,
                "scores": result.scores,
                "artifacts_dir": str(result.artifacts_dir),
                "timings": result.timings,
                "wire": [result.wire[slot].to_dict() for slot in sorted(result.wire)],
            }
            for index, result in enumerate(results, start=1)
        ],
        "mean_scores": [slot.mean for slot in slots] or None,
        "slots": [slot.to_dict() for slot in slots],
        "completed": sum(result.completed for result in results),
        "total": len(results),
    }


def print_results(summary: dict[str, Any], results: list[EpisodeResult]) -> None:
    """The results table on stdout; each failed episode's outcome and log tail on stderr; the artifacts."""
    slot_count = max((len(result.record.get("players", [])) for result in results), default=0)
    stdout.print(_results_table(summary, results, slot_count))
    for result in results:
        if not result.completed:
            stderr.print(
                f"episode {result.episode_id}: {result.outcome.summary()}", markup=False, soft_wrap=True
            )
            tail = "\n".join(result.outcome.log_tail.splitlines()[-LOG_LINES_SHOWN:])
            if tail:
                stderr.print(f"--- last lines of {result.outcome.source}.log ---\n{tail}", markup=False)
    stdout.print(f"artifacts: {Path(summary['output_dir']).absolute()}", markup=False, soft_wrap=True)


def _results_table(summary: dict[str, Any], results: list[EpisodeResult], slot_count: int) -> Table:
    """Episodes by slots: one row per episode, or (when many slots outnumber the episodes) one row per slot,
    so the table stays narrow; cells fold instead of being cut."""
    from rich import box
    from rich.table import Table

    means = summary["mean_scores"] or [None] * slot_count
    columns: list[tuple[str, list[str]]] = [
        (
            str(episode["index"]),
            [_outcome(episode["outcome"], result), *map(_score, episode["scores"] or [None] * slot_count)],
        )
        for episode, result in zip(summary["episodes"], results, strict=True)
    ]
    columns.append(("mean", [f"{summary['completed']}/{summary['total']} completed", *map(_score, means)]))
    if len(results) > 1:
        columns += _spread_and_wins(summary["slots"], slot_count)
    columns.append(("messages", ["sent/received", *_messages(results, slot_count)]))
    row_names = ["outcome", *(f"slot {slot}" for slot in range(slot_count))]
    table = Table(title=f"run {summary['run_id']}", title_justify="left", header_style="bold", box=box.SIMPLE)
    if slot_count > max(len(results), WIDE_SLOTS):
        table.add_column("episode")
        for name, _ in columns:
            table.add_column(name, justify="right", overflow="fold")
        for index, row_name in enumerate(row_names):
            table.add_row(row_name, *(cells[index] for _, cells in columns))
        return table
    for name in ["episode", *row_names]:
        table.add_column(name, justify="left" if name in ("episode", "outcome") else "right", overflow="fold")
    for name, cells in columns:
        table.add_row(name, *cells, style="dim" if name == "messages" else None)
    return table


def _spread_and_wins(slots: list[dict[str, Any]], slot_count: int) -> list[tuple[str, list[str]]]:
    """The rows under the mean: each slot's standard deviation, and its wins (shared ones after a +)."""
    if not slots:
        return [("spread", ["", *["-"] * slot_count]), ("wins", ["", *["-"] * slot_count])]
    spread = ["-" if slot["stdev"] is None else f"{slot['stdev']:.3g}" for slot in slots]
    wins = [f"{slot['wins']}" + (f"+{slot['shared_wins']}" if slot["shared_wins"] else "") for slot in slots]
    return [("spread", ["standard deviation", *spread]), ("wins", ["alone+shared", *wins])]


def _outcome(kind: str, result: EpisodeResult) -> str:
    """The outcome, and whether the game had to be stopped after it lingered."""
    game = result.record.get("game") or {}
    if not game.get("lingered_after_results"):
        return kind
    how = "SIGTERM" if game.get("obeyed_sigterm") else "killed"
    return f"{kind} (game lingered {game.get('seconds_after_results') or 0:.0f} s; {how})"


def _messages(results: list[EpisodeResult], slot_count: int) -> list[str]:
    """Per slot, the data messages its player sent and received over all episodes (from the wire relay)."""
    cells = []
    for slot in range(slot_count):
        wires = [result.wire[slot] for result in results if slot in result.wire]
        sent, received = sum(w.messages_sent for w in wires), sum(w.messages_received for w in wires)
        cells.append(f"{sent}/{received}" if wires else "-")
    return cells


def _score(score: float | None) -> str:
    return "-" if score is None else f"{score:g}"
