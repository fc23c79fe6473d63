"""How a certification check says the game broke the contract: `CoworldCheckFailure` and its text.

A failure names the check and the contract rule it enforces, what was expected, what was observed, the log
tail that explains it, a likely cause and fix, and a command that reproduces it. The plugin renders it as
the whole failure report, with no harness traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class CheckBlocked(Exception):
    """A check cannot run because an earlier check it depends on failed (reported as a skip, `blocked: …`)."""


class NotApplicable(Exception):
    """The check does not apply to this game (reported as a skip, `not applicable: …`)."""


@dataclass(eq=False)
class CoworldCheckFailure(AssertionError):
    """The game broke the contract rule that `check_id` enforces."""

    check_id: str
    rule: str
    expected: str
    observed: str
    hint: str = ""
    log_tail: str = ""
    repro: str = ""
    details: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        lines = [
            f"{self.check_id}: {self.rule}",
            f"  expected: {self.expected}",
            f"  observed: {self.observed}",
            *(f"  {detail}" for detail in self.details),
        ]
        if self.hint:
            lines.append(f"  likely cause: {self.hint}")
        if self.repro:
            lines.append(f"  reproduce: {self.repro}")
        if self.log_tail.strip():
            lines += ["  log tail:", *(f"    | {line}" for line in self.log_tail.rstrip().splitlines())]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()
