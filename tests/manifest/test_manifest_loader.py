"""Loading a manifest from a path, a file:// URI, an http:// URL, or the platform's `manifest` wrapper."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pytest_coworld.manifest import (
    Generation,
    ManifestInvalid,
    ManifestLoadError,
    load_document,
    load_manifest,
)

Document = dict[str, Any]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture
def served_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on loopback: `(folder, base URL)`."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _write(folder: Path, document: Any, name: str = "coworld_manifest.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(document, indent=2))
    return path


def test_load_from_a_path(tmp_path: Path, classic_doc: Document) -> None:
    path = _write(tmp_path, classic_doc)

    document, source, base_dir, raw = load_document(str(path))

    assert document == classic_doc
    assert source == str(path)
    assert base_dir == tmp_path.resolve()
    assert raw == path.read_bytes()


def test_load_from_a_folder_reads_its_manifest(tmp_path: Path, classic_doc: Document) -> None:
    _write(tmp_path, classic_doc)

    document, _, base_dir, _ = load_document(str(tmp_path))

    assert document == classic_doc
    assert base_dir == tmp_path.resolve()


def test_load_from_a_file_uri(tmp_path: Path, classic_doc: Document) -> None:
    folder = tmp_path / "my game"
    folder.mkdir()
    path = _write(folder, classic_doc)

    document, source, base_dir, _ = load_document(path.as_uri())

    assert document == classic_doc
    assert source == path.as_uri()
    assert base_dir == folder


def test_load_from_an_http_url(served_folder: tuple[Path, str], current_doc: Document) -> None:
    folder, base_url = served_folder
    _write(folder, current_doc)
    url = f"{base_url}/coworld_manifest.json"

    document, source, base_dir, raw = load_document(url)

    assert document == current_doc
    assert (source, base_dir) == (url, None)
    assert json.loads(raw) == current_doc


def test_the_platform_wrapper_is_unwrapped(served_folder: tuple[Path, str], current_doc: Document) -> None:
    folder, base_url = served_folder
    _write(folder, {"id": "cow_123", "manifest": current_doc}, "coworld.json")

    document, *_ = load_document(f"{base_url}/coworld.json")

    assert document == current_doc


def test_load_manifest_returns_a_validated_model(tmp_path: Path, current_doc: Document) -> None:
    path = _write(tmp_path, current_doc)

    loaded = load_manifest(str(path))

    assert loaded.generation is Generation.CURRENT_V0
    assert loaded.manifest.game.name == "tiles"
    assert loaded.base_dir == tmp_path.resolve()
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_load_manifest_over_http_has_no_base_dir(
    served_folder: tuple[Path, str], classic_doc: Document
) -> None:
    folder, base_url = served_folder
    _write(folder, classic_doc)

    loaded = load_manifest(f"{base_url}/coworld_manifest.json", contract="classic")

    assert (loaded.generation, loaded.base_dir) == (Generation.CLASSIC, None)


def test_load_manifest_raises_with_every_violation(tmp_path: Path, classic_doc: Document) -> None:
    del classic_doc["game"]["owner"]
    del classic_doc["game"]["version"]
    path = _write(tmp_path, classic_doc)

    with pytest.raises(ManifestInvalid) as raised:
        load_manifest(str(path))

    assert [found.path for found in raised.value.report.violations] == ["game.version", "game.owner"]
    assert str(raised.value).startswith(f"{path} is not a valid classic manifest (2 violations):")


def _load_error(ref: str) -> str:
    with pytest.raises(ManifestLoadError) as raised:
        load_document(ref)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_a_missing_file_is_a_load_error(tmp_path: Path) -> None:
    assert (
        _load_error(str(tmp_path / "nope.json"))
        == f"manifest file not found: {tmp_path / 'nope.json'} (check the path)"
    )


def test_a_folder_without_a_manifest_is_a_load_error(tmp_path: Path) -> None:
    assert "is a folder without a coworld_manifest.json" in _load_error(str(tmp_path))


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "game": {\n    "name": "tiles",,\n  }\n}\n')

    assert (
        _load_error(str(path))
        == f"{path} is not valid JSON: Expecting property name enclosed in double quotes at line 3, column 21"
    )


def test_json_that_is_not_an_object_is_a_load_error(tmp_path: Path) -> None:
    path = _write(tmp_path, [{"game": {}}])

    assert (
        _load_error(str(path)) == f"{path} holds an array, but a manifest is a JSON object with a `game` key"
    )


def test_nan_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "nan.json"
    path.write_text('{"game": NaN}')

    assert _load_error(str(path)) == f"{path} is not valid JSON: NaN is not a JSON value"


def test_bytes_that_are_not_utf8_are_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"game": "caf\u00e9"}'.encode("latin-1"))

    assert "is not UTF-8 text" in _load_error(str(path))


def test_an_http_error_is_a_load_error(served_folder: tuple[Path, str]) -> None:
    _, base_url = served_folder

    assert _load_error(f"{base_url}/missing.json").endswith("HTTP 404 File not found")


def test_an_unreachable_url_is_a_load_error() -> None:
    closed = ThreadingHTTPServer(("127.0.0.1", 0), _QuietHandler)
    port = closed.server_port
    closed.server_close()

    assert _load_error(f"http://127.0.0.1:{port}/coworld_manifest.json").startswith("cannot fetch manifest")


def test_a_platform_id_is_left_to_the_commands_that_fetch_it() -> None:
    error = _load_error("cow_0123abcd")
    assert "is a platform id: the coworld commands fetch it (`coworld certify cow_0123abcd`)" in error


def test_an_unknown_uri_scheme_is_a_load_error() -> None:
    assert _load_error("ftp://example.com/coworld_manifest.json").startswith(
        "unsupported manifest URI scheme 'ftp'"
    )


def test_a_file_uri_on_another_host_is_a_load_error() -> None:
    assert "only local files are supported" in _load_error("file://build-server/srv/coworld_manifest.json")
