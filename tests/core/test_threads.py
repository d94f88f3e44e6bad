"""BLAS thread counts: one inside a path, the default for its large products, and back."""

import numpy as np

from regcli.core import threads
from regcli.core.stats import thin_product
from regcli.core.tuning import THREADED_FROM


def _counts() -> list[int]:
    return [lib.get_num_threads() for lib, _ in threads._blas_libs()]


def test_all_threads_raises_to_the_defaults_and_restores() -> None:
    defaults = [d for _, d in threads._blas_libs()]
    before = _counts()
    with threads.single_blas_thread():
        assert all(c == 1 for c in _counts())
        with threads.all_threads():
            assert _counts() == defaults
        assert all(c == 1 for c in _counts())
        with threads.workers_fill_the_cores(), threads.all_threads():
            assert all(c == 1 for c in _counts())  # forked workers already fill the cores
    assert _counts() == before


def test_a_large_product_is_the_same_on_every_thread() -> None:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((THREADED_FROM // 500 + 1, 500))
    M = rng.standard_normal((500, 2))
    with threads.single_blas_thread():
        got = thin_product(A, M)
        assert all(c == 1 for c in _counts())
    np.testing.assert_allclose(got, A @ M, rtol=1e-12, atol=1e-12)


def test_tasks_keep_one_thread_for_every_jobs() -> None:
    """cv's fold paths run through run_tasks: their large products stay on one thread whatever
    ``jobs``, so results cannot depend on it (two threads may change the last bits)."""
    from regcli.core.parallel import can_fork, run_tasks

    def task(_: int) -> list[int]:
        with threads.all_threads():
            return _counts()

    for jobs in (1, 2) if can_fork() else (1,):
        for counts in run_tasks(task, [0, 1, 2, 3], jobs):
            assert all(c == 1 for c in counts)
    with threads.single_blas_thread(), threads.all_threads():  # outside tasks: the defaults
        assert _counts() == [d for _, d in threads._blas_libs()]
