"""League admission: run a certification as a subprocess, and verify a report against a manifest and images.

A report admits a manifest when its verdict is CERTIFIED, its manifest digest is this manifest's, its image
ids are the local images' ids, and every required check ran and passed (or did not apply to this game).

`coworld certify` exits with the verdict read from the report it wrote, not with pytest's exit code.
"""

from __future__ import annotations

import json
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_coworld.checks.catalog import required_checks
from pytest_coworld.reporting.records import CERTIFIED, INCOMPLETE, NOT_CERTIFIED, REPORT_NAME

if TYPE_CHECKING:
    from pytest_coworld.manifest import LoadedManifest
    from pytest_coworld.pytest_process import PytestProcess

EXIT_CERTIFIED = 0
EXIT_NOT_CERTIFIED = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_HARNESS_ERROR = 4
EXIT_INTERRUPTED = 130
EXIT_CODES = {CERTIFIED: EXIT_CERTIFIED, NOT_CERTIFIED: EXIT_NOT_CERTIFIED, INCOMPLETE: EXIT_INCOMPLETE}
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class CertificationFailed(Exception):
    """The certification did not pass; `report_path` holds the evidence (it may not exist on a crash)."""

    def __init__(self, message: str, report_path: Path) -> None:
        super().__init__(message)
        self.report_path = report_path


@dataclass(frozen=True)
class CertifyCommand:
    """The pytest command line `coworld certify` runs, in an empty folder so only the suite is collected."""

    manifest: str
    junitxml: Path | None = None
    results_json: Path | None = None
    results_html: Path | None = None
    artifacts_dir: Path | None = None
    workers: str | None = None
    extra: tuple[str, ...] = ()
    output_to_stderr: bool = False  # keep stdout for a machine-readable answer (`coworld certify --json`)

    def argv(self, folder: Path) -> list[str]:
        """pytest's arguments, for a pytest process whose folder is `folder`."""
        argv = [
            "-c",
            str(folder / "pytest.ini"),
            "--rootdir",
            str(folder),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:anyio",  # httpx's dependency registers a plugin for async tests: 0.3 s of start, unused here
            "-p",
            "pytest_coworld.frozen_heap",
            "-o",
            "junit_family=xunit1",
            f"--coworld-manifest={self.manifest}",
        ]
        if self.junitxml:
            argv.append(f"--junitxml={self.junitxml}")
        if self.results_json:
            argv.append(f"--coworld-results-json={self.results_json}")
        if self.results_html:
            argv.append(f"--coworld-html={self.results_html}")
        if self.artifacts_dir:
            argv.append(f"--coworld-artifacts-dir={self.artifacts_dir}")
        if self.workers:
            argv += ["-n", self.workers]
        return argv + [_absolute_manifest_option(argument) for argument in self.extra]

    def run(self, process: PytestProcess | None = None) -> int:
        """Run pytest with our stdin/stdout/stderr in `process` (one started early, or a new one); return its
        exit code.

        SIGINT and SIGTERM sent to us (Ctrl-C, `kill PID`, `timeout`) reach pytest exactly once, as a Ctrl-C
        (it runs in its own process group, so a terminal's Ctrl-C does not reach it twice), and we wait for
        its cleanup; if we die without a chance to pass anything on, the kernel sends pytest the Ctrl-C.
        Everything pytest writes to the temp dir (browser profiles included) stays in its scratch folder,
        removed at the end, or by `coworld gc` once we are gone.
        """
        from pytest_coworld.pytest_process import PytestProcess

        process = process or PytestProcess()
        try:
            child = process.run(self.argv(process.folder), stdout_to_stderr=self.output_to_stderr)
            forward = {signum: signal.signal(signum, _passed_on_to(child)) for signum in FORWARDED_SIGNALS}
            try:
                return child.wait()
            finally:
                for signum, handler in forward.items():
                    signal.signal(signum, handler)
        finally:
            process.close()

    def verdict_exit_code(self, process: PytestProcess | None = None) -> int:
        """Run the certification (in `process`, when one was started early); the exit status of `coworld
        certify` (the `EXIT_*` codes)."""
        pytest_code = self.run(process)
        if pytest_code in (2, -2, 130):  # pytest's INTERRUPTED, or the child killed by SIGINT
            return EXIT_INTERRUPTED
        if pytest_code == 4:  # pytest's USAGE_ERROR
            return EXIT_USAGE
        verdict = report_verdict(self.results_json) if self.results_json else None
        if verdict is None:
            return EXIT_HARNESS_ERROR
        return EXIT_CODES[verdict]


