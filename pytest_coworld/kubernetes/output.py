"""Rendered objects as multi-document YAML, and with their tokens and secret values as placeholders."""

from __future__ import annotations

from typing import Any

import yaml

from pytest_coworld.runtime.artifacts import Redactor
from pytest_coworld.runtime.spec import EpisodeSpec


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]  # (no stubs for PyYAML here)
    """Block style, never `&anchor`/`*alias` (each document must stand alone), multi-line strings as `|`."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _string(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _string)


def redacted(objects: list[dict[str, Any]], spec: EpisodeSpec, tokens: list[str]) -> list[dict[str, Any]]:
    """A copy whose Secrets (the only objects holding tokens and secret values) say `<redacted:token:N>` and
    `<redacted:secret:KEY>` instead."""
    redactor = Redactor.for_episode(tokens, spec.secret_env())
    return [_redact(item, redactor) if item["kind"] == "Secret" else item for item in objects]


def _redact(secret: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    data = {key: redactor.text(value) for key, value in secret["stringData"].items()}
    return {**secret, "stringData": data}


def to_yaml(objects: list[dict[str, Any]], header: list[str], secret_note: str) -> str:
    """The objects as YAML documents, `header` as comments on top, and `secret_note` above every Secret."""
    documents = []
    for item in objects:
        text = yaml.dump(item, Dumper=_Dumper, sort_keys=False, width=110)
        documents.append(f"# {secret_note}\n{text}" if item["kind"] == "Secret" else text)
    comments = "".join(f"# {line}\n" for line in header)
    return comments + "---\n" + "---\n".join(documents)
