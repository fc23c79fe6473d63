"""`coworld upload-coworld` and `coworld download` of the bundled examples, end to end.

The examples are pushed to the real registry and downloaded back through the anonymous "public" registry
into a folder that then validates. `upload-coworld` certifies each example for real first (`coworld certify`).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
from click.testing import Result
from coworld_standin import StandinServer
from image_witness import saved_digests
from oci_registry import RegistryPair, RegistryReader
from platform_testkit import RunCli, new_standin
from typer.testing import CliRunner

from pytest_coworld import admission
from pytest_coworld.cli.app import app as coworld_app
from pytest_coworld.examples import apply_defect, build_example, example_manifest_path, list_examples

EXAMPLES = [example.name for example in list_examples()]
ROLE_SECTIONS = ("player", "grader", "reporter", "commissioner", "diagnoser", "optimizer")


@dataclass(frozen=True)
class UploadedExample:
    manifest_path: Path
    report: Path
    result: Result

    @property
    def coworld_id(self) -> str:
        (line,) = [line for line in self.result.stdout.splitlines() if line.startswith("Coworld: ")]
        return line.split()[1]


@dataclass(frozen=True)
class UploadedExamples:
    standin: StandinServer
    env: dict[str, str]
    by_name: dict[str, UploadedExample]


@pytest.fixture(scope="module")
def uploaded_examples(
    registries: RegistryPair, run_cli: RunCli, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UploadedExamples]:
    """Every bundled example, certified and uploaded once with `coworld upload-coworld` to one platform."""
    home = tmp_path_factory.mktemp("home")
    with new_standin(registries) as standin:
        env = {"HOME": str(home), "COWORLD_TOKEN": standin.state.token}
        uploads = {}
        for example in list_examples():
            build_example(example.name)
            output_dir = tmp_path_factory.mktemp(f"certify-{example.name}")
            result = run_cli(
                "upload-coworld",
                str(example.manifest_path),
                "--output-dir",
                str(output_dir),
                "--server",
                standin.server_url,
                env=env,
            )
            report = output_dir / admission.REPORT_NAME
            uploads[example.name] = UploadedExample(example.manifest_path, report, result)
        yield UploadedExamples(standin, env, uploads)


def _image_slots(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every object of the manifest that carries an `image` key."""
    yield document["game"]["runnable"]
    for section in ROLE_SECTIONS:
        yield from (entry for entry in document.get(section) or [] if "image" in entry)


def _with_images(document: dict[str, Any], replacements: dict[str, str]) -> dict[str, Any]:
    rewritten = copy.deepcopy(document)
    for slot in _image_slots(rewritten):
        slot["image"] = replacements[slot["image"]]
    return rewritten


@pytest.mark.parametrize("name", EXAMPLES)
def test_upload_coworld_pushes_each_distinct_image_then_the_rewritten_manifest(
    uploaded_examples: UploadedExamples, name: str, registry_reader: RegistryReader, docker_client: Any
) -> None:
    upload = uploaded_examples.by_name[name]
    assert upload.result.exit_code == 0, upload.result.output
    assert upload.report.is_file()
    state = uploaded_examples.standin.state
    original = json.loads(upload.manifest_path.read_text())
    local_images = sorted({slot["image"] for slot in _image_slots(original)})
    local_ids = {image: docker_client.images.get(image).id for image in local_images}
    records = {
        image: next(record for record in state.images.values() if record["client_hash"] == local_ids[image])
        for image in local_images
    }

    uploaded = next(record for record in state.coworlds if record["id"] == upload.coworld_id)
    assert uploaded["manifest"] == _with_images(
        original, {image: records[image]["id"] for image in local_images}
    )
    for image, record in records.items():
        assert record["name"] == image.rsplit("/", 1)[-1].split(":")[0]
        manifest, digest = registry_reader.manifest(record["_repository"], record["_tag"])
        config_digest, layer_digests = saved_digests(image)
        assert (digest, manifest["config"]["digest"]) == (record["image_digest"], config_digest)
        assert [layer["digest"] for layer in manifest["layers"]] == layer_digests
    names = {record["name"] for record in records.values()}
    asked = [call.json()["name"] for call in state.calls_to("POST", "/v2/container_images/upload")]
    assert [name for name in asked if name in names] == [records[image]["name"] for image in local_images]


