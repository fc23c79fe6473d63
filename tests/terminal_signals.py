"""Children that get Ctrl-C as they would from a terminal.

A shell starts background jobs (and so, maybe, a CI runner) with SIGINT ignored, and children inherit that:
a test that sends SIGINT to a child restores the default in it first (`preexec_fn=sigint_as_in_a_terminal`).
"""

from __future__ import annotations

import signal


def sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
