"""Progress on stderr for long runs: shown on a terminal once the work passes ~2 s (or from
the start with --progress), never with --quiet, nothing otherwise."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: Seconds of work before the bar appears on its own.
SHOW_AFTER_S = 2.0


@contextmanager
def _late_bar(
    kind: str, columns: Callable[[Any], list[Any]],
    fields: Callable[[int, int, bool], dict[str, Any]],
    *, force: bool, quiet: bool,
) -> Iterator[None]:  # fmt: skip
    """A rich progress display on stderr fed by the core's reports of ``kind``
    (``core.progress.listening``): ``columns(rich.progress)`` draw it, ``fields(count,
    reports, finished)`` give its task's fields (counts summed over the reports so far; at
    the end ``finished``).  Appears after
    SHOW_AFTER_S (at once with ``force``), on a terminal only unless forced, never when
    ``quiet``; reports may come from another thread (a cluster's callbacks)."""
    if quiet or not (force or sys.stderr.isatty()):
        yield
        return
    import rich.progress
    from rich.console import Console

    from regcli.core.progress import listening

    console = Console(stderr=True)
    bar = rich.progress.Progress(
        *columns(rich.progress), console=console, transient=console.is_terminal
    )
    start = time.monotonic()
    count = reports = 0
    lock = threading.Lock()
    task: Any = None

    def tick(reported: int) -> None:
        nonlocal task, count, reports
        with lock:
            count += reported
            reports += 1
            if task is None:
                if not force and time.monotonic() - start < SHOW_AFTER_S:
                    return
                bar.start()
                task = bar.add_task("", **fields(count, reports, False))
            else:
                bar.update(task, **fields(count, reports, False))

    try:
        with listening(tick, kind):
            yield
    finally:
        if task is not None:
            bar.update(task, **fields(count, reports, True))
            bar.stop()


def progress_bar(label: str, total: int, *, force: bool = False, quiet: bool = False) -> Any:
    """Count the path points the core reports (``core.progress.advance``) against ``total``
    (a context manager)."""

    def columns(rp: Any) -> list[Any]:
        return [
            rp.TextColumn(f"regcli: {label}"),
            rp.BarColumn(),
            rp.MofNCompleteColumn(),
            rp.TextColumn("points"),
            rp.TimeElapsedColumn(),
        ]

    def fields(points: int, _: int, finished: bool) -> dict[str, Any]:
        return {"total": total, "completed": total if finished else min(points, total)}

    return _late_bar("points", columns, fields, force=force, quiet=quiet)


def reading_progress(
    label: str, *, files: int | None = None, force: bool = False, quiet: bool = False
) -> Any:
    """Count the rows the streamed passes report (``core.progress.rows_read``; every pass
    counts its rows), or with ``files`` the file passes a cluster's workers have done (a
    context manager)."""

    def columns(rp: Any) -> list[Any]:
        return [
            rp.TextColumn(f"regcli: {label}"),
            rp.TextColumn("{task.fields[count]}"),
            rp.TimeElapsedColumn(),
        ]

    def fields(count: int, batches: int, _: bool) -> dict[str, Any]:
        if files is not None:
            return {"count": f"{count} file passes done ({files} files)"}
        plural = "es" if batches != 1 else ""
        return {"count": f"{count:,} rows read ({batches:,} batch{plural})"}

    kind = "rows" if files is None else "files"
    return _late_bar(kind, columns, fields, force=force, quiet=quiet)
