"""`pip install pytest-coworld` alone, no dev extras: the browser checks are there, and they judge."""

from __future__ import annotations

import json
import subprocess
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALL_SECONDS = 900


def test_a_plain_install_looks_at_the_live_viewer(tmp_path: Path, example_images: None) -> None:
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(REPO)]
    subprocess.run(install, check=True, timeout=INSTALL_SECONDS, capture_output=True)
    coworld = [str(environment / "bin" / "coworld"), "certify", "--example", "auction"]

    blank = subprocess.run(
        [*coworld, "--defect", "blank-global-viewer", "--coworld-checks=browser.global_viewer"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert blank.returncode == 1, blank.stdout[-3000:]  # NOT CERTIFIED
    # its pytest process imported the runtime before pytest started, and pytest had nothing to warn about
    assert "PytestAssertRewriteWarning" not in blank.stdout + blank.stderr
    report = json.loads((tmp_path / "coworld-certification.json").read_text())
    checks = report["certifications"][0]["checks"]
    assert [(check["id"], check["outcome"]) for check in checks] == [("browser.global_viewer", "failed")]
