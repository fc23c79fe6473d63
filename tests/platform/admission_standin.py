"""A stand-in for `pytest_coworld.admission` while the real certification suite is not usable in these tests.

WAITING FOR THE REAL SUITE: when `coworld certify` of the bundled examples passes reliably, drop this module
and let `upload-coworld` certify for real. It keeps the same contract: `certify` writes a report or raises
`CertificationFailed`; `check_report` lists why a report does not admit this manifest and these images.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pytest_coworld import admission
from pytest_coworld.manifest import LoadedManifest, load_manifest
from pytest_coworld.platform.local_images import docker_engine


def certify(manifest_ref: str, output_dir: Path) -> Path:
    """A passing report for the manifest and the ids of its local images."""
    loaded = load_manifest(manifest_ref)
    engine = docker_engine()
    images = {image: engine.images.get(image).id for _, image in loaded.manifest.referenced_images()}
    output_dir.mkdir(parents=True, exist_ok=True)
    report = output_dir / admission.REPORT_NAME
    report.write_text(json.dumps({"verdict": "passed", "sha256": loaded.sha256, "images": images}))
    return report


def check_report(report_path: Path, loaded: LoadedManifest, image_ids: dict[str, str]) -> list[str]:
    report = json.loads(report_path.read_text())
    problems = [] if report["sha256"] == loaded.sha256 else ["the report certifies a different manifest"]
    return problems + [
        f"image {image} is {image_id}, but the report certified {report['images'].get(image)}"
        for image, image_id in sorted(image_ids.items())
        if report["images"].get(image) != image_id
    ]


@contextmanager
def standin_admission() -> Iterator[None]:
    """Route `upload-coworld`'s certification through this stand-in."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(admission, "certify", certify)
        patch.setattr(admission, "check_report", check_report)
        yield