def _absolute_manifest_option(argument: str) -> str:
    """`--coworld-manifest=REF` with REF as `absolute_reference` makes it: pytest runs in another folder."""
    option, separator, reference = argument.partition("=")
    if option == "--coworld-manifest" and separator:
        return f"{option}={absolute_reference(reference)}"
    return argument


def _passed_on_to(child: subprocess.Popen[bytes]) -> Any:
    def pass_on(_signum: int, _frame: Any) -> None:
        child.send_signal(signal.SIGINT)  # pytest cleans up on a Ctrl-C; a SIGTERM would end it on the spot

    return pass_on


def report_verdict(path: Path) -> str | None:
    """The verdict of the report at `path`; None when there is no readable report."""
    try:
        verdict = json.loads(path.read_text()).get("verdict")
    except (OSError, ValueError, AttributeError):
        return None
    return verdict if verdict in EXIT_CODES else None


def absolute_reference(manifest_ref: str) -> str:
    """A manifest reference that holds in any working directory: URIs as they are, paths made absolute."""
    return manifest_ref if "://" in manifest_ref else str(Path(manifest_ref).absolute())


def certify(manifest_ref: str, output_dir: Path) -> Path:
    """Certify a manifest (path or URI) into `output_dir`; the report path, or raise `CertificationFailed`."""
    output_dir.mkdir(parents=True, exist_ok=True)
    report = output_dir / REPORT_NAME
    command = CertifyCommand(
        manifest=absolute_reference(manifest_ref),
        results_json=report,
        junitxml=output_dir / "coworld-junit.xml",
        artifacts_dir=output_dir / "artifacts",
    )
    code = command.verdict_exit_code()
    if code != EXIT_CERTIFIED:
        verdict = report_verdict(report) or "no verdict: the harness failed"
        raise CertificationFailed(f"the game is not CERTIFIED ({verdict}); see {report}", report)
    return report


def _problems_of(
    certification: dict[str, Any], loaded: LoadedManifest, image_ids: dict[str, str]
) -> list[str]:
    problems = []
    if certification["manifest"]["sha256"] != loaded.sha256:
        problems.append("the report certifies a different manifest (its sha256 differs)")
    if certification["verdict"] != CERTIFIED:
        problems.append(f"the report's verdict is {certification['verdict']}, not certified")
    reported = {image["reference"]: image["id"] for image in certification["images"]}
    for reference, image_id in sorted(image_ids.items()):
        if reported.get(reference) != image_id:
            problems.append(
                f"image {reference} is {image_id}, but the report certified {reported.get(reference)}"
            )
    outcomes: dict[str, set[str]] = {}
    for check in certification["checks"]:
        if check["id"]:
            accepted = check["outcome"] == "passed" or check.get("skip_kind") == "not-applicable"
            outcomes.setdefault(check["id"], set()).add("ok" if accepted else check["outcome"])
    for check_id in sorted(required_checks(certification["manifest"]["generation"])):
        seen = outcomes.get(check_id)
        if not seen:
            problems.append(f"required check {check_id} did not run")
        elif seen != {"ok"}:
            problems.append(f"required check {check_id}: {', '.join(sorted(seen - {'ok'}))}")
    return problems


def check_report(report_path: Path, loaded: LoadedManifest, image_ids: dict[str, str]) -> list[str]:
    """Problems that keep the report from admitting this manifest with these image ids (empty: admitted)."""
    try:
        report = json.loads(report_path.read_text())
    except (OSError, ValueError) as error:
        return [f"cannot read the report {report_path}: {error}"]
    from pytest_coworld.reporting.results_json import validate_results

    schema_problems = validate_results(report)
    if schema_problems:
        return [f"the report is not a valid {REPORT_NAME}: {problem}" for problem in schema_problems]
    matching = [c for c in report["certifications"] if c["manifest"]["sha256"] == loaded.sha256]
    if not matching:
        return ["the report holds no certification of this manifest (no matching sha256)"]
    problems_by_entry = [_problems_of(c, loaded, image_ids) for c in matching]
    return min(problems_by_entry, key=len)
