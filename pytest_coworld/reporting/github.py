"""`python -m pytest_coworld.reporting.github REPORT`: one GitHub Actions annotation per failed check.

Reads a coworld-certification.json and prints `::error title=<check id>::<message>` lines, which GitHub
shows on the run's summary page; exits 0 (the certification's own exit code decides the job).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _escape(text: str) -> str:
    """GitHub's workflow-command escaping of `%`, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotations(report: dict[str, Any]) -> list[str]:
    lines = []
    for certification in report["certifications"]:
        for check in certification["checks"]:
            if check["outcome"] in ("failed", "error"):
                title = f"{certification['target']}: {check['id'] or check['nodeid']} {check['outcome']}"
                message = "\n".join(check["message"].strip().splitlines()[:12]) or check["nodeid"]
                lines.append(f"::error title={_escape(title)}::{_escape(message)}")
        if certification["verdict"] != "passed" and not lines:
            lines.append(f"::error title={_escape(certification['target'])} not certified::see the report")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m pytest_coworld.reporting.github coworld-certification.json", file=sys.stderr)
        return 2
    try:
        report = json.loads(Path(argv[0]).read_text())
    except (OSError, ValueError) as error:
        print(f"::error title=coworld certification::no readable report at {argv[0]} ({error})")
        return 0
    print("\n".join(annotations(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
