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
from regcli.core.tuning import SPECTRAL_INACTIVE
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
    monkeypatch.setattr(batch, "BATCH_MAX_ROUNDS", 1)  # every changing active set falls back
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


@settings(max_examples=37, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    # small problems (batched LU, Cholesky solves), and wider ones whose paths reach the
    # dense-end solves (``_Spectral``) with every feature in the truth
    size=st.one_of(st.integers(1, 12), st.integers(17, 32)),
    ratio=st.sampled_from([1.0, 0.75, 0.5, 0.3, 0.05]),
    rho=st.sampled_from([0.0, 0.6, 0.9, 0.95]),
)
def test_property_batched_equals_sequential(seed, size, ratio, rho):
    if size <= 12:
        check_random_batch(seed, 60, size, min(size, 4), ratio, rho, n_alphas=20)
    else:
        check_random_batch(seed, 3 * size, size, size, ratio, rho, n_alphas=25)


def check_random_batch(seed, n, p, k, ratio, rho, *, n_alphas):
    """Three folds of a random problem batched against their sequential paths."""
    X, y = make_problem(n, p, seed=seed, rho=rho, k=k)
    problems = fold_problems(X, y, K=3)
    grids = [alpha_grid(alpha_max(s.c, ratio), 2 * n // 3, p, n_alphas=n_alphas) for s in problems]
    check_same(problems, grids, [ratio] * 3, [True, False, True])


def test_large_active_sets_use_one_cholesky_per_problem_and_empty_ones_are_skipped():
    """Active sets from BATCH_CHOLESKY_FROM columns on go through LAPACK per problem; a problem with
    no active feature in such a round (its alphas still above its alpha_max) is left at zero."""
    assert batch.BATCH_CHOLESKY_FROM <= 24
    X, y = make_problem(300, 40, seed=21, rho=0.4, k=30)
    problems = fold_problems(X, y, K=3)
    ratios = [1.0, 0.6, 1.0]
    grids = [alpha_grid(alpha_max(s.c, r), 200, 40, n_alphas=30) for s, r in zip(problems, ratios)]
    grids[0] = grids[0][-12:]  # starts deep in the path: large sets from the first point
    grids[2] = np.concatenate(
        [alpha_max(problems[2].c, 1.0) * np.array([50.0, 20.0, 5.0]), grids[2]]
    )
    got = check_same(problems, grids, ratios, [False, False, False])
    assert (got[0].coefs[0] != 0).sum() >= batch.BATCH_CHOLESKY_FROM  # in the round of step 0
    assert not got[2].coefs[:3].any()


def test_spectral_solves_equal_direct_solves():
    """The dense-end solves from the whole Gram (its inverse for the lasso, its eigenvectors
    for the elastic net) against NumPy on the active block."""
    X, y = make_problem(200, 30, seed=4, rho=0.6, k=10)
    problems = fold_problems(X, y, K=3)
    # two problems per Gram (different lam2), the padding of uneven inactive sets
    probs = [problems[0], problems[0], problems[1], problems[2], problems[2]]
    grams = batch._GramStack(probs)
    spectral = batch._Spectral(grams)
    rng = np.random.default_rng(0)
    m = 30
    lam2 = np.array([0.0, 0.3, 0.02, 0.0, 1e-3])
    A = np.ones((5, m), dtype=bool)
    for q, n_off in enumerate([3, 7, 0, 24, 1]):
        A[q, rng.choice(m, n_off, replace=False)] = False
    counts = A.sum(axis=1)
    P = np.arange(5)
    assert spectral.usable(P, counts, lam2).all()
    v = np.where(A, rng.standard_normal((5, m)), 0.0)
    x = spectral.solve(P, A, lam2, v)
    for q in range(5):
        a = np.flatnonzero(A[q])
        M = probs[q].gram[np.ix_(a, a)] + lam2[q] * np.eye(a.size)
        np.testing.assert_allclose(x[q, a], np.linalg.solve(M, v[q, a]), rtol=1e-10, atol=1e-12)
    # too many inactive features, or an ill-conditioned lasso Gram: the Cholesky route
    A[0, :25] = False
    assert not spectral.usable(P[:1], A[:1].sum(axis=1), lam2[:1]).any()
    Xd = X.copy()
    Xd[:, 5] = Xd[:, 4]
    dup = fold_problems(Xd, y, K=3)[0]
    spec = batch._Spectral(batch._GramStack([dup, dup]))
    ok = spec.usable(np.arange(2), np.array([m - 1, m - 1]), np.array([0.0, 0.5]))
    assert ok.tolist() == [False, True]  # a singular G serves the elastic net, not the lasso
    # nothing above SPECTRAL_MAX_FEATURES (and nothing allocated for it)
    big = GramStats(
        np.eye(batch.SPECTRAL_MAX_FEATURES + 1), np.ones(batch.SPECTRAL_MAX_FEATURES + 1), 1.0, 10
    )
    spec = batch._Spectral(batch._GramStack([big]))
    assert not spec.usable(np.arange(1), np.array([batch.SPECTRAL_MAX_FEATURES]), np.zeros(1)).any()
    assert spec.Qpad is None and spec.Winv is None


def test_dense_ends_of_paths_through_the_whole_gram(monkeypatch):
    """Paths whose active sets reach nearly every feature: the dense points go through
    ``_Spectral`` (both routes) and still equal the sequential exact paths."""
    used = {"inverse": 0, "eigen": 0}
    inverse, eigen = batch._Spectral._solve_inverse, batch._Spectral._solve_eigen

    def count_inverse(self, *args):
        used["inverse"] += 1
        return inverse(self, *args)

    def count_eigen(self, *args):
        used["eigen"] += 1
        return eigen(self, *args)

    monkeypatch.setattr(batch._Spectral, "_solve_inverse", count_inverse)
    monkeypatch.setattr(batch._Spectral, "_solve_eigen", count_eigen)
    X, y = make_problem(400, 40, seed=8, rho=0.5, k=40)
    problems = fold_problems(X, y, K=3)
    ratios = [1.0, 0.5, 0.1]
    probs = [s for s in problems for _ in ratios]
    rs = ratios * 3
    grids = [alpha_grid(alpha_max(s.c, r), 260, 40, n_alphas=40) for s, r in zip(probs, rs)]
    got = check_same(probs, grids, rs, [False] * 9)
    assert used["inverse"] and used["eigen"]
    assert all((raw.coefs[-1] != 0).sum() >= 40 - SPECTRAL_INACTIVE for raw in got)
    # a duplicated column: the lasso Gram is singular (Cholesky route, then the exact
    # solver), the elastic net's shifted one is not
    X[:, 7] = X[:, 6]
    problems = fold_problems(X, y, K=3)
    grids = [alpha_grid(alpha_max(s.c, 0.5), 260, 40, n_alphas=40) for s in problems]
    check_same(problems, grids, [0.5] * 3, [False] * 3)
