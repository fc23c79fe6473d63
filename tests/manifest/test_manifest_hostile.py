"""Manifests from strangers: each hostile or broken input ends in one clear line, never a traceback or a hang.

Loading is bounded by construction (regular files only, a size limit, a nesting limit, an HTTP time and size
limit), so the loopback servers below stream forever or trickle, and the tests still end. Content a harness
cannot use safely (image names, control characters, lengths, package paths, `$ref` loops) is a violation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from pytest_coworld.cli.app import app
from pytest_coworld.manifest import ManifestLoadError, check_document, load_document, loader
from pytest_coworld.manifest.image_refs import image_problem
from pytest_coworld.manifest.package_paths import package_path_problem

Document = dict[str, Any]
LONGEST_LINE = 400  # every violation and error stays this short, whatever the input holds
LIMIT = loader.MAX_MANIFEST_BYTES


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _written(content: bytes | str, name: str = "coworld_manifest.json") -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        path = folder / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return str(path)

    return make


def _fifo(folder: Path) -> str:
    path = folder / "pipe.json"
    os.mkfifo(path)
    return str(path)


def _load_error(reference: str) -> str:
    with pytest.raises(ManifestLoadError) as raised:
        load_document(reference)
    message = str(raised.value)
    assert "\n" not in message and len(message) < LONGEST_LINE + len(reference)  # it may name the reference
    return message


# Loading: what is read, how much, how deep, how long.

LOAD_ERRORS = {
    "deep-array": (_written(_deep(10_000)), "nests arrays and objects 10000 levels deep, more than the 64"),
    "deep-under-game": (_written('{"game": ' + _deep(10_000) + "}"), "10001 levels deep, more than the 64"),
    "deep-objects": (_written('{"a": ' * 5000 + "1" + "}" * 5000), "5000 levels deep"),
    "one-level-too-deep": (_written(_deep(65)), "65 levels deep, more than the 64"),
    "brackets-in-strings-do-not-count": (_written('["]]]]",' + _deep(70) + "]"), "71 levels deep"),
    "one-byte-too-large": (
        _written(b"{}" + b" " * (LIMIT - 1)),
        "is larger than 4 MiB, the limit for a manifest",
    ),
    "ten-megabyte-name": (_written('{"game": {"name": "' + "x" * 10_000_000 + '"}}'), "is larger than 4 MiB"),
    "named-pipe": (_fifo, "pipe.json is a named pipe, not a regular file"),
    "device": (lambda _: "/dev/zero", "/dev/zero is a device, not a regular file"),
    "file-name-too-long": (lambda folder: str(folder / ("a" * 5000)), ": File name too long"),
    "home-of-nobody": (lambda _: "~no-such-user-x/m.json", "manifest file not found: ~no-such-user-x/m.json"),
}


@pytest.mark.parametrize(("make", "expected"), LOAD_ERRORS.values(), ids=LOAD_ERRORS.keys())
def test_a_hostile_file_is_a_clear_load_error(
    tmp_path: Path, make: Callable[[Path], str], expected: str
) -> None:
    assert expected in _load_error(make(tmp_path))


def test_the_limits_leave_room_for_real_manifests(tmp_path: Path) -> None:
    deepest = _written(_deep(64))(tmp_path)
    bracketed = _written('{"game": {"name": "' + "[" * 1000 + '"}}', "bracketed.json")(tmp_path)
    largest = _written(b"{}" + b" " * (LIMIT - 2), "largest.json")(tmp_path)

    assert "holds an array" in _load_error(deepest)  # parsed: 64 levels are allowed
    assert load_document(bracketed)[0]["game"]["name"] == "[" * 1000
    assert load_document(largest)[0] == {}


class _Hostile(BaseHTTPRequestHandler):
    """By path: /endless streams forever, /trickle sends a byte every 10 ms, /silent sends headers only,
    /loop redirects to itself. Each stops when the client hangs up or the server closes."""

    BODIES: ClassVar = {"/endless": (b" " * 65536, 0.0), "/trickle": (b" ", 0.01), "/silent": (b"", 0.01)}
    closing = threading.Event()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        chunk, pause = self.BODIES[self.path]
        self.send_response(200)
        self.end_headers()
        try:
            while not self.closing.wait(pause):
                self.wfile.write(chunk)
                self.wfile.flush()
        except OSError:  # the client hung up
            return


@pytest.fixture
def hostile_server() -> Iterator[str]:
    """The base URL of a `_Hostile` server on loopback."""
    _Hostile.closing.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        _Hostile.closing.set()
        server.shutdown()
        server.server_close()
        thread.join()


ENDLESS_ANSWERS = {
    "endless-body": ("/endless", "/endless is larger than 4 MiB"),
    "redirect-loop": ("/loop", "cannot fetch manifest"),
}
SLOW_ANSWERS = {"trickling-body": "/trickle", "headers-then-silence": "/silent"}


@pytest.mark.parametrize(("path", "expected"), ENDLESS_ANSWERS.values(), ids=ENDLESS_ANSWERS.keys())
def test_an_endless_answer_is_cut_at_the_size_limit(hostile_server: str, path: str, expected: str) -> None:
    assert expected in _load_error(hostile_server + path)


@pytest.mark.parametrize("path", SLOW_ANSWERS.values(), ids=SLOW_ANSWERS.keys())
def test_a_slow_answer_is_cut_at_the_time_limit(
    hostile_server: str, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(loader, "HTTP_TOTAL_SECONDS", 0.5)

    assert f"{path}: the download took longer than 0.5 s" in _load_error(hostile_server + path)


# Validation: what the document holds.


def _set(path: str, value: Any) -> Callable[[Document], None]:
    """Set the value at a dotted path (`player.0.image`)."""

    def mutate(document: Document) -> None:
        *head, last = path.split(".")
        node: Any = document
        for part in head:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = value

    return mutate


def _config(width: Any, defs: Document | None = None) -> Callable[[Document], None]:
    """Give game.config_schema these `$defs` and this schema of `width`."""

    def mutate(document: Document) -> None:
        document["game"]["config_schema"]["$defs"] = defs or {}
        document["game"]["config_schema"]["properties"]["width"] = width

    return mutate


def _bundle(bundle: str) -> Callable[[Document], None]:
    return _set("game.replay_viewer", {"bundle": bundle})


@dataclass(frozen=True)
class Bad:
    """A mutation of the valid current-generation manifest, and the violation it must cause."""

    mutate: Callable[[Document], None]
    path: str
    rule: str


CYCLE, IMAGE, CONTROL, TOO_LONG = (
    "json-schema.ref-cycle",
    "image.reference",
    "text.control-character",
    "text.too-long",
)
BUNDLE, WIDTH = "replay-viewer.bundle-path", "game.config_schema.properties.width"
VIOLATIONS = {
    "config-schema-ref-to-itself": Bad(
        _set("game.config_schema", {"$ref": "#"}), "game.config_schema.$ref", CYCLE
    ),
    "results-schema-ref-to-itself": Bad(
        _set("game.results_schema", {"$ref": "#"}), "game.results_schema.$ref", CYCLE
    ),
    "two-defs-ref-each-other": Bad(
        _config({"$ref": "#/$defs/a"}, {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}),
        "game.config_schema.$defs.a.$ref",
        CYCLE,
    ),
    "loop-through-all-of": Bad(
        _config({"allOf": [{"$ref": "#/properties/width"}]}), f"{WIDTH}.allOf[0].$ref", CYCLE
    ),
    "loop-through-not": Bad(
        _config({"not": {"not": {"$ref": "#/properties/width"}}}), f"{WIDTH}.not.not.$ref", CYCLE
    ),
    "loop-through-an-anchor": Bad(
        _config({"$anchor": "width", "anyOf": [{"$ref": "#width"}]}), f"{WIDTH}.anyOf[0].$ref", CYCLE
    ),
    "loop-through-a-const-value": Bad(
        _config({"$ref": "#/$defs/c/const"}, {"c": {"const": {"$ref": "#/$defs/c/const"}}}),
        "game.config_schema.$defs.c.const.$ref",
        CYCLE,
    ),
    "results-schema-ref-to-nowhere": Bad(
        _set("game.results_schema.properties.scores", {"$ref": "#/$defs/missing"}),
        "game.results_schema.properties.scores.$ref",
        "json-schema.unresolvable-ref",
    ),
    "image-climbs-paths": Bad(_set("game.runnable.image", "../../etc/passwd"), "game.runnable.image", IMAGE),
    "image-empty": Bad(_set("player.0.image", ""), "player[0].image", IMAGE),
    "image-with-spaces-and-marks": Bad(_set("player.1.image", "Bad Image!!:??"), "player[1].image", IMAGE),
    "image-uppercase-repository": Bad(_set("grader.0.image", "Tiles-Grader:1"), "grader[0].image", IMAGE),
    "image-with-nul": Bad(_set("game.runnable.image", "tiles\x00:1"), "game.runnable.image", IMAGE),
    "image-name-too-long": Bad(_set("game.runnable.image", "a" * 256), "game.runnable.image", IMAGE),
    "game-name-with-nul": Bad(_set("game.name", "ti\x00les"), "game.name", CONTROL),
    "variant-id-with-newline": Bad(_set("variants.0.id", "duel\n"), "variants[0].id", CONTROL),
    "player-name-with-c1-control": Bad(_set("player.0.name", "Greedy\x9b"), "player[0].name", CONTROL),
    "env-name-with-escape": Bad(
        _set("game.runnable.env", {"\x1b[2J": "x"}), 'game.runnable.env["\\u001b[2J"]', CONTROL
    ),
    "env-value-with-bell": Bad(
        _set("game.runnable.env.LOG_LEVEL", "\x07"), "game.runnable.env.LOG_LEVEL", CONTROL
    ),
    "run-argument-with-nul": Bad(_set("game.runnable.run.0", "python3\x00"), "game.runnable.run[0]", CONTROL),
    "game-name-lone-surrogate": Bad(_set("game.name", "tiles\ud800"), "game.name", "text.lone-surrogate"),
    "env-value-lone-surrogate": Bad(
        _set("game.runnable.env.LOG_LEVEL", "\udfff"), "game.runnable.env.LOG_LEVEL", "text.lone-surrogate"
    ),
    "game-name-101-characters": Bad(_set("game.name", "t" * 101), "game.name", TOO_LONG),
    "game-name-100-kilobytes": Bad(_set("game.name", "t" * 100_000), "game.name", TOO_LONG),
    "owner-too-long": Bad(_set("game.owner", "o" * 255), "game.owner", TOO_LONG),
    "env-value-too-long": Bad(
        _set("game.runnable.env.LOG_LEVEL", "v" * 40_000), "game.runnable.env.LOG_LEVEL", TOO_LONG
    ),
    "env-name-too-long": Bad(
        _set("game.runnable.env", {"K" * 5000: "v"}), f'game.runnable.env["{"K" * 57}..."]', TOO_LONG
    ),
    "unknown-key-of-100-kilobytes": Bad(
        _set("k" * 100_000, 1), f'["{"k" * 57}..."]', "schema.additional-properties"
    ),
    "unknown-player-id-of-100-kilobytes": Bad(
        _set("certification.players.0.player_id", "p" * 100_000),
        "certification.players[0].player_id",
        "certification.player-id",
    ),
    "bundle-climbs-out": Bad(_bundle("../../../../etc"), "game.replay_viewer.bundle", BUNDLE),
    "bundle-climbs-out-later": Bad(_bundle("viewer/../../x"), "game.replay_viewer.bundle", BUNDLE),
    "bundle-absolute": Bad(_bundle("/etc"), "game.replay_viewer.bundle", BUNDLE),
    "bundle-windows-drive": Bad(_bundle("C:\\viewer"), "game.replay_viewer.bundle", BUNDLE),
    "bundle-backslashes-climb": Bad(_bundle("..\\..\\x"), "game.replay_viewer.bundle", BUNDLE),
    "bundle-url": Bad(_bundle("https://viewer.example/"), "game.replay_viewer.bundle", BUNDLE),
    "player-file-climbs-out": Bad(_set("player.0.file", "../bot.py"), "player[0].file", "runnable.file-path"),
    "image-digest-not-hex": Bad(
        _set("game.runnable.image", "tiles@sha256:xyz"), "game.runnable.image", IMAGE
    ),
    "image-tag-129-characters": Bad(
        _set("game.runnable.image", "tiles:" + "t" * 129), "game.runnable.image", IMAGE
    ),
    "image-two-colons": Bad(_set("player.0.image", "tiles::1"), "player[0].image", IMAGE),
    "image-leading-dash": Bad(_set("player.0.image", "-tiles:1"), "player[0].image", IMAGE),
    "image-climbs-mid-path": Bad(_set("player.0.image", "registry.example/../x:1"), "player[0].image", IMAGE),
    "image-with-newline": Bad(_set("player.0.image", "tiles:1\nFROM x"), "player[0].image", IMAGE),
    "image-with-query": Bad(_set("player.0.image", "tiles:1?x=y"), "player[0].image", IMAGE),
    "run-argument-with-escape": Bad(
        _set("game.runnable.run.0", "\x1b]0;title\x07"), "game.runnable.run[0]", CONTROL
    ),
    "player-env-value-with-nul": Bad(_set("player.0.env", {"K": "v\x00"}), "player[0].env.K", CONTROL),
    "env-name-sets-another": Bad(_set("player.0.env", {"A=B": "v"}), 'player[0].env["A=B"]', "env.name"),
    "env-name-empty": Bad(_set("game.runnable.env", {"": "v"}), 'game.runnable.env[""]', "env.name"),
    "config-schema-ref-to-nowhere": Bad(
        _config({"$ref": "#/$defs/none"}), f"{WIDTH}.$ref", "json-schema.unresolvable-ref"
    ),
    "bundle-with-nul": Bad(_bundle("viewer\x00"), "game.replay_viewer.bundle", CONTROL),
    "variant-name-5000-characters": Bad(_set("variants.0.name", "n" * 5000), "variants[0].name", TOO_LONG),
}


@pytest.mark.parametrize("bad", VIOLATIONS.values(), ids=VIOLATIONS.keys())
def test_hostile_content_is_a_violation(current_doc: Document, bad: Bad) -> None:
    bad.mutate(current_doc)

    report = check_document(current_doc)

    assert (bad.path, bad.rule) in [(found.path, found.rule) for found in report.violations]
    assert report.manifest is None
    assert all(
        "\n" not in found.one_line() and len(found.one_line()) < LONGEST_LINE for found in report.violations
    )


def test_there_are_many_hostile_inputs() -> None:
    assert len(LOAD_ERRORS) + len(ENDLESS_ANSWERS) + len(SLOW_ANSWERS) + len(VIOLATIONS) >= 60


SOUND_WIDTHS = {
    "recursion-through-properties": {
        "anyOf": [
            {"type": "integer"},
            {"type": "object", "properties": {"next": {"$ref": "#/properties/width"}}},
        ]
    },
    "the-same-def-twice": {"allOf": [{"$ref": "#/$defs/n"}, {"$ref": "#/$defs/n"}]},
    "a-chain-of-refs": {"$ref": "#/$defs/m"},
    "a-dynamic-ref": {"$dynamicRef": "#/$defs/n"},
}


@pytest.mark.parametrize("width", SOUND_WIDTHS.values(), ids=SOUND_WIDTHS.keys())
def test_refs_that_descend_or_end_are_fine(current_doc: Document, width: Document) -> None:
    unused = {"$ref": "https://schemas.example/never-fetched.json"}  # validation never reaches it
    _config(width, {"n": {"type": "integer"}, "m": {"$ref": "#/$defs/n"}, "unused": unused})(current_doc)

    assert check_document(current_doc).violations == []


@pytest.mark.parametrize(
    "image",
    [
        "tiles-game:1.2.0",
        "coworld-examples/paint-game:latest",
        "localhost:5000/tiles:dev",
        "Registry.Example.com:443/owner/tiles_game__x.y-z:v1.0-rc_1",
        "Registry/owner/tiles",  # a capital marks a registry host, as in `docker pull`
        "[::1]:5000/tiles",
        "tiles@sha256:" + "a" * 64,
        "ghcr.io/owner/tiles:1.2.0@sha256:" + "b" * 64,
        "img_01HXZ5AB-c9d",  # a platform image id
    ],
)
def test_real_image_references_are_accepted(image: str) -> None:
    assert image_problem(image) is None


@pytest.mark.parametrize("path", ["viewer", "viewer/dist/", "./viewer", "viewer/../dist", "."])
def test_paths_inside_the_package_are_accepted(path: str) -> None:
    assert package_path_problem(path) is None


# The commands: one clear outcome, never a traceback, never megabytes.


def test_validate_lists_hostile_content_briefly(tmp_path: Path, current_doc: Document) -> None:
    current_doc["game"]["name"] = "x" * 100_000
    current_doc["game"]["results_schema"] = {"$ref": "#"}
    path = _written(json.dumps(current_doc))(tmp_path)

    result = CliRunner().invoke(app, ["validate", path])

    assert result.exit_code == 1
    assert "[text.too-long]" in result.stdout and "[json-schema.ref-cycle]" in result.stdout
    assert len(result.output) < 2000 and "Traceback" not in result.output


def test_validate_refuses_deep_nesting_in_one_line(tmp_path: Path) -> None:
    path = _written('{"game": ' + _deep(10_000) + "}")(tmp_path)

    result = CliRunner().invoke(app, ["validate", path])

    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path} nests arrays and objects 10001 levels deep, more than the 64 a manifest may use: "
        "flatten the deepest part\n"
    )


def test_certify_fails_the_manifest_checks_without_an_internal_error(
    tmp_path: Path, current_doc: Document
) -> None:
    game = current_doc["game"]
    deep = _written('{"game": ' + _deep(10_000) + "}", "deep.json")(tmp_path)
    cycle = _written(
        json.dumps({**current_doc, "game": {**game, "config_schema": {"$ref": "#"}}}), "cycle.json"
    )
    named = _written(json.dumps({**current_doc, "game": {**game, "name": "n" * 10_000}}), "named.json")

    finished = subprocess.run(
        [sys.executable, "-m", "pytest_coworld.cli.app", "certify", deep]
        + [f"--coworld-manifest={make(tmp_path)}" for make in (cycle, named)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    output = finished.stdout + finished.stderr
    assert finished.returncode == 1, output[-3000:]
    assert "nests arrays and objects 10001 levels deep" in output
    assert "game.config_schema.$ref: [json-schema.ref-cycle]" in output
    assert "game.name: [text.too-long]" in output
    assert output.count("NOT CERTIFIED") >= 3
    assert "INTERNALERROR" not in output and "Traceback" not in output
    assert len(output) < 20_000
