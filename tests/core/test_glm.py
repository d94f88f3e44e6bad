"""Binomial and Poisson models: scikit-learn oracles, KKT certificates, glmnet's rules."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from regcli.core.cv import interpolate_path
from regcli.core.family import BINOMIAL, POISSON
from regcli.core.glm import glm_fit, glm_path, glm_problem, glm_stop
from regcli.core.glmcv import glm_cross_validate, heldout_scores, weighted_auc
from tests.conftest import standardize


def logistic_problem(n=300, p=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.uniform(-2, 2, p)
    beta = np.zeros(p)
    beta[:4] = [1.0, -0.8, 0.5, 0.3]
    eta = (X - X.mean(0)) @ beta / 2
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y


def count_problem(n=300, p=8, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p)
    beta = np.zeros(p)
    beta[:3] = [0.4, -0.3, 0.2]
    y = rng.poisson(np.exp(0.5 + (X - X.mean(0)) @ beta)).astype(float)
    return X, y


def sklearn_logistic(Xs, y, alpha, l1_ratio, w=None):
    from sklearn.linear_model import LogisticRegression

    n = len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(
            C=1.0 / (n * alpha),
            l1_ratio=l1_ratio,
            solver="saga",
            tol=1e-12,
            max_iter=200_000,
        )
        if w is not None:  # scikit-learn's C multiplies the summed loss: weights summing to n
            model.fit(Xs, y, sample_weight=w * n / w.sum())
        else:
            model.fit(Xs, y)
    return model.intercept_[0], model.coef_[0]


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
def test_binomial_matches_scikit_learn_logistic_regression(l1_ratio):
    X, y = logistic_problem()
    alpha = 0.02
    res = glm_fit(X, y, BINOMIAL, alpha=alpha, l1_ratio=l1_ratio)
    Xs, _, _ = standardize(X)
    b0, b = sklearn_logistic(Xs, y, alpha, l1_ratio)
    assert res.converged and res.family == "binomial"
    assert res.max_kkt_violation <= 1e-7 * alpha
    np.testing.assert_allclose(res.standardized_coef, b, atol=2e-6)
    # the intercept on the original scale predicts what scikit-learn's does on Xs
    np.testing.assert_allclose(res.intercept + X @ res.coef, b0 + Xs @ b, atol=2e-5)


def test_weights_are_scikit_learn_sample_weights():
    X, y = logistic_problem(seed=3)
    w = np.random.default_rng(2).uniform(0.2, 3.0, len(y))
    res = glm_fit(X, y, BINOMIAL, alpha=0.01, l1_ratio=0.7, weights=w)
    Xs, _, _ = standardize(X, w)
    _, b = sklearn_logistic(Xs, y, 0.01, 0.7, w)
    np.testing.assert_allclose(res.standardized_coef, b, atol=2e-6)


def test_integer_weights_equal_repeated_rows():
    X, y = count_problem()
    w = np.random.default_rng(4).integers(1, 4, len(y)).astype(float)
    weighted = glm_fit(X, y, POISSON, alpha=0.01, weights=w)
    rows = np.repeat(np.arange(len(y)), w.astype(int))
    repeated = glm_fit(X[rows], y[rows], POISSON, alpha=0.01)
    np.testing.assert_allclose(weighted.coef, repeated.coef, atol=1e-8)
    np.testing.assert_allclose(weighted.intercept, repeated.intercept, atol=1e-8)


def test_poisson_ridge_matches_scikit_learn_poisson_regressor():
    from sklearn.linear_model import PoissonRegressor

    X, y = count_problem()
    res = glm_fit(X, y, POISSON, alpha=0.05, l1_ratio=0.0)
    Xs, _, _ = standardize(X)
    ref = PoissonRegressor(alpha=0.05, tol=1e-12, max_iter=10_000).fit(Xs, y)
    np.testing.assert_allclose(res.standardized_coef, ref.coef_, atol=1e-7)
    assert res.converged and 0 < res.r2 < 1


def test_unpenalized_binomial_is_maximum_likelihood():
    from sklearn.linear_model import LogisticRegression

    X, y = logistic_problem(n=400, p=5)
    res = glm_fit(X, y, BINOMIAL, alpha=0.0)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(res.coef, ref.coef_[0], rtol=1e-5, atol=1e-7)
    # every factor 0 is the same unpenalized model
    free = glm_fit(X, y, BINOMIAL, alpha=0.1, penalty_factor=np.zeros(5))
    np.testing.assert_allclose(free.coef, res.coef, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("family,make", [(BINOMIAL, logistic_problem), (POISSON, count_problem)])
def test_path_certificate_and_deviance_ratio(family, make):
    X, y = make()
    path = glm_path(X, y, family, l1_ratio=0.5)
    assert path.converged.all()
    assert path.max_kkt_relative.max() <= 1e-7
    assert path.n_nonzero[0] == 0  # alpha_max: every coefficient zero
    assert np.all(np.diff(path.dev_ratio) >= -1e-12)
    assert path.alphas.size >= 5 and path.family == family.name
    # each point's dev_ratio is 1 - its deviance / the null deviance
    i = len(path.alphas) // 2
    eta = path.intercepts[i] + X @ path.coefs[i]
    dev = 2 * np.mean(family.half_deviance(y, eta))
    assert path.dev_ratio[i] == pytest.approx(1 - dev / path.null_deviance, rel=1e-10)


def test_bounds_hold_and_alpha_max_is_sharp():
    X, y = logistic_problem(seed=7)
    res = glm_fit(X, y, BINOMIAL, alpha=0.005, lower=0.0)
    assert (res.coef >= 0).all() and res.converged
    path = glm_path(X, y, BINOMIAL)
    above = glm_fit(X, y, BINOMIAL, alpha=path.alpha_max * 1.0001)
    below = glm_fit(X, y, BINOMIAL, alpha=path.alpha_max * 0.99)
    assert above.n_nonzero == 0 and below.n_nonzero >= 1


def test_separation_stops_the_path_without_overflow():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 4))
    y = (X[:, 0] > 0).astype(float)
    with np.errstate(all="raise"):
        path = glm_path(X, y, BINOMIAL)
    # glmnet 4.1 on these data: 100 points, dev.ratio 0.99837 at the last, coefficient 116.709
    assert path.stop_reason in ("completed", "dev_ratio_above_0.999")
    assert np.isfinite(path.coefs).all() and path.dev_ratio[-1] > 0.998
    assert path.converged.all()


def test_glmnet_stop_rules():
    X, y = count_problem()
    _, prob = glm_problem(X, y, POISSON, None, fit_intercept=True, standardize=True)
    eta = np.zeros(len(y))
    dev = np.array([0.0, 0.1, 0.2, 0.3, 0.30001, 0.300015])
    assert glm_stop(prob, dev, 3, eta) is None  # fewer than 5 points
    assert glm_stop(prob, dev, 4, eta) is None  # (0.30001 - 0.1) / 0.30001 is large
    flat = np.array([0.1, 0.3, 0.3, 0.30001, 0.30001, 0.300011])
    assert glm_stop(prob, flat, 5, eta) == "dev_ratio_change_below_1e-4_over_4_points"
    _, bprob = glm_problem(
        X, (y > 1).astype(float), BINOMIAL, None, fit_intercept=True, standardize=True
    )
    small = np.array([0.1, 0.2, 0.3, 0.4, 0.400009])
    assert glm_stop(bprob, small, 4, eta) == "dev_ratio_change_below_1e-5"
    saturated = np.where(bprob.y > 0, 50.0, -50.0)
    assert glm_stop(bprob, small[:2], 1, saturated) == "fitted_probabilities_saturated"


def test_weighted_auc_matches_scikit_learn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    y = (rng.uniform(size=200) < 0.4).astype(float)
    score = np.round(y + rng.standard_normal(200), 1)  # ties included
    w = rng.uniform(0.1, 2.0, 200)
    assert weighted_auc(y, score, np.ones(200)) == pytest.approx(roc_auc_score(y, score))
    assert weighted_auc(y, score, w) == pytest.approx(roc_auc_score(y, score, sample_weight=w))
    assert np.isnan(weighted_auc(np.zeros(5), np.arange(5.0), np.ones(5)))


def test_heldout_binomial_deviance_clips_probabilities_as_cv_glmnet():
    y = np.array([1.0, 0.0])
    eta = np.array([[-100.0, 100.0]])  # both confidently wrong
    dev = heldout_scores(BINOMIAL, "deviance", y, eta, np.ones(2))
    assert dev[0] == pytest.approx(-2 * np.log(1e-5))


def test_cv_mean_is_the_fold_weighted_heldout_deviance_of_refits():
    X, y = logistic_problem(n=120, p=6, seed=9)
    folds = np.arange(120) % 4
    alphas = np.array([0.05, 0.01])
    res = glm_cross_validate(X, y, BINOMIAL, folds=[folds], l1_ratios=[1.0], alphas=alphas)
    expected = []
    for a in alphas:
        errs, sizes = [], []
        for k in range(4):
            test = folds == k
            fit = glm_fit(X[~test], y[~test], BINOMIAL, alpha=a)
            p = 1 / (1 + np.exp(-(fit.intercept + X[test] @ fit.coef)))
            p = np.clip(p, 1e-5, 1 - 1e-5)
            errs.append(-2 * np.mean(y[test] * np.log(p) + (1 - y[test]) * np.log(1 - p)))
            sizes.append(test.sum())
        expected.append(np.average(errs, weights=sizes))
    np.testing.assert_allclose(res.curve.cv_mean, expected, rtol=1e-6)
    assert res.metric == "deviance" and res.curve.index_min in (0, 1)


def test_fold_paths_interpolate_like_glmnet_predict():
    X, y = logistic_problem(n=100, p=5, seed=2)
    path = glm_path(X, y, BINOMIAL)
    mid = np.sqrt(path.alphas[3] * path.alphas[4])
    coefs, b0 = interpolate_path(path.alphas, path.coefs, path.intercepts, np.array([mid]))
    frac = (mid - path.alphas[4]) / (path.alphas[3] - path.alphas[4])
    np.testing.assert_allclose(coefs[0], frac * path.coefs[3] + (1 - frac) * path.coefs[4])


def test_relaxed_binomial_fit_blends_the_maximum_likelihood_refit():
    from sklearn.linear_model import LogisticRegression

    X, y = logistic_problem(n=300, p=10, seed=4)
    res = glm_fit(X, y, BINOMIAL, alpha=0.03, gamma=0.0)
    support = np.flatnonzero(res.coef)
    assert res.refit_ok and 0 < support.size < 10
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X[:, support], y)
    np.testing.assert_allclose(res.coef[support], ref.coef_[0], rtol=1e-6, atol=1e-8)
    half = glm_fit(X, y, BINOMIAL, alpha=0.03, gamma=0.5)
    np.testing.assert_allclose(half.coef, 0.5 * res.coef + 0.5 * half.penalized_coef, atol=1e-8)
    path = glm_path(X, y, BINOMIAL, gamma=0.0)
    assert path.gamma == 0.0 and path.refit_ok is not None and path.refit_ok.all()
    # a relaxed point explains at least as much deviance as its penalized fit
    plain = glm_path(X, y, BINOMIAL)
    k = min(len(plain.alphas), len(path.alphas))
    assert np.all(path.dev_ratio[:k] >= plain.dev_ratio[:k] - 1e-9)


def test_cv_results_do_not_depend_on_jobs():
    X, y = logistic_problem(n=150, p=8, seed=11)
    folds = [np.arange(150) % 5]
    one = glm_cross_validate(X, y, BINOMIAL, folds=folds, l1_ratios=[1.0], jobs=1).curve
    two = glm_cross_validate(X, y, BINOMIAL, folds=folds, l1_ratios=[1.0], jobs=2).curve
    np.testing.assert_array_equal(one.cv_mean, two.cv_mean)
    np.testing.assert_array_equal(one.fold_support, two.fold_support)


def _quadratic(k, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((3 * k, k))
    G = A.T @ A / (3 * k) + 0.05 * np.eye(k)
    c = rng.standard_normal(k) * 0.5
    return G, c


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_sign_fixed_solves_agree_with_the_active_set_core(l1_ratio):
    """Every answer of the sign-fixed rounds is the quadratic's solution (solve_enet's), from
    warm starts near it, far from it and at zero; a warm start on the solution's own support
    and signs is always answered."""
    from regcli.core.activeset import solve_enet
    from regcli.core.glm import SignedFactor, _sign_fixed_solve
    from regcli.core.penalty import ElasticNet
    from regcli.core.stats import GramStats

    answered = 0
    for seed in range(40):
        G, c = _quadratic(25, seed)
        point = ElasticNet(alpha=0.3 * float(np.abs(c).max()), l1_ratio=l1_ratio)
        exact = solve_enet(GramStats(G, c, 0.0, n_samples=75), point, np.zeros(25), tol=1e-13)
        rng = np.random.default_rng(seed)
        starts = [
            exact.coef,
            exact.coef * rng.uniform(0.5, 1.5, 25),
            np.zeros(25),
            rng.standard_normal(25) * (rng.uniform(size=25) < 0.3),
        ]
        for start in starts:
            got = _sign_fixed_solve(G, c, point, start, 1e-12, SignedFactor())
            if got is not None:
                answered += 1
                np.testing.assert_allclose(got, exact.coef, atol=1e-9)
        assert _sign_fixed_solve(G, c, point, exact.coef, 1e-12, SignedFactor()) is not None
    assert answered >= 80


def test_signed_factor_extends_and_carries_its_factor():
    from regcli.core.glm import SignedFactor

    G, _ = _quadratic(12, 3)
    memo = SignedFactor()
    first = np.array([1, 4, 7])
    memo.factor(G, first, 0.2)
    grown = np.array([1, 4, 7, 0, 9])  # appended: one block added to the factor
    L = memo.factor(G, grown, 0.2)
    M = G[np.ix_(grown, grown)] + 0.2 * np.eye(5)
    np.testing.assert_allclose(L @ L.T, M, atol=1e-12)
    # the Gram carried to new positions (feature i of the new at where[i] of the old)
    where = np.array([0, 1, 4, 7, 9, 11])
    carried = G[np.ix_(where, where)]
    memo.moved(G, carried, where, np.ones(6, bool))
    assert memo.G is carried
    np.testing.assert_array_equal(memo.active, [1, 2, 3, 0, 4])
    L2 = memo.factor(carried, memo.active, 0.2)
    assert L2 is L  # the same entries: no new factorization


@pytest.mark.parametrize("share", [0.3, 0.9])
def test_work_columns_in_place_and_gathered_agree(share):
    from regcli.core.glm import WorkColumns

    rng = np.random.default_rng(5)
    Xs = np.asfortranarray(rng.standard_normal((5000, 40)))
    work = np.flatnonzero(rng.uniform(size=40) < share)
    cols = WorkColumns(Xs, work)
    assert cols.in_place == (work.size >= 0.6 * 40)
    XS = Xs[:, work]
    r, u = rng.standard_normal(5000), rng.uniform(0.1, 1.0, 5000)
    d = rng.standard_normal(work.size)
    Xu = XS[:, :2] * u[:, None]
    np.testing.assert_allclose(cols.gradient(r), XS.T @ r, atol=1e-9)
    np.testing.assert_allclose(cols.times(d), XS @ d, atol=1e-9)
    np.testing.assert_allclose(cols.gram(u, threads=False), XS.T @ (XS * u[:, None]), atol=1e-8)
    np.testing.assert_allclose(cols.weighted_sums(u), XS.T @ u, atol=1e-9)
    g, cross = cols.gradient_with(r, Xu)
    np.testing.assert_allclose(g, XS.T @ r, atol=1e-9)
    np.testing.assert_allclose(cross, Xu.T @ XS, atol=1e-9)
    if cols.in_place:
        np.testing.assert_allclose(cols.whole_gradient, Xs.T @ r, atol=1e-9)


@pytest.mark.parametrize("family", [BINOMIAL, POISSON])
@pytest.mark.parametrize("shape", [(60, 300), (2000, 30)])
def test_path_points_equal_fits_from_scratch(family, shape):
    """A path's points (warm starts, extrapolated starts, reused Newton models) are the
    solutions a single fit reaches at the same alphas, every one certified."""
    n, p = shape
    rng = np.random.default_rng(11)
    X = rng.standard_normal((n, p)) + 0.5 * rng.standard_normal((n, 1))
    eta = X[:, :5] @ np.array([1.0, -0.7, 0.5, 0.4, -0.3]) / 2
    if family is BINOMIAL:
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.3 + eta / 2)).astype(float)
    path = glm_path(X, y, family, n_alphas=40)
    assert path.converged.all() and path.max_kkt_relative.max() <= 1e-7
    for i in (5, len(path.alphas) // 2, len(path.alphas) - 1):
        fit = glm_fit(X, y, family, alpha=float(path.alphas[i]))
        scale = max(1.0, float(np.abs(fit.coef).max()))
        np.testing.assert_allclose(path.coefs[i], fit.coef, atol=2e-5 * scale)


def test_one_class_or_zero_counts_are_refused_by_the_core():
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="one class only"):
        glm_fit(X, y, BINOMIAL, alpha=0.1, weights=y)  # the 0 rows carry no weight
    with pytest.raises(ValueError, match="counts of 0 only"):
        glm_path(X, np.zeros(6), POISSON)


def test_wide_single_fit_keeps_its_working_sets_small(monkeypatch):
    """A fit at a small alpha on p >> n warm-starts down a coarse grid, where the strong rule
    passes thousands of features; the Newton working sets stay near n (a Gram on them costs
    n |S|^2), and the fit is the path's solution."""
    from regcli.core import glm

    rng = np.random.default_rng(3)
    n, p = 60, 2000
    X = rng.standard_normal((n, p))
    y = (X[:, :3].sum(axis=1) + rng.standard_normal(n) > 0).astype(float)
    sizes = []
    newton_on = glm.newton_on

    def recorded(prob, penalty, alpha, state, work, *args, **kwargs):
        sizes.append(work.size)
        return newton_on(prob, penalty, alpha, state, work, *args, **kwargs)

    monkeypatch.setattr(glm, "newton_on", recorded)
    amax = glm_path(X, y, BINOMIAL, n_alphas=1).alpha_max
    fit = glm_fit(X, y, BINOMIAL, alpha=1e-3 * amax)
    assert fit.converged
    assert max(sizes) <= 2 * n + 50 + 2 * np.count_nonzero(fit.coef)
    assert max(sizes) < p / 4


