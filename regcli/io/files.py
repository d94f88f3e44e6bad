"""Writing output files: atomically, with the umask's mode, never replacing what was not asked.

- A new file is written to a temporary file beside it and renamed into place, with the mode the
  umask allows (0644 under umask 022).
- An existing regular file is replaced only with ``force``, and keeps its mode.
- A FIFO, a character device (/dev/null, /dev/full, a terminal) or /dev/stdout is a stream: it
  is opened and written, never replaced.
- Anything else (a directory, a symbolic link to a file, a socket, a block device) is refused.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from regcli.errors import OutputError, UsageError

#: Paths that name the process's own streams; they are written through, whatever they point to.
STREAM_PREFIXES = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/")


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _is_stream(path: str) -> bool:
    """True when ``path`` is written by opening it: a FIFO, a character device, /dev/stdout."""
    if path.startswith(STREAM_PREFIXES):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def check_writable(path: str, *, force: bool, option: str = "--output") -> Path:
    """Fail early (before any work) if ``path`` cannot be written as asked."""
    target = Path(path)
    if _is_stream(path):
        return target
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UsageError(f"{option}: cannot use {path} ({exc.strerror})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{option}: {path} is a directory")
        if not stat.S_ISREG(st.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            raise UsageError(f"{option}: {path} is {kind}; regcli replaces only regular files")
        if not force:
            raise UsageError(f"{option}: {path} exists; add --force to replace it")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option}: directory {str(parent)!r} does not exist")
    return target


def same_outputs(paths: dict[str, str | None]) -> None:
    """Usage error when two output options name one file (before anything is written)."""
    seen: dict[str, str] = {}
    for option, path in paths.items():
        if path is None or _is_stream(path):
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(f"{seen[key]} and {option} both name {path}; give each its own file")
        seen[key] = option


def write_atomic(path: str, data: str | bytes, *, force: bool, option: str = "--output") -> None:
    """Write ``data`` to ``path``: a stream by opening it, a file by an atomic rename."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path, force=force, option=option) as fh:
        fh.write(payload)


@contextmanager
def atomic_writer(path: str, *, force: bool, option: str = "--output") -> Iterator[BinaryIO]:
    """A binary handle whose bytes land at ``path`` when the block ends without an error (a
    stream is written as it goes; a file goes through a temporary file and a rename, and an
    error or interrupt leaves nothing behind)."""
    if _is_stream(path):
        try:
            with open(path, "wb") as fh:
                yield fh
                fh.flush()
        except OSError as exc:
            raise OutputError(f"{option}: cannot write {path} ({exc.strerror})") from None
        return
    target = check_writable(path, force=force, option=option)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_current_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"{option}: cannot write {path} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), mode)
        if not force and os.path.lexists(target):  # appeared meanwhile: still never replace it
            raise UsageError(f"{option}: {path} exists; add --force to replace it")
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise OutputError(f"{option}: cannot write {path} ({exc.strerror})") from None
    except BaseException:  # a usage error, or an interrupt (SIGINT, SIGTERM): leave nothing
        _remove(tmp)
        raise


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass
