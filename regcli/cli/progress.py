"""A progress bar on stderr for long runs: shown on a terminal once the work passes ~2 s
(or from the start with --progress), never with --quiet, nothing otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Seconds of work before the bar appears on its own.
SHOW_AFTER_S = 2.0


@contextmanager
def progress_bar(
    label: str, total: int, *, force: bool = False, quiet: bool = False
) -> Iterator[None]:
    """Count the path points the core reports (``core.progress``) against ``total``."""
    if quiet or not (force or sys.stderr.isatty()):
        yield
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from regcli.core.progress import listening

    console = Console(stderr=True)
    bar = Progress(
        TextColumn(f"regcli: {label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("points"),
        TimeElapsedColumn(),
        console=console,
        transient=console.is_terminal,
    )
    start = time.monotonic()
    counted = 0
    task: Any = None

    def tick(points: int) -> None:
        nonlocal counted, task
        counted += points
        done = min(counted, total)
        if task is None:
            if not force and time.monotonic() - start < SHOW_AFTER_S:
                return
            bar.start()
            task = bar.add_task(label, total=total, completed=done)
        else:
            bar.update(task, completed=done)

    try:
        with listening(tick):
            yield
    finally:
        if task is not None:
            bar.update(task, completed=total)
            bar.stop()


@contextmanager
def reading_progress(
    label: str, *, files: int | None = None, force: bool = False, quiet: bool = False
) -> Iterator[None]:
    """Count the rows a streamed pass reports (``core.progress.rows_read``; every pass counts
    its rows), or the files of ``files`` a cluster has read, on stderr: shown on a terminal
    once the passes take ~2 s (or from the start with --progress), never with --quiet."""
    if quiet or not (force or sys.stderr.isatty()):
        yield
        return
    import threading

    from rich.console import Console
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    from regcli.core.progress import listening

    console = Console(stderr=True)
    unit = "files" if files is not None else "rows"
    bar = Progress(
        TextColumn(f"regcli: {label}"),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        console=console,
        transient=console.is_terminal,
    )
    start = time.monotonic()
    seen = {"count": 0, "batches": 0}
    lock = threading.Lock()  # a cluster reports from its callback thread
    task: Any = None

    def text() -> str:
        if files is not None:
            return f"{seen['count']} file passes done ({files} files)"
        batches = seen["batches"]
        return f"{seen['count']:,} rows read ({batches:,} batch{'es' if batches != 1 else ''})"

    def tick(count: int) -> None:
        nonlocal task
        with lock:
            seen["count"] += count
            seen["batches"] += 1
            if task is None:
                if not force and time.monotonic() - start < SHOW_AFTER_S:
                    return
                bar.start()
                task = bar.add_task(label, count=text())
            else:
                bar.update(task, count=text())

    try:
        with listening(tick, unit):
            yield
    finally:
        if task is not None:
            bar.update(task, count=text())
            bar.stop()
