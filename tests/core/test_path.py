"""Paths against scikit-learn's enet_path, per-alpha fits, and glmnet's grid and stopping rules."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import enet_path

from regcli.core import alpha_grid, compute_path, fit
from tests.conftest import make_problem, standardize


def rel(a, b):
    return np.abs(a - b).max() / max(1.0, np.abs(b).max())


@pytest.mark.parametrize("n,p", [(100, 12), (30, 150)])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_path_matches_sklearn_enet_path(n, p, l1_ratio):
    X, y = make_problem(n, p, seed=n * p, rho=0.5)
    X[:, 1] = X[:, 0]  # duplicated
    X[:, 2] = 1.0  # constant
    res = compute_path(X, y, l1_ratio=l1_ratio, n_alphas=30)
    Xs, _, _ = standardize(X)
    _, coefs, _ = enet_path(
        Xs, y - y.mean(), l1_ratio=l1_ratio, alphas=res.alphas, tol=1e-14, max_iter=1_000_000
    )
    assert res.converged.all()
    assert (res.max_kkt_relative <= 1e-6).all()
    if l1_ratio == 1.0:  # duplicated column: compare fitted values, not the split
        assert rel(Xs @ res.standardized_coefs.T, Xs @ coefs) < 1e-6
    else:
        assert rel(res.standardized_coefs, coefs.T) < 1e-6


def test_path_points_equal_single_fits():
    X, y = make_problem(60, 20, seed=1)
    res = compute_path(X, y, l1_ratio=0.8, n_alphas=15)
    for i in (0, 4, 9, len(res.alphas) - 1):
        single = fit(X, y, alpha=res.alphas[i], l1_ratio=0.8)
        assert rel(res.coefs[i], single.coef) < 1e-8
        assert abs(res.intercepts[i] - single.intercept) < 1e-8 * max(1, abs(single.intercept))
        assert abs(res.dev_ratio[i] - single.r2) < 1e-10


def test_grid_follows_glmnet_rules():
    X, y = make_problem(50, 10, seed=2)
    res = compute_path(X, y, n_alphas=100)
    assert res.alphas[0] == pytest.approx(res.alpha_max)
    assert res.n_nonzero[0] == 0 and res.n_nonzero[1] > 0
    full = alpha_grid(res.alpha_max, 50, 10)
    np.testing.assert_allclose(res.alphas, full[: len(res.alphas)])
    assert full[-1] == pytest.approx(1e-4 * res.alpha_max)
    assert alpha_grid(1.0, 10, 20)[-1] == pytest.approx(1e-2)
    assert np.all(np.diff(res.alphas) < 0)
    # ridge: alpha_max uses the 1e-3 floor on l1_ratio
    ridge = compute_path(X, y, l1_ratio=0.0, n_alphas=5)
    assert ridge.alpha_max == pytest.approx(res.alpha_max / 1e-3)


def test_early_stop_only_on_default_grid_and_reason_reported():
    X, y = make_problem(200, 5, seed=3, noise=0.01)
    res = compute_path(X, y)
    assert res.stop_reason in ("dev_ratio_above_0.999", "dev_ratio_change_below_1e-5")
    assert 5 <= len(res.alphas) < 100
    given = compute_path(X, y, alphas=alpha_grid(res.alpha_max, 200, 5))
    assert len(given.alphas) == 100 and given.stop_reason == "completed"


def test_explicit_alphas_are_sorted_descending():
    X, y = make_problem(40, 6, seed=4)
    res = compute_path(X, y, alphas=[0.01, 1.0, 0.1])
    np.testing.assert_array_equal(res.alphas, [1.0, 0.1, 0.01])


def test_ridge_path_is_closed_form():
    X, y = make_problem(40, 8, seed=5)
    res = compute_path(X, y, l1_ratio=0.0, alphas=[10.0, 1.0, 0.1])
    for i, a in enumerate(res.alphas):
        assert rel(res.coefs[i], fit(X, y, alpha=a, l1_ratio=0.0).coef) < 1e-9
    assert (res.n_nonzero == 8).all()


def test_wide_lazy_mode_matches_gram_mode_and_weights():
    X, y = make_problem(25, 300, seed=6)
    w = np.random.default_rng(0).uniform(0.5, 2, size=25)
    a = compute_path(X, y, weights=w, n_alphas=20, gram=False)
    b = compute_path(X, y, weights=w, n_alphas=20, gram=True)
    assert len(a.alphas) == len(b.alphas)
    assert rel(a.coefs, b.coefs) < 1e-7


def test_entry_alpha_is_first_nonzero():
    X, y = make_problem(80, 10, seed=7)
    res = compute_path(X, y, n_alphas=40)
    for j in range(10):
        nz = np.flatnonzero(res.coefs[:, j] != 0)
        if nz.size:
            assert res.entry_alpha[j] == res.alphas[nz[0]]
        else:
            assert np.isnan(res.entry_alpha[j])


def test_p_much_larger_than_n_saturates():
    X, y = make_problem(20, 500, seed=8)
    res = compute_path(X, y)
    assert res.converged.all()
    assert res.n_nonzero.max() <= 19  # a lasso has at most n - 1 nonzeros (with an intercept)


@pytest.mark.parametrize("l1_ratio", [0.5, 0.1])
def test_wide_elastic_net_dual_solver_matches_gram_mode(l1_ratio):
    # lazy statistics + lam2 > 0: the k x k factor while k < n / 2, then the Woodbury (n x n) one
    X, y = make_problem(30, 200, seed=14)
    a = compute_path(X, y, l1_ratio=l1_ratio, n_alphas=25, gram=False)
    b = compute_path(X, y, l1_ratio=l1_ratio, alphas=a.alphas, gram=True)
    assert a.converged.all() and (a.max_kkt_relative <= 1e-6).all()
    assert rel(a.coefs, b.coefs) < 1e-7


def test_large_wide_path_with_strong_set_rounds_is_certified():
    # n x p >= 800,000 switches on strong-set rounds inside each alpha
    X, y = make_problem(400, 2100, seed=15, k=40)
    grid = compute_path(X, y, n_alphas=1).alpha_max * np.logspace(0, -1.5, 12)
    a = compute_path(X, y, alphas=grid)
    assert a.converged.all() and (a.max_kkt_relative <= 1e-6).all()
    b = compute_path(X, y, alphas=grid, gram=True)
    Xs, _, _ = standardize(X)
    np.testing.assert_allclose(
        Xs @ a.standardized_coefs.T,
        Xs @ b.standardized_coefs.T,
        rtol=0,
        atol=1e-7 * np.abs(y).max(),
    )


def test_lasso_points_taken_from_an_unchanged_active_set_are_exact():
    """A dense grid leaves runs of points where no feature enters or leaves; those are evaluated
    on the previous active set without a solve, and must still be the lasso's solutions."""
    X, y = make_problem(200, 8, seed=4, rho=0.3)
    res = compute_path(X, y, n_alphas=300, eps=1e-3)
    changed = np.r_[True, (np.diff(res.coefs != 0, axis=0)).any(axis=1)]
    assert (~changed).sum() > 100  # the case under test does occur
    Xs, _, _ = standardize(X)
    z = y - y.mean()
    n = len(y)
    for i in np.flatnonzero(~changed)[::7]:
        b = res.standardized_coefs[i]
        grad = Xs.T @ (z - Xs @ b) / n
        a = res.alphas[i]
        active = b != 0
        assert np.abs(grad[~active]).max(initial=0.0) <= a * (1 + 1e-6)
        np.testing.assert_allclose(grad[active], a * np.sign(b[active]), rtol=0, atol=1e-6 * a)
    last = len(res.alphas) - 1
    single = fit(X, y, alpha=res.alphas[last], l1_ratio=1.0)
    assert rel(single.coef, res.coefs[last]) < 1e-8


