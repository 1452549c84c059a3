"""Reading an item's ``verifier`` field: one name, or a weighted mix such as
``"0.9*math+0.1*format"``."""

from __future__ import annotations

import re

from reasonlab.core.errors import ConfigError

_TERM = re.compile(r"^\s*(?:(\d+(?:\.\d*)?|\.\d+)\s*\*\s*)?([A-Za-z][\w-]*)\s*$")


def parse_spec(spec: str) -> list[tuple[float, str]]:
    """``"0.9*math + 0.1*format"`` → ``[(0.9, "math"), (0.1, "format")]``; a bare name weighs 1."""
    terms = []
    for part in spec.split("+"):
        match = _TERM.match(part)
        if not match:
            raise ConfigError(f"cannot read verifier term {part.strip()!r} in {spec!r}; "
                              "write e.g. '0.9*math+0.1*format'", field="verifier")
        weight = float(match.group(1)) if match.group(1) else 1.0
        terms.append((weight, match.group(2)))
    if sum(w for w, _ in terms) <= 0:
        raise ConfigError(f"verifier weights in {spec!r} must add up to more than 0",
                          field="verifier")
    return terms
