"""Batched paths (the folds of a CV advanced together) against the sequential exact solver."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regcli.core import batch
from regcli.core.batch import solve_paths
from regcli.core.cv import make_folds
from regcli.core.path import alpha_grid, solve_path
from regcli.core.penalty import alpha_max
from regcli.core.stats import GramStats, prepare
from tests.conftest import make_problem


def fold_problems(X, y, K=5, *, standardize=True, fit_intercept=True, w=None):
    """Gram statistics of each training fold, prepared independently (no fold sums)."""
    folds = make_folds(len(y), K, seed=3)
    out = []
    for k in range(K):
        tr = folds != k
        _, stats = prepare(
            X[tr],
            y[tr],
            None if w is None else w[tr],
            fit_intercept=fit_intercept,
            standardize=standardize,
            gram=True,
        )
        assert isinstance(stats, GramStats)
        out.append(stats)
    return out


def check_same(problems, grids, ratios, early, *, tol=1e-7):
    got = solve_paths(problems, grids, ratios, tol=tol, early_stop=early)
    for stats, grid, ratio, stop, raw in zip(problems, grids, ratios, early, got):
        ref = solve_path(stats, grid, ratio, tol=tol, early_stop=stop)
        assert raw.stop_reason == ref.stop_reason
        np.testing.assert_array_equal(raw.alphas, ref.alphas)
        scale = max(1.0, np.abs(ref.coefs).max())
        assert np.abs(raw.coefs - ref.coefs).max() <= 1e-9 * scale
        np.testing.assert_allclose(raw.dev_ratio, ref.dev_ratio, rtol=1e-9, atol=1e-12)
        # every point certified on its own
        assert raw.converged.all()
        assert (raw.max_kkt_violation <= tol * np.maximum(raw.alphas, 1e-300)).all()
    return got


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.95])
def test_batched_paths_equal_sequential_paths(rho):
    X, y = make_problem(200, 15, seed=int(rho * 10), rho=rho, k=8)
    problems = fold_problems(X, y)
    ratios = [1.0, 0.5, 0.1, 1.0, 0.9]
    grids = [alpha_grid(alpha_max(s.c, r), 160, 15, n_alphas=40) for s, r in zip(problems, ratios)]
    grids[3] = grids[3][:17]  # paths of different lengths advance together
    check_same(problems, grids, ratios, [True, False, True, False, True])


def test_unstandardized_weighted_and_no_intercept_problems():
    X, y = make_problem(150, 10, seed=5)
    w = np.random.default_rng(1).uniform(0.2, 3.0, 150)
    for kw in (dict(standardize=False), dict(fit_intercept=False), dict(w=w)):
        problems = fold_problems(X, y, K=4, **kw)
        grids = [alpha_grid(alpha_max(s.c, 0.7), 110, 10, n_alphas=30) for s in problems]
        check_same(problems, grids, [0.7] * 4, [True] * 4)


def test_duplicated_columns_fall_back_to_the_exact_solver():
    X, y = make_problem(120, 8, seed=2)
    X[:, 3] = X[:, 2]  # exactly collinear: no LU solve once both would be active
    problems = fold_problems(X, y, K=3)
    grids = [alpha_grid(alpha_max(s.c, r), 80, 8, n_alphas=30) for s, r in zip(problems, [1, 1, 1])]
    got = solve_paths(problems, grids, [1.0] * 3, tol=1e-7, early_stop=True)
    for stats, grid, raw in zip(problems, grids, got):
        ref = solve_path(stats, grid[: len(raw.alphas)], 1.0, tol=1e-7)
        assert raw.converged.all()
        # the split between the duplicates is not unique: compare the fitted values
        fitted = raw.coefs @ stats.gram
        assert np.abs(fitted - ref.coefs @ stats.gram).max() <= 1e-8 * np.abs(stats.c).max()
    # an elastic net has a unique solution even then
    grids = [alpha_grid(alpha_max(s.c, 0.5), 80, 8, n_alphas=30) for s in problems]
    check_same(problems, grids, [0.5] * 3, [False] * 3)


def test_points_without_a_fixed_point_are_solved_exactly(monkeypatch):
    monkeypatch.setattr(batch, "_MAX_ROUNDS", 1)  # every changing active set falls back
    calls = []
    solve_enet = batch.solve_enet

    def counting(*args, **kwargs):
        calls.append(1)
        return solve_enet(*args, **kwargs)

    monkeypatch.setattr(batch, "solve_enet", counting)
    X, y = make_problem(150, 12, seed=7, rho=0.8)
    problems = fold_problems(X, y, K=3)
    grids = [alpha_grid(alpha_max(s.c, 0.9), 100, 12, n_alphas=25) for s in problems]
    check_same(problems, grids, [0.9] * 3, [False] * 3)
    assert calls  # the fallback ran, and its points are certified like the others


def test_mixed_sizes_are_refused_and_empty_batches_allowed():
    a = GramStats(np.eye(3), np.ones(3), 1.0, 10)
    b = GramStats(np.eye(2), np.ones(2), 1.0, 10)
    with pytest.raises(ValueError, match="same number of features"):
        solve_paths([a, b], [np.array([1.0]), np.array([1.0])], [1.0, 1.0], tol=1e-7)
    assert solve_paths([], [], [], tol=1e-7) == []


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    p=st.integers(1, 12),
    ratio=st.sampled_from([1.0, 0.75, 0.3]),
    rho=st.sampled_from([0.0, 0.6, 0.9]),
)
def test_property_batched_equals_sequential(seed, p, ratio, rho):
    X, y = make_problem(60, p, seed=seed, rho=rho, k=min(p, 4))
    problems = fold_problems(X, y, K=3)
    grids = [alpha_grid(alpha_max(s.c, ratio), 40, p, n_alphas=20) for s in problems]
    check_same(problems, grids, [ratio] * 3, [True, False, True])


def test_large_active_sets_use_one_cholesky_per_problem_and_empty_ones_are_skipped():
    """Active sets from _CHOLESKY_FROM columns on go through LAPACK per problem; a problem with
    no active feature in such a round (its alphas still above its alpha_max) is left at zero."""
    assert batch._CHOLESKY_FROM <= 24
    X, y = make_problem(300, 40, seed=21, rho=0.4, k=30)
    problems = fold_problems(X, y, K=3)
    ratios = [1.0, 0.6, 1.0]
    grids = [alpha_grid(alpha_max(s.c, r), 200, 40, n_alphas=30) for s, r in zip(problems, ratios)]
    grids[0] = grids[0][-12:]  # starts deep in the path: large sets from the first point
    grids[2] = np.concatenate(
        [alpha_max(problems[2].c, 1.0) * np.array([50.0, 20.0, 5.0]), grids[2]]
    )
    got = check_same(problems, grids, ratios, [False, False, False])
    assert (got[0].coefs[0] != 0).sum() >= batch._CHOLESKY_FROM  # in the round of step 0
    assert not got[2].coefs[:3].any()
