"""Helper process for the guard test: open a RunContext, start a labelled container and network, then wait.

Prints `<run id> <work root>` once its resources exist; it never cleans up by itself (it waits to be killed).
"""

from __future__ import annotations

import sys
import time

from pytest_coworld.runtime import RunContext

BASE_IMAGE = "pytest-coworld/python-base:bookworm"


def main() -> None:
    run = RunContext().open()
    run.client.networks.create(run.resource_name("held"), labels=run.identity.labels("network"))
    run.client.containers.run(
        BASE_IMAGE,
        ["sleep", "600"],
        name=run.resource_name("held"),
        labels=run.identity.labels("held"),
        detach=True,
    )
    print(run.run_id, run.work_root, flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    sys.exit(main())
