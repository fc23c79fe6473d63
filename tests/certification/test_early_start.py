"""A run that executes every check starts the games at configure time, beside pytest's collection; it never
starts one that no selected check needs, and what it starts is removed even when no check ever ran."""

from __future__ import annotations

import time
from typing import Any

import pytest
from certification_runs import Certification

from pytest_coworld.examples import example_manifest_path
from pytest_coworld.runtime.labels import LABEL_RUN_ID


def containers_created(docker_client: Any, run_id: str, since: float) -> list[str]:
    """The names of the containers the engine created for run `run_id` since `since` (epoch seconds)."""
    events = docker_client.events(
        since=int(since),
        until=int(time.time()) + 1,
        decode=True,
        filters={"type": "container", "event": "create", "label": LABEL_RUN_ID},
    )
    attributes = [event["Actor"]["Attributes"] for event in events]
    return [a["name"] for a in attributes if a.get(LABEL_RUN_ID, "").startswith(run_id)]


def containers_left(docker_client: Any, run_id: str) -> list[str]:
    labelled = docker_client.containers.list(all=True, filters={"label": LABEL_RUN_ID}, ignore_removed=True)
    return [c.name for c in labelled if c.labels[LABEL_RUN_ID].startswith(run_id)]


@pytest.mark.parametrize(
    ("checks", "starts_games"),
    [("manifest.*,images.*", False), ("manifest.*,runtime.healthz", True)],
    ids=["only-gameless-checks", "one-check-with-a-game"],
)
def test_games_start_only_for_checks_that_need_them(
    certify: Any, docker_client: Any, checks: str, starts_games: bool
) -> None:
    began = time.time()
    run: Certification = certify(example_manifest_path("paint"), args=(f"--coworld-checks={checks}",))

    assert run.result.ret == 0, run.result.stdout.str()[-3000:]
    run_id = run.report["run_id"]
    assert bool(containers_created(docker_client, run_id, began)) is starts_games
    assert containers_left(docker_client, run_id) == []


def test_games_started_early_are_removed_when_the_collection_fails(
    pytester: pytest.Pytester, docker_client: Any, example_images: None
) -> None:
    """A collection error ends the session before any check's fixture ran: the games go all the same. (The
    broken module takes its time to fail, so that the games have started.)"""
    broken = "import time\ntime.sleep(COLLECTION_SECONDS)\nimport no_such_module_anywhere\n"
    (pytester.path / "test_broken.py").write_text(broken.replace("COLLECTION_SECONDS", "8"))
    began = time.time()
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        f"--coworld-manifest={example_manifest_path('paint')}",
        f"--coworld-artifacts-dir={pytester.path / 'artifacts'}",
    )

    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()[-3000:]
    run_id = next(
        line.split(", run ", 1)[1].split(",", 1)[0] for line in result.outlines if ", run cw-" in line
    )
    assert containers_left(docker_client, run_id) == []
    assert containers_created(docker_client, run_id, began), "the games were started before the collection"
