"""fit() against scikit-learn (an independent implementation) and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso, Ridge

from regcli.core import fit
from tests.conftest import make_problem, objective, standardize


def sk_enet(Xs, y, alpha, l1_ratio, w=None):
    if l1_ratio == 0:
        n = len(y)
        wsum = n if w is None else w.sum()
        return Ridge(alpha=wsum * alpha, tol=1e-14, solver="cholesky").fit(Xs, y, sample_weight=w)
    model = SkElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-15, max_iter=1_000_000)
    return model.fit(Xs, y, sample_weight=w)


def rel(a, b):
    return np.abs(a - b).max() / max(1.0, np.abs(b).max())


CASES = [
    ("n>p", 120, 15),
    ("p>n", 40, 120),
    ("p>>n", 30, 400),
]


@pytest.mark.parametrize("name,n,p", CASES)
@pytest.mark.parametrize("l1_ratio", [1.0, 0.7, 0.2, 0.0])
@pytest.mark.parametrize("frac", [0.5, 0.1, 0.01])
def test_matches_sklearn_on_standardized_data(name, n, p, l1_ratio, frac):
    X, y = make_problem(n, p, seed=n + p)
    X[:, 3] = X[:, 2]  # a duplicated column
    X[:, 5] = 2.5  # a constant column
    res0 = fit(X, y, alpha=1.0, l1_ratio=l1_ratio)
    alpha = frac * res0.alpha_max
    res = fit(X, y, alpha=alpha, l1_ratio=l1_ratio)
    Xs, mean, sd = standardize(X)
    sk = sk_enet(Xs, y, alpha, l1_ratio)
    assert res.converged
    assert res.max_kkt_violation <= 1e-6 * alpha
    assert res.standardized_coef[5] == 0 and res.coef[5] == 0
    if l1_ratio == 1.0:
        # a lasso with duplicated columns has many solutions: compare the objective and the fit
        gap = objective(Xs, y, res.standardized_coef, alpha, 1.0) - objective(
            Xs, y, sk.coef_, alpha, 1.0
        )
        assert gap <= 1e-10
        assert rel(Xs @ res.standardized_coef + (y.mean() - 0), Xs @ sk.coef_ + y.mean()) < 1e-6
    else:
        assert rel(res.standardized_coef, sk.coef_) < 1e-6
        # original scale: coef = b / sd, intercept = ybar - mean . coef
        assert rel(res.coef, sk.coef_ / sd) < 1e-6
        assert abs(res.intercept - (sk.intercept_ - (sk.coef_ / sd) @ mean)) < 1e-6 * max(
            1, abs(res.intercept)
        )


def test_lasso_without_duplicates_matches_sklearn_coefficients():
    X, y = make_problem(60, 200, seed=3)
    Xs, _, _ = standardize(X)
    for alpha in (0.5, 0.1, 0.02):
        res = fit(X, y, alpha=alpha)
        sk = Lasso(alpha=alpha, tol=1e-15, max_iter=1_000_000).fit(Xs, y)
        assert rel(res.standardized_coef, sk.coef_) < 1e-6


def test_weights_match_sklearn_sample_weight():
    X, y = make_problem(80, 10, seed=4)
    w = np.random.default_rng(0).uniform(0.2, 3.0, size=80)
    Xs, _, _ = standardize(X, w)
    for l1_ratio in (1.0, 0.5, 0.0):
        res = fit(X, y, alpha=0.05, l1_ratio=l1_ratio, weights=w)
        sk = sk_enet(Xs, y, 0.05, l1_ratio, w=w)
        assert rel(res.standardized_coef, sk.coef_) < 1e-6


def test_weights_scaled_by_constant_change_nothing():
    X, y = make_problem(50, 8, seed=5)
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=50)
    a = fit(X, y, alpha=0.1, l1_ratio=0.5, weights=w)
    b = fit(X, y, alpha=0.1, l1_ratio=0.5, weights=7.5 * w)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10, atol=1e-12)


def test_integer_weights_equal_repeated_rows():
    X, y = make_problem(30, 5, seed=6)
    w = np.random.default_rng(2).integers(1, 4, size=30).astype(float)
    a = fit(X, y, alpha=0.05, weights=w)
    rep = np.repeat(np.arange(30), w.astype(int))
    b = fit(X[rep], y[rep], alpha=0.05)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9, atol=1e-12)


def test_no_standardize_no_intercept_match_sklearn():
    X, y = make_problem(70, 6, seed=7)
    Xc = X - X.mean(axis=0)
    res = fit(X, y, alpha=0.3, l1_ratio=0.6, standardize=False)
    sk = SkElasticNet(alpha=0.3, l1_ratio=0.6, tol=1e-15, max_iter=10**6).fit(X, y)
    assert rel(res.coef, sk.coef_) < 1e-6
    assert abs(res.intercept - sk.intercept_) < 1e-6 * abs(sk.intercept_)
    res = fit(X, y, alpha=0.3, l1_ratio=0.6, standardize=False, fit_intercept=False)
    sk = SkElasticNet(alpha=0.3, l1_ratio=0.6, tol=1e-15, max_iter=10**6, fit_intercept=False).fit(
        X, y
    )
    assert rel(res.coef, sk.coef_) < 1e-6 and res.intercept == 0.0
    del Xc


def test_ridge_closed_form_and_sklearn_ridge_equivalence():
    X, y = make_problem(50, 8, seed=8)
    Xs, _, _ = standardize(X)
    n = len(y)
    alpha = 0.7
    res = fit(X, y, alpha=alpha, l1_ratio=0.0)
    closed = np.linalg.solve(Xs.T @ Xs / n + alpha * np.eye(8), Xs.T @ (y - y.mean()) / n)
    assert rel(res.standardized_coef, closed) < 1e-10
    assert rel(res.standardized_coef, Ridge(alpha=n * alpha).fit(Xs, y).coef_) < 1e-8
    assert res.n_nonzero == 8


def test_ridge_wide_uses_the_kernel_and_agrees():
    X, y = make_problem(20, 300, seed=9)
    a = fit(X, y, alpha=0.2, l1_ratio=0.0)
    b = fit(X, y, alpha=0.2, l1_ratio=0.0, gram=True)
    assert rel(a.coef, b.coef) < 1e-8
    # the kernel's Cholesky solve against the eigendecomposition's closed form, and the dual
    # identity (G + lam2 I)^{-1} X~'z = X~'(K + lam2 I)^{-1} z by plain NumPy
    from regcli.core.ridge import RidgeSolver, ridge_coef
    from regcli.core.stats import prepare

    _, stats = prepare(X, y, None, fit_intercept=True, standardize=True, gram=False)
    Xs, z = stats.Xs, stats.zs
    for lam2 in (1e-6, 0.2, 50.0):
        dual = Xs.T @ np.linalg.solve(Xs @ Xs.T + lam2 * np.eye(20), z)
        assert rel(ridge_coef(stats, lam2), dual) < 1e-9
        assert rel(ridge_coef(stats, lam2), RidgeSolver(stats).coef(lam2)) < 1e-9


def test_gram_and_lazy_modes_agree():
    X, y = make_problem(40, 60, seed=10)
    for l1_ratio in (1.0, 0.5):
        a = fit(X, y, alpha=0.05, l1_ratio=l1_ratio, gram=True)
        b = fit(X, y, alpha=0.05, l1_ratio=l1_ratio, gram=False)
        assert rel(a.coef, b.coef) < 1e-8


def test_r2_is_weighted_training_r2():
    X, y = make_problem(90, 6, seed=11)
    res = fit(X, y, alpha=0.2)
    pred = res.intercept + X @ res.coef
    r2 = 1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert abs(res.r2 - r2) < 1e-10


def test_collinear_columns_lasso_reaches_full_rank_limit():
    # p > n with exact collinearity x2 = x0 + x1 and the active set pushed to n - 1
    X, y = make_problem(12, 40, seed=12)
    X[:, 2] = X[:, 0] + X[:, 1]
    res = fit(X, y, alpha=1e-4 * fit(X, y, alpha=1.0).alpha_max)
    assert res.converged
    assert res.n_nonzero <= 11
    Xs, _, _ = standardize(X)
    sk = Lasso(alpha=res.alpha, tol=1e-15, max_iter=10**7).fit(Xs, y)
    gap = objective(Xs, y, res.standardized_coef, res.alpha, 1.0) - objective(
        Xs, y, sk.coef_, res.alpha, 1.0
    )
    assert gap <= 1e-9


def test_alpha_zero_is_least_squares_and_converged():
    X, y = make_problem(60, 5, seed=13)
    ols = np.linalg.lstsq(np.column_stack([np.ones(60), X]), y, rcond=None)[0]
    for l1_ratio in (1.0, 0.0):
        res = fit(X, y, alpha=0.0, l1_ratio=l1_ratio)
        assert res.converged
        np.testing.assert_allclose(res.coef, ols[1:], rtol=1e-9)
        assert abs(res.intercept - ols[0]) < 1e-9 * max(1, abs(ols[0]))


@pytest.mark.parametrize("spectrum", ["flat", "decaying", "rank_deficient"])
def test_lanczos_shifted_solves_agree_with_dense_solves_or_give_way(spectrum):
    from regcli.core import ridge

    rng = np.random.default_rng(11)
    n = 300
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    d = {
        "flat": rng.uniform(1.0, 6.0, n),  # a bulk as of random wide data: a few dozen steps
        "decaying": 10.0 ** -np.linspace(0, 14, n),  # with shifts to 1e-12: too ill-conditioned
        "rank_deficient": np.r_[rng.uniform(1.0, 6.0, n - 40), np.zeros(40)],
    }[spectrum]
    K = (Q * d) @ Q.T
    K = (K + K.T) / 2
    z = rng.standard_normal(n)
    shifts = np.geomspace(10.0, 1e-3, 30)
    if spectrum == "decaying":
        # a condition number of 1e12 at the smallest shift: no rounding-level residual
        # within the step limit, so the eigendecomposition serves instead
        assert ridge.lanczos_shifted_solve(K, z, np.geomspace(10.0, 1e-12, 30)) is None
    X = ridge.lanczos_shifted_solve(K, z, shifts)
    assert X is not None
    for j, s in enumerate(shifts):
        exact = np.linalg.solve(K + s * np.eye(n), z)
        assert rel(X[:, j], exact) < 1e-9
    assert np.array_equal(ridge.lanczos_shifted_solve(K, 0.0 * z, shifts), np.zeros((n, 30)))
    assert ridge.lanczos_shifted_solve(K, z, np.array([1.0, 0.0])) is None


def test_wide_ridge_path_by_lanczos_matches_the_gram_route():
    from regcli.core import compute_path

    X, y = make_problem(320, 900, seed=12)  # 320 rows: the kernel takes Lanczos
    lazy = compute_path(X, y, l1_ratio=0.0, n_alphas=40, gram=False)
    gram = compute_path(X, y, l1_ratio=0.0, alphas=lazy.alphas, gram=True)
    assert lazy.converged.all() and (lazy.max_kkt_relative <= 1e-7).all()
    assert rel(lazy.coefs, gram.coefs) < 1e-9