def test_wide_ridge_uses_the_kernel_and_matches_scikit_learn():
    """Ridge on more columns than rows: Newton steps in the rows' space (A A', n x n), the
    same model scikit-learn's LogisticRegression fits, and a certified path."""
    rng = np.random.default_rng(8)
    n, p = 50, 400
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p)
    y = (X[:, :3].sum(axis=1) + rng.standard_normal(n) > 0).astype(float)
    alpha = 0.05
    res = glm_fit(X, y, BINOMIAL, alpha=alpha, l1_ratio=0.0)
    Xs, _, _ = standardize(X)
    b0, b = sklearn_logistic(Xs, y, alpha, 0.0)
    assert res.converged and res.max_kkt_violation <= 1e-7 * alpha
    np.testing.assert_allclose(res.standardized_coef, b, atol=2e-6)
    path = glm_path(X, y, BINOMIAL, l1_ratio=0.0, n_alphas=30)
    assert path.converged.all() and path.max_kkt_relative.max() <= 1e-7


def test_a_column_whose_spread_is_subnormal_is_constant_in_a_glm():
    """As for gaussian (``stats.vanishing_scales``): 0 and 5e-324 give no usable scale."""
    X = np.array([[0.0, 1.0, 2.0], [5e-324, 2.0, -1.0], [0.0, 3.0, 0.5], [5e-324, 0.5, 1.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    std, prob = glm_problem(X, y, BINOMIAL, None, fit_intercept=True, standardize=True)
    assert std.constant.tolist() == [True, False, False] and prob.Xs.shape == (4, 2)
    path = glm_path(X, y, BINOMIAL, n_alphas=5)
    assert np.isfinite(path.coefs).all() and (path.coefs[:, 0] == 0).all()


@pytest.mark.parametrize("alpha", [1e-6, 1e-10, 1e-20])
def test_wide_poisson_ridge_at_a_tiny_alpha_converges(alpha):
    # a ridge step wider than the rows solves on the n x n kernel; its Woodbury form divided by
    # alpha what cancellation left (at 1e-6 the fit stopped 6.7e4 x beyond its tolerance);
    # the step is now formed in the weighted columns' row space, dividing by no alpha
    rng = np.random.default_rng(1)
    n, p = 60, 400
    X = rng.standard_normal((n, p))
    y = rng.poisson(np.exp(0.3 * X[:, :3].sum(axis=1))).astype(float)
    fit = glm_fit(X, y, POISSON, alpha=alpha, l1_ratio=0.0)
    assert fit.converged and fit.max_kkt_violation <= fit.kkt_tolerance
    assert np.isfinite(fit.coef).all()


@pytest.mark.parametrize("scale", [1e-12, 1e-200])
def test_poisson_rates_in_tiny_units_give_the_same_path(scale):
    # y x s scales the gradient, so alpha, by s and moves the intercept by log s: the same
    # slopes.  The working variances' floor was absolute (1e-10), above every mu of a y of
    # 1e-12: each Newton step cut to a hundredth, the path left unconverged
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 20)) + 0.5 * rng.standard_normal((200, 1))
    y = rng.poisson(np.exp(0.4 * X[:, :3].sum(axis=1))).astype(float)
    base = glm_path(X, y, POISSON, n_alphas=30)
    tiny = glm_path(X, y * scale, POISSON, n_alphas=30)
    assert tiny.converged.all() and len(tiny.alphas) == len(base.alphas)
    np.testing.assert_allclose(tiny.alphas / scale, base.alphas, rtol=1e-9)
    np.testing.assert_allclose(tiny.coefs, base.coefs, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(tiny.intercepts - np.log(scale), base.intercepts, atol=1e-6)


def test_unstandardized_columns_of_tiny_magnitude_give_the_same_path():
    # X x s (not standardized) scales alpha by s and the coefficients by 1/s; the intercept's
    # tolerance was tol x alpha, 1e-29 for columns of 1e-20, below the rounding of its
    # gradient's sum: 21 of 52 points reported unconverged (1.9e5 x alpha)
    rng = np.random.default_rng(7)
    X = rng.standard_normal((200, 5))
    y = (rng.random(200) < 1 / (1 + np.exp(-X[:, :2].sum(axis=1)))).astype(float)
    base = glm_path(X, y, BINOMIAL, n_alphas=30, standardize=False)
    tiny = glm_path(X * 1e-20, y, BINOMIAL, n_alphas=30, standardize=False)
    assert tiny.converged.all() and len(tiny.alphas) == len(base.alphas)
    np.testing.assert_allclose(tiny.alphas * 1e20, base.alphas, rtol=1e-9)
    np.testing.assert_allclose(tiny.coefs * 1e-20, base.coefs, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(tiny.intercepts, base.intercepts, atol=1e-6)


def test_relaxed_refits_and_unpenalized_features_follow_y_in_small_units():
    # the relaxed refit and the null fit of unpenalized features stopped at an absolute
    # tolerance of tol: for Poisson rates of 1e-6 that was met before any step (relaxed
    # coefficients off by 0.06, the penalty-factor path by 0.007)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 20)) + 0.5 * rng.standard_normal((200, 1))
    y = rng.poisson(np.exp(0.4 * X[:, :3].sum(axis=1))).astype(float)
    factors = np.ones(20)
    factors[:2] = 0.0
    for options in (dict(gamma=0.0), dict(penalty_factor=factors)):
        base = glm_path(X, y, POISSON, n_alphas=20, **options)
        small = glm_path(X, y * 1e-6, POISSON, n_alphas=20, **options)
        np.testing.assert_allclose(small.coefs, base.coefs, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("family", [BINOMIAL, POISSON])
@pytest.mark.parametrize("factors", [False, True])
def test_screened_certificate_gradients_leave_a_glm_path_unchanged(monkeypatch, family, factors):
    """The certificate's gradient from a single-precision copy of X~ (exact where a KKT check
    could look) gives the path and the certificates of the exact product, bit for bit in the
    decisions: the same coefficients and the same reported violations."""
    from regcli.core import glm as glm_module
    from regcli.core.glm import GLMProblem

    rng = np.random.default_rng(12)
    n, p = 80, 1500
    X = rng.standard_normal((n, p)) + 0.5 * rng.standard_normal((n, 1))
    eta = X[:, :6] @ np.array([1.0, -0.7, 0.5, 0.4, -0.3, 0.3]) / 2
    if family is BINOMIAL:
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.3 + eta / 2)).astype(float)
    kwargs = {}
    if factors:
        kwargs["penalty_factor"] = rng.choice([0.5, 1.0, 2.0], p)
    exact = glm_path(X, y, family, n_alphas=40, **kwargs)
    served = []
    original = GLMProblem.certificate_gradient

    def counted(self, eta, lam1, work, g_work):  # type: ignore[no-untyped-def]
        out = original(self, eta, lam1, work, g_work)
        served.append(self.single.made)
        return out

    monkeypatch.setattr(glm_module, "GLM_SCREENED_FROM", 0)
    monkeypatch.setattr(GLMProblem, "certificate_gradient", counted)
    screened = glm_path(X, y, family, alphas=exact.alphas, **kwargs)
    assert sum(served) >= 20  # the single-precision product served most checks
    assert screened.converged.all() and screened.max_kkt_relative.max() <= 1e-7
    np.testing.assert_allclose(screened.coefs, exact.coefs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        screened.max_kkt_violation, exact.max_kkt_violation, rtol=1e-6, atol=1e-15
    )


@pytest.mark.parametrize("per_feature", [False, True])
def test_certificate_gradient_is_exact_wherever_a_kkt_check_could_look(monkeypatch, per_feature):
    from regcli.core import glm as glm_module
    from regcli.core import stats as stats_module

    monkeypatch.setattr(glm_module, "GLM_SCREENED_FROM", 0)
    monkeypatch.setattr(stats_module, "SCREENED_AFTER", 1)
    rng = np.random.default_rng(4)
    n, p = 150, 1200
    X = rng.standard_normal((n, p)) + 0.5 * rng.standard_normal((n, 1))
    y = (rng.uniform(size=n) < 0.4).astype(float)
    _, prob = glm_problem(X, y, BINOMIAL, None, fit_intercept=True, standardize=True)
    eta = rng.standard_normal(n)
    exact, icpt = prob.gradient(eta)
    work = np.array([2, 40, 700, 1199])
    weights = rng.uniform(0.5, 2.0, p) if per_feature else 1.0
    for quantile in (0.5, 0.99, 1.0):
        lam1 = float(np.quantile(np.abs(exact), quantile)) * weights
        grad, icpt2 = prob.certificate_gradient(eta, lam1, work, exact[work])
        assert icpt2 == icpt
        near = np.abs(exact) >= lam1
        near[work] = True
        size = float(np.abs(exact).max())
        np.testing.assert_allclose(grad[near], exact[near], rtol=0, atol=1e-13 * size)
        assert (np.abs(grad) <= lam1)[~near].all()
        if quantile > 0.5:  # few near the threshold: the single-precision product served
            assert prob.single.made and not np.array_equal(grad[~near], exact[~near])


def test_glm_metrics_of_one_class_or_zero_counts_leave_deviance_explained_undefined():
    from regcli.core.family import family_named
    from regcli.core.metrics import glm_metrics

    eta = np.array([0.3, -1.0, 2.0])
    one_class = glm_metrics(BINOMIAL, np.ones(3), eta)
    assert np.isnan(one_class["dev_ratio"]) and np.isnan(one_class["r2"])
    assert np.isnan(one_class["auc"]) and one_class["deviance"] > 0
    zeros = glm_metrics(family_named("poisson"), np.zeros(3), eta)
    assert zeros["null_deviance"] == 0.0 and np.isnan(zeros["dev_ratio"])
    # both classes, weights: the deviance explained against the rows' own weighted mean
    y, w = np.array([1.0, 0.0, 1.0]), np.array([1.0, 2.0, 1.0])
    m = glm_metrics(BINOMIAL, y, eta, w)
    p = 1 / (1 + np.exp(-eta))
    dev = -2 * w @ (y * np.log(p) + (1 - y) * np.log(1 - p)) / w.sum()
    null = -2 * (2 * np.log(0.5) + 2 * np.log(0.5)) / 4
    assert m["deviance"] == pytest.approx(dev, rel=1e-12)
    assert m["null_deviance"] == pytest.approx(null, rel=1e-12)
    assert m["dev_ratio"] == pytest.approx(1 - dev / null, rel=1e-12)


def test_path_start_is_extrapolated_on_a_geometric_grid():
    """The start at the next alpha of a geometric grid extrapolates the last two solutions (the
    log-ratio of equal steps comes out of the logarithms a few ulps above 1, which must not
    read as a step longer than the last), and starts nearer the solution than the last one."""
    from regcli.core.glm import null_state, penalty_value, predicted_start, solve_point
    from regcli.core.penalty import penalty_for

    X, y = logistic_problem(n=400, p=10, seed=3)
    std, prob = glm_problem(X, y, BINOMIAL, None, fit_intercept=True, standardize=True)
    penalty = penalty_for(X.shape[1], 1.0, std.keep, std.scale)
    amax = glm_path(X, y, BINOMIAL, n_alphas=1).alpha_max
    grid = amax * np.logspace(-1, -2, 5)  # ratios like glmnet's: log steps not exact in binary
    ratios = [np.log(grid[i + 2] / grid[i + 1]) / np.log(grid[i + 1] / grid[i]) for i in range(3)]
    assert max(ratios) > 1.0  # the case this test is about
    solutions = []
    for a in grid:
        start = solutions[-1] if solutions else null_state(prob)
        point = solve_point(prob, penalty, a, start, np.ones(prob.n_features, bool), tol=1e-12)
        assert point.converged
        solutions.append(point.state)
    for i in range(3):
        before, state, after = solutions[i], solutions[i + 1], solutions[i + 2]
        alpha = grid[i + 2]
        start = predicted_start(prob, penalty, alpha, state, grid[i + 1], before, grid[i])
        assert start is not state
        f_start, f_state = (
            s.objective_loss(prob) + penalty_value(penalty, alpha, s.coef) for s in (start, state)
        )
        assert f_start < f_state
        assert np.abs(start.coef - after.coef).max() < np.abs(state.coef - after.coef).max()


@pytest.mark.parametrize(
    "family, metrics",
    [(BINOMIAL, ["deviance", "class", "mse", "mae"]), (POISSON, ["deviance", "mse", "mae"])],
)
def test_heldout_scores_of_overflowed_predictions_are_infinite_never_nan(family, metrics):
    """A held-out linear predictor that overflowed (inf, or NaN where the overflow met a zero)
    costs an infinite error, never NaN, with no floating-point warning."""
    y = np.array([1.0, 0.0, 1.0])
    w = np.ones(3)
    eta = np.array([[0.1, -0.2, 0.3], [np.nan, -0.2, 0.3], [np.inf, -np.inf, 0.3]])
    for metric in metrics:
        scores = heldout_scores(family, metric, y, eta, w)
        assert np.isfinite(scores[0]) and scores[1] == np.inf, metric
        assert not np.isnan(scores[2]), metric
        # a row of weight 0 counts for nothing, even where its predictor overflowed
        unweighted = heldout_scores(family, metric, y, eta, np.array([1.0, 1.0, 0.0]))
        assert np.isfinite(unweighted[0]) and not np.isnan(unweighted).any(), metric
        zero = heldout_scores(family, metric, y, eta[1:2], np.array([0.0, 1.0, 1.0]))
        assert np.isfinite(zero[0]), metric


def test_poisson_cv_with_a_row_far_outside_the_training_range():
    """Leaving out the row where a column is 1e300 (the others near 1e-100): that fold's
    held-out predictions overflow; its errors are infinite, not NaN, and no warning leaks."""
    X = np.array(
        [
            [2e-100, 71.021, 0.0, 1.0],
            [1e-100, 0.0, 1.0, 0.0],
            [1e300, 32.627, 0.0, 1.0],
            [2e-100, 59.132, 0.0, 0.0],
            [0.0, 1.0, 0.0, 1.0],
            [3e-100, 5.0, 0.0, 0.0],
        ]
    )
    y = np.array([1.0, 0.0, 3.0, 0.0, 2.0, 1.0])
    for l1_ratio in (1.0, 0.0):
        res = glm_cross_validate(
            X, y, POISSON, folds=[np.arange(6) % 3], l1_ratios=[l1_ratio], n_alphas=20
        )
        curve = res.curves[0]
        assert not np.isnan(curve.cv_mean).any() and not np.isnan(curve.fold_errors).any()
        assert np.isinf(curve.fold_errors).any()