def test_reupload_with_the_certification_skips_the_images_the_platform_has(
    uploaded_examples: UploadedExamples, run_cli: RunCli
) -> None:
    state = uploaded_examples.standin.state
    paint = uploaded_examples.by_name["paint"]
    completed_before = len(state.calls_to("POST", "/v2/container_images/upload/complete"))

    result = run_cli(
        "upload-coworld",
        str(paint.manifest_path),
        "--certification",
        str(paint.report),
        "--server",
        uploaded_examples.standin.server_url,
        env=uploaded_examples.env,
    )

    assert result.exit_code == 0, result.output
    assert result.stderr.count("the platform already has it") == 2
    assert ": pushed" not in result.stderr
    assert len(state.calls_to("POST", "/v2/container_images/upload/complete")) == completed_before
    versions = [
        (record["version"], record["canonical"]) for record in state.coworlds if record["name"] == "paint"
    ]
    assert versions[-2:] == [(1, False), (2, True)]


def test_a_certification_of_another_manifest_uploads_nothing(
    uploaded_examples: UploadedExamples, run_cli: RunCli
) -> None:
    state = uploaded_examples.standin.state
    calls_before = len(state.calls)

    result = run_cli(
        "upload-coworld",
        str(uploaded_examples.by_name["auction"].manifest_path),
        "--certification",
        str(uploaded_examples.by_name["paint"].report),
        "--server",
        uploaded_examples.standin.server_url,
        env=uploaded_examples.env,
    )

    assert result.exit_code == 1
    assert (
        "is not a passing certification of this manifest and these images: the report holds no "
        "certification of this manifest" in result.stderr
    )
    assert "hint: certify again with `coworld certify MANIFEST`" in result.stderr
    assert len(state.calls) == calls_before


def test_a_failing_certification_uploads_nothing(
    logged_in: StandinServer, run_cli: RunCli, tmp_path: Path
) -> None:
    build_example("paint")
    document = apply_defect(json.loads(example_manifest_path("paint").read_text()), "accepts-bad-token")
    manifest = tmp_path / "coworld_manifest.json"
    manifest.write_text(json.dumps(document))

    result = run_cli(
        "upload-coworld",
        str(manifest),
        "--output-dir",
        str(tmp_path / "out"),
        "--server",
        logged_in.server_url,
    )

    assert result.exit_code == 1
    assert "error: nothing was uploaded: the game is not CERTIFIED (not-certified)" in result.stderr
    assert f"hint: fix the checks that failed in {tmp_path / 'out' / admission.REPORT_NAME}" in result.stderr
    assert logged_in.state.calls == []


@pytest.fixture
def untag_downloads(uploaded_examples: UploadedExamples, docker_client: Any) -> Iterator[None]:
    """After the test, remove the tags a download made (pulled URIs and local tags); the images stay."""
    yield
    for record in uploaded_examples.standin.state.images.values():
        for tag in (record["public_image_uri"], f"coworld/{record['name']}:v{record['version']}"):
            with contextlib.suppress(docker.errors.ImageNotFound):
                docker_client.images.remove(tag)


