"""BLAS threads: one thread for the many small products of a path, all cores for big ones.

On small matrices (the active-set solves and gradient products of a path) a multithreaded BLAS
spends more time waking its threads than computing: measured here, a 100-alpha path on
n = 1000, p = 100 took 24 ms with 2 OpenBLAS threads and 13 ms with one.  The large one-pass
products (the Gram matrix, fold statistics) keep every thread.  Uses threadpoolctl when it is
installed (a regcli dependency); without it this is a no-op.  The controller, which scans the
loaded libraries (1.4 ms), is made once; each limit then costs about 30 us.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any


@functools.cache
def _controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a declared dependency
        return None
    return ThreadpoolController()


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    controller = _controller()
    if controller is None:  # pragma: no cover
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield
