"""Fold paths on several processes: the same results as in one, errors reported."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from regcli.core.cv import cross_validate, make_folds
from regcli.core.parallel import WorkerError, available_cores, can_fork, resolve_jobs, run_tasks
from tests.conftest import make_problem

needs_fork = pytest.mark.skipif(not can_fork(), reason="processes are forked on Linux only")


def _pid_and_square(t: int) -> tuple[int, int]:
    return os.getpid(), t * t


def _slow_pid_and_square(t: int) -> tuple[int, int]:
    """Long enough that every process started takes a task (each takes the next free one)."""
    time.sleep(0.1)
    return os.getpid(), t * t


@needs_fork
@pytest.mark.parametrize("jobs", [1, 2, 3, 8])
def test_results_in_task_order_from_several_processes(jobs):
    big = np.arange(10**6, dtype=float)  # shared with the children, not sent to them

    def task(t: int) -> tuple[int, int, float]:
        # long enough that no child finishes its first task before this process, done
        # forking, takes one (0.05 s was not on a loaded machine)
        time.sleep(0.3 if jobs > 1 else 0.01)
        return os.getpid(), t * t, float(big[t])

    out = run_tasks(task, list(range(7)), jobs)
    assert [sq for _, sq, _ in out] == [t * t for t in range(7)]
    assert [v for _, _, v in out] == [float(t) for t in range(7)]
    pids = {pid for pid, _, _ in out}
    assert (len(pids) >= 2 if jobs > 1 else len(pids) == 1) and len(pids) <= min(jobs, 7)
    assert os.getpid() in pids  # this process takes its share


@needs_fork
def test_tasks_go_to_whichever_process_is_free():
    # one long task: the other process takes every other one meanwhile
    out = run_tasks(
        lambda t: (time.sleep(0.6 if t == 0 else 0.02), os.getpid())[1], list(range(12)), 2
    )
    assert out.count(out[0]) == 1


def test_jobs_zero_means_every_core_and_trivial_cases_stay_here():
    assert resolve_jobs(0) == available_cores() and resolve_jobs(3) == 3
    assert run_tasks(_pid_and_square, [], 4) == []
    assert run_tasks(_pid_and_square, [5], 4) == [(os.getpid(), 25)]


@needs_fork
def test_the_default_count_keeps_the_tasks_within_the_available_memory(monkeypatch):
    import regcli.core.parallel as parallel

    monkeypatch.setattr(parallel, "available_cores", lambda: 4)
    monkeypatch.setattr(parallel, "available_memory", lambda: 3e9)

    def pids(jobs: int, task_bytes: float) -> set[int]:
        tasks = list(range(8))
        return {pid for pid, _ in run_tasks(_slow_pid_and_square, tasks, jobs, task_bytes)}

    assert len(pids(0, 1e9)) == 1  # half of 3 GB holds one task of 1 GB
    assert 2 <= len(pids(0, 5e8)) <= 3
    assert len(pids(2, 1e9)) == 2  # an explicit count is taken as given


@needs_fork
def test_a_failing_task_raises_with_the_child_traceback():
    parent = os.getpid()

    def fn(t):
        time.sleep(0.05)
        if os.getpid() != parent:
            raise ValueError("a task in the child is broken")
        return t

    with pytest.raises(WorkerError, match="ValueError: a task in the child is broken") as info:
        run_tasks(fn, list(range(6)), 2)
    assert "\n" not in str(info.value) and "Traceback" in info.value.child_traceback
    assert run_tasks(fn, list(range(6)), 1) == list(range(6))


@needs_fork
def test_a_child_that_dies_is_reported():
    parent = os.getpid()

    def fn(t):
        time.sleep(0.05)
        if os.getpid() != parent:
            os._exit(3)
        return t

    with pytest.raises(WorkerError, match="without a result"):
        run_tasks(fn, [0, 1, 2, 3], 2)


def _same(a, b):
    for ca, cb in zip(a.curves, b.curves, strict=True):
        for field in ("alphas", "cv_mean", "cv_se", "cv_r2", "fold_errors", "fold_support"):
            np.testing.assert_array_equal(getattr(ca, field), getattr(cb, field))
        assert (ca.index_min, ca.index_1se) == (cb.index_min, cb.index_1se)


@needs_fork
@pytest.mark.parametrize(
    ("n", "p", "fold_grid", "metric"),
    [(120, 8, "common", "mse"), (120, 8, "own", "mae"), (40, 60, "own", "mse")],
)
def test_cross_validation_is_identical_for_any_jobs(n, p, fold_grid, metric, monkeypatch):
    from regcli.core import cv

    monkeypatch.setattr(cv, "PARALLEL_MIN_SECONDS", 0.0)  # fork even for this small problem
    pids = []
    fold_errors = cv._fold_errors

    def recording(*args, **kwargs):
        pids.append(os.getpid())
        time.sleep(0.02)  # long enough that the children take some of the tasks
        return fold_errors(*args, **kwargs)

    monkeypatch.setattr(cv, "_fold_errors", recording)
    X, y = make_problem(n, p, seed=4)
    folds = [make_folds(n, 5, seed=1), make_folds(n, 5, seed=2)]  # two repeats
    w = np.random.default_rng(2).uniform(0.5, 2.0, n)
    kw = dict(folds=folds, l1_ratios=[0.5, 1.0], weights=w, n_alphas=20, fold_grid=fold_grid)
    one = cross_validate(X, y, metric=metric, jobs=1, **kw)
    here = [len(pids)]
    for jobs in (2, 3):
        _same(one, cross_validate(X, y, metric=metric, jobs=jobs, **kw))
        here.append(len(pids) - sum(here))
    assert pids == [os.getpid()] * len(pids)  # the children's calls are not seen here...
    if n > p:  # on a Gram every fold path advances in one batch, in this process
        assert pids == []
    else:  # ...so this process ran all 10 training folds (each solves both ratios) alone, and
        # with children only some of them
        assert here[0] == 10 and all(0 < count < 10 for count in here[1:])


def test_small_cross_validations_stay_in_one_process(monkeypatch):
    from regcli.core import cv

    seen = []
    monkeypatch.setattr(
        cv,
        "run_tasks",
        lambda fn, tasks, jobs, task_bytes=0.0: seen.append(jobs) or [fn(t) for t in tasks],
    )
    X, y = make_problem(30, 40, seed=1)  # wide: the folds' paths are separate tasks
    cross_validate(
        X, y, folds=[make_folds(30, 5)], l1_ratios=[1.0], n_alphas=10, jobs=4, fold_grid="common"
    )
    assert seen == [1]  # the folds' work is estimated far below PARALLEL_MIN_SECONDS


@needs_fork
def test_more_tasks_than_the_queue_holds_go_in_chunks():
    out = run_tasks(_pid_and_square, list(range(2500)), 2)  # 1024 numbers: chunks of 3
    assert [sq for _, sq in out] == [t * t for t in range(2500)]
