"""Image checks: every image the manifest references is there, with its id recorded."""

from __future__ import annotations

from pytest_coworld.checks.catalog import RecordProperty, check_mark
from pytest_coworld.failures import CoworldCheckFailure


@check_mark("images.present")
def test_image_present(
    record_property: RecordProperty, coworld_target: str, coworld_image: tuple[str, str]
) -> None:
    """Testname: Image present.
    Description: Every image the manifest references (game, players, supporting roles) MUST exist locally or
    be resolvable from its registry. Supporting-role images are checked for presence only.
    """
    import docker
    import docker.errors

    from pytest_coworld.image_facts import inspect_image
    from pytest_coworld.runtime.docker_api import connect_docker

    path, reference = coworld_image
    client = connect_docker()
    facts = inspect_image(client, reference)
    if facts is not None:
        record_property("coworld.image_id", facts.id)
        record_property("coworld.image_platform", facts.platform)
        return
    try:
        remote = client.images.get_registry_data(reference)
    except docker.errors.DockerException as error:
        raise CoworldCheckFailure(
            "images.present",
            "RUNTIME.md: roles (every role runs from its image)",
            f"{path} = {reference} present locally or resolvable from its registry",
            f"not found locally, and its registry says: {str(error).splitlines()[0]}",
            hint="build the image with this exact tag, or push it where it can be pulled",
            repro=f"docker image inspect {reference}",
        ) from None
    record_property("coworld.image_digest", str(remote.id))
