"""`ReportingPlugin`: the report header, per-check properties and failure text, warnings for recommended
checks, JUnit suite properties, the terminal summary, the JSON report and the exit status that follows the
verdict. Registered by `pytest_configure` only when a manifest is given.

A failed recommended check is reported the way pytest reports an expected failure (`x`, `XFAIL … warning:`
in the summary, `<skipped type="pytest.xfail">` in JUnit): CI systems show it, and count no failure."""

from __future__ import annotations

import shlex
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_coworld import __version__
from pytest_coworld.checks.catalog import RECOMMENDED, check_id_of, level_of
from pytest_coworld.failures import CoworldCheckFailure
from pytest_coworld.reporting.records import INCOMPLETE, NOT_CERTIFIED, WARNING_PREFIX, CheckRecorder
from pytest_coworld.session import CoworldSession
from pytest_coworld.targets import target_id_of


class ReportingPlugin:
    def __init__(self, config: pytest.Config, session: CoworldSession) -> None:
        self.config = config
        self.session = session
        self.recorder = CheckRecorder()
        self._image_facts: dict[str, Any] | None = None

    def image_facts(self) -> dict[str, Any]:
        """`{reference: ImageFacts | None}` of every image the targets reference (inspected once)."""
        if self._image_facts is None:
            from pytest_coworld.image_facts import inspect_images

            references = [
                ref
                for t in self.session.targets
                if t.loaded
                for _, ref in t.loaded.manifest.referenced_images()
            ]
            self._image_facts = inspect_images(references)
        return self._image_facts

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        from pytest_coworld.reporting.header import header_lines

        return header_lines(self.session, self.image_facts())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, Any]:
        report: pytest.TestReport = yield
        check_id = check_id_of(item)
        target_id = target_id_of(item)
        if report.when == "setup" and (check_id or target_id):
            item.user_properties.extend(self._properties(check_id, target_id))
            report.user_properties = list(item.user_properties)
        failure = call.excinfo.value if call.excinfo is not None else None
        if isinstance(failure, CoworldCheckFailure):
            if not failure.repro and target_id:
                failure.repro = self._rerun_line(failure.check_id, target_id)
            report.longrepr = failure.render()
            if report.when == "call" and self._level(check_id, target_id) == RECOMMENDED:
                report.outcome = "skipped"
                report.wasxfail = f"{WARNING_PREFIX}{failure.observed.splitlines()[0][:200]}"
                item.user_properties.append(("coworld.warning", failure.render()))
                report.user_properties = list(item.user_properties)
        return report

    def _rerun_line(self, check_id: str, target_id: str) -> str:
        """The command that runs exactly this check again, on the same target with the same choices."""
        target, options = self.session.target(target_id), self.session.options
        words = ["coworld", "certify", target.reference]
        if target.variant:
            words += ["--variant", target.variant]
        if options.contract != "auto":
            words += ["--contract", options.contract]
        for image in options.player_images:
            words += ["--player-image", image]
        return shlex.join([*words, "--checks", check_id])

    def _level(self, check_id: str | None, target_id: str | None) -> str:
        generation = self.session.target(target_id).generation if target_id else None
        return level_of(check_id, generation, self.session.options.strict) if check_id else "required"

    def _properties(self, check_id: str | None, target_id: str | None) -> list[tuple[str, str]]:
        properties = []
        if check_id:
            properties = [("coworld.check", check_id), ("coworld.level", self._level(check_id, target_id))]
        if target_id:
            target = self.session.target(target_id)
            properties += [
                ("coworld.target", target_id),
                ("coworld.variant", target.variant or "certification"),
                ("coworld.artifacts", str(self.session.artifacts_root() / target_id)),
            ]
        return properties

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.recorder.add(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """The last check's teardown removes the run's containers: the HTML page's template is compiled
        meanwhile."""
        if nextitem is None and self.session.is_controller and self.session.options.html:
            from pytest_coworld.reporting.html_report import prepare_report_template

            prepare_report_template()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.session.is_controller or self.config.option.collectonly:
            return
        from pytest_coworld.reporting.results_json import build_results, write_results

        results = build_results(self.session, self.recorder, self.image_facts())
        self._add_junit_properties(results)
        self.config.hook.pytest_coworld_update_results_json(config=self.config, results=results)
        if self.session.options.results_json:
            write_results(results, self.session.options.results_json)
        if self.session.options.html:
            self._write_html(results, self.session.options.html)
        self.results = results
        session.exitstatus = exit_status(session.exitstatus, results)

    def _write_html(self, results: dict[str, Any], path: Path) -> None:
        """The HTML page of the report; a failure to write it is a warning, never a change of the verdict."""
        from jinja2 import TemplateError

        from pytest_coworld.reporting.html_report import write_html

        try:
            write_html(results, path)
        except (OSError, TemplateError) as error:
            terminal = self.config.pluginmanager.get_plugin("terminalreporter")
            if terminal is not None:
                terminal.write_line(f"warning: the HTML report {path} was not written: {error}", yellow=True)

    def _add_junit_properties(self, results: dict[str, Any]) -> None:
        from _pytest.junitxml import xml_key

        xml = self.config.stash.get(xml_key, None)
        if xml is None:
            return
        xml.add_global_property("coworld.plugin_version", __version__)
        xml.add_global_property("coworld.run_id", results["run_id"])
        xml.add_global_property("coworld.verdict", results["verdict"])
        xml.add_global_property("coworld.warnings", str(results["warnings"]))
        for certification in results["certifications"]:
            prefix = f"coworld.{certification['target']}"
            manifest = certification["manifest"]
            xml.add_global_property(f"{prefix}.manifest", manifest["source"])
            xml.add_global_property(f"{prefix}.manifest_sha256", manifest["sha256"] or "")
            xml.add_global_property(f"{prefix}.generation", manifest["generation"] or "")
            xml.add_global_property(f"{prefix}.verdict", certification["verdict"])
            for number, reason in enumerate(certification["reasons"], 1):
                xml.add_global_property(f"{prefix}.reason.{number}", reason)
            for image in certification["images"]:
                xml.add_global_property(
                    f"{prefix}.image.{image['path']}", f"{image['reference']}@{image['id']}"
                )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from pytest_coworld.reporting.summary import write_summary

        results = getattr(self, "results", None)
        if results is not None:
            write_summary(terminalreporter, results, self.session)


def exit_status(status: int | pytest.ExitCode, results: dict[str, Any]) -> int | pytest.ExitCode:
    """pytest's exit status, made to follow the verdict: NOT CERTIFIED, and INCOMPLETE for any reason but a
    subset the user chose, never exit 0."""
    if status != pytest.ExitCode.OK:
        return status
    chosen = all(c["chosen_subset"] for c in results["certifications"] if c["verdict"] == INCOMPLETE)
    if results["verdict"] == NOT_CERTIFIED or (results["verdict"] == INCOMPLETE and not chosen):
        return pytest.ExitCode.TESTS_FAILED
    return status