@pytest.mark.parametrize("by", ["name", "id"])
@pytest.mark.usefixtures("untag_downloads")
def test_download_pulls_the_images_and_writes_a_manifest_that_validates(
    uploaded_examples: UploadedExamples, run_cli: RunCli, by: str, tmp_path: Path, docker_client: Any
) -> None:
    paint = uploaded_examples.by_name["paint"]
    state = uploaded_examples.standin.state
    latest = next(record for record in state.coworlds if record["name"] == "paint" and record["canonical"])
    expected = latest if by == "name" else next(r for r in state.coworlds if r["id"] == paint.coworld_id)
    target = tmp_path / "downloaded"

    result = run_cli(
        "download",
        "paint" if by == "name" else paint.coworld_id,
        "--output-dir",
        str(target),
        "--server",
        uploaded_examples.standin.server_url,
        env=uploaded_examples.env,
    )

    assert result.exit_code == 0, result.output
    images = {
        image_id: state.images[image_id]
        for image_id in {s["image"] for s in _image_slots(expected["manifest"])}
    }
    local_tags = {
        image_id: f"coworld/{record['name']}:v{record['version']}" for image_id, record in images.items()
    }
    index = json.loads((target / "coworld_images.json").read_text())
    assert index == {
        "coworld_id": expected["id"],
        "name": "paint",
        "version": expected["version"],
        "images": [
            {"public_image_uri": images[image_id]["public_image_uri"], "local_image": local_tags[image_id]}
            for image_id in sorted(images)
        ],
    }
    downloaded = json.loads((target / "coworld_manifest.json").read_text())
    assert downloaded == _with_images(expected["manifest"], local_tags)
    for image_id, local_tag in local_tags.items():
        assert docker_client.images.get(local_tag).id == images[image_id]["client_hash"]
    validation = CliRunner().invoke(coworld_app, ["validate", str(target / "coworld_manifest.json")])
    assert validation.exit_code == 0, validation.output


@pytest.mark.usefixtures("untag_downloads")
def test_certify_of_a_coworld_id_downloads_and_certifies_it(
    uploaded_examples: UploadedExamples, tmp_path: Path
) -> None:
    paint = uploaded_examples.by_name["paint"]
    env = {**uploaded_examples.env, "COWORLD_SERVER": uploaded_examples.standin.server_url}

    report = tmp_path / "report.json"
    certified = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_coworld.cli.app",
            "certify",
            paint.coworld_id,
            "--report",
            str(report),
            "--artifacts-dir",
            str(tmp_path / "artifacts"),
        ],
        env={**os.environ, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert certified.returncode == 0, certified.stdout[-3000:] + certified.stderr[-2000:]
    assert "pulling " in certified.stderr
    certification = json.loads(report.read_text())
    assert certification["verdict"] == "certified"
    manifest = (
        Path(uploaded_examples.env["HOME"])
        / ".cache"
        / "coworld"
        / paint.coworld_id
        / "coworld_manifest.json"
    )
    assert certification["certifications"][0]["manifest"]["source"] == str(manifest)


@pytest.mark.usefixtures("untag_downloads")
def test_download_of_a_manifest_file_pulls_its_platform_images(
    uploaded_examples: UploadedExamples, run_cli: RunCli, tmp_path: Path
) -> None:
    state = uploaded_examples.standin.state
    record = next(record for record in state.coworlds if record["name"] == "auction")
    exported = tmp_path / "exported" / "coworld_manifest.json"
    exported.parent.mkdir()
    exported.write_text(json.dumps(record["manifest"]))

    result = run_cli(
        "download",
        str(exported),
        "--output-dir",
        str(tmp_path / "out"),
        "--server",
        uploaded_examples.standin.server_url,
        env=uploaded_examples.env,
    )

    assert result.exit_code == 0, result.output
    index = json.loads((tmp_path / "out" / "coworld_images.json").read_text())
    assert (index["coworld_id"], index["name"], index["version"]) == (None, "auction", None)
    assert sorted(image["local_image"] for image in index["images"]) == [
        "coworld/auction-game:v1",
        "coworld/auction-player:v1",
    ]


def test_download_of_an_unknown_name_says_how_to_find_it(
    standin: StandinServer, run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli(
        "download", "no-such-game", "--output-dir", str(tmp_path / "d"), "--server", standin.server_url
    )

    assert result.exit_code == 1
    assert f"error: no coworld named 'no-such-game' on {standin.server_url}" in result.stderr
    assert not (tmp_path / "d").exists()
