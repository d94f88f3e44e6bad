"""Independent solves (cross-validation folds, one path per l1 ratio) on several processes.

``run_tasks`` forks ``jobs - 1`` children that share the parent's arrays copy-on-write; every
process takes the next task whenever it is free, and results come back through pipes.  Each
task computes exactly what the sequential loop would, so results do not depend on ``jobs``.
BLAS stays at one thread per process.  Forking is used only where it is safe (Linux);
elsewhere, and for one job or one task, tasks run in order in this process.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from regcli.core.lapack import scipy_linalg
from regcli.core.threads import single_blas_thread, workers_fill_the_cores

T = TypeVar("T")

#: Environment variables that set the thread count of a BLAS or OpenMP runtime when it loads.
_THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def available_cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def resolve_jobs(jobs: int) -> int:
    """``jobs`` as a process count: 0 (or less) means every core this process may run on.
    The workers run BLAS on one thread each and never spin, so on a busy machine the kernel
    shares the cores among them and the other processes as it would among any others."""
    if jobs > 0:
        return jobs
    return available_cores()


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class WorkerError(RuntimeError):
    """A task failed in a worker process: the message is its exception's last line (one line,
    as the CLI reports errors); ``child_traceback`` holds the whole traceback."""

    def __init__(self, message: str, child_traceback: str = ""):
        super().__init__(message)
        self.child_traceback = child_traceback


def _read_all(fd: int) -> bytes:
    parts: list[bytes] = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def _child(fn: Callable[[Any], Any], tasks: Sequence[Any], queue: int, write_fd: int) -> None:
    """Run the tasks whose numbers come from ``queue`` (``_take``), send (ok, [(number,
    result), ...]) through the pipe and leave without cleanup."""
    code = 0
    for name in _THREAD_VARIABLES:  # any BLAS or OpenMP runtime first loaded here: one thread
        os.environ[name] = "1"
    try:
        try:
            payload: Any = (True, [(i, fn(tasks[i])) for i in _take(queue, len(tasks))])
        except BaseException:  # noqa: BLE001 - everything goes back to the parent
            payload = (False, traceback.format_exc())
            code = 1
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view) :]
        os.close(write_fd)
    finally:
        os._exit(code)  # no atexit handlers, no flush of the parent's buffers


#: Bytes per number in the queue pipe, and most numbers it holds (4096 bytes: any pipe's room).
_NUMBER = 4
_MOST_NUMBERS = 1024


def _take(queue: int, count: int) -> Iterator[int]:
    """Task numbers (of ``count`` tasks) from the queue pipe until it is empty.  The pipe holds
    numbers of chunks of consecutive tasks (one task each up to ``_MOST_NUMBERS`` tasks); each
    read takes one number whole (the pipe holds whole numbers only, and a read of that size
    from a pipe is atomic), so every chunk goes to exactly one process, the next free one."""
    size = -(-count // _MOST_NUMBERS)
    while True:
        data = os.read(queue, _NUMBER)
        if not data:
            return
        start = int.from_bytes(data, "little") * size
        yield from range(start, min(start + size, count))


def available_memory() -> float | None:
    """Bytes of memory available to new work now (Linux's MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def run_tasks(
    fn: Callable[[Any], T], tasks: Sequence[Any], jobs: int = 1, task_bytes: float = 0.0
) -> list[T]:
    """``[fn(t) for t in tasks]`` on up to ``jobs`` processes (0: one per core), in task order.

    ``fn`` may be a closure over large arrays: the children inherit it at the fork.  An exception
    in a child is raised here as ``WorkerError`` with the child's traceback.  ``task_bytes``:
    the memory one task allocates; the default ``jobs`` (0) runs no more processes than half
    the available memory holds tasks of that size (an explicit count is taken as given).
    """
    procs = min(resolve_jobs(jobs), len(tasks))
    free = available_memory() if jobs <= 0 and task_bytes > 0 else None
    if free is not None:
        procs = max(1, min(procs, int(0.5 * free // task_bytes)))
    if procs > 1 and can_fork():
        # SciPy's BLAS and LAPACK (a library of their own beside NumPy's) loaded now, so that
        # the one-thread limit below reaches them: loaded first in a child, they would start
        # a thread per core in every process, and those spin against each other
        scipy_linalg()
    # one BLAS thread in every process, the large products included (``threads.all_threads``):
    # set before the forks, the children inherit it.  Also with one process, so that a task's
    # products, and so its results to the last bit, are the same for every ``jobs``.
    with single_blas_thread(), workers_fill_the_cores():
        if procs <= 1 or not can_fork():
            return [fn(t) for t in tasks]
        return _forked(fn, tasks, procs)


def _forked(fn: Callable[[Any], T], tasks: Sequence[Any], procs: int) -> list[T]:
    """``run_tasks`` on ``procs`` processes: this one and ``procs - 1`` forked children take the
    next task in order whenever they are free (the task numbers wait in a pipe), and each child
    sends its results through a pipe of its own."""
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int]] = []  # (pid, read fd)
    results: list[Any] = [None] * len(tasks)
    # every chunk number in the queue before the forks, its writing end closed: an empty queue
    # reads as the end
    chunks = min(len(tasks), _MOST_NUMBERS)
    queue, feed = os.pipe()
    os.write(feed, b"".join(i.to_bytes(_NUMBER, "little") for i in range(chunks)))
    os.close(feed)
    try:
        for _ in range(1, procs):
            read_fd, write_fd = os.pipe()
            with warnings.catch_warnings():
                # Python >= 3.12 warns about fork() with threads alive (BLAS's idle pool here);
                # the child runs NumPy/LAPACK code only, with one BLAS thread of its own
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                os.close(read_fd)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _child(fn, tasks, queue, write_fd)
            os.close(write_fd)
            children.append((pid, read_fd))
        for i in _take(queue, len(tasks)):
            results[i] = fn(tasks[i])
        while children:
            pid, read_fd = children[0]
            data = _read_all(read_fd)
            os.close(read_fd)
            os.waitpid(pid, 0)
            children.pop(0)
            if not data:
                raise WorkerError(f"worker process {pid} ended without a result")
            ok, payload = pickle.loads(data)
            if not ok:
                last = payload.strip().splitlines()[-1] if payload.strip() else "unknown error"
                raise WorkerError(f"in worker process {pid}: {last}", payload)
            for i, result in payload:
                results[i] = result
        return results
    finally:
        os.close(queue)
        for pid, read_fd in children:  # an error or an interrupt: stop the others
            os.close(read_fd)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):  # pragma: no cover
                pass
