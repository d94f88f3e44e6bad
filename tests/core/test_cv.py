"""Cross-validation: fold errors from statistics against direct fits, scikit-learn, glmnet."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import ElasticNetCV

from regcli.core import compute_path
from regcli.core.cv import cross_validate, make_folds, select_indices
from tests.conftest import make_problem, standardize


def direct_fold_mse(X, y, folds, alphas, l1_ratio, w=None):
    """Fit each training fold on the same grid and score its held-out rows."""
    K = folds.max() + 1
    w = np.ones(len(y)) if w is None else w
    out = np.zeros((K, len(alphas)))
    for k in range(K):
        tr = folds != k
        path = compute_path(X[tr], y[tr], l1_ratio=l1_ratio, alphas=alphas, weights=w[tr])
        pred = path.intercepts[:, None] + path.coefs @ X[~tr].T
        out[k] = ((y[~tr] - pred) ** 2) @ (w[~tr] / w[~tr].sum())
    return out


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_fold_errors_from_statistics_equal_direct_fits(l1_ratio, weighted):
    X, y = make_problem(150, 12, seed=1)
    X[:, 4] = 3.0  # constant
    w = np.random.default_rng(0).uniform(0.5, 2, 150) if weighted else None
    folds = make_folds(150, 5, seed=3)
    res = cross_validate(
        X, y, folds=[folds], l1_ratios=[l1_ratio], weights=w, n_alphas=25, fold_grid="common"
    )
    curve = res.curve
    ref = direct_fold_mse(X, y, folds, curve.alphas, l1_ratio, w)
    np.testing.assert_allclose(curve.fold_errors, ref, rtol=1e-9)
    fw = np.bincount(folds, weights=np.ones(150) if w is None else w)
    mean = fw @ ref / fw.sum()
    se = np.sqrt(fw @ (ref - mean) ** 2 / fw.sum() / 4)
    np.testing.assert_allclose(curve.cv_mean, mean, rtol=1e-9)
    np.testing.assert_allclose(curve.cv_se, se, rtol=1e-7)


def test_wide_data_uses_direct_folds_and_agrees():
    X, y = make_problem(40, 90, seed=2)
    folds = make_folds(40, 4, seed=0)
    res = cross_validate(X, y, folds=[folds], l1_ratios=[1.0], n_alphas=15, fold_grid="common")
    ref = direct_fold_mse(X, y, folds, res.curve.alphas, 1.0)
    np.testing.assert_allclose(res.curve.fold_errors, ref, rtol=1e-8)
    gram = cross_validate(
        X, y, folds=[folds], l1_ratios=[1.0], alphas=res.curve.alphas, gram=True, fold_grid="common"
    )
    np.testing.assert_allclose(gram.curve.fold_errors, ref, rtol=1e-8)


def test_matches_sklearn_elasticnetcv_with_predefined_folds():
    X, y = make_problem(120, 8, seed=4)
    folds = make_folds(120, 5, seed=1)
    Xs, _, _ = standardize(X)
    res = cross_validate(
        Xs,
        y,
        folds=[folds],
        l1_ratios=[0.5, 1.0],
        n_alphas=30,
        standardize=False,
        fold_grid="common",
    )
    splits = [(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in range(5)]
    for curve in res.curves:
        sk = ElasticNetCV(
            l1_ratio=curve.l1_ratio, alphas=curve.alphas, cv=splits, tol=1e-12, max_iter=100_000
        ).fit(Xs, y)
        # scikit-learn averages fold MSEs without weighting by fold size; folds here are equal
        np.testing.assert_allclose(curve.cv_mean, sk.mse_path_.mean(axis=1), rtol=1e-6)
        assert curve.alpha_min == pytest.approx(sk.alpha_)


def test_one_se_rule_on_hand_made_curves():
    mean = np.array([5.0, 3.0, 2.2, 2.0, 2.1, 2.5])
    se = np.array([0.5, 0.4, 0.3, 0.3, 0.3, 0.3])
    assert select_indices(mean, se) == (3, 2)  # 2.2 <= 2.0 + 0.3; 3.0 is not
    flat = np.array([2.0, 2.0, 1.0, 1.0])
    assert select_indices(flat, np.zeros(4)) == (2, 2)  # the largest alpha reaching the min
    r2 = np.array([0.1, 0.57, 0.6, 0.58])  # within one se: r2 >= 0.55
    assert select_indices(r2, np.full(4, 0.05), larger_is_better=True) == (2, 1)


def test_folds_are_seeded_balanced_and_groups_never_split():
    a, b = make_folds(103, 10, seed=7), make_folds(103, 10, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, make_folds(103, 10, seed=8))
    counts = np.bincount(a)
    assert counts.max() - counts.min() <= 1
    groups = np.random.default_rng(0).integers(0, 30, size=200)
    f = make_folds(200, 5, seed=0, groups=groups)
    for g in np.unique(groups):
        assert np.unique(f[groups == g]).size == 1
    assert np.unique(f).size == 5


def test_repeats_average_curves_and_best_ratio():
    X, y = make_problem(100, 10, seed=5)
    f1, f2 = make_folds(100, 5, seed=0), make_folds(100, 5, seed=1)
    one = cross_validate(X, y, folds=[f1], l1_ratios=[1.0], n_alphas=20, fold_grid="common")
    two = cross_validate(
        X, y, folds=[f2], l1_ratios=[1.0], alphas=one.curve.alphas, fold_grid="common"
    )
    both = cross_validate(
        X, y, folds=[f1, f2], l1_ratios=[1.0], alphas=one.curve.alphas, fold_grid="common"
    )
    np.testing.assert_allclose(both.curve.cv_mean, (one.curve.cv_mean + two.curve.cv_mean) / 2)
    multi = cross_validate(X, y, folds=[f1], l1_ratios=[0.2, 1.0], n_alphas=20, fold_grid="common")
    assert multi.curve.best == min(c.best for c in multi.curves)


def test_metrics_mae_and_r2():
    X, y = make_problem(90, 6, seed=6)
    folds = make_folds(90, 3, seed=0)
    mse = cross_validate(
        X, y, folds=[folds], l1_ratios=[1.0], n_alphas=10, fold_grid="common"
    ).curve
    mae = cross_validate(
        X,
        y,
        folds=[folds],
        l1_ratios=[1.0],
        alphas=mse.alphas,
        metric="mae",
        fold_grid="common",
    ).curve
    r2 = cross_validate(
        X, y, folds=[folds], l1_ratios=[1.0], alphas=mse.alphas, metric="r2", fold_grid="common"
    ).curve
    for k in range(3):
        tr = folds != k
        path = compute_path(X[tr], y[tr], alphas=mse.alphas)
        resid = y[~tr] - (path.intercepts[:, None] + path.coefs @ X[~tr].T)
        np.testing.assert_allclose(mae.fold_errors[k], np.abs(resid).mean(axis=1), rtol=1e-9)
        # pooled: each fold's MSE against the variance of y over all rows
        np.testing.assert_allclose(
            r2.fold_errors[k], 1 - (resid**2).mean(axis=1) / y.var(), rtol=1e-8
        )
    assert r2.index_min == int(np.argmax(r2.cv_mean))
    np.testing.assert_allclose(r2.cv_mean, 1 - mse.cv_mean / y.var(), rtol=1e-10)
    np.testing.assert_allclose(mse.cv_r2, r2.cv_mean, rtol=1e-10)


def test_cv_r2_is_pooled_out_of_fold_r2():
    """With equal folds, cv R^2 equals 1 - SSE of the out-of-fold predictions / SS of y,
    as scikit-learn's r2_score on cross_val_predict gives it, even when a fold's y is constant."""
    from sklearn.metrics import r2_score

    X, y = make_problem(60, 4, seed=3)
    y[:6] = 1.0  # a fold of constant y: its own R^2 is undefined
    folds = np.repeat(np.arange(10), 6)
    curve = cross_validate(
        X, y, folds=[folds], l1_ratios=[1.0], n_alphas=8, fold_grid="common"
    ).curve
    oof = np.zeros((len(curve.alphas), len(y)))
    for k in range(10):
        tr = folds != k
        path = compute_path(X[tr], y[tr], alphas=curve.alphas)
        oof[:, ~tr] = path.intercepts[:, None] + path.coefs @ X[~tr].T
    expected = [r2_score(y, row) for row in oof]
    np.testing.assert_allclose(curve.cv_r2, expected, rtol=1e-9)
    assert np.isfinite(curve.cv_r2).all()


def test_interpolate_path_is_linear_in_alpha_and_clamps():
    from regcli.core.cv import interpolate_path

    alphas = np.array([4.0, 2.0, 1.0])
    coefs = np.array([[0.0, 0.0], [1.0, -1.0], [3.0, -2.0]])
    b0 = np.array([10.0, 9.0, 8.0])
    c, i = interpolate_path(alphas, coefs, b0, np.array([5.0, 4.0, 3.0, 1.5, 1.0, 0.5]))
    np.testing.assert_allclose(c[:, 0], [0.0, 0.0, 0.5, 2.0, 3.0, 3.0])
    np.testing.assert_allclose(i, [10.0, 10.0, 9.5, 8.5, 8.0, 8.0])


def test_own_fold_grid_is_cv_glmnet_procedure():
    from regcli.core.cv import interpolate_path

    X, y = make_problem(150, 10, seed=9)
    folds = make_folds(150, 5, seed=2)
    res = cross_validate(X, y, folds=[folds], l1_ratios=[1.0], fold_grid="own").curve
    for k in range(5):
        tr = folds != k
        own = compute_path(X[tr], y[tr])  # the fold's own default grid, early stop included
        c, b0 = interpolate_path(own.alphas, own.coefs, own.intercepts, res.alphas)
        mse = ((y[~tr][None, :] - b0[:, None] - c @ X[~tr].T) ** 2).mean(axis=1)
        np.testing.assert_allclose(res.fold_errors[k], mse, rtol=1e-9)
    common = cross_validate(X, y, folds=[folds], l1_ratios=[1.0], fold_grid="common").curve
    np.testing.assert_array_equal(res.alphas, common.alphas)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("standardize", [True, False])
def test_all_row_statistics_from_fold_sums_equal_prepare(weighted, fit_intercept, standardize):
    """CV takes the full fit's statistics from the fold sums' totals (no second pass)."""
    from regcli.core.cv import fold_sums
    from regcli.core.stats import prepare

    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 6)) * [1, 2, 3, 4, 5, 6] + [0, 10, 2, 3, 4, 5]
    X[:, 3] = 2.5  # constant: dropped with an intercept, a regular column without
    y = X @ np.arange(6) + rng.standard_normal(300)
    w = rng.uniform(0.5, 2.0, 300) if weighted else None
    sums = fold_sums(X, y, w, [make_folds(300, 5, seed=1)], fit_intercept=fit_intercept)
    std, stats = sums[0].all_rows(
        n_samples=300, fit_intercept=fit_intercept, standardize=standardize
    )
    ref_std, ref = prepare(X, y, w, fit_intercept=fit_intercept, standardize=standardize)
    np.testing.assert_array_equal(std.constant, ref_std.constant)
    np.testing.assert_allclose(std.mean, ref_std.mean, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(std.scale, ref_std.scale, rtol=1e-13)
    np.testing.assert_allclose(stats.gram, ref.gram, rtol=0, atol=1e-13)
    np.testing.assert_allclose(stats.c, ref.c, rtol=1e-12, atol=1e-13)
    assert stats.yy == pytest.approx(ref.yy, rel=1e-13)
    assert stats.n_samples == ref.n_samples


def test_one_grid_per_ratio_equals_separate_runs():
    X, y = make_problem(120, 9, seed=11)
    folds = [make_folds(120, 4, seed=5)]
    g1 = np.geomspace(2.0, 0.01, 12)
    g2 = np.geomspace(0.5, 0.002, 17)
    both = cross_validate(
        X, y, folds=folds, l1_ratios=[0.5, 1.0], alphas=[g1, g2], fold_grid="common"
    )
    for ratio, grid, curve in zip([0.5, 1.0], [g1, g2], both.curves):
        alone = cross_validate(
            X, y, folds=folds, l1_ratios=[ratio], alphas=grid, fold_grid="common"
        ).curve
        np.testing.assert_array_equal(curve.alphas, grid)
        np.testing.assert_allclose(curve.fold_errors, alone.fold_errors, rtol=1e-10)
    with pytest.raises(ValueError, match="one grid per l1 ratio"):
        cross_validate(X, y, folds=folds, l1_ratios=[0.5, 1.0], alphas=[g1], fold_grid="common")


def test_cv_on_a_gram_batches_the_fold_paths_and_matches_them_one_by_one(monkeypatch):
    """The batched fold paths give what the sequential solver gives, fold by fold."""
    from regcli.core import cv

    X, y = make_problem(200, 12, seed=12, rho=0.7)
    folds = [make_folds(200, 5, seed=1)]
    kw = dict(folds=folds, l1_ratios=[0.3, 1.0], fold_grid="own")
    batched = cross_validate(X, y, **kw)
    calls = []
    real = cv.solve_paths
    monkeypatch.setattr(cv, "solve_paths", lambda *a, **k: calls.append(1) or real(*a, **k))
    cross_validate(X, y, **kw)
    assert calls  # the Gram case goes through the batch

    def one_by_one(specs, *, tol, max_iter):
        return [
            cv.solve_path(s.stats, s.alphas, s.l1_ratio, tol=tol, early_stop=s.early_stop)
            for s in specs
        ]

    monkeypatch.setattr(cv, "solve_specs", one_by_one)
    sequential = cross_validate(X, y, **kw)
    for a, b in zip(batched.curves, sequential.curves):
        np.testing.assert_array_equal(a.alphas, b.alphas)
        np.testing.assert_allclose(a.fold_errors, b.fold_errors, rtol=1e-10)
        np.testing.assert_array_equal(a.fold_support, b.fold_support)
        assert (a.index_min, a.index_1se) == (b.index_min, b.index_1se)


def test_large_grams_are_batched_in_chunks_with_the_same_results(monkeypatch):
    from regcli.core import cv

    X, y = make_problem(150, 10, seed=13)
    kw = dict(folds=[make_folds(150, 5, seed=4)], l1_ratios=[0.5, 1.0], n_alphas=20)
    whole = cross_validate(X, y, **kw, fold_grid="common")
    sizes = []
    real = cv.solve_paths
    monkeypatch.setattr(
        cv, "solve_paths", lambda p, *a, **k: sizes.append(len(p)) or real(p, *a, **k)
    )
    # two Grams of 10 features, each with room for its inverse and eigenvectors
    monkeypatch.setattr(cv, "BATCH_GRAM_BYTES", 3 * 2 * 8 * 11**2)
    chunked = cross_validate(X, y, **kw, fold_grid="common")
    assert sizes and max(sizes) <= 4  # two folds' Grams, each with its two ratios
    for a, b in zip(whole.curves, chunked.curves):
        np.testing.assert_allclose(a.fold_errors, b.fold_errors, rtol=1e-10)
    assert cv._batches([0, 1, 2, 3], [7, 8, 7, 9], 10) == [[0, 1, 2], [3]]
    # above SPECTRAL_MAX_FEATURES a Gram needs no room for the dense-end stacks
    m = cv.SPECTRAL_MAX_FEATURES + 1
    monkeypatch.setattr(cv, "BATCH_GRAM_BYTES", 2 * 8 * (m + 1) ** 2)
    assert cv._batches([0, 1, 2], [7, 8, 9], m) == [[0, 1], [2]]


@pytest.mark.parametrize("jobs", [1, 2])
def test_wide_ratios_after_the_first_solve_their_full_fits_beside_the_folds(jobs, monkeypatch):
    """On the lazy source the full fits of the second and later ratios run as tasks with the
    folds (scored on their whole grid, cut where the fit stopped early): the curves equal
    separate runs, which solve the full fit first, for any number of processes."""
    from regcli.core import cv

    monkeypatch.setattr(cv, "PARALLEL_MIN_SECONDS", 0.0)  # fork even for this small problem
    X, y = make_problem(40, 120, seed=8, rho=0.5)
    folds = [make_folds(40, 4, seed=2)]
    ratios = [0.9, 0.3, 1.0]
    together = cross_validate(X, y, folds=folds, l1_ratios=ratios, jobs=jobs)
    for ratio, curve in zip(ratios, together.curves):
        alone = cross_validate(X, y, folds=folds, l1_ratios=[ratio], jobs=1).curve
        np.testing.assert_array_equal(curve.alphas, alone.alphas)
        np.testing.assert_array_equal(curve.fold_errors, alone.fold_errors)
        np.testing.assert_array_equal(curve.fold_support, alone.fold_support)
        assert (curve.index_min, curve.index_1se) == (alone.index_min, alone.index_1se)
    # one of the later fits stopped early: its folds' scores were cut
    assert min(c.alphas.size for c in together.curves[1:]) < 100


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"fit_intercept": False},
        {"standardize": False},
        {"weights": "varied"},
        {"metric": "mae"},
        {"fold_grid": "common"},
        {"lanczos": True},  # (72 training rows: below LANCZOS_MIN_SAMPLES otherwise)
        {"lanczos": True, "weights": "varied"},
    ],
)
def test_wide_ridge_folds_from_the_kernel_equal_the_ridge_paths(options, monkeypatch):
    import regcli.core.cv as cv_module
    from regcli.core import ridge

    options = dict(options)
    if options.pop("lanczos", False):
        monkeypatch.setattr(ridge, "LANCZOS_MIN_SAMPLES", 0)

    X, y = make_problem(90, 400, seed=17)
    X[:, 7] = 2.0  # constant: dropped with an intercept, so never in a fold's support
    if options.get("weights") == "varied":
        options = {"weights": np.random.default_rng(3).uniform(0.2, 2.0, 90)}
    folds = [make_folds(90, 5, seed=1)]
    kernel = cross_validate(X, y, folds=folds, l1_ratios=[0.0], jobs=1, **options)
    monkeypatch.setattr(cv_module, "_kernel_ridge", lambda stats: False)
    paths = cross_validate(X, y, folds=folds, l1_ratios=[0.0], jobs=1, **options)
    a, b = kernel.curves[0], paths.curves[0]
    assert np.array_equal(a.alphas, b.alphas)
    assert np.allclose(a.cv_mean, b.cv_mean, rtol=1e-11, atol=0.0)
    assert np.allclose(a.fold_errors, b.fold_errors, rtol=1e-10, atol=0.0)
    assert np.array_equal(a.fold_support, b.fold_support)
    assert a.fold_support[:, :, 7].any() == (options.get("fit_intercept") is False)


def test_fold_errors_near_the_float64_maximum_have_a_finite_standard_error():
    """Squared deviations of errors of 1e300 overflow: the mean and standard error come from
    the scaled form instead (fuzzer seed 35: overflow warnings, null se); an infinite error
    (a fold's predictions overflowed) gives an infinite mean and no standard error, so that
    compare's verdict never counts such a model within one standard error of the best."""
    from regcli.core.cv import fold_mean_se

    e = np.array([[1e300, 1.0, np.inf], [3e300, 2.0, 1.0], [2e300, 3.0, 1.0]])
    fw = np.array([10.0, 10.0, 10.0])
    m, se = fold_mean_se([e], [fw])
    assert m[0] == pytest.approx(2e300) and se[0] == pytest.approx(np.sqrt(2 / 3 / 2) * 1e300)
    assert m[1] == pytest.approx(2.0) and se[1] == pytest.approx(np.sqrt(2 / 3 / 2))
    assert m[2] == np.inf and np.isnan(se[2])


def test_a_squared_error_beyond_float64_is_infinite_without_a_warning():
    from regcli.core.family import GAUSSIAN

    d = GAUSSIAN.unit_deviance(np.array([1e300, 1.0]), np.array([-1e300, 3.0]))
    assert d[0] == np.inf and d[1] == 4.0


@pytest.mark.parametrize("l1_ratio", [1.0, 0.0])
@pytest.mark.parametrize("metric", ["mse", "mae"])
def test_a_heldout_row_far_outside_the_training_range_scores_as_an_infinite_error(l1_ratio, metric):
    """Leaving out the one row where a column is 1e300 (the others near 1e-100) standardizes
    that row to beyond the float range: its predictions overflow (to NaN where they meet a
    zero).  Its errors are infinite, never NaN, with no floating-point warning (the suite
    turns warnings into errors).  The lasso keeps that column out at its larger alphas, where
    the curve stays finite and chooses; ridge uses it at every alpha, so every mean is
    infinite (and an alpha is still chosen)."""
    X = np.array(  # more columns than rows: the wide routes (ridge from the fold's kernel)
        [
            [2e-100, 71.021, 0.0, 0.0, 0.0, 1.0],
            [1e-100, 0.0, -4.0e-249, 0.0, 1.0, 0.0],
            [1e300, 32.627, -0.0, 0.0, 0.0, 1.0],
            [2e-100, 59.132, 7.5e-251, 1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        ]
    )
    y = np.array([1e-8, 0.0, 0.0, -0.0, 0.0])
    folds = [np.arange(5)]
    res = cross_validate(X, y, folds=folds, l1_ratios=[l1_ratio], metric=metric)
    curve = res.curves[0]
    assert not np.isnan(curve.cv_mean).any()
    assert not np.isnan(curve.fold_errors).any()
    assert np.isinf(curve.fold_errors[2]).any()  # the fold that left out the 1e300 row
    if l1_ratio == 1.0:
        assert np.isfinite(curve.cv_mean[curve.index_min])
    else:
        assert np.isinf(curve.cv_mean).all() and 0 <= curve.index_min < curve.cv_mean.size


def testheldout_errors_count_overflowed_predictions_as_infinite_but_not_at_weight_zero():
    from regcli.core.cv import heldout_errors

    y = np.array([1.0, 2.0, 3.0])
    pred = np.array([[1.5, 2.0, 2.5], [np.nan, 2.0, 3.0], [1.0, np.inf, 3.0]])
    mse, mae = heldout_errors(y, pred, np.full(3, 1 / 3))
    np.testing.assert_allclose([mse[0], mae[0]], [0.5 / 3, 1.0 / 3])
    assert mse[1] == mae[1] == mse[2] == mae[2] == np.inf
    mse, mae = heldout_errors(y, pred, np.array([0.0, 0.5, 0.5]))  # the NaN row weighs 0
    assert mse[1] == mae[1] == 0.0 and mse[2] == np.inf


@pytest.mark.parametrize("metric", ["mse", "mae"])
@pytest.mark.parametrize("shape", [(60, 5), (30, 80)])
def test_a_fold_of_weight_zero_counts_for_nothing(metric, shape):
    """Rows of weight 0 change no fit; where they make up a whole held-out fold, that fold's
    error counts for nothing (no NaN from 0 / 0): the curve equals the cv without those rows."""
    X, y = make_problem(*shape, seed=4)
    n = shape[0]
    folds = np.arange(n) % 4
    w = np.ones(n)
    w[folds == 0] = 0.0
    alphas = cross_validate(X, y, folds=[folds], l1_ratios=[1.0]).curves[0].alphas
    full = cross_validate(
        X, y, weights=w, folds=[folds], l1_ratios=[1.0], metric=metric, alphas=alphas
    )
    kept = folds != 0
    ref = cross_validate(
        X[kept],
        y[kept],
        folds=[folds[kept] - 1],
        l1_ratios=[1.0],
        metric=metric,
        alphas=alphas,
    )
    assert not np.isnan(full.curves[0].cv_mean).any()
    np.testing.assert_allclose(full.curves[0].cv_mean, ref.curves[0].cv_mean, rtol=1e-6)


def test_pooled_r2_of_a_target_variance_near_underflow_is_minus_infinity_without_warning():
    """A target of values like 1e-160 and 5e-324 (fuzzer seed 75) has a variance near the
    bottom of float64: a held-out error that dwarfs it is an R^2 of -inf (null in JSON), not an
    overflow warning."""
    import warnings

    from regcli.core.cv import pooled_r2

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r2 = pooled_r2(np.array([1e-5, 0.0, 1e-320]), 1e-315)
    assert r2[0] == -np.inf and r2[1] == 1.0 and np.isfinite(r2[2])
