"""How many certification runs keep their artifacts: the newest `KEEP_RUNS` run folders (`cw-…`)."""

from __future__ import annotations

import shutil
from pathlib import Path

KEEP_RUNS = 5
RUN_PREFIX = "cw-"


def prune_old_runs(artifacts_dir: Path, keep: int = KEEP_RUNS) -> list[Path]:
    """Before a new run: remove all but the newest `keep - 1` run folders under `artifacts_dir`.

    Only folders named like a run id are touched; whatever else is there stays. Returns what was removed.
    """
    if not artifacts_dir.is_dir():
        return []
    runs = sorted(
        (path for path in artifacts_dir.iterdir() if path.is_dir() and path.name.startswith(RUN_PREFIX)),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    removed = runs[max(keep - 1, 0) :]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed
