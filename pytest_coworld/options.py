"""The `coworld` option group: every `--coworld-*` option with its ini key, parsed into `CoworldOptions`.

Precedence: the command line, then the ini key (`coworld_*` in pytest.ini/pyproject/tox.ini), then the
default. Values are checked here, so a bad one is a usage error that names where it came from.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_coworld.runtime.settings import ResourceLimits

CONTRACTS = ("auto", "classic", "current")


@dataclass(frozen=True)
class _Option:
    name: str
    help: str
    kind: str = "string"  # string | list | bool | float | memory
    default: Any = None
    metavar: str | None = None

    @property
    def flag(self) -> str:
        return f"--{self.name.replace('_', '-')}"


OPTIONS = (
    _Option(
        "coworld_manifest",
        "Certify this Coworld manifest (path, file:// or http(s):// URI); repeatable. "
        "Without it the plugin does nothing.",
        "list",
        (),
        "MANIFEST",
    ),
    _Option(
        "coworld_variant",
        "Run the certification episode with this variant's config instead of the "
        "manifest's certification config.",
        metavar="ID",
    ),
    _Option(
        "coworld_contract",
        "Contract generation to certify against: auto (find out), classic or current.",
        default="auto",
        metavar="GENERATION",
    ),
    _Option(
        "coworld_checks",
        "Run only these check ids (comma-separated; shell patterns like tokens.* work).",
        "list",
        (),
        "IDS",
    ),
    _Option(
        "coworld_exclude_checks",
        "Do not run these check ids (comma-separated; patterns work).",
        "list",
        (),
        "IDS",
    ),
    _Option(
        "coworld_player_image",
        "Certify these player images against the game instead of the manifest's "
        "certification players: one for every slot, or one per slot; repeatable.",
        "list",
        (),
        "IMAGE",
    ),
    _Option(
        "coworld_artifacts_dir",
        "Where each run keeps its artifacts (config, results, replay, logs, screenshots) in <DIR>/<run-id>/; "
        "the newest 5 runs are kept.",
        default="coworld-artifacts",
        metavar="DIR",
    ),
    _Option(
        "coworld_results_json",
        "Write the certification report (coworld-certification.json) here.",
        metavar="PATH",
    ),
    _Option(
        "coworld_html",
        "Write the certification report as one HTML page here (verdict, failures, screenshots, the "
        "episode's timeline, links to the artifacts).",
        metavar="PATH",
    ),
    _Option(
        "coworld_keep_containers",
        "Leave the containers and networks in place after the run, for debugging (until `coworld gc` or "
        "the next run).",
        "bool",
        False,
    ),
    _Option(
        "coworld_strict",
        "Make recommended checks required: their failures reject the game instead of warning.",
        "bool",
        False,
    ),
    _Option(
        "coworld_no_browser",
        "Do not run the browser checks (a fast local loop): the verdict is then INCOMPLETE at best.",
        "bool",
        False,
    ),
    _Option(
        "coworld_healthz_timeout",
        "Seconds the game may take to answer GET /healthz with 200.",
        "float",
        60.0,
        "SECONDS",
    ),
    _Option(
        "coworld_cpus",
        "CPUs each container of the certification (game, players, probe game, replay server) may use.",
        "float",
        1.0,
        "CPUS",
    ),
    _Option(
        "coworld_memory",
        "Memory each container may use, as Docker writes it (512m, 2g).",
        "memory",
        "1g",
        "SIZE",
    ),
    _Option(
        "coworld_episode_timeout",
        "Seconds the certification episode may take (default: the manifest's "
        "episode_timeout_minutes, else 5 minutes).",
        "float",
        None,
        "SECONDS",
    ),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("coworld", "Coworld game certification")
    for option in OPTIONS:
        if option.kind == "bool":
            group.addoption(
                option.flag, action="store_true", default=None, dest=option.name, help=option.help
            )
        else:
            action = "append" if option.kind == "list" else "store"
            group.addoption(
                option.flag,
                action=action,
                default=None,
                dest=option.name,
                metavar=option.metavar,
                help=f"{option.help} ini: {option.name}.",
            )
        ini_type = {"list": "linelist", "bool": "bool"}.get(option.kind, "string")
        parser.addini(option.name, option.help, type=ini_type, default=option.default)  # type: ignore[arg-type]


def _split(values: Any) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in str(value).split(",") if part.strip())


def _value(config: pytest.Config, option: _Option) -> tuple[Any, str]:
    given = config.getoption(option.name)
    if given not in (None, []):
        return given, option.flag
    return config.getini(option.name), f"ini key {option.name}"


def manifests_given(config: pytest.Config) -> bool:
    """Whether a manifest to certify is given: without one the plugin is inert, and parses nothing else."""
    manifest = next(option for option in OPTIONS if option.name == "coworld_manifest")
    return bool(_split(_value(config, manifest)[0] or ()))


@dataclass(frozen=True)
class CoworldOptions:
    """The parsed `coworld` options of one pytest run."""

    manifests: tuple[str, ...]
    variant: str | None
    contract: str
    checks: tuple[str, ...]
    exclude_checks: tuple[str, ...]
    player_images: tuple[str, ...]
    artifacts_dir: Path
    results_json: Path | None
    html: Path | None
    keep_containers: bool
    strict: bool
    no_browser: bool
    healthz_timeout: float
    episode_timeout: float | None
    cpus: float
    memory_bytes: int

    @property
    def limits(self) -> ResourceLimits:
        from pytest_coworld.runtime.settings import ResourceLimits

        return ResourceLimits(cpus=self.cpus, memory_bytes=self.memory_bytes)

    def selects(self, check_id: str) -> bool:
        """Whether `--coworld-checks` / `--coworld-exclude-checks` keep this check id."""

        def matches(patterns: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatchcase(check_id, pattern) for pattern in patterns)

        if self.no_browser and check_id.startswith("browser."):
            return False
        return (not self.checks or matches(self.checks)) and not matches(self.exclude_checks)

    def chosen_subset(self) -> str | None:
        """How these options narrow the checks to a subset, if they do (for an INCOMPLETE verdict)."""
        chosen = [
            flag
            for flag, given in (
                ("--coworld-checks", self.checks),
                ("--coworld-exclude-checks", self.exclude_checks),
                ("--coworld-no-browser", self.no_browser),
            )
            if given
        ]
        return ", ".join(chosen) or None

    @classmethod
    def from_config(cls, config: pytest.Config) -> CoworldOptions:
        values: dict[str, Any] = {}
        for option in OPTIONS:
            value, where = _value(config, option)
            values[option.name.removeprefix("coworld_")] = _parse(option, value, where)
        if values["contract"] not in CONTRACTS:
            raise pytest.UsageError(
                f"--coworld-contract must be one of {', '.join(CONTRACTS)}, not {values['contract']!r}"
            )
        for name in ("checks", "exclude_checks"):
            _require_known_checks(f"--coworld-{name.replace('_', '-')}", values[name])
        return cls(
            manifests=values["manifest"],
            variant=values["variant"] or None,
            contract=values["contract"],
            checks=values["checks"],
            exclude_checks=values["exclude_checks"],
            player_images=values["player_image"],
            artifacts_dir=Path(values["artifacts_dir"]).absolute(),
            results_json=Path(values["results_json"]).absolute() if values["results_json"] else None,
            html=Path(values["html"]).absolute() if values["html"] else None,
            keep_containers=bool(values["keep_containers"]),
            strict=bool(values["strict"]),
            no_browser=bool(values["no_browser"]),
            healthz_timeout=values["healthz_timeout"],
            episode_timeout=values["episode_timeout"],
            cpus=values["cpus"],
            memory_bytes=values["memory"],
        )


def _require_known_checks(flag: str, patterns: tuple[str, ...]) -> None:
    """A pattern that matches no check id is a typo: it would silently run (or leave out) nothing."""
    import difflib

    from pytest_coworld.checks.catalog import CHECKS

    for pattern in patterns:
        if not fnmatch.filter(CHECKS, pattern):
            near = difflib.get_close_matches(pattern, CHECKS, n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            raise pytest.UsageError(
                f"{flag}: {pattern!r} matches no check id; {hint}docs/reference/checks.md lists them"
            )


def _parse(option: _Option, value: Any, where: str) -> Any:
    if option.kind == "list":
        return _split(value or ())
    if option.kind == "bool":
        return bool(value)
    if option.kind == "memory":
        return _memory(value or option.default, where)
    if option.kind == "float":
        if value in (None, ""):
            return option.default
        try:
            number = float(value)
        except ValueError:
            raise pytest.UsageError(f"{where} must be a number ({option.metavar}), not {value!r}") from None
        if number <= 0:
            raise pytest.UsageError(f"{where} must be positive, not {value!r}")
        return number
    return value if value not in (None, "") else option.default


def _memory(value: str, where: str) -> int:
    from pytest_coworld.runtime.settings import memory_bytes

    try:
        return memory_bytes(str(value))
    except ValueError as error:
        raise pytest.UsageError(f"{where}: {error}") from None
