"""Notes and warnings on stderr, one line each; lines about a result wait for the result."""

from __future__ import annotations

import sys

#: Lines about the result, held back until it is emitted so that a failing run prints only
#: its one error line.
_deferred: list[str] = []
#: --quiet: notes are dropped (warnings and errors are not).
_quiet = {"notes": False}


def set_quiet(quiet: bool) -> None:
    """Drop notes from now on (--quiet), or show them again."""
    _quiet["notes"] = quiet


def note(message: str, *, defer: bool = False) -> None:
    """One informational line on stderr (not a warning: nothing is wrong); none with --quiet."""
    if not _quiet["notes"]:
        _say(f"regcli: note: {message}", defer)


def printable(text: str) -> str:
    """``text`` with control characters escaped, so that a message stays on one line."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _say(line: str, defer: bool) -> None:
    line = printable(line)
    if defer:
        _deferred.append(line)
        return
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def discard_deferred() -> None:
    """Forget held-back lines and --quiet (a new run starts)."""
    _deferred.clear()
    _quiet["notes"] = False


def flush_deferred() -> None:
    """Print the held-back notes and warnings (called when the result is emitted)."""
    lines = list(dict.fromkeys(_deferred))
    _deferred.clear()
    for line in lines:
        _say(line, False)


def warn(message: str, *, defer: bool = False) -> None:
    """One line on stderr."""
    _say(f"regcli: warning: {message}", defer)
