"""The artifacts folder of an episode, written through a redactor so no token or secret ever lands on disk."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class Redactor:
    """Replaces every secret string (tokens, secret env values) by a readable placeholder."""

    def __init__(self, secrets: dict[str, str]) -> None:
        ordered = sorted(
            ((value, label) for value, label in secrets.items() if value), key=lambda p: -len(p[0])
        )
        self._pairs = [(value, f"<redacted:{label}>") for value, label in ordered]

    @classmethod
    def for_episode(cls, tokens: list[str], secret_env: Iterable[tuple[str, str]]) -> Redactor:
        """Every slot's token, and every (name, value) of secret env: each slot's own, so that two slots
        with different values under one name both are redacted."""
        secrets = {token: f"token:{slot}" for slot, token in enumerate(tokens)}
        secrets.update({value: f"secret:{key}" for key, value in secret_env})
        return cls(secrets)

    def text(self, text: str) -> str:
        for value, placeholder in self._pairs:
            text = text.replace(value, placeholder)
        return text

    def data(self, data: bytes) -> bytes:
        for value, placeholder in self._pairs:
            data = data.replace(value.encode(), placeholder.encode())
        return data


class ArtifactsFolder:
    """Writes the files of one episode's artifacts folder; every byte passes the redactor."""

    def __init__(self, folder: Path, redactor: Redactor) -> None:
        self.folder = folder
        self.redactor = redactor
        folder.mkdir(parents=True, exist_ok=True)
        self.written: list[str] = []

    def write_bytes(self, name: str, data: bytes) -> Path:
        target = self.folder / name
        target.write_bytes(self.redactor.data(data))
        self.written.append(name)
        return target

    def write_text(self, name: str, text: str) -> Path:
        return self.write_bytes(name, text.encode())

    def write_json(self, name: str, document: Any) -> Path:
        return self.write_text(name, json.dumps(document, indent=2, sort_keys=False) + "\n")
