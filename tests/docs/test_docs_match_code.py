"""The documentation (README.md and docs/**/*.md) agrees with the code.

Every `coworld` command and every option of it, every `--coworld-*` option of the plugin, every fixture the
plugin provides and every environment variable the code reads is named in the docs; every `coworld` command,
command option and `--coworld-*` option the docs name exists; and the generated reference pages are current.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

from pytest_coworld import reference
from pytest_coworld.options import OPTIONS

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
WHERE = "README.md or docs/**/*.md"
REGENERATE = "run `python -m pytest_coworld.reference`"
COMMAND_IN_CODE = re.compile(
    r"(?<![\w./-])coworld ([a-z][\w-]*)((?:\\?\|[a-z][\w-]*)*)(?: ([a-z][\w-]*(?:\\?\|[a-z][\w-]*)*))?"
)
LONG_FLAG = re.compile(r"(?<![\w-])--[a-z][\w-]*")
COWORLD_FLAG = re.compile(r"(?<![\w-])--coworld-[a-z][\w-]*")


class Text(NamedTuple):
    """A piece of a doc file (a section from heading to heading, or a code fragment) and where it starts."""

    file: Path
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def _doc_lines() -> list[tuple[Path, int, str, bool]]:
    """`(file, line number, line, in a fenced code block)` for every line of the docs."""
    lines = []
    for path in DOC_FILES:
        fenced = False
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            lines.append((path, number, line, fenced))
    return lines


def doc_sections() -> list[Text]:
    """The docs cut at every Markdown heading (outside code blocks)."""
    sections: list[Text] = []
    for path, number, line, fenced in _doc_lines():
        if not sections or sections[-1].file != path or (not fenced and line.startswith("#")):
            sections.append(Text(path, number, ""))
        sections[-1] = Text(path, sections[-1].line, sections[-1].text + line + "\n")
    return sections


def code_fragments() -> list[Text]:
    """The code the docs show: each line of a fenced block (less its `# comment`), each inline code span."""
    fragments = []
    for path, number, line, fenced in _doc_lines():
        if fenced:
            fragments.append(Text(path, number, re.split(r"\s#", line, maxsplit=1)[0]))
        else:
            fragments += [Text(path, number, span) for span in re.findall(r"`([^`]+)`", line)]
    return fragments


def all_docs() -> str:
    return "\n".join(path.read_text() for path in DOC_FILES)


def names(word: str, text: str) -> bool:
    """Whether `text` names `word` as a whole word (`--json` is not `--json-output`, `PATH` not `XPATH`)."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def report(problems: list[str]) -> str:
    return "\n" + "\n".join(f"- {problem}" for problem in problems)


COMMANDS = reference.cli_commands()
COMMANDS_BY_NAME = {command.name: command for command in COMMANDS}


def test_every_command_and_its_options_are_documented() -> None:
    """Each command is named as `coworld <command>`; each option in a section that names its command."""
    docs, sections = all_docs(), doc_sections()
    problems = []
    for command in COMMANDS:
        if command.path and not names(command.name, docs):
            problems.append(f"command `{command.name}` is named nowhere in {WHERE}")
            continue
        about = [s for s in sections if names(command.name, s.text)] if command.path else sections
        for flag in command.flags():
            if not any(names(flag, section.text) for section in about):
                problems.append(
                    f"option `{flag}` of `{command.name}`: no section of {WHERE} that names "
                    f"`{command.name}` mentions `{flag}` ({REGENERATE} if docs/reference/cli.md is stale)"
                )
    assert not problems, report(problems)


def _command_mentions() -> list[tuple[Text, str, reference.CommandDoc | None, str]]:
    """`(fragment, command as written, the command or None, the text after it, up to the next command)`."""
    found = []
    for fragment in code_fragments():
        matches = list(COMMAND_IN_CODE.finditer(fragment.text))
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(fragment.text)
            rest = fragment.text[match.end() : end]
            first = re.split(r"\\?\|", match.group(1) + match.group(2))
            for name in first:
                command = COMMANDS_BY_NAME.get(f"coworld {name}")
                if command is None:
                    found.append((fragment, f"coworld {name}", None, rest))
                    continue
                sub = match.group(3)
                if getattr(command.command, "commands", None) and sub:
                    for subname in re.split(r"\\?\|", sub):
                        written = f"coworld {name} {subname}"
                        found.append((fragment, written, COMMANDS_BY_NAME.get(written), rest))
                else:
                    found.append((fragment, f"coworld {name}", command, f" {sub or ''}{rest}"))
    return found


