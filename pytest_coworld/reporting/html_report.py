"""The HTML certification report: `coworld-certification.json` as one self-contained page to look at.

`render_html(report, html_path)` turns the JSON report into HTML; `write_html(report, html_path)` writes it;
`write_html_report(report_path)` reads the report, writes the page beside it (`coworld-certification.html`).
The page is built from the report alone, plus the files of the run's artifacts folder that it names: each
certification's verdict, reasons and warnings; its manifest and images; its checks by category, with the rule,
expected, observed, hint, log tail and reproduce line of each failure or warning; the browser checks'
screenshots; a timeline of each episode (`episode.json` timings) and the frames each player slot exchanged
(`wire.jsonl`); links to every artifact.

The page needs nothing but itself and the artifacts folder: inline CSS, no script, no URL but relative paths
into the artifacts folder and `data:` images. Everything from the game (logs, messages, names) is escaped.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import threading
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pytest_coworld.checks.catalog import CATEGORIES, CHECKS
from pytest_coworld.reporting.records import INCOMPLETE, VERDICT_WORDS
from pytest_coworld.reporting.summary import OUTCOMES, observed, verdict_line

if TYPE_CHECKING:
    from jinja2 import Template

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "report.html.j2"
HTML_NAME = "coworld-certification.html"
OTHER_CATEGORY = "Other"
EMBED_LIMIT = 1024 * 1024  # a screenshot up to this size is embedded as a data: URI; a larger one is linked
EMBED_BUDGET = 3 * 1024 * 1024  # all embedded screenshots together, before base64
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEMPLATE_LOCK = threading.Lock()
PAGE_NAMES = {
    "player_page": "player page",
    "player_address": "player page (address)",
    "global_viewer": "live viewer",
    "global_address": "live viewer (address)",
    "replay_viewer": "replay viewer",
}
# the lines of a rendered CoworldCheckFailure (pytest_coworld/failures.py) and the fields they fill
FAILURE_FIELDS = {
    "expected": "expected",
    "observed": "observed",
    "likely cause": "hint",
    "reproduce": "repro",
}
LOG_TAIL_LINE = "    |"
CERTIFICATION_DEFAULTS: dict[str, Any] = {
    "verdict": "",
    "warnings": [],
    "chosen_subset": False,
    "checks": [],
    "summary": {},
    "images": [],
}
PARAM = re.compile(r"(\[[^\]]*\])$")  # the parameters at the end of a node id
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def clean(text: Any) -> str:
    """Text for the page: a string without terminal colour codes (escaping is the template's)."""
    return ANSI.sub("", str(text if text is not None else ""))


def seconds(value: Any) -> str:
    """`0.28 s`, `12.3 s`, `2 min 05 s`."""
    number = float(value or 0)
    if number >= 120:
        return f"{int(number // 60)} min {int(number % 60):02d} s"
    return f"{number:.2f} s" if number < 10 else f"{number:.1f} s"


def size(count: int) -> str:
    """`512 B`, `30.2 KB`, `1.4 MB`."""
    if count < 1024:
        return f"{count} B"
    return f"{count / 1024:.1f} KB" if count < 1024 * 1024 else f"{count / 1024 / 1024:.1f} MB"


class Artifacts:
    """The run's artifacts folder as found now, and links to its files relative to the HTML file.

    The report records the folder's absolute path; when it is gone (the report and the folder were moved or
    downloaded together), the folder is looked for beside the HTML file, as `coworld-artifacts/<run-id>/`
    or `<run-id>/`. Only regular files inside the folder are ever linked or embedded.
    """

    def __init__(self, recorded: str | None, html_dir: Path) -> None:
        self.recorded = Path(recorded) if recorded else None
        self.html_dir = html_dir
        self.root: Path | None = None
        if self.recorded is not None:
            candidates = (
                self.recorded,
                html_dir / "coworld-artifacts" / self.recorded.name,
                html_dir / self.recorded.name,
            )
            self.root = next((c.resolve() for c in candidates if c.is_dir()), None)
        self.embedded = 0
        self.sources: dict[Path, str] = {}

    def local(self, recorded_path: str | Path | None) -> Path | None:
        """The file a path of the report names, now; None unless it is a file inside the artifacts folder."""
        if not recorded_path or self.root is None:
            return None
        path = Path(recorded_path)
        if self.recorded is not None and path.is_absolute() and path.is_relative_to(self.recorded):
            path = self.root / path.relative_to(self.recorded)
        elif not path.is_absolute():
            path = self.root / path
        return self.inside(path)

    def inside(self, path: Path) -> Path | None:
        if self.root is None or path.is_symlink() or not path.is_file():
            return None
        resolved = path.resolve()
        return resolved if resolved.is_relative_to(self.root) else None

    def href(self, path: Path) -> str:
        """A relative URL of `path` from the HTML file's folder, every segment percent-encoded."""
        relative = os.path.relpath(path, self.html_dir).split(os.sep)
        return "/".join(quote(part) for part in relative)

    def link(self, path: Path) -> dict[str, Any]:
        name = str(path.relative_to(self.root)) if self.root else path.name
        return {"name": name, "href": self.href(path), "size": size(path.stat().st_size)}

    def image_src(self, path: Path) -> str:
        """A data: URI of a small PNG (while the budget lasts), else its relative link."""
        if path not in self.sources:
            self.sources[path] = self._image_src(path)
        return self.sources[path]

    def _image_src(self, path: Path) -> str:
        data = path.read_bytes()
        fits = len(data) <= EMBED_LIMIT and self.embedded + len(data) <= EMBED_BUDGET
        if fits and data.startswith(PNG_SIGNATURE):
            self.embedded += len(data)
            return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        return self.href(path)

    def folder(self, name: str) -> Path | None:
        """The folder `name` of the artifacts folder (a target's), if there is one."""
        if self.root is None:
            return None
        folder = (self.root / name).resolve()
        return folder if folder.is_dir() and folder.is_relative_to(self.root) else None

    def files(self, folder: Path) -> list[Path]:
        """Every regular file under `folder` inside the artifacts folder, by path."""
        if not folder.is_dir():
            return []
        found = (self.inside(path) for path in sorted(folder.rglob("*")))
        return [path for path in found if path is not None]


def failure_fields(check_id: str | None, message: str) -> dict[str, Any] | None:
    """The parts of a rendered check failure: rule, expected, observed, details, hint, repro, log tail.

    None when `message` is not one (a harness error's traceback, a skip reason): it is shown as it is.
    """
    lines = clean(message).splitlines()
    prefix = f"{check_id}: "
    if not check_id or not lines or not lines[0].startswith(prefix):
        return None
    fields: dict[str, Any] = {"rule": lines[0].removeprefix(prefix), "details": [], "log_tail": []}
    current: list[str] | None = None
    for line in lines[1:]:
        if line.startswith(LOG_TAIL_LINE) and current is fields["log_tail"]:
            current.append(line.removeprefix(LOG_TAIL_LINE).removeprefix(" "))
        elif line.strip() == "log tail:":
            current = fields["log_tail"]
        elif line.startswith("  ") and not line.startswith("   ") and ": " in line:
            key, value = line[2:].split(": ", 1)
            current = [value]
            if key in FAILURE_FIELDS:
                fields[FAILURE_FIELDS[key]] = current
            else:
                fields["details"].append((key, current))
        elif current is not None:  # a line of a multi-line value
            current.append(line)
    if "expected" not in fields or "observed" not in fields:
        return None
    shaped: dict[str, Any] = {name: "\n".join(fields.get(name, ())) for name in FAILURE_FIELDS.values()}
    shaped["rule"] = fields["rule"]
    shaped["details"] = [(key, "\n".join(value)) for key, value in fields["details"]]
    shaped["log_tail"] = "\n".join(fields["log_tail"])
    return shaped


def _linked_details(fields: dict[str, Any] | None, artifacts: Artifacts) -> dict[str, Any] | None:
    """The failure's details as (key, value, link): a link when the value names a file of the artifacts."""
    if fields is not None:
        linked = []
        for key, value in fields["details"]:
            path = None if "\n" in value else artifacts.local(value.strip())
            linked.append((key, value, artifacts.href(path) if path else None))
        fields["details"] = linked
    return fields


def screenshot(check: dict[str, Any], artifacts: Artifacts) -> dict[str, Any] | None:
    path = artifacts.local((check.get("properties") or {}).get("coworld.screenshot"))
    if path is None:
        return None
    return {
        "page": PAGE_NAMES.get(path.stem, path.stem.replace("_", " ")),
        "order": (
            list(PAGE_NAMES).index(path.stem) if path.stem in PAGE_NAMES else len(PAGE_NAMES),
            path.stem,
        ),
        "src": artifacts.image_src(path),
        "href": artifacts.href(path),
    }


def shape_check(check: dict[str, Any], artifacts: Artifacts) -> dict[str, Any]:
    """One row of the checks table, with its failure's parts and its screenshot and console log."""
    check_id = check.get("id")
    info = CHECKS.get(check_id or "")
    outcome = check.get("outcome", "")
    message = clean(check.get("message", ""))
    properties = check.get("properties") or {}
    problem = outcome in ("failed", "warning", "error")
    if problem:
        summary = observed(message)
    elif outcome == "skipped":
        summary = message.splitlines()[0] if message else ""
    else:
        summary = clean(properties.get("coworld.observed", ""))
    console_log = artifacts.local(properties.get("coworld.console_log"))
    return {
        "id": check_id or check.get("nodeid", "?"),
        "nodeid": check.get("nodeid", ""),
        "title": info.title if info else "",
        "category": info.category if info else OTHER_CATEGORY,
        "level": check.get("level", "required"),
        "outcome": outcome,
        "skip_kind": check.get("skip_kind"),
        "duration": seconds(check.get("duration")),
        "summary": summary[:300],
        "problem": problem,
        "failure": _linked_details(failure_fields(check_id, message), artifacts) if problem else None,
        "message": message,
        "screenshot": screenshot(check, artifacts),
        "console_log": artifacts.link(console_log) if console_log else None,
    }


def gallery(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each screenshot once, in the order of the pages, with the checks that took it."""
    shots: dict[str, dict[str, Any]] = {}
    for check in checks:
        if check["screenshot"]:
            shot = shots.setdefault(check["screenshot"]["href"], {**check["screenshot"], "checks": []})
            shot["checks"].append({"id": check["id"], "outcome": check["outcome"]})
    return sorted(shots.values(), key=lambda shot: shot["order"])


def category_groups(checks: list[dict[str, Any]], statuses: dict[str, str]) -> list[dict[str, Any]]:
    """The shaped checks by category, in the catalog's order, each with its status and outcome counts."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for check in checks:
        grouped[check["category"]].append(check)
    repeated = {check["id"] for check in checks if sum(c["id"] == check["id"] for c in checks) > 1}
    for check in checks:  # a check parametrized per slot or image: which one each row is
        match = PARAM.search(check["nodeid"]) if check["id"] in repeated else None
        check["param"] = match.group(1) if match else ""
    groups = []
    for category in (*CATEGORIES, OTHER_CATEGORY):
        rows = grouped.get(category)
        if not rows:
            continue
        outcomes = [row["outcome"] for row in rows]
        counts = ", ".join(f"{outcomes.count(o)} {o}" for o in OUTCOMES if o in outcomes)
        groups.append(
            {"name": category, "status": statuses.get(category, ""), "counts": counts, "checks": rows}
        )
    return groups


def timeline(timings: dict[str, Any]) -> dict[str, Any] | None:
    """The episode's phases as bars: each starts where the previous ended, scaled to the episode's total."""
    phases = [
        (name, float(value))
        for name, value in timings.items()
        if name != "total" and isinstance(value, int | float) and value >= 0
    ]
    spent = sum(value for _, value in phases)
    total = max(float(timings.get("total") or 0), spent)
    if not phases or total <= 0:
        return None
    bars, start = [], 0.0
    for name, value in phases:
        bars.append(
            {
                "name": name,
                "seconds": seconds(value),
                "left": f"{100 * start / total:.2f}",
                "width": f"{max(100 * value / total, 0.4):.2f}",
            }
        )
        start += value
    return {"total": seconds(total), "bars": bars, "other": seconds(total - spent) if total > spent else None}


def _slot_key(slot: str) -> tuple[int, str]:
    return (int(slot), "") if slot.isdigit() else (1 << 30, slot)


def wire_slots(text: str) -> dict[str, Any]:
    """Per player slot, the frames of its `/player` connections each way; the game's other connections."""
    from pytest_coworld.wire.transcript import PLAYER_PATH, Transcript

    connections = sorted(Transcript.parse(text).connections.values(), key=lambda c: c.number)
    by_slot: dict[str, list[Any]] = defaultdict(list)
    for connection in connections:
        if connection.path == PLAYER_PATH and connection.slot is not None:
            by_slot[clean(connection.slot)].append(connection)
    slots = []
    for slot in sorted(by_slot, key=_slot_key):
        own = by_slot[slot]
        slots.append(
            {
                "slot": slot,
                "sent": sum(c.up.messages for c in own),
                "received": sum(c.down.messages for c in own),
                "bytes_sent": size(sum(c.up.bytes for c in own)),
                "bytes_received": size(sum(c.down.bytes for c in own)),
                "connections": [clean(c.describe()) for c in own],
            }
        )
    scale = max((max(s["sent"], s["received"]) for s in slots), default=0) or 1
    for entry in slots:  # the bars of frames each way, scaled to the busiest direction of any slot
        entry["sent_width"] = f"{100 * entry['sent'] / scale:.1f}"
        entry["received_width"] = f"{100 * entry['received'] / scale:.1f}"
    others = [clean(c.describe()) for c in connections if not (c.path == PLAYER_PATH and c.slot is not None)]
    return {"slots": slots, "others": others}


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(errors="replace"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _wire(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        return wire_slots(path.read_text(errors="replace"))
    except (OSError, TypeError, ValueError):  # a transcript cut short or garbled: shown by its link alone
        return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _exit_code(container: dict[str, Any]) -> str:
    code = container.get("exit_code")
    return "none" if code is None else clean(code)


def slot_rows(document: dict[str, Any], wire: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per player slot: its player as `episode.json` tells, and its frames from `wire.jsonl`."""
    wired = {entry["slot"]: entry for entry in wire["slots"]} if wire else {}
    rows = []
    for player in document.get("players") or []:
        if isinstance(player, dict):
            slot = clean(player.get("slot", "?"))
            rows.append(
                {
                    "slot": slot,
                    "image": clean(player.get("image", "")),
                    "exit": _exit_code(player),
                    "by_itself": bool(player.get("exited_by_itself")),
                    "wire": wired.pop(slot, None),
                }
            )
    blank = {"image": "", "exit": "", "by_itself": False}
    return rows + [{**blank, "slot": slot, "wire": entry} for slot, entry in wired.items()]


def episode(path: Path, artifacts: Artifacts) -> dict[str, Any] | None:
    """An episode of the certification from its `episode.json`, with its timeline and wire frames."""
    document = _read_json(path)
    if document is None:
        return None
    wire = artifacts.inside(path.parent / "wire.jsonl")
    outcome, timings, game = (_mapping(document.get(key)) for key in ("outcome", "timings", "game"))
    frames = _wire(wire)
    return {
        "folder": str(path.parent.relative_to(artifacts.root)) if artifacts.root else path.parent.name,
        "test": clean(document.get("test", "")),
        "slot_count": clean(document.get("slot_count", "")),
        "outcome": clean(outcome.get("kind", "")),
        "outcome_message": clean(outcome.get("message", "")),
        "log_tail": clean(outcome.get("log_tail", "")),
        "game_exit": _exit_code(game),
        "scores": ", ".join(clean(score) for score in document.get("scores") or []),
        "timeline": timeline(timings),
        "slots": slot_rows(document, frames),
        "wire_recorded": frames is not None,
        "other_connections": frames["others"] if frames else [],
        "wire_link": artifacts.link(wire) if wire else None,
    }


def shape_image(image: dict[str, Any]) -> dict[str, Any]:
    """An image the manifest references: where, its reference, and what Docker knows of it."""
    return {
        "path": clean(image.get("path", "")),
        "reference": clean(image.get("reference", "")),
        "id": clean(image.get("id") or "not found"),
        "repo_digests": [clean(digest) for digest in image.get("repo_digests") or []],
        "platform": clean(image.get("platform") or ""),
    }


def shape_certification(certification: dict[str, Any], artifacts: Artifacts, number: int) -> dict[str, Any]:
    """One certification (one manifest) of the report, shaped for the template."""
    certification = {**CERTIFICATION_DEFAULTS, **certification}
    if certification["verdict"] not in VERDICT_WORDS:
        certification["verdict"] = INCOMPLETE
    target = str(certification.get("target", "?"))
    checks = [shape_check(check, artifacts) for check in certification.get("checks", [])]
    folder = artifacts.folder(target)
    files = artifacts.files(folder) if folder else []
    episodes = [episode(path, artifacts) for path in files if path.name == "episode.json"]
    return {
        "target": target,
        "anchor": f"target-{number}",
        "verdict": certification.get("verdict", ""),
        "verdict_word": VERDICT_WORDS.get(certification.get("verdict", ""), "?"),
        "verdict_line": verdict_line(certification),
        "reasons": [clean(reason) for reason in certification.get("reasons", [])],
        "warnings": [
            {"id": warning.get("id") or "warning", "observed": observed(clean(warning.get("message", "")))}
            for warning in certification.get("warnings", [])
        ],
        "manifest": {key: clean(value) for key, value in (certification.get("manifest") or {}).items()},
        "variant": clean(certification.get("variant") or "certification"),
        "required_checks": certification.get("required_checks", 0),
        "summary": {
            o: certification["summary"][o] for o in OUTCOMES if o in (certification["summary"] or {})
        },
        "images": [shape_image(image) for image in certification["images"] or [] if isinstance(image, dict)],
        "groups": category_groups(checks, certification.get("categories") or {}),
        "screenshots": gallery(checks),
        "episodes": [e for e in episodes if e is not None],
        "artifacts": [artifacts.link(path) for path in files],
        "artifacts_folder": str(folder) if folder else None,
    }


def shape_report(report: dict[str, Any], html_path: Path) -> dict[str, Any]:
    """Everything the template shows, from the report and the artifacts folder it names."""
    artifacts = Artifacts(report.get("artifacts_dir"), html_path.absolute().parent)
    certifications = [
        shape_certification(c, artifacts, number) for number, c in enumerate(report.get("certifications", []))
    ]
    checks = sum(len(c.get("checks", [])) for c in report.get("certifications", []))
    warnings = int(report.get("warnings", 0))
    return {
        "verdict": report.get("verdict", ""),
        "verdict_word": VERDICT_WORDS.get(report.get("verdict", ""), "?"),
        "counts": f"{len(certifications)} manifest{'s' if len(certifications) != 1 else ''}, "
        f"{checks} checks, {warnings} warning{'s' if warnings != 1 else ''}",
        "run_id": clean(report.get("run_id", "")),
        "created_at": clean(report.get("created_at", "")),
        "plugin_version": clean(report.get("plugin_version", "")),
        "machine": {clean(k): clean(v) for k, v in (report.get("machine") or {}).items()},
        "artifacts_dir": clean(report.get("artifacts_dir", "")),
        "artifacts_found": artifacts.root is not None,
        "certifications": certifications,
    }


def render_html(report: dict[str, Any], html_path: Path) -> str:
    """The HTML page of `report`, linking artifacts relative to where it will be written (`html_path`)."""
    return report_template().render(report=shape_report(report, html_path))


def report_template() -> Template:
    """The page's compiled template: importing Jinja and compiling it takes 0.2 s, done once per process (a
    call while `prepare_report_template` compiles it waits for that)."""
    with _TEMPLATE_LOCK:
        return _compiled_template()


def prepare_report_template() -> None:
    """Compile the template on a thread now, while the process waits for something else (the removal of
    the run's containers), instead of after it."""
    threading.Thread(target=report_template, name="coworld-html-template", daemon=True).start()


@functools.cache
def _compiled_template() -> Template:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template(TEMPLATE)


def write_html(report: dict[str, Any], html_path: Path) -> Path:
    """Write the HTML page of `report` (a report as `build_results` makes it) to `html_path`."""
    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(report, html_path), encoding="utf-8")
    return html_path


def write_html_report(report_path: Path, html_path: Path | None = None) -> Path:
    """Read the JSON report at `report_path`; write its HTML page (beside it unless told); return its path."""
    report = json.loads(Path(report_path).read_text())
    return write_html(report, Path(html_path) if html_path else Path(report_path).with_suffix(".html"))
