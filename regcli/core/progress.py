"""Progress of long work, for a caller that wants to show it (the core never prints).

The solvers call ``advance(k)`` after k path points (alphas) are solved; the streamed engines
call ``rows_read(k)`` after each batch of k rows and ``file_read()`` when a cluster worker has
read a file.  A caller that wants to know installs a callback for one kind with ``listening``.
Without one, the calls do nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

_listeners: dict[str, Callable[[int], None]] = {}


def advance(points: int = 1) -> None:
    """Report ``points`` more path points solved."""
    _notify("points", points)


def rows_read(rows: int) -> None:
    """Report a batch of ``rows`` rows read by a streamed pass."""
    _notify("rows", rows)


def file_read(*_: object) -> None:
    """Report one more file read on a cluster (usable as a future's done callback)."""
    _notify("files", 1)


def _notify(kind: str, count: int) -> None:
    listener = _listeners.get(kind)
    if listener is not None:
        listener(count)


@contextmanager
def listening(callback: Callable[[int], None], kind: str = "points") -> Iterator[None]:
    """Send every report of ``kind`` ('points', 'rows' or 'files') inside the block to
    ``callback``."""
    previous = _listeners.get(kind)
    _listeners[kind] = callback
    try:
        yield
    finally:
        if previous is None:
            del _listeners[kind]
        else:
            _listeners[kind] = previous
