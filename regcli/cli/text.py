"""Numbers and words as people read them, shared by the payload's sentences and the tables."""

from __future__ import annotations

import math


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 solve', '2 solves' (``many`` for irregular plurals)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def num(x: float | None, digits: int = 6) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}g}"