def test_wide_segment_tries_spaced_out_after_misses_keep_the_path(monkeypatch):
    """On the lazy source a segment's direction costs a pass over X~; after tries without a
    point the next are spaced out, and the points those would have given are solved instead."""
    from regcli.core.activeset import ActiveSet

    X, y = make_problem(150, 400, seed=31, k=40, rho=0.2)
    calls = []
    original = ActiveSet.segment

    def counted(self, lam1, tol):
        calls.append(1)
        return original(self, lam1, tol)

    monkeypatch.setattr(ActiveSet, "segment", counted)
    spaced = compute_path(X, y, n_alphas=60, eps=1e-3)  # n > 2 x 60: the active-set path
    tries = len(calls)
    calls.clear()
    monkeypatch.setattr(ActiveSet, "direction_formed", property(lambda self: False))
    every = compute_path(X, y, alphas=spaced.alphas)
    assert tries < len(calls)  # the case under test does occur
    for res in (spaced, every):
        assert res.converged.all() and (res.max_kkt_relative <= 1e-6).all()
    assert np.abs(spaced.coefs - every.coefs).max() < 1e-9 * np.abs(every.coefs).max()


@pytest.mark.parametrize("n,p", [(40, 300), (300, 40)])
def test_ridge_path_from_the_kernel_or_svd_matches_the_gram_route(n, p):
    # wide lazy data: eigh of X~ X~' (n x n); tall lazy data: the thin SVD of X~
    X, y = make_problem(n, p, seed=31)
    a = compute_path(X, y, l1_ratio=0.0, n_alphas=30, gram=False)
    b = compute_path(X, y, l1_ratio=0.0, alphas=a.alphas, gram=True)
    assert a.converged.all() and (a.max_kkt_relative <= 1e-7).all()
    assert rel(a.coefs, b.coefs) < 1e-8
    Xs, _, _ = standardize(X)
    z = y - y.mean()
    alpha = a.alphas[-1]
    closed = np.linalg.solve(Xs.T @ Xs / n + alpha * np.eye(p), Xs.T @ z / n)
    assert rel(a.standardized_coefs[-1], closed) < 1e-8


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.1])
def test_subnormal_target_of_a_fold_is_certified_at_once(l1_ratio):
    """A training fold whose centered target is subnormal (y = 3, 5e-324, 0 with 3 folds):
    no tolerance reaches below that rounding, so the KKT scale has a floor above it; every
    point certified at once instead of max_iter rounds each (35 s in compare)."""
    from regcli.core.path import solve_path
    from regcli.core.penalty import KKT_SCALE_MIN
    from regcli.core.stats import LazyStats

    root = np.sqrt(0.5)
    Xs = np.array([[root, root, -root, -root], [-root, -root, root, root]])
    zs = np.array([5e-324, 0.0])
    stats = LazyStats(Xs, zs)
    alphas = 4.9e-323 * np.logspace(0, -2, 100)  # the fold's own grid: it reaches 0
    raw = solve_path(stats, alphas, l1_ratio)
    assert raw.converged.all() and raw.n_iter.max() <= 2
    assert np.all(raw.max_kkt_violation <= 1e-7 * KKT_SCALE_MIN)


def test_interpolation_between_subnormal_alphas_is_quiet():
    from regcli.core.cv import interpolate_path

    alphas = np.array([1e-322, 5e-324])
    coefs = np.array([[0.0], [1.0]])
    c, b0 = interpolate_path(alphas, coefs, np.zeros(2), np.array([1.0, 5e-323, 0.0]))
    assert np.isfinite(c).all() and c[0, 0] == 0.0 and c[-1, 0] == 1.0
