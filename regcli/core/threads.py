"""BLAS threads: one thread for the many small products of a path, all cores for big ones.

Small products (active-set solves, gradients of a path) run faster on one thread than waking
several; the one-pass products (Gram, fold statistics) and products with a large X~ inside a
path keep every thread (``all_threads``; the size is ``tuning.THREADED_FROM``).  Uses
threadpoolctl (a regcli dependency) when it is importable; without it this is a no-op.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

#: Whether ``all_threads`` may raise the thread count (off inside ``parallel.run_tasks``: its
#: forked workers already fill the cores, and its tasks must compute the same bits for every
#: ``jobs``).
_state = {"all_threads": True}


@functools.cache
def _controller() -> tuple[Any, tuple[tuple[Any, int], ...]]:
    """(threadpoolctl's controller, (library controller, its default thread count) of every
    BLAS loaded); the counts are read here, when it is made, before any limit (counts read
    later may be limited ones).  (None, ()) without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a declared dependency
        return None, ()
    controller = ThreadpoolController()
    libs = controller.select(user_api="blas").lib_controllers
    return controller, tuple((lib, lib.num_threads) for lib in libs)


def _blas_libs() -> tuple[tuple[Any, int], ...]:
    return _controller()[1]


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    controller = _controller()[0]
    if controller is None:  # pragma: no cover
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield


@contextlib.contextmanager
def all_threads() -> Iterator[None]:
    """Every BLAS at its default thread count for the enclosed (large) products, then back to
    the count it had; a no-op where that is already the default or in forked workers."""
    raised = []
    if _state["all_threads"]:
        for lib, default in _blas_libs():
            now = lib.get_num_threads()
            if now < default:
                lib.set_num_threads(default)
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
