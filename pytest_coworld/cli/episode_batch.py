"""N episodes with at most K at once, on either backend: a live table on a terminal (one line per event
otherwise), and the results in order. Ctrl-C sets the run's cancel event, so every episode cleans up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_coworld.cli.common import stderr

if TYPE_CHECKING:
    from pytest_coworld.runtime import EpisodeResult
    from pytest_coworld.runtime.observer import EpisodeObserver

PlayOne = Callable[[Path, "EpisodeObserver"], "EpisodeResult"]
"""Plays one episode into an artifacts folder, telling an observer how it goes."""


def run_batch(
    play: PlayOne, cancel: threading.Event, slot_count: int, count: int, parallel: int, folder: Path
) -> list[EpisodeResult]:
    """Play `count` episodes, `parallel` at once, into `folder`/episode-<n>."""
    from pytest_coworld.runtime.progress import LiveProgress, PlainProgress

    live = LiveProgress(stderr) if stderr.is_terminal else None
    labels = [f"episode {index}/{count}" for index in range(1, count + 1)]
    observers = [
        live.episode(label, slot_count) if live else PlainProgress(label, stderr) for label in labels
    ]
    folders = [folder / f"episode-{index}" for index in range(1, count + 1)]
    with live or nullcontext():
        pool = ThreadPoolExecutor(parallel, thread_name_prefix="episode")
        try:
            futures = [
                pool.submit(play, target, observer)
                for target, observer in zip(folders, observers, strict=True)
            ]
            return [future.result() for future in futures]
        except BaseException:
            cancel.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
