"""Limits at 0 only (--lower 0, --upper 0, per feature) run the scalar path routes with each
feature's allowed sign: the same paths as the general bounded solver, and scikit-learn's
positive lasso."""

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from regcli.core import compute_path
from regcli.core import path as path_module
from regcli.core.penalty import Penalty
from tests.conftest import make_problem, standardize


def _general_route(monkeypatch):
    monkeypatch.setattr(Penalty, "sign_limits", lambda self: None)
    monkeypatch.setattr(path_module, "_boxed_serves", lambda penalty: False)


@pytest.mark.parametrize(
    ("n", "p", "l1_ratio"),
    [(40, 300, 1.0), (40, 300, 0.5), (320, 900, 0.3), (200, 12, 1.0), (200, 12, 0.5)],
)
@pytest.mark.parametrize("limits", ["lower", "upper", "mixed"])
def test_sign_limited_paths_equal_the_general_solver(n, p, l1_ratio, limits, monkeypatch):
    X, _ = make_problem(n, p, seed=n + p, k=min(8, p), rho=0.0)
    rng = np.random.default_rng(n + p)
    y = X[:, :4] @ np.array([2.0, -2.0, 1.5, -1.0]) + rng.standard_normal(n)  # both signs
    kw = {
        "lower": {"lower": 0.0},
        "upper": {"upper": 0.0},
        "mixed": {"lower": np.where(np.arange(p) % 2 == 0, 0.0, -np.inf)},
    }[limits]
    general_calls = []
    real_general = path_module._general_points
    monkeypatch.setattr(
        path_module,
        "_general_points",
        lambda *a, **k: general_calls.append(1) or real_general(*a, **k),
    )
    fast = compute_path(X, y, l1_ratio=l1_ratio, n_alphas=40, **kw)
    assert not general_calls  # the scalar routes served it
    assert fast.converged.all() and (fast.max_kkt_relative <= 1e-6).all()
    coefs = fast.coefs
    if limits == "lower":
        assert (coefs >= 0).all() and (coefs > 0).any()
    elif limits == "upper":
        assert (coefs <= 0).all()
    else:
        assert (coefs[:, ::2] >= 0).all()
    _general_route(monkeypatch)
    general = compute_path(X, y, l1_ratio=l1_ratio, alphas=fast.alphas, **kw)
    assert general_calls
    scale = max(np.abs(general.coefs).max(), 1e-12)
    assert np.abs(fast.coefs - general.coefs).max() <= 1e-6 * scale


def test_non_negative_lasso_matches_scikit_learn_positive():
    X, y = make_problem(60, 200, seed=3, k=10, rho=0.3)
    res = compute_path(X, y, lower=0.0, n_alphas=30)
    Xs, _, _ = standardize(X)
    for i in (5, 15, 29):
        ref = Lasso(
            alpha=res.alphas[i], positive=True, tol=1e-12, max_iter=200_000, fit_intercept=True
        ).fit(Xs, y)
        np.testing.assert_allclose(res.standardized_coefs[i], ref.coef_, rtol=1e-5, atol=1e-7)


def test_limits_that_block_every_feature_give_the_null_fit_on_the_unbounded_grid():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((50, 4))
    y = X.sum(axis=1) + 0.1 * rng.standard_normal(50)  # every correlation positive
    res = compute_path(X, y, upper=0.0, n_alphas=20)
    plain = compute_path(X, y, n_alphas=20)
    assert res.alphas[0] == pytest.approx(plain.alphas[0]) and (res.alphas > 0).all()
    assert (res.coefs == 0).all() and res.converged.all()
    assert (res.max_kkt_relative <= 1e-12).all()
