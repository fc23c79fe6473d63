"""The shape of the package's imports: no circle among its modules, a pytest-free face, and a plugin that
costs next to nothing in a pytest run that certifies no game."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pytest_coworld
from pytest_coworld.examples import example_manifest_path

PACKAGE_DIR = Path(pytest_coworld.__file__).parent
HEAVY = ("httpx", "docker", "playwright", "rich", "websockets", "jsonschema", "pydantic", "typer")
CLI_HEAVY = (
    "pydantic",
    "jsonschema",
    "httpx",
    "docker",
    "requests",
    "kubernetes",
    "playwright",
    "jinja2",
    "pytest_coworld.manifest",
    "pytest_coworld.runtime",
)


def _modules(package_dir: Path) -> dict[str, Path]:
    """`{dotted name: file}` of every module of the package at `package_dir`."""
    modules = {}
    for path in package_dir.rglob("*.py"):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _type_only(tree: ast.Module) -> set[int]:
    """The ids of the nodes under `if TYPE_CHECKING:`, which never run."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    return hidden


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted names an import statement may load: the module, and each name as a submodule."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Which of the package's modules each module imports when it runs: at module level or deferred inside
    a function (a deferred import that closes a circle only hides it), never under `TYPE_CHECKING`."""
    modules = _modules(package_dir)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        hidden = _type_only(tree)
        imports = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in hidden
        ]
        is_package = path.name == "__init__.py"
        graph[name] = {
            target
            for node in imports
            for target in _imported(node, name, is_package)
            if target in modules and target != name
        }
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The circles of `graph`: its strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_no_module_of_the_package_imports_itself_in_a_circle() -> None:
    graph = import_graph(PACKAGE_DIR)
    assert graph.get("pytest_coworld.plugin"), "the plugin's imports are seen"
    cycles = import_cycles(graph)
    described = [" -> ".join(cycle) + " (each imports another)" for cycle in cycles]
    assert not cycles, "import circles:\n" + "\n".join(described)


def test_the_cycle_check_finds_a_deferred_circle_and_ignores_type_only_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "from pkg.sub import b\n",
        "sub/__init__.py": "",
        "sub/b.py": "def later():\n    from ..c import thing\n",
        "c.py": "from . import a\n",
        "d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import e\n",
        "e.py": "import pkg.d\n",
    }
    for name, text in files.items():
        (package / name).write_text(text)
    assert import_cycles(import_graph(package)) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


def _imported_after(statement: str) -> set[str]:
    """The modules a fresh interpreter has imported once it has run `statement`."""
    code = f"{statement}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(output))


@pytest.mark.parametrize(
    "module",
    [
        "pytest_coworld",
        "pytest_coworld.runtime",
        "pytest_coworld.cli.app",
        "pytest_coworld.cli.common",
        "pytest_coworld.admission",
        "pytest_coworld.checks.catalog",
        "pytest_coworld.targets",
        "pytest_coworld.reporting.github",
    ],
)
def test_the_package_face_and_what_the_cli_shares_do_not_import_pytest(module: str) -> None:
    assert "pytest" not in _imported_after(f"import {module}")


def test_the_plugin_module_imports_no_heavy_dependency() -> None:
    loaded = _imported_after("import pytest_coworld.plugin")
    assert [name for name in HEAVY if name in loaded] == []


def test_a_prepared_http_client_leaves_the_first_probe_nothing_heavy_to_import() -> None:
    """The certification episode prepares httpx while its game boots: the first route probe of the healthy
    game, which the live pages and so the players wait for, then loads only a codec of the standard library
    (httpx loads its transport on first use, which is what `prepare_http_client` is for)."""
    prepared = "from pytest_coworld.probes.routes import get_page, prepare_http_client\nprepare_http_client()"
    probed = f"{prepared}\nget_page('http://127.0.0.1:9', '/client/global')"  # a closed port: refused at once
    assert _imported_after(probed) - _imported_after(prepared) <= {"encodings.idna", "stringprep"}


def _help(*argv: str) -> str:
    """A statement that prints `coworld ARGV --help` (into a string, not stdout)."""
    return (
        "import contextlib, io\nfrom pytest_coworld.cli.app import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    app({[*argv, '--help']!r}, standalone_mode=False)"
    )


@pytest.mark.parametrize(
    "statement",
    ["import pytest_coworld.cli.app", _help(), _help("run-episode"), _help("k8s", "render")],
    ids=["import", "help", "command-help", "subcommand-help"],
)
def test_the_cli_imports_no_heavy_dependency_until_a_command_runs(statement: str) -> None:
    """`coworld --help` and `coworld COMMAND --help` answer fast: a command imports what it needs to run."""
    loaded = _imported_after(statement)
    assert [name for name in CLI_HEAVY if name in loaded] == []


@pytest.mark.parametrize(
    "arguments", [["--example", "paint"], [str(example_manifest_path("paint"))]], ids=["example", "path"]
)
def test_certify_starts_pytest_before_it_imports_what_pytest_will_import(arguments: list[str]) -> None:
    """`coworld certify` runs pytest in a process of its own: what it loads before starting it (the manifest
    models, jsonschema, Docker's client) would be loaded twice, one after the other."""
    statement = (
        "import subprocess, sys\nfrom pytest_coworld.cli.app import app\n"
        "def started(*args, **kwargs):\n"
        "    import json\n"
        "    print(json.dumps(sorted(sys.modules)))\n"
        "    raise SystemExit(0)\n"
        "subprocess.Popen = started\n"
        f"app(['certify', *{arguments!r}])"
    )
    output = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True, check=True)
    loaded = set(json.loads(output.stdout))
    assert "pytest_coworld.admission" in loaded
    parsing = {"pydantic"}  # Typer loads it to convert a command's arguments
    assert [name for name in CLI_HEAVY if name in loaded and name not in parsing] == []


def test_a_pytest_run_without_a_manifest_imports_no_heavy_dependency(pytester: pytest.Pytester) -> None:
    """Every hook of the plugin runs (collection, setup, call, reporting) and none loads Docker or HTTP."""
    pytester.makepyfile(
        textwrap.dedent(
            f"""
            import json, sys

            def test_nothing_heavy_is_loaded(tmp_path):
                pass

            def test_report():
                loaded = [name for name in {HEAVY!r} if name in sys.modules]
                print("LOADED=" + json.dumps(loaded))
            """
        )
    )
    result = pytester.runpytest_subprocess("-s", "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*LOADED=[[][]]*"])