def test_docs_name_only_commands_and_options_that_exist() -> None:
    """Every `coworld ...` in the docs' code is a command; every `--flag` after it, one of its options."""
    coworld_flags = {option.flag for option in OPTIONS}
    problems = []
    for fragment, written, command, rest in _command_mentions():
        if command is None:
            known = ", ".join(c.name for c in COMMANDS if c.path)
            problems.append(f"{fragment.where} names `{written}`, which is not a command (commands: {known})")
            continue
        passes_on = coworld_flags if command.name == "coworld certify" else set()  # certify's pytest options
        for flag in LONG_FLAG.findall(rest):
            if flag not in command.flags() and flag not in passes_on and flag != "--help":
                problems.append(
                    f"{fragment.where} gives `{written}` the option `{flag}`, which it does not have"
                )
    for path, number, line, _ in _doc_lines():
        for flag in COWORLD_FLAG.findall(line):
            if flag not in coworld_flags:
                problems.append(
                    f"{path.relative_to(ROOT)}:{number} names `{flag}`, which is not an option of the plugin "
                    f"(pytest_coworld/options.py OPTIONS)"
                )
    assert not problems, report(problems)


def test_every_pytest_option_is_documented() -> None:
    docs = all_docs()
    missing = [option.flag for option in OPTIONS if not names(option.flag, docs)]
    assert not missing, report(
        [
            f"pytest option `{flag}` (pytest_coworld/options.py) is named nowhere in {WHERE}"
            for flag in missing
        ]
    )


def test_every_fixture_is_documented(pytester: pytest.Pytester) -> None:
    """The fixtures `pytest --fixtures` lists from pytest-coworld, as a user sees them."""
    listing = pytester.runpytest("--fixtures", "-p", "coworld").stdout.lines  # -p: even without autoload
    fixtures, module = [], ""
    for line in listing:
        if heading := re.search(r"fixtures defined from (\S+)", line):
            module = heading.group(1)
        elif module.startswith("pytest_coworld") and (
            name := re.match(r"(\w+)(?: \[\w+ scope\])? -- ", line)
        ):
            fixtures.append((name.group(1), module))
    assert fixtures, "pytest --fixtures lists no fixture of pytest-coworld:\n" + "\n".join(listing)
    docs = all_docs()
    problems = [
        f"fixture `{name}` ({module}) is named nowhere in {WHERE} ({REGENERATE})"
        for name, module in fixtures
        if not names(name, docs)
    ]
    generated = {fixture.name for fixture in reference.plugin_fixtures()}
    problems += [
        f"fixture `{name}` ({module}) is missing from pytest_coworld.reference.plugin_fixtures()"
        for name, module in fixtures
        if name not in generated
    ]
    assert not problems, report(problems)


def test_every_environment_variable_is_documented() -> None:
    reads = reference.environment_reads()
    documented = reference.documented_environment()
    docs = all_docs()
    problems = [
        f"environment variable `{name}` (read in {', '.join(files)}) is named nowhere in {WHERE}"
        for name, files in reads.items()
        if not names(name, docs)
    ]
    problems += [
        f"environment variable `{name}` (read in {', '.join(files)}) has no entry in "
        "pytest_coworld/reference.py `_environment()`"
        for name, files in reads.items()
        if name not in documented
    ]
    problems += [
        f"pytest_coworld/reference.py `_environment()` documents `{name}`, which pytest_coworld/ never reads"
        for name in documented
        if name not in reads
    ]
    assert not problems, report(problems)


def test_environment_reads_finds_every_way_of_reading(tmp_path: Path) -> None:
    """The scanner behind the environment check sees each way the package reads a variable."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "reads.py").write_text(
        textwrap.dedent(
            """
            import os
            from os import getenv
            import typer

            NAMED = "VIA_CONSTANT"

            def helper(variable, text):
                return os.environ.get(variable)

            def reads(env):
                os.environ.get("VIA_GET")
                os.environ["VIA_SUBSCRIPT"]
                os.getenv("VIA_OS_GETENV")
                getenv("VIA_GETENV")
                env.get("VIA_ENV_MAPPING")
                os.environ.get(NAMED)
                helper("VIA_HELPER", "text")
                typer.Option("--server", envvar="VIA_ENVVAR")
                typer.Option("--x", envvar=["VIA_ENVVAR_LIST"])
                key = "NOT_A_READ"
                os.environ[key]
                {**os.environ, "ALSO_NOT_A_READ": "1"}
            """
        )
    )
    assert set(reference.environment_reads(package)) == {
        "VIA_CONSTANT",
        "VIA_GET",
        "VIA_SUBSCRIPT",
        "VIA_OS_GETENV",
        "VIA_GETENV",
        "VIA_ENV_MAPPING",
        "VIA_HELPER",
        "VIA_ENVVAR",
        "VIA_ENVVAR_LIST",
    }


@pytest.mark.parametrize("page", sorted(reference.PAGES))
def test_reference_page_is_current(page: str) -> None:
    path = reference.DOCS_DIR / page
    assert path.is_file(), f"docs/reference/{page} is missing: {REGENERATE}"
    written, generated = path.read_text().splitlines(), reference.PAGES[page]().splitlines()
    differs = next(
        (n for n, (a, b) in enumerate(zip(written, generated, strict=False), 1) if a != b),
        min(len(written), len(generated)) + 1,
    )
    assert written == generated, (
        f"docs/reference/{page} is out of date from line {differs}: {REGENERATE}\n"
        f"  on disk:   {written[differs - 1] if differs <= len(written) else '(end of file)'}\n"
        f"  generated: {generated[differs - 1] if differs <= len(generated) else '(end of file)'}"
    )
