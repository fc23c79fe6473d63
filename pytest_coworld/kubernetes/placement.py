"""Where an episode's pods may run (a node selector, tolerations, with their command-line forms), and how
their images reach the node."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


class PullPolicy(StrEnum):
    ALWAYS = "Always"
    IF_NOT_PRESENT = "IfNotPresent"
    NEVER = "Never"


@dataclass(frozen=True)
class Placement:
    """The node selector and tolerations every pod of the episode gets (none by default)."""

    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, str], ...] = ()

    def pod_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.node_selector:
            fields["nodeSelector"] = dict(self.node_selector)
        if self.tolerations:
            fields["tolerations"] = [dict(toleration) for toleration in self.tolerations]
        return fields

    @classmethod
    def parse(cls, node_selector: Iterable[str], tolerations: Iterable[str]) -> Placement:
        """From the command-line forms (`--node-selector`, `--toleration`); ValueError for a wrong one."""
        return cls(parse_node_selector(node_selector), tuple(map(parse_toleration, tolerations)))


def parse_node_selector(pairs: Iterable[str]) -> dict[str, str]:
    """`KEY=VALUE` strings as a node selector; ValueError for anything else."""
    selector: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not key or not separator:
            raise ValueError(f"a node selector is KEY=VALUE, not {pair!r}")
        selector[key] = value
    return selector


def parse_toleration(text: str) -> dict[str, str]:
    """`KEY[=VALUE][:EFFECT]`, as `kubectl taint` writes a taint (effect NoSchedule when left out): `Equal`
    with a value, else `Exists`. The platform's is `workload-type=<type>:NoSchedule`."""
    spec, colon, effect = text.rpartition(":")
    if not colon:
        spec, effect = text, "NoSchedule"
    if effect not in EFFECTS:
        raise ValueError(f"toleration {text!r}: the effect is one of {', '.join(EFFECTS)}, not {effect!r}")
    key, equals, value = spec.partition("=")
    if not key:
        raise ValueError(f"toleration {text!r} has no key; write KEY[=VALUE][:EFFECT]")
    if equals:
        return {"key": key, "operator": "Equal", "value": value, "effect": effect}
    return {"key": key, "operator": "Exists", "effect": effect}
