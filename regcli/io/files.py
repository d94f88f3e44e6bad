"""Writing output files atomically, never replacing an existing file unless asked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from regcli.errors import UsageError


def check_writable(path: str, *, force: bool, option: str = "--output") -> Path:
    """Fail early (before any work) if ``path`` cannot be written as asked."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option}: {path} is a directory")
    if target.exists() and not force:
        raise UsageError(f"{option}: {path} exists; add --force to replace it")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option}: directory {str(parent)!r} does not exist")
    return target


def write_atomic(path: str, data: str | bytes, *, force: bool, option: str = "--output") -> None:
    """Write to a temporary file beside ``path``, then rename it into place."""
    target = check_writable(path, force=force, option=option)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise UsageError(f"{option}: cannot write {path} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if not force and target.exists():  # appeared meanwhile: still never replace it
            raise UsageError(f"{option}: {path} exists; add --force to replace it")
        os.replace(tmp, target)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise UsageError(f"{option}: cannot write {path} ({exc.strerror})") from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
