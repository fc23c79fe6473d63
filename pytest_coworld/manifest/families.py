"""Which certification check (rule family) each manifest rule id belongs to."""

from __future__ import annotations

FAMILIES = (
    "manifest.schema",
    "manifest.generation",
    "manifest.tokens",
    "manifest.slots",
    "manifest.ids",
    "manifest.configs",
    "manifest.references",
)

_BY_PREFIX = (
    ("tokens.in-author-config", "manifest.configs"),
    ("tokens.", "manifest.tokens"),
    ("certification.", "manifest.slots"),
    ("slots.", "manifest.slots"),
    ("variant.slot-count", "manifest.slots"),
    ("ids.", "manifest.ids"),
    ("config.", "manifest.configs"),
    ("variant.parent", "manifest.references"),
    ("generation.", "manifest.generation"),
    ("api-version", "manifest.generation"),
)


def family_of(rule: str) -> str:
    """The family of a rule id; rules of the JSON Schema and anything unlisted are `manifest.schema`."""
    for prefix, family in _BY_PREFIX:
        if rule.startswith(prefix):
            return family
    return "manifest.schema"
