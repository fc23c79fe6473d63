"""The `$ref`s of the game's own schemas: each resolves without fetching anything, and none loops in place.

Validating a value follows `$ref`s (and `allOf`, `not`, ...) on the same value, and moves into a part of it
through `properties`, `items`, .... A chain of the first kind that comes back where it started never ends
(`{"$ref": "#"}`), so it is found here, on the schema alone, and reported instead of run. Only what
validation can reach counts: an unused `$defs` entry is not followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jsonschema_specifications import REGISTRY as METASCHEMAS
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from pytest_coworld.json_path import Path, format_path
from pytest_coworld.manifest.violations import Violation, short_json, violation

if TYPE_CHECKING:
    from referencing._core import Resolver  # what `Registry.resolver()` returns; not re-exported

REFERENCES = ("$ref", "$dynamicRef")
SAME_VALUE = {"one": ("not", "if"), "array": ("allOf", "anyOf", "oneOf"), "map": ("dependentSchemas",)}
CONDITIONAL = {"one": ("then", "else"), "array": (), "map": ()}  # applied only beside `if`
INTO_PARTS = {
    "one": (
        "additionalProperties",
        "contains",
        "items",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
    ),
    "array": ("prefixItems",),
    "map": ("patternProperties", "properties"),
}
SHOWN_REFS = 4


@dataclass(frozen=True)
class _Schema:
    """An object subschema and the resolver of its base URI."""

    contents: dict[str, Any]
    resolver: Resolver[Any]


@dataclass(frozen=True)
class _Step:
    """One move to a subschema on the same value: through a `$ref` (with its text) or an applicator."""

    target: _Schema
    ref: str | None = None


def reference_violations(schema: dict[str, Any], path: Path) -> list[Violation]:
    """Every reachable `$ref` of `schema` (found at `path`) that does not resolve or loops on the same value.

    `schema` must already be a valid draft 2020-12 schema.
    """
    graph = _RefGraph(_locations(schema, path))
    graph.explore(_Schema(schema, METASCHEMAS.resolver_with_root(DRAFT202012.create_resource(schema))))
    graph.find_loops()
    return list(graph.found.values())


class _RefGraph:
    """The subschemas validation can reach, each with its same-value steps; what is wrong, by path."""

    def __init__(self, locations: dict[int, Path]) -> None:
        self.locations = locations
        self.reached: list[_Schema] = []
        self.steps: dict[int, list[_Step]] = {}
        self.found: dict[str, Violation] = {}

    def explore(self, root: _Schema) -> None:
        """Reach every subschema from `root` through any keyword or resolvable reference."""
        pending = [root]
        while pending:
            schema = pending.pop()
            if id(schema.contents) in self.steps:
                continue
            steps = self._same_value_steps(schema)
            self.steps[id(schema.contents)] = steps
            self.reached.append(schema)
            pending += [step.target for step in steps] + _children(schema, INTO_PARTS)

    def find_loops(self) -> None:
        """A depth-first walk of the same-value steps from each subschema; a step back onto it is a loop."""
        done: set[int] = set()
        for start in self.reached:
            if id(start.contents) not in done:
                self._walk(start, done)

    def _walk(self, start: _Schema, done: set[int]) -> None:
        on_walk = {id(start.contents): 0}  # schema -> its depth on the walk
        stack = [iter(self.steps[id(start.contents)])]
        trail: list[_Step] = []  # trail[i] led from the schema at depth i to the one at depth i + 1
        while stack:
            step = next(stack[-1], None)
            if step is None:
                done.add(on_walk.popitem()[0])
                stack.pop()
                del trail[-1:]
                continue
            target = id(step.target.contents)
            if target in on_walk:
                self._loop([*trail[on_walk[target] :], step])
            elif target not in done:
                on_walk[target] = len(stack)
                stack.append(iter(self.steps[target]))
                trail.append(step)

    def _same_value_steps(self, schema: _Schema) -> list[_Step]:
        """Where validating a value against `schema` goes on with the same value; bad refs are reported."""
        steps = [_Step(child) for child in _children(schema, SAME_VALUE)]
        if "if" in schema.contents:
            steps += [_Step(child) for child in _children(schema, CONDITIONAL)]
        for keyword in REFERENCES:
            ref = schema.contents.get(keyword)
            if not isinstance(ref, str):
                continue
            try:
                resolved = schema.resolver.lookup(ref)
            except Unresolvable:
                self._unresolvable((*self.locations[id(schema.contents)], keyword), ref)
                continue
            if isinstance(resolved.contents, dict) and id(resolved.contents) in self.locations:
                steps.append(_Step(_Schema(resolved.contents, resolved.resolver), ref))
        return steps  # a reference outside the schema is a metaschema, which has no such loop

    def _unresolvable(self, path: Path, ref: str) -> None:
        self.found.setdefault(
            format_path(path),
            violation(
                path,
                "json-schema.unresolvable-ref",
                f"{path[-1]} {short_json(ref)} cannot be resolved",
                "use only references inside the schema (#/$defs/...); remote schemas are not fetched",
            ),
        )

    def _loop(self, steps: list[_Step]) -> None:
        """Report a loop (each step leaves from the previous step's target) at its first `$ref`."""
        first = next(index for index, step in enumerate(steps) if step.ref is not None)
        path = (*self.locations[id(steps[first - 1].target.contents)], "$ref")
        refs = [short_json(step.ref) for step in steps[first:] + steps[:first] if step.ref is not None]
        chain = " -> ".join(refs[:SHOWN_REFS] + ["..."] * (len(refs) > SHOWN_REFS))
        self.found.setdefault(
            format_path(path),
            violation(
                path,
                "json-schema.ref-cycle",
                f"$ref {refs[0]} loops back here without descending into the value ({chain}), "
                "so validating anything against it never ends",
                "let each loop of $refs pass through a keyword that descends into the value "
                "(properties, items, ...), or remove the loop",
            ),
        )


def _children(schema: _Schema, keywords: dict[str, tuple[str, ...]]) -> list[_Schema]:
    """The object subschemas of `schema` under `keywords` (`one`: a schema, `array`/`map`: schemas).

    A `$ref` may point at a value that is not a checked schema (inside an `enum`), so kinds are checked."""
    contents = schema.contents
    found = [contents.get(key) for key in keywords["one"]]
    found += [
        each for key in keywords["array"] if isinstance(contents.get(key), list) for each in contents[key]
    ]
    found += [
        each
        for key in keywords["map"]
        if isinstance(contents.get(key), dict)
        for each in contents[key].values()
    ]
    return [
        _Schema(child, schema.resolver.in_subresource(DRAFT202012.create_resource(child)))
        for child in found
        if isinstance(child, dict)
    ]


def _locations(schema: dict[str, Any], path: Path) -> dict[int, Path]:
    """The manifest path of every object in `schema`, by identity (a `$ref` may point at any of them)."""
    found: dict[int, Path] = {}
    pending: list[tuple[Any, Path]] = [(schema, path)]
    while pending:
        value, where = pending.pop()
        if isinstance(value, dict):
            found[id(value)] = where
            pending += [(child, (*where, key)) for key, child in value.items()]
        elif isinstance(value, list):
            pending += [(child, (*where, index)) for index, child in enumerate(value)]
    return found
