"""The pytest plugin (`pytest11: coworld`): glue only. Inert unless a manifest is given; cheap to import.

With `--coworld-manifest`, the certification checks (`pytest_coworld/checks/test_*.py`) are collected as
`coworld/test_*.py` items next to whatever else pytest collects, unless test paths were named on the command
line (then name the suite too: `--pyargs pytest_coworld.checks`).

Startup cost matters (every pytest run on a machine with the plugin installed pays it): this module imports
only pytest and light modules; Docker, HTTP, browser, schema and report code is imported by the hooks and
fixtures that use it, once a manifest is given.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pytest_coworld.browser.fixtures import coworld_browser, coworld_browser_session  # noqa: F401
from pytest_coworld.failures import CheckBlocked, NotApplicable
from pytest_coworld.fixtures import (  # noqa: F401  (fixtures are found as attributes of the plugin)
    coworld_episode,
    coworld_game,
    coworld_image,
    coworld_manifest,
    coworld_replay_mode,
    coworld_replay_server,
    coworld_run,
    coworld_runs,
    coworld_slot,
    coworld_target,
    make_coworld_player,
)
from pytest_coworld.options import CoworldOptions, add_options, manifests_given
from pytest_coworld.session import SESSION_KEY, CoworldSession
from pytest_coworld.targets import target_id_of

pytest.register_assert_rewrite("pytest_coworld.checks")

CHECKS_DIR = Path(__file__).parent / "checks"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_coworld import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Under xdist, a crashed worker ends the session: pytest-xdist 3.8 can hang replacing a worker of a
    `loadgroup` run (pytest-xdist#1323, #1378), and a replacement would start the target's episode again."""
    if manifests_given(config) and getattr(config.option, "maxworkerrestart", "") is None:
        config.option.maxworkerrestart = "0"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "coworld_check(id): the certification check this test is")
    if not manifests_given(config):
        return
    options = CoworldOptions.from_config(config)
    session = CoworldSession.create(config, options)
    config.stash[SESSION_KEY] = session
    if session.is_controller and not config.option.collectonly:
        from pytest_coworld.artifacts_retention import prune_old_runs

        prune_old_runs(options.artifacts_dir)
    _treat_sigterm_as_ctrl_c()
    if session.targets and _runs_every_test(config):
        from pytest_coworld.browser.live import launch_early

        launch_early(options)
        if session.games_will_run():
            session.start_runs_early()
    from pytest_coworld.reporting.plugin import ReportingPlugin

    config.pluginmanager.register(ReportingPlugin(config, session), "coworld-reporting")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(session), "coworld-xdist")


def _runs_every_test(config: pytest.Config) -> bool:
    """Whether this process runs the tests, all of them: not a collect-only run, and not under xdist (whose
    controller runs none, and each worker only its share)."""
    distributed = hasattr(config, "workerinput") or bool(getattr(config.option, "numprocesses", None))
    return not (config.option.collectonly or distributed)


