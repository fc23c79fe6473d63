"""The report header: what is being certified, on which images, by which plugin version and run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_coworld import __version__

if TYPE_CHECKING:
    from pytest_coworld.session import CoworldSession


def header_lines(session: CoworldSession, image_facts: dict[str, Any]) -> list[str]:
    lines = [
        f"coworld: pytest-coworld {__version__}, run {session.run_id}, artifacts {session.artifacts_root()}"
    ]
    for target in session.targets:
        if target.loaded is None:
            problem = target.load_error or f"{len(target.violations)} manifest violation(s)"
            lines.append(f"coworld: {target.id}: {target.reference} ({problem})")
            continue
        config = f"variant {target.variant}" if target.variant else "certification config"
        lines.append(
            f"coworld: {target.id}: {target.reference} sha256:{target.loaded.sha256[:16]} "
            f"generation {target.generation}, {target.slot_count()} slots, {config}"
        )
        for path, reference in target.loaded.manifest.referenced_images():
            facts = image_facts.get(reference)
            identity = facts.id[:19] if facts else "not present locally"
            lines.append(f"coworld:   {path}: {reference} ({identity})")
    return lines
