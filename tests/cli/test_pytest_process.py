"""`coworld certify` starts its pytest process before it parses its command line, and a process it never
needed ends with the command, leaving no scratch folder behind."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_coworld.pytest_process import PytestProcess
from pytest_coworld.scratch_folders import scratch_folder_prefix


def test_coworld_certify_starts_its_pytest_before_it_imports_typer() -> None:
    statement = (
        "import json, subprocess, sys\n"
        "def started(*args, **kwargs):\n"
        "    print(json.dumps(sorted(sys.modules)))\n"
        "    raise SystemExit(0)\n"
        "subprocess.Popen = started\n"
        "sys.argv = ['coworld', 'certify', '--example', 'paint']\n"
        "from pytest_coworld.cli.entry_point import main\n"
        "main()"
    )
    output = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True, check=True)
    loaded = set(json.loads(output.stdout))

    assert "typer" not in loaded and "pydantic" not in loaded


def test_a_process_given_no_arguments_is_ended_and_its_folder_removed() -> None:
    process = PytestProcess()
    folder = process.folder
    assert (folder / "pytest.ini").is_file()

    process.close()

    assert process.process.returncode is not None
    assert not folder.exists()


def test_a_usage_error_ends_the_pytest_process_started_for_it(tmp_path: Path) -> None:
    certify = subprocess.Popen(
        [sys.executable, "-m", "pytest_coworld.cli", "certify", "--defect", "no-results"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, _ = certify.communicate(timeout=60)

    assert certify.returncode == 2, output
    assert list(Path(tempfile.gettempdir()).glob(f"{scratch_folder_prefix(certify.pid)}*")) == []


def test_a_process_that_died_before_its_arguments_answers_with_its_own_status() -> None:
    process = PytestProcess()
    process.process.kill()
    process.process.wait()
    try:
        child = process.run(["--version"])  # the pipe has no reader: no BrokenPipeError reaches the command
        assert child.wait() == -9
    finally:
        process.close()
    assert not process.folder.exists()
