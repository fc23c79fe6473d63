"""A kubeconfig file for the commands under test: context `standin` reaches the stand-in API server; its
current context is `elsewhere` (which does not exist), so a command works only when told the context."""

from __future__ import annotations

from pathlib import Path

import yaml


def kubeconfig(folder: Path, server: str) -> Path:
    path = folder / "kubeconfig"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "standin", "cluster": {"server": server}}],
        "users": [{"name": "runner", "user": {"token": "not-checked"}}],
        "contexts": [{"name": "standin", "context": {"cluster": "standin", "user": "runner"}}],
        "current-context": "elsewhere",
    }
    path.write_text(yaml.safe_dump(config))
    return path
