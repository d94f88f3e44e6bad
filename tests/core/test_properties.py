"""Property tests: invariances of the documented objective, checked with hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regcli.core import fit
from regcli.core.penalty import ElasticNet
from tests.conftest import make_problem, standardize

problems = st.builds(
    lambda n, p, seed, rho: make_problem(n, p, seed=seed, rho=rho, k=min(4, p)),
    n=st.integers(8, 60),
    p=st.integers(1, 40),
    seed=st.integers(0, 10_000),
    rho=st.sampled_from([0.0, 0.5, 0.9]),
)
ratios = st.sampled_from([1.0, 0.9, 0.5, 0.1])
FAST = settings(max_examples=40, deadline=None)


@FAST
@given(problems, ratios, st.floats(1.0, 10.0))
def test_alpha_at_or_above_alpha_max_gives_all_zeros(problem, l1_ratio, factor):
    X, y = problem
    amax = fit(X, y, alpha=1.0, l1_ratio=l1_ratio).alpha_max
    res = fit(X, y, alpha=factor * amax, l1_ratio=l1_ratio)
    assert res.n_nonzero == 0
    assert abs(res.intercept - y.mean()) < 1e-9 * max(1, abs(y.mean()))
    # and just below alpha_max something enters
    assert fit(X, y, alpha=0.98 * amax, l1_ratio=l1_ratio).n_nonzero >= 1


@FAST
@given(problems, ratios, st.floats(0.005, 0.9))
def test_kkt_conditions_hold(problem, l1_ratio, frac):
    X, y = problem
    amax = fit(X, y, alpha=1.0, l1_ratio=l1_ratio).alpha_max
    alpha = frac * amax
    res = fit(X, y, alpha=alpha, l1_ratio=l1_ratio)
    # recompute the KKT violation independently of the solver's bookkeeping
    Xs, _, _ = standardize(X)
    keep = ~res.standardization.constant
    Xk = Xs[:, keep]
    b = res.standardized_coef[keep]
    grad = Xk.T @ (y - y.mean() - Xk @ b) / len(y)
    viol = ElasticNet(alpha, l1_ratio).kkt_violation(grad, b)
    assert res.converged
    assert viol <= 1e-6 * alpha + 1e-12 * np.abs(y).max()


@FAST
@given(problems, ratios, st.floats(0.01, 0.9), st.integers(0, 2**31 - 1))
def test_permuting_columns_permutes_coefficients(problem, l1_ratio, frac, seed):
    X, y = problem
    amax = fit(X, y, alpha=1.0, l1_ratio=l1_ratio).alpha_max
    perm = np.random.default_rng(seed).permutation(X.shape[1])
    a = fit(X, y, alpha=frac * amax, l1_ratio=l1_ratio)
    b = fit(X[:, perm], y, alpha=frac * amax, l1_ratio=l1_ratio)
    np.testing.assert_allclose(b.coef, a.coef[perm], rtol=1e-7, atol=1e-9 * np.abs(a.coef).max())


@FAST
@given(problems, ratios, st.floats(0.01, 0.9), st.floats(0.01, 100.0))
def test_scaling_y_and_alpha_scales_coefficients(problem, l1_ratio, frac, scale):
    X, y = problem
    amax = fit(X, y, alpha=1.0, l1_ratio=l1_ratio).alpha_max
    a = fit(X, y, alpha=frac * amax, l1_ratio=l1_ratio)
    # for the elastic net, y -> s y with alpha -> s alpha scales b only when l1_ratio = 1;
    # in general the solution of (s y, s alpha_1, alpha_2 unchanged) is s b: keep lam2 fixed
    lam1, lam2 = a.alpha * l1_ratio, a.alpha * (1 - l1_ratio)
    new_alpha = scale * lam1 + lam2
    new_ratio = scale * lam1 / new_alpha
    b = fit(X, scale * y, alpha=new_alpha, l1_ratio=new_ratio)
    np.testing.assert_allclose(
        b.coef, scale * a.coef, rtol=1e-7, atol=1e-9 * scale * max(np.abs(a.coef).max(), 1e-300)
    )


@FAST
@given(problems, st.floats(0.01, 0.9))
def test_lasso_scaling_y_and_alpha_together(problem, frac):
    X, y = problem
    amax = fit(X, y, alpha=1.0).alpha_max
    a = fit(X, y, alpha=frac * amax)
    b = fit(X, 3.0 * y, alpha=3.0 * frac * amax)
    np.testing.assert_allclose(
        b.coef, 3.0 * a.coef, rtol=1e-7, atol=1e-9 * max(np.abs(a.coef).max(), 1e-300)
    )


def test_penalty_value_and_kkt_violation_closed_forms():
    pen = ElasticNet(alpha=2.0, l1_ratio=0.25)
    b = np.array([1.0, -2.0, 0.0])
    assert pen.value(b) == 2.0 * (0.25 * 3.0 + 0.75 / 2 * 5.0)
    # optimal grad for nonzero b: lam1 sign(b) + lam2 b; zero b: |grad| <= lam1
    grad = np.array([0.5 + 1.5, -0.5 - 3.0, 0.4])
    assert pen.kkt_violation(grad, b) == 0.0
    assert pen.kkt_violation(grad + np.array([0.0, 0.0, 0.2]), b) == pytest.approx(0.1)
