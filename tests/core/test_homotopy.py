"""The lasso homotopy on small wide data: exact points, independent gradients, handovers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import enet_path

from regcli.core import compute_path, homotopy
from regcli.core import path as path_module
from regcli.core.dispatch import Problem, Route, choose_route
from regcli.core.homotopy import Handover, lasso_homotopy
from regcli.core.path import alpha_grid
from regcli.core.penalty import alpha_max, kkt_residuals, kkt_scales
from regcli.core.stats import LazyStats, prepare
from tests.conftest import make_problem, standardize


def lazy(X, y, w=None) -> LazyStats:
    _, stats = prepare(X, y, w, fit_intercept=True, standardize=True, gram=False)
    assert isinstance(stats, LazyStats)
    return stats


def run(stats, grid, tols, max_iter=10_000):
    """Every point the homotopy yields, and what it returned."""
    gen = lasso_homotopy(stats, list(grid), tols, max_iter)
    points = []
    while True:
        try:
            points.append(next(gen))
        except StopIteration as stop:
            return points, stop.value


def grid_for(stats, n_alphas=60, eps=1e-2):
    amax = alpha_max(stats.c, 1.0)
    grid = alpha_grid(amax, stats.n_samples, stats.n_features, n_alphas=n_alphas, eps=eps)
    return grid, 1e-7 * kkt_scales(grid, amax)


@pytest.mark.parametrize("weighted", [False, True])
def test_every_point_is_the_lasso_solution_with_a_fresh_gradient(weighted):
    X, y = make_problem(40, 300, seed=21, k=8, rho=0.4)
    w = np.random.default_rng(3).uniform(0.2, 3.0, 40) if weighted else None
    stats = lazy(X, y, w)
    grid, tols = grid_for(stats, eps=1e-3)
    points, end = run(stats, grid, tols)
    assert end is None and len(points) == len(grid)  # no handover on this design
    for (coef, grad, n_iter, kkt, converged), a, tol in zip(points, grid, tols):
        # the carried gradient is the one X~ gives, and the point solves the lasso at a
        fresh = stats.grad(np.flatnonzero(coef), coef[coef != 0])
        np.testing.assert_allclose(grad, fresh, rtol=0, atol=1e-12 * np.abs(stats.c).max())
        assert kkt_residuals(fresh, coef, a, 0.0).max() <= tol
        assert converged and kkt <= tol and n_iter >= 0
    assert max(np.count_nonzero(p[0]) for p in points) >= 30  # well into the path


def homotopy_pays(stats, n_points):
    """Whether the dispatch sends a lasso path of ``n_points`` on these statistics to the
    homotopy."""
    problem = Problem(stats.n_samples, stats.n_features, 1.0, "lazy", n_points=n_points)
    return choose_route(problem) is Route.HOMOTOPY


def without_homotopy(problem):
    """``choose_route`` with the homotopy replaced by the active-set path."""
    route = choose_route(problem)
    return Route.ACTIVE_SET if route is Route.HOMOTOPY else route


def test_matches_scikit_learn_and_the_active_set_path(monkeypatch):
    X, y = make_problem(50, 200, seed=22, k=10, rho=0.3)
    res = compute_path(X, y, n_alphas=80)
    assert homotopy_pays(lazy(X, y), 80)
    Xs, _, _ = standardize(X)
    _, coefs, _ = enet_path(
        Xs, y - y.mean(), l1_ratio=1.0, alphas=res.alphas, tol=1e-14, max_iter=10**6
    )
    assert np.abs(res.standardized_coefs - coefs.T).max() < 1e-7
    assert (res.max_kkt_relative <= 1e-6).all() and res.converged.all()
    monkeypatch.setattr(path_module, "choose_route", without_homotopy)
    other = compute_path(X, y, alphas=res.alphas)
    assert np.abs(res.coefs - other.coefs).max() < 1e-10 * np.abs(other.coefs).max()
    np.testing.assert_allclose(res.dev_ratio, other.dev_ratio, rtol=0, atol=1e-12)


def test_a_dependent_column_cannot_join():
    X, y = make_problem(30, 100, seed=23)
    X[:, 60] = 3.0 * X[:, 0] - 1.0  # the same column as 0 once standardized
    stats = lazy(X, y)
    state = homotopy._Path(stats)
    norms = (stats.Xs**2).sum(axis=0)
    assert state.append(0, 1.0, norms[0]) and state.append(7, -1.0, norms[7])
    assert not state.append(60, 1.0, norms[60])
    assert state.k == 2 and list(state.idx[:2]) == [0, 7]


def test_hands_over_where_a_column_cannot_join_and_the_path_stays_exact(monkeypatch):
    X, y = make_problem(40, 200, seed=23, k=6)
    grid = compute_path(X, y, n_alphas=60).alphas
    reference = compute_path(X, y, alphas=grid)
    original = homotopy._Path.append
    calls = []

    def refuse_the_sixth(self, j, sign, norm):  # as if the sixth entering column depended
        calls.append(j)
        return False if len(calls) == 6 else original(self, j, sign, norm)

    monkeypatch.setattr(homotopy._Path, "append", refuse_the_sixth)
    stats = lazy(X, y)
    tols = 1e-7 * kkt_scales(grid, alpha_max(stats.c, 1.0))
    points, end = run(stats, grid, tols)
    assert isinstance(end, Handover) and end.next_index == len(points) < len(grid)
    # the handover is the exact solution at its alpha, with a factor of its support
    coef = end.coef
    support = np.flatnonzero(coef)
    assert support.size == 5 and np.array_equal(np.sort(end.active_set.idx), support)
    fresh = stats.grad(support, coef[support])
    assert kkt_residuals(fresh, coef, end.alpha, 0.0).max() <= 1e-12
    assert grid[end.next_index] <= end.alpha  # the next point lies below it
    # the active-set solves take the rest of the grid
    calls.clear()
    res = compute_path(X, y, alphas=grid)
    assert len(calls) == 6  # the homotopy ran, and handed over
    assert res.converged.all() and (res.max_kkt_relative <= 1e-6).all()
    assert np.abs(res.coefs - reference.coefs).max() < 1e-9 * np.abs(reference.coefs).max()


def test_hands_over_when_a_point_misses_its_tolerance():
    X, y = make_problem(30, 120, seed=24)
    stats = lazy(X, y)
    grid, _ = grid_for(stats, n_alphas=40)
    tols = np.where(np.arange(40) < 25, 1.0, -1.0)  # from point 25 on nothing can pass
    points, end = run(stats, grid, tols)
    assert len(points) == 25 and isinstance(end, Handover) and end.next_index == 25
    assert end.alpha >= grid[25]
    fresh = stats.grad(np.flatnonzero(end.coef), end.coef[end.coef != 0])
    assert kkt_residuals(fresh, end.coef, end.alpha, 0.0).max() <= 1e-12


def test_keeps_max_iter_kinks_per_point():
    X, y = make_problem(40, 200, seed=26, k=10)
    stats = lazy(X, y)
    grid, tols = grid_for(stats, n_alphas=20)
    points, end = run(stats, grid, tols, max_iter=1)
    assert isinstance(end, Handover) and all(p[2] <= 1 for p in points)
    res = compute_path(X, y, alphas=grid, max_iter=1)  # the active-set solves keep it too
    assert (res.n_iter <= 1).all()
    assert res.converged[: len(points)].all()


def test_serves_only_small_wide_data():
    assert homotopy_pays(lazy(*make_problem(30, 100)), 100)
    assert not homotopy_pays(lazy(*make_problem(30, 100)), 10)  # n > 2 points
    assert not homotopy_pays(lazy(*make_problem(120, 100)), 100)  # p < n


def test_saturated_path_and_points_above_alpha_max():
    X, y = make_problem(15, 200, seed=25, k=12)
    stats = lazy(X, y)
    amax = alpha_max(stats.c, 1.0)
    grid = amax * np.r_[3.0, 1.5, np.logspace(0, -6, 60)]  # two points above alpha_max
    tols = 1e-7 * kkt_scales(grid, amax)
    points, end = run(stats, grid, tols)
    assert end is None
    assert not points[0][0].any() and not points[2][0].any() and points[3][0].any()
    assert max(np.count_nonzero(p[0]) for p in points) == 14  # n - 1 with an intercept
    res = compute_path(X, y, alphas=grid)
    assert res.converged.all() and (res.max_kkt_relative <= 1e-6).all()


wide_problems = st.builds(
    lambda n, extra, seed, rho, dup: _wide(n, n + extra, seed, rho, dup),
    n=st.integers(5, 40),
    extra=st.integers(0, 80),
    seed=st.integers(0, 10_000),
    rho=st.sampled_from([0.0, 0.5, 0.9]),
    dup=st.booleans(),
)


def _wide(n, p, seed, rho, dup):
    X, y = make_problem(n, p, seed=seed, rho=rho, k=min(6, p))
    if dup:  # duplicated and collinear columns: the lasso is not unique, its fit is
        X[:, -1] = X[:, 0]
        X[:, -2] = X[:, 1] - 2.0 * X[:, 2]
    w = np.random.default_rng(seed).uniform(0.5, 2.0, n) if seed % 2 else None
    return X, y, w


@settings(max_examples=30, deadline=None)
@given(wide_problems, st.sampled_from([1e-2, 1e-4]))
def test_homotopy_path_equals_the_active_set_path(problem, eps):
    X, y, w = problem
    res = compute_path(X, y, weights=w, n_alphas=40, eps=eps)
    assert res.converged.all() and (res.max_kkt_relative <= 1e-6).all()
    original = path_module.choose_route
    path_module.choose_route = without_homotopy
    try:
        other = compute_path(X, y, weights=w, alphas=res.alphas)
    finally:
        path_module.choose_route = original
    Xs, _, _ = standardize(X, w)
    scale = max(1.0, np.abs(y - y.mean()).max())
    fits, other_fits = Xs @ res.standardized_coefs.T, Xs @ other.standardized_coefs.T
    assert np.abs(fits - other_fits).max() <= 1e-6 * scale
    np.testing.assert_allclose(res.dev_ratio, other.dev_ratio, rtol=0, atol=1e-9)
    l1, other_l1 = np.abs(res.standardized_coefs).sum(1), np.abs(other.standardized_coefs).sum(1)
    np.testing.assert_allclose(l1, other_l1, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("seed", [3, 11, 14, 37])
def test_limits_within_rounding_of_zero_on_wide_mixed_units(seed):
    """Wide columns in mixed units with --upper 1e-300 (fuzzer seed 71): on the standardized
    scale the limits are subnormal, so the sign of a coefficient reaching one says nothing;
    the limit it moves toward does (taking the lower, -inf, made the held fit infinite and
    every cv error NaN).  A coefficient released there is within rounding of 0 and leaves at
    once.  No floating-point warning, every coefficient within its limit, every point
    certified."""
    import warnings

    from regcli.core.path import compute_path

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((4, 74)) * 10.0 ** rng.integers(-12, 13, 74)
    y = np.array([0.0, 0.0, 0.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = compute_path(X, y, n_alphas=5, upper=1e-300)
    assert np.isfinite(res.coefs).all() and (res.coefs <= 1e-300).all()
    assert (res.coefs > 0).any()  # some coefficient is held at its limit
    assert res.converged.all()
