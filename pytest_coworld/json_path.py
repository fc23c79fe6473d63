"""The one way to name a place in a JSON document: `variants[2].game_config`, the root `$`.

Every message that points into a manifest, a config, a results file or a report uses `format_path`; a JSON
Schema error is named by `schema_error_line`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

PathPart = str | int
Path = tuple[PathPart, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
SHOWN_KEY_LENGTH = 60  # a longer key is cut in paths: the key itself may be what is too long


def format_path(parts: Iterable[PathPart]) -> str:
    """`("variants", 2, "game_config")` -> `variants[2].game_config`; the empty path is `$`."""
    text = ""
    for part in parts:
        if isinstance(part, str) and len(part) > SHOWN_KEY_LENGTH:
            part = part[: SHOWN_KEY_LENGTH - 3] + "..."
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text or "$"


def schema_error_line(error: ValidationError) -> str:
    """`where: what` for a JSON Schema error (`scores[1]: 'x' is not of type 'number'`)."""
    return f"{format_path(error.absolute_path)}: {error.message}"
