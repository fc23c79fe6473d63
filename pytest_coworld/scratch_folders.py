"""How the scratch folder of a `coworld certify` run is named: it names its owner's pid, so a folder whose
owner was killed can be told from a live one (`runtime.cleanup.sweep_stale_scratch_folders`).

A module of its own, without imports: `coworld certify` names its folder before it starts pytest, and
everything it imports before then delays the certification.
"""

from __future__ import annotations

import os

SCRATCH_PREFIX = "coworld-certify-"


def scratch_folder_prefix(pid: int | None = None) -> str:
    """How a `coworld certify` scratch folder's name starts: it names its owner, `coworld-certify-<pid>-`."""
    return f"{SCRATCH_PREFIX}{os.getpid() if pid is None else pid}-"
