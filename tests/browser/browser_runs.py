"""Run a certification in a pytest subprocess and read its JSON report: check id → outcome, per manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_coworld.examples import apply_defect, example_manifest_path

RUN_SECONDS = 600


@dataclass(frozen=True)
class Certification:
    returncode: int
    output: str
    report: dict[str, Any]

    def _target(self, manifest: Path | str) -> dict[str, Any]:
        for certification in self.report["certifications"]:
            source = certification["manifest"]["source"]
            if (source if isinstance(manifest, str) else Path(source)) == manifest:
                return certification
        raise AssertionError(f"no certification of {manifest} in the report:\n{self.output}")

    def outcomes(self, manifest: Path | str, prefix: str = "browser.") -> dict[str, str]:
        """`{check id: passed | failed | skipped | error}` of the manifest's checks with ids under prefix."""
        checks = self._target(manifest)["checks"]
        return {check["id"]: check["outcome"] for check in checks if check["id"].startswith(prefix)}

    def message(self, manifest: Path | str, check_id: str) -> str:
        return next(c["message"] for c in self._target(manifest)["checks"] if c["id"] == check_id)

    def properties(self, manifest: Path, check_id: str) -> dict[str, str]:
        return next(c["properties"] for c in self._target(manifest)["checks"] if c["id"] == check_id)


def defect_manifest(folder: Path, example: str, defect: str | None) -> Path:
    """The example's manifest (with `defect` switched on) written into `folder`."""
    document = json.loads(example_manifest_path(example).read_text())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "coworld_manifest.json"
    path.write_text(json.dumps(apply_defect(document, defect) if defect else document))
    return path


def certify(
    workdir: Path, manifests: list[Path] | list[str], *options: str, env: dict[str, str] | None = None
) -> Certification:
    """`pytest --coworld-manifest=…` for every manifest, in `workdir`; the report is read back."""
    report = workdir / "coworld-certification.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rA",
        *(f"--coworld-manifest={manifest}" for manifest in manifests),
        f"--coworld-artifacts-dir={workdir / 'artifacts'}",
        f"--coworld-results-json={report}",
        "--coworld-healthz-timeout=30",  # five games at once on a loaded 2-core machine
        *options,
    ]
    finished = subprocess.run(
        command,
        cwd=workdir,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert report.is_file(), f"no report was written:\n{output}"
    return Certification(finished.returncode, output, json.loads(report.read_text()))
