"""Progress of long solves, for a caller that wants to show it (the core never prints).

The solvers call ``advance(k)`` after k path points (alphas) are solved; a caller that wants
to know installs a callback with ``listening``. Without one, ``advance`` does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

_listener: Callable[[int], None] | None = None


def advance(points: int = 1) -> None:
    """Report ``points`` more path points solved."""
    if _listener is not None:
        _listener(points)


@contextmanager
def listening(callback: Callable[[int], None]) -> Iterator[None]:
    """Send every ``advance`` inside the block to ``callback``."""
    global _listener
    previous = _listener
    _listener = callback
    try:
        yield
    finally:
        _listener = previous
