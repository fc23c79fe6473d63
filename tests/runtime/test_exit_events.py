"""A container's exit is taken from the engine's `die` event of the run (`ExitEvents`), with its exit code,
also when the container exited before anyone watched it; `docker wait` stays the fallback, and whichever
sees the exit first records it, once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from pytest_coworld.provision.base_image import BASE_IMAGE_TAG
from pytest_coworld.runtime import RunContext
from pytest_coworld.runtime.containers import ContainerHandle, ContainerSpec
from pytest_coworld.runtime.exits import ExitEvents

SECONDS = 30.0


def _spec(run: RunContext, script: str) -> ContainerSpec:
    name = run.resource_name("exits", uuid.uuid4().hex[:6])
    return ContainerSpec(name, BASE_IMAGE_TAG, run.identity.labels("probe"), run=["sh", "-c", script])


@pytest.fixture
def handles(run: RunContext) -> Iterator[list[ContainerHandle]]:
    """Handles the test makes, removed after it."""
    made: list[ContainerHandle] = []
    yield made
    for handle in made:
        handle.remove()


def _announced(exits: ExitEvents, container_id: str) -> int:
    codes: list[int] = []
    seen = threading.Event()
    exits.watch(container_id, lambda code: (codes.append(code), seen.set()))
    assert seen.wait(SECONDS), "the exit was never announced"
    return codes[0]


def test_the_engine_announces_an_exit_with_its_code(run: RunContext, handles: list[ContainerHandle]) -> None:
    assert run.exits is not None
    handle = ContainerHandle(run.client, _spec(run, "sleep 0.3; exit 3"))
    handles.append(handle)
    handle.create()
    codes: list[int] = []
    seen = threading.Event()
    run.exits.watch(handle.container.id, lambda code: (codes.append(code), seen.set()))  # before it starts
    handle.start()
    assert seen.wait(SECONDS) and codes == [3]


def test_an_exit_announced_before_it_was_watched_is_told_at_once(
    run: RunContext, handles: list[ContainerHandle]
) -> None:
    assert run.exits is not None
    handle = ContainerHandle(run.client, _spec(run, "exit 4"))
    handles.append(handle)
    handle.start()
    assert handle.wait_exit(SECONDS)  # by `docker wait`: this handle does not follow the events
    assert _announced(run.exits, handle.container.id) == 4


def test_a_handle_takes_the_exit_from_the_event_when_docker_wait_never_answers(
    run: RunContext, handles: list[ContainerHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    import docker.models.containers

    answer = threading.Event()  # `docker wait` answers only once the test is over
    monkeypatch.setattr(
        docker.models.containers.Container, "wait", lambda self, **kwargs: answer.wait() and {"StatusCode": 5}
    )
    exits: list[ContainerHandle] = []
    handle = ContainerHandle(run.client, _spec(run, "exit 5"), run.exits)
    handle.on_exit = exits.append
    handles.append(handle)
    try:
        handle.start()
        assert handle.wait_exit(SECONDS)
        assert handle.exit_code == 5 and exits == [handle]
    finally:
        answer.set()


def test_both_ways_of_seeing_an_exit_record_it_once(run: RunContext, handles: list[ContainerHandle]) -> None:
    exits: list[ContainerHandle] = []
    handle = ContainerHandle(run.client, _spec(run, "exit 6"), run.exits)
    handle.on_exit = exits.append
    handles.append(handle)
    handle.start()
    assert handle.wait_exit(SECONDS)
    waited = handle.container.wait(timeout=SECONDS)  # `docker wait` has answered too by now
    handle._exit_seen(int(waited["StatusCode"]))  # what the waiting thread then does
    assert handle.exit_code == 6 and exits == [handle]


def test_another_runs_exits_are_not_announced(run: RunContext, handles: list[ContainerHandle]) -> None:
    assert run.exits is not None
    with RunContext(guard=False, sweep_stale=False, client=run.client) as other:
        assert other.exits is not None
        handle = ContainerHandle(run.client, _spec(run, "exit 7"))
        handles.append(handle)
        handle.create()
        told: list[int] = []
        other.exits.watch(handle.container.id, told.append)
        handle.start()
        assert _announced(run.exits, handle.container.id) == 7
        time.sleep(0.5)  # the same event would reach the other run's stream about as soon
        assert told == []


def test_an_engine_that_refuses_the_subscription_leaves_the_exit_to_docker_wait(
    run: RunContext, handles: list[ContainerHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    import docker.errors

    def refuse(**kwargs: object) -> None:
        raise docker.errors.APIError("events are not served here")

    monkeypatch.setattr(run.client, "events", refuse)
    exits = ExitEvents(run.client, run.run_id).open()
    handle = ContainerHandle(run.client, _spec(run, "exit 8"), exits)
    handles.append(handle)
    handle.start()
    assert handle.wait_exit(SECONDS) and handle.exit_code == 8