def _treat_sigterm_as_ctrl_c() -> None:
    """CI cancellation sends SIGTERM: run the same teardown as Ctrl-C (unless someone else handles it)."""
    import signal
    import threading

    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def _session(config: pytest.Config) -> CoworldSession | None:
    return config.stash.get(SESSION_KEY, None)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    report = yield
    config = collector.config
    if (
        isinstance(collector, pytest.Session)
        and _session(config) is not None
        and config.args_source != pytest.Config.ArgsSource.ARGS
        and report.passed
    ):
        report.result.extend(
            pytest.Module.from_parent(collector, path=path, nodeid=f"coworld/{path.name}")
            for path in sorted(CHECKS_DIR.glob("test_*.py"))
        )
    return report


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> str | None:
    """Say loudly when a manifest was given but no check was collected (test paths were named)."""
    if _session(config) is None:
        return None
    from pytest_coworld.checks.catalog import check_id_of
    from pytest_coworld.session import NAMED_PATHS

    if any(check_id_of(item) for item in items) or config.args_source != pytest.Config.ArgsSource.ARGS:
        return None
    return f"coworld: no certification check was collected: {NAMED_PATHS}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    session = _session(metafunc.config)
    if not {"coworld_target", "coworld_image"} & set(metafunc.fixturenames):
        return
    targets = session.targets if session else []
    if "coworld_slot" in metafunc.fixturenames:
        slots = [(t.id, slot) for t in targets for slot in range(t.slot_count())]
        ids = [f"{target_id}-slot{slot}" for target_id, slot in slots]
        metafunc.parametrize(("coworld_target", "coworld_slot"), slots, ids=ids, scope="session")
    elif "coworld_image" in metafunc.fixturenames:
        images = [
            (t.id, path, ref)
            for t in targets
            if t.loaded
            for path, ref in t.loaded.manifest.referenced_images()
        ]
        cases = [(target_id, (path, ref)) for target_id, path, ref in images]
        ids = [f"{target_id}-{path}" for target_id, path, _ in images]
        metafunc.parametrize(("coworld_target", "coworld_image"), cases, ids=ids, scope="session")
    else:
        ids = [t.id for t in targets]
        metafunc.parametrize("coworld_target", ids, ids=ids, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    session = _session(config)
    if session is None:
        return
    from pytest_coworld.checks.catalog import check_id_of

    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        check_id = check_id_of(item)
        (kept if check_id is None or session.options.selects(check_id) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = sorted(kept, key=_run_order(session, kept))


def _run_order(session: CoworldSession, items: list[pytest.Item]) -> Any:
    """Checks run target by target in catalog order (manifest, images, routes, …); other tests after.

    The checks that use the probe game run together, from the first of them on: its browser pages' checks
    come right after its token and reconnect probes, not at the end with the other browser checks. They
    only read what was observed, and the probe game's removal can then go beside the episode's own."""
    from pytest_coworld.checks.catalog import CHECKS, check_id_of
    from pytest_coworld.game_users import uses_probe_game

    targets = [target.id for target in session.targets]
    check_rank = {check_id: rank for rank, check_id in enumerate(CHECKS)}
    probe_users = [
        check_rank[check_id] for item in items if uses_probe_game(item) and (check_id := check_id_of(item))
    ]
    first_probe_user = min(probe_users, default=0)

    def order(item: pytest.Item) -> tuple[int, int, int]:
        check_id = check_id_of(item)
        target = target_id_of(item)
        if check_id is None or target not in targets:
            return (len(targets), 0, 0)
        rank = check_rank[check_id]
        return (targets.index(target), first_probe_user if uses_probe_game(item) else rank, rank)

    return order


@contextmanager
def _dependencies_as_skips(config: pytest.Config) -> Iterator[None]:
    """A check blocked by an earlier failure or by Docker, or not applicable to this game, is skipped with
    that reason: it did not observe the game, so it can neither pass nor fail it."""
    if _session(config) is None:
        yield
        return
    from pytest_coworld.runtime.errors import InfrastructureError

    try:
        yield
    except CheckBlocked as blocked:
        pytest.skip(f"blocked: {blocked}")
    except InfrastructureError as error:
        pytest.skip(f"blocked: the harness could not run it: {error}")
    except NotApplicable as reason:
        pytest.skip(f"not applicable: {reason}")


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    coworld = _session(session.config)
    if coworld is not None:
        coworld.collected(session.items)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the runs no `coworld_runs` fixture removed: started early, before a collection that was
    interrupted or failed."""
    coworld = _session(session.config)
    if coworld is not None:
        coworld.close_runs(keep=coworld.options.keep_containers)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    finally:
        coworld = _session(item.config)
        if coworld is not None:
            coworld.test_finished(item.nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _dependencies_as_skips(item.config):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _dependencies_as_skips(item.config):
        return (yield)


class XdistHooks:
    """Hooks that exist only when pytest-xdist is active: the run id for every worker, the scheduling."""

    def __init__(self, session: CoworldSession) -> None:
        self.session = session

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["coworld_run_id"] = self.session.run_id

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """One worker per target (each target's episode runs once), under `-n N` and `--dist load[group]`."""
        if config.getvalue("dist") not in ("load", "loadgroup"):
            return None
        from pytest_coworld.xdist_scheduling import TargetScheduling

        return TargetScheduling(config, log, [target.id for target in self.session.targets])
