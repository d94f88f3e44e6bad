"""BLAS threads: one thread for the many small products of a path, spare cores for big ones.

Small products (active-set solves, gradients of a path) run faster on one thread than waking
several; the one-pass products (Gram, fold statistics) and products with a large X~ inside a
path use the cores that other processes leave idle (``spare_cores``: all of them on a quiet
machine, one when every core is busy, where threads that wait for a core spin instead of
working).  ``REGCLI_THREADS=N`` sets the count.  Uses threadpoolctl (a regcli dependency).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

#: Seconds a ``spare_cores`` reading is reused.
_SPARE_REFRESH = 0.5
_spare: dict[str, float] = {"at": -1e9, "cores": 0}
#: A thread count set by the caller (``set_threads``; the CLI's --threads), else None.
_setting: dict[str, int | None] = {"threads": None}


def set_threads(count: int | None) -> None:
    """Fix the thread count of the large products (None: back to ``spare_cores``'s rule)."""
    _setting["threads"] = count


#: Whether ``all_threads`` may raise the thread count (off inside ``parallel.run_tasks``: its
#: forked workers already fill the cores, and its tasks must compute the same bits for every
#: ``jobs``).
_state = {"all_threads": True}


#: Every BLAS's thread count when regcli first saw it (by library path): its default.
_defaults: dict[str, int] = {}
#: The controllers made so far, by whether SciPy's linalg was loaded then.
_controllers: dict[bool, tuple[Any, tuple[tuple[Any, int], ...]]] = {}
#: Open ``single_blas_thread`` blocks, and the libraries ``blas_loaded`` limited to one thread
#: inside them (with their counts before), restored when the outermost block ends.
_single_depth = {"open": 0}
_late_limited: list[tuple[Any, int]] = []


def _controller() -> tuple[Any, tuple[tuple[Any, int], ...]]:
    """(threadpoolctl's controller, (library controller, its default thread count) of every
    BLAS loaded), made again once SciPy's linalg (a BLAS of its own beside NumPy's) has been
    loaded.  (None, ()) without threadpoolctl."""
    key = "scipy.linalg" in sys.modules
    made = _controllers.get(key)
    if made is None:
        made = _controllers[key] = _make_controller()
    return made


def _make_controller() -> tuple[Any, tuple[tuple[Any, int], ...]]:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a declared dependency
        return None, ()
    controller = ThreadpoolController()
    libs = controller.select(user_api="blas").lib_controllers
    # a library's default is its count when first seen (later counts may be limited ones)
    return controller, tuple(
        (lib, _defaults.setdefault(lib.filepath, lib.num_threads)) for lib in libs
    )


def blas_loaded() -> None:
    """To be called after a lazy import of SciPy's linalg: inside ``single_blas_thread`` the
    BLAS it brings is limited to one thread at once (the block's limit did not know it)."""
    if not _single_depth["open"]:
        return
    for lib, _ in _controller()[1]:
        if lib.num_threads != 1:
            _late_limited.append((lib, lib.num_threads))
            lib.set_num_threads(1)


def _blas_libs() -> tuple[tuple[Any, int], ...]:
    return _controller()[1]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def spare_cores() -> int:
    """BLAS threads worth running now: ``set_threads``'s count or ``REGCLI_THREADS`` when set,
    else this process's cores less those other runnable processes hold (Linux's instantaneous
    count in /proc/loadavg less this process's own runnable threads; every core where that is
    not available), at least 1."""
    if _setting["threads"] is not None:
        return int(_setting["threads"])
    setting = os.environ.get("REGCLI_THREADS", "").strip()
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    now = time.monotonic()
    if now - _spare["at"] < _SPARE_REFRESH:
        return int(_spare["cores"])
    cores = _cores()
    try:
        with open("/proc/loadavg") as fh:
            running = int(fh.read().split()[3].split("/")[0])
        running -= _own_running_threads()  # this thread and BLAS threads still spinning
    except (OSError, IndexError, ValueError):
        running = 0
    _spare["at"], _spare["cores"] = now, max(1, cores - max(running, 0))
    return int(_spare["cores"])


def _own_running_threads() -> int:
    """Threads of this process that Linux counts as runnable now (at least this one)."""
    count = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as fh:
                # the state follows the command name, which is in parentheses
                if fh.read().rsplit(")", 1)[1].split()[0] == "R":
                    count += 1
        except (OSError, IndexError):
            continue
    return max(count, 1)


@contextlib.contextmanager
def spare_threads() -> Iterator[None]:
    """BLAS limited to ``spare_cores`` threads for the enclosed one-pass products."""
    controller = _controller()[0]
    limit = spare_cores()
    if controller is None or all(default <= limit for _, default in _blas_libs()):
        yield
        return
    with controller.limit(limits=limit, user_api="blas"):
        yield


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """BLAS on one thread inside (also a BLAS that SciPy loads meanwhile: ``blas_loaded``)."""
    controller = _controller()[0]
    if controller is None:  # pragma: no cover
        yield
        return
    _single_depth["open"] += 1
    try:
        with controller.limit(limits=1, user_api="blas"):
            yield
    finally:
        _single_depth["open"] -= 1
        if not _single_depth["open"]:
            for lib, count in _late_limited:
                lib.set_num_threads(count)
            _late_limited.clear()


def threads_on_demand(fn: F) -> F:
    """Run ``fn`` with BLAS on one thread except where its large products ask for more
    (``spare_threads``, ``all_threads``): a BLAS call outside those at the library's default
    count starts a thread per core, which spins against other processes' work."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with single_blas_thread():
            return fn(*args, **kwargs)

    return cast(F, wrapper)


@contextlib.contextmanager
def all_threads() -> Iterator[None]:
    """Every BLAS at its default thread count (at most ``spare_cores``) for the enclosed large
    products, then back to the count it had; a no-op in forked workers."""
    raised = []
    if _state["all_threads"]:
        for lib, default in _blas_libs():
            now = lib.get_num_threads()
            target = min(default, spare_cores())
            if now < target:
                lib.set_num_threads(target)
                raised.append((lib, now))
    try:
        yield
    finally:
        for lib, now in raised:
            lib.set_num_threads(now)


@contextlib.contextmanager
def workers_fill_the_cores() -> Iterator[None]:
    """Inside: ``all_threads`` leaves the thread count alone (set before a fork, the children
    inherit it; ``parallel.run_tasks`` sets it for any number of processes)."""
    before = _state["all_threads"]
    _state["all_threads"] = False
    try:
        yield
    finally:
        _state["all_threads"] = before
