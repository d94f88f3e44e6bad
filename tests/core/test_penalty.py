"""The general penalty (per-feature factors, bounds) against scikit-learn and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso

from regcli.core import compute_path, fit
from regcli.core.penalty import Penalty, bounded_kkt_residuals
from tests.conftest import make_problem, standardize


def glmnet_factors(f):
    """glmnet rescales penalty factors to sum to the number of features."""
    f = np.asarray(f, dtype=float)
    return f * f.size / f.sum()


def test_factors_are_rescaled_and_validated():
    pen = Penalty.make(4, 1.0, factors=[1, 1, 2, 0])
    np.testing.assert_allclose(pen.factors, [1, 1, 2, 0])
    pen = Penalty.make(3, 0.5, factors=[2, 2, 2])
    assert pen.scalar  # all equal: the scalar penalty
    with pytest.raises(ValueError, match="non-negative"):
        Penalty.make(2, 1.0, factors=[1, -1])
    assert (Penalty.make(2, 1.0, factors=[0, 0]).factors == 0).all()  # least squares
    with pytest.raises(ValueError, match="exclude 0"):
        Penalty.make(2, 1.0, lower=1.0)
    with pytest.raises(ValueError, match="exclude 0"):
        Penalty.make(2, 1.0, upper=[-1.0, 2.0])


@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_positive_factors_equal_scikit_learn_on_rescaled_columns(l1_ratio):
    """alpha f_j (r |b_j| + (1-r)/2 b_j^2) is, for the lasso, the plain lasso on X_j / f_j."""
    X, y = make_problem(120, 8, seed=3)
    f = np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 1.0, 0.25])
    res = fit(X, y, alpha=0.05, l1_ratio=l1_ratio, standardize=False, penalty_factor=f, tol=1e-10)
    assert res.converged
    fr = glmnet_factors(f)
    if l1_ratio == 1.0:
        sk = Lasso(alpha=0.05, tol=1e-14, max_iter=10**6).fit(X / fr, y)
        np.testing.assert_allclose(res.coef, sk.coef_ / fr, atol=1e-7)
        np.testing.assert_allclose(res.intercept, sk.intercept_, atol=1e-6)
    else:
        ref = _reference(X, y, 0.05, l1_ratio, fr, -np.inf, np.inf)
        np.testing.assert_allclose(res.coef, ref, atol=1e-6)


def test_non_negative_lasso_and_elastic_net_equal_scikit_learn_positive():
    X, y = make_problem(150, 10, seed=5)
    y = y - 3 * X[:, 0]  # a negative effect that the bound must stop
    for ratio in (1.0, 0.5):
        res = fit(X, y, alpha=0.02, l1_ratio=ratio, standardize=False, lower=0.0, tol=1e-10)
        sk = SkElasticNet(alpha=0.02, l1_ratio=ratio, positive=True, tol=1e-14, max_iter=10**6)
        sk.fit(X, y)
        assert res.converged and (res.coef >= 0).all() and res.coef[0] == 0.0
        np.testing.assert_allclose(res.coef, sk.coef_, atol=1e-7)


def test_ridge_with_per_feature_weights_has_its_closed_form():
    X, y = make_problem(80, 6, seed=7)
    f = glmnet_factors([1, 2, 3, 1, 0.5, 1])
    alpha = 0.3
    res = fit(X, y, alpha=alpha, l1_ratio=0.0, standardize=False, penalty_factor=f, tol=1e-12)
    Xc, yc = X - X.mean(0), y - y.mean()
    want = np.linalg.solve(Xc.T @ Xc / len(y) + alpha * np.diag(f), Xc.T @ yc / len(y))
    np.testing.assert_allclose(res.coef, want, rtol=1e-8, atol=1e-10)


def test_unpenalized_features_stay_in_and_alpha_max_follows_glmnet():
    X, y = make_problem(100, 7, seed=11)
    f = np.array([0.0, 1, 1, 1, 1, 1, 1])
    path = compute_path(X, y, penalty_factor=f, n_alphas=30)
    assert (path.coefs[:, 0] != 0).all()  # never penalized: in every model
    assert (path.coefs[0, 1:] == 0).all()  # at alpha_max only the unpenalized one
    assert path.converged.all() and (path.max_kkt_relative <= 1e-6).all()
    # alpha_max: the largest |gradient| of a penalized feature once x0 is fitted alone
    Xs, _, _ = standardize(X)
    x0 = Xs[:, 0]
    r = y - y.mean() - x0 * (x0 @ (y - y.mean())) / (x0 @ x0)
    fr = glmnet_factors(f)
    want = np.max(np.abs(Xs[:, 1:].T @ r / len(y)) / fr[1:])
    assert path.alpha_max == pytest.approx(want, rel=1e-10)
    just_below = fit(X, y, alpha=0.99 * path.alpha_max, penalty_factor=f)
    assert np.count_nonzero(just_below.coef[1:]) == 1


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
def test_bounds_hold_exactly_and_match_a_bounded_reference(l1_ratio):
    X, y = make_problem(90, 6, seed=13, k=4)
    lower = np.array([-0.5, -np.inf, 0.0, -np.inf, -1.0, -np.inf])
    upper = np.array([0.5, 1.0, np.inf, np.inf, 0.0, 0.2])
    res = fit(
        X,
        y,
        alpha=0.01,
        l1_ratio=l1_ratio,
        standardize=False,
        lower=lower,
        upper=upper,
        tol=1e-10,
    )
    assert res.converged
    assert (res.coef >= lower).all() and (res.coef <= upper).all()
    assert np.isclose(res.coef, lower).any() or np.isclose(res.coef, upper).any()
    ref = _reference(X, y, 0.01, l1_ratio, np.ones(6), lower, upper)
    np.testing.assert_allclose(res.coef, ref, atol=1e-6)


def test_bounds_on_the_original_scale_with_standardization():
    X, y = make_problem(90, 5, seed=17)
    res = fit(X, y, alpha=0.001, upper=0.3)
    assert res.converged and res.coef.max() == pytest.approx(0.3, abs=1e-12)
    assert (res.coef <= 0.3 + 1e-12).all()


def test_bounded_kkt_residuals_count_only_inward_pushes():
    coef = np.array([1.0, -1.0, 0.0, 0.0, 0.5])
    lower = np.array([-1.0, -1.0, 0.0, -1.0, -1.0])
    upper = np.array([1.0, 1.0, 1.0, 0.0, 1.0])
    # at upper bound pushed further up: fine; at lower pushed down: fine; at 0 with lower 0
    # pushed down: fine; at 0 with upper 0 pushed up: fine; free coefficient off optimum: counts
    grad = np.array([5.0, -5.0, -5.0, 5.0, 2.0])
    r = bounded_kkt_residuals(grad, coef, 0.1, 0.0, lower, upper)
    np.testing.assert_allclose(r, [0.0, 0.0, 0.0, 0.0, 1.9])
    grad = np.array([0.0, 0.0, 5.0, -5.0, 0.1])  # pulls inward, or into the open side
    r = bounded_kkt_residuals(grad, coef, 0.1, 0.0, lower, upper)
    np.testing.assert_allclose(r, [0.1, 0.1, 4.9, 4.9, 0.0])


def test_path_with_factors_agrees_with_single_fits():
    X, y = make_problem(60, 120, seed=19, k=6)  # wide: the lazy statistics
    f = np.ones(120)
    f[:3] = 0.0
    f[3:10] = 2.0
    path = compute_path(X, y, l1_ratio=0.7, penalty_factor=f, n_alphas=15)
    assert path.converged.all() and (path.max_kkt_relative <= 1e-6).all()
    one = fit(X, y, alpha=float(path.alphas[9]), l1_ratio=0.7, penalty_factor=f, tol=1e-10)
    np.testing.assert_allclose(one.coef, path.coefs[9], atol=1e-6 * np.abs(one.coef).max())


def _reference(X, y, alpha, l1_ratio, f, lower, upper):
    """The bounded, weighted elastic net without standardization, by L-BFGS-B on the split
    b = u - v (u, v >= 0): smooth, so a general-purpose optimizer reaches it."""
    n, p = X.shape
    Xc, yc = X - X.mean(0), y - y.mean()
    lo = np.broadcast_to(lower, (p,))
    hi = np.broadcast_to(upper, (p,))

    def objective(z):
        u, v = z[:p], z[p:]
        b = u - v
        r = yc - Xc @ b
        val = 0.5 * r @ r / n + alpha * np.sum(
            f * (l1_ratio * (u + v) + 0.5 * (1 - l1_ratio) * b * b)
        )
        gb = -Xc.T @ r / n + alpha * f * (1 - l1_ratio) * b
        gl1 = alpha * f * l1_ratio
        return val, np.concatenate([gb + gl1, -gb + gl1])

    bounds = [(0, h if np.isfinite(h) else None) for h in hi] + [
        (0, -lw if np.isfinite(lw) else None) for lw in lo
    ]
    out = minimize(
        objective,
        np.zeros(2 * p),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-16, "gtol": 1e-12, "maxiter": 100000},
    )
    return out.x[:p] - out.x[p:]


def test_the_kept_factor_extends_and_refactors_exactly():
    from regcli.core.general import BlockCache, FreeFactor
    from regcli.core.stats import prepare

    X, y = make_problem(60, 30, seed=21)
    for gram in (True, False):
        _, stats = prepare(X, y, None, fit_intercept=True, standardize=True, gram=gram)
        cache, factor = BlockCache(stats), FreeFactor()
        lam2 = np.full(30, 0.05)
        rng = np.random.default_rng(0)
        in_f = np.zeros(30, dtype=bool)
        for grow in ([0, 3, 7], [11, 12], [2], [20, 25, 29]):  # the free set grows
            in_f[grow] = True
            F = factor.order(in_f)
            rhs = rng.standard_normal(F.size)
            x = factor.solve(cache, F, lam2, rhs, exact=True)
            M = stats.block(F, F) + np.diag(lam2[F])
            np.testing.assert_allclose(x, np.linalg.solve(M, rhs), rtol=1e-9, atol=1e-12)
        in_f[[3, 12]] = False  # features leave: a new factor, in the kept order
        F = factor.order(in_f)
        rhs = rng.standard_normal(F.size)
        x = factor.solve(cache, F, lam2 * 2, rhs, exact=True)  # another alpha's ridge
        M = stats.block(F, F) + np.diag(2 * lam2[F])
        np.testing.assert_allclose(x, np.linalg.solve(M, rhs), rtol=1e-9, atol=1e-12)
    # a duplicated column without a ridge is singular: None when exact, min-norm otherwise
    Xd = np.c_[X[:, :3], X[:, 0]]
    _, stats = prepare(Xd, y, None, fit_intercept=True, standardize=True, gram=True)
    F = np.arange(4)
    assert FreeFactor().solve(BlockCache(stats), F, np.zeros(4), np.ones(4), exact=True) is None
    x = FreeFactor().solve(BlockCache(stats), F, np.zeros(4), stats.c[F], exact=False)
    assert x is not None and abs(x[0] - x[3]) < 1e-8  # the duplicates share their weight


def test_a_full_block_cache_forms_blocks_directly(monkeypatch):
    import regcli.core.general as general

    X, y = make_problem(40, 120, seed=23)  # wide: the lazy source caches Gram blocks
    want = compute_path(X, y, l1_ratio=0.5, upper=0.5, n_alphas=20)
    monkeypatch.setattr(general, "GENERAL_CACHE_BYTES", 8 * 10 * 10)  # room for 10 features
    got = compute_path(X, y, l1_ratio=0.5, upper=0.5, alphas=want.alphas)
    assert got.converged.all()
    np.testing.assert_allclose(got.coefs, want.coefs, atol=1e-9 * np.abs(want.coefs).max())
