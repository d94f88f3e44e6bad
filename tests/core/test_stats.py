"""The two statistics sources: the lazy one (X~ kept) against the dense Gram's one pass."""

import numpy as np
import pytest

from regcli.core.stats import prepare


@pytest.mark.parametrize("weights", ["none", "uniform", "varied", "zero_rows"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("order", ["C", "F"])
def test_lazy_source_equals_the_gram_one(weights, fit_intercept, standardize, order):
    rng = np.random.default_rng(7)
    n = 60
    X = rng.standard_normal((n, 8)) * [1, 2, 3, 4, 5, 6, 7, 8] + [0, 10, 2, 3, 4, 5, 1e6, 0]
    X[:, 3] = 2.5  # constant: dropped with an intercept, a regular column without
    X[:, 7] = 0.0  # zero: dropped either way
    w = {
        "none": None,
        "uniform": np.full(n, 3.0),
        "varied": rng.uniform(0.5, 2.0, n),
        "zero_rows": np.r_[np.zeros(5), rng.uniform(0.5, 2.0, n - 5)],
    }[weights]
    if weights == "zero_rows":
        X[:5, 5] = 99.0  # differs only on rows without weight
        X[5:, 5] = -1.0  # ... so constant where it counts
    X = np.asarray(X, order=order)
    y = X[:, :3] @ [1.0, -2.0, 0.5] + rng.standard_normal(n)
    kw = dict(fit_intercept=fit_intercept, standardize=standardize)
    std, lazy = prepare(X, y, w, gram=False, **kw)
    ref_std, ref = prepare(X, y, w, gram=True, **kw)
    np.testing.assert_array_equal(std.constant, ref_std.constant)
    assert std.constant[7] and std.constant[3] == fit_intercept
    if weights == "zero_rows":
        assert std.constant[5] == fit_intercept
    np.testing.assert_allclose(std.mean, ref_std.mean, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(std.scale, ref_std.scale, rtol=1e-12)
    assert std.y_mean == pytest.approx(ref_std.y_mean, rel=1e-13, abs=1e-13)
    assert lazy.Xs.flags.f_contiguous
    scale = np.abs(ref.gram).max()
    np.testing.assert_allclose(lazy.Xs.T @ lazy.Xs, ref.gram, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(lazy.c, ref.c, rtol=1e-10, atol=1e-12 * np.abs(ref.c).max())
    assert lazy.yy == pytest.approx(ref.yy, rel=1e-12)
    assert (lazy.n_samples, lazy.n_features) == (n, ref.n_features)


def test_symmetric_from_upper_completes_a_syrk_accumulation():
    from scipy.linalg import blas

    from regcli.core.moments import symmetric_from_upper

    rng = np.random.default_rng(3)
    B = rng.standard_normal((50, 7))
    C = np.zeros((7, 7), order="F")
    C = blas.dsyrk(1.0, B.T, beta=1.0, c=C, trans=0, overwrite_c=1)
    assert not np.tril(C, -1).any()  # syrk leaves the strict lower triangle alone
    S = symmetric_from_upper(C)
    np.testing.assert_array_equal(S, S.T)
    np.testing.assert_allclose(S, B.T @ B, rtol=1e-13)


def test_prescaled_columns_give_the_same_standardized_problem():
    """Columns far outside float64's comfort are divided by powers of two before squaring:
    the statistics equal those of the unscaled columns, the standardization maps back."""
    from regcli.core.cv import fold_sums
    from regcli.core.stats import prepare, prescale

    rng = np.random.default_rng(5)
    X = rng.standard_normal((50, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + rng.standard_normal(50)
    odd = X.copy()
    odd[:, 1] *= 3e160
    odd[:, 3] *= 1e-290
    assert prescale(X, True) is None and prescale(odd, False) is None
    for gram in (True, False):
        std_a, st_a = prepare(X, y, None, fit_intercept=True, standardize=True, gram=gram)
        std_b, st_b = prepare(odd, y, None, fit_intercept=True, standardize=True, gram=gram)
        np.testing.assert_allclose(st_b.c, st_a.c, rtol=1e-12)
        np.testing.assert_allclose(std_b.scale / std_a.scale, [1, 3e160, 1, 1e-290], rtol=1e-12)
    folds = [np.arange(50) % 5]
    a = fold_sums(X, y, None, folds, fit_intercept=True)[0]
    b = fold_sums(odd, y, None, folds, fit_intercept=True)[0]
    sa, ga = a.training(2, fit_intercept=True, standardize=True, constant=np.zeros(4, bool))
    sb, gb = b.training(2, fit_intercept=True, standardize=True, constant=np.zeros(4, bool))
    np.testing.assert_allclose(gb.gram, ga.gram, rtol=1e-12, atol=1e-15)
    coef = np.array([[0.5, -1.0, 0.2, 0.1]])
    scaled = coef / np.array([1, 3e160, 1, 1e-290])
    np.testing.assert_allclose(
        b.heldout_mse(2, scaled, np.array([0.3])),
        a.heldout_mse(2, coef, np.array([0.3])),
        rtol=1e-12,
    )


@pytest.mark.parametrize("gram", [True, False])
def test_a_single_extreme_value_the_sample_misses_is_still_prescaled(gram):
    """Prescaling is decided on a sample of rows; a value it misses makes a statistic
    non-finite (or a column look constant), and a full scan then finds it."""
    from regcli.core.cv import fold_sums
    from regcli.core.stats import prepare

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60_000, 3))
    X[12_345, 1] = 1e200
    y = X[:, 0] + rng.standard_normal(60_000)
    std, stats = prepare(X, y, None, fit_intercept=True, standardize=True, gram=gram)
    assert not std.constant.any() and np.isfinite(stats.c).all()
    sd = np.sqrt(np.mean((X[:, 1] / 1e200 - np.mean(X[:, 1] / 1e200)) ** 2)) * 1e200
    assert std.scale[1] == pytest.approx(sd, rel=1e-9)
    sums = fold_sums(X, y, None, [np.arange(60_000) % 5], fit_intercept=True)[0]
    s, g = sums.all_rows(n_samples=60_000, fit_intercept=True, standardize=True)
    assert s.scale[1] == pytest.approx(sd, rel=1e-9) and np.isfinite(g.gram).all()


@pytest.mark.parametrize("gram", [True, False])
def test_a_column_whose_spread_is_subnormal_on_these_rows_is_constant(gram):
    """A training fold where a column holds only 0 and 5e-324: prescaled it looks healthy,
    but its scale on the original values is not a normal number (coefficients would be
    infinite); it counts as constant (fuzzer seed 35: divide-by-zero warnings in cv)."""
    from regcli.core.stats import prepare

    X = np.array([[0.0, 1.0, 2.0], [5e-324, 2.0, -1.0], [0.0, 3.0, 0.5], [5e-324, 0.5, 1.0]])
    y = np.array([1.0, 2.0, 0.0, 3.0])
    std, stats = prepare(X, y, None, fit_intercept=True, standardize=True, gram=gram)
    assert std.constant.tolist() == [True, False, False]
    assert np.all(std.scale >= np.finfo(float).tiny)
    coef, _ = std.to_original(np.ones((1, stats.n_features)))
    assert np.isfinite(coef).all()


def test_close_gaps_removes_columns_in_place_and_in_order():
    from regcli.core.stats import close_gaps

    rng = np.random.default_rng(0)
    for _ in range(200):
        k = int(rng.integers(1, 30))
        buf = np.asfortranarray(rng.standard_normal((4, k + 5)))
        keep = rng.uniform(size=k) < 0.6
        if keep.all():
            continue
        expected = buf[:, :k][:, keep].copy()
        close_gaps(buf, np.flatnonzero(~keep), k)
        np.testing.assert_array_equal(buf[:, : keep.sum()], expected)


@pytest.mark.parametrize("scale", [1.0, 1e-150, 1e150])
def test_screened_gradient_is_exact_wherever_a_kkt_check_could_look(monkeypatch, scale):
    from regcli.core import stats as stats_module
    from regcli.core.stats import LazyStats

    monkeypatch.setattr(stats_module, "SCREENED_GRADIENT_FROM", 0)
    monkeypatch.setattr(stats_module, "SCREENED_AFTER", 1)
    rng = np.random.default_rng(3)
    n, p = 200, 1500
    X = rng.standard_normal((n, p)) + 0.5 * rng.standard_normal((n, 1))
    X -= X.mean(axis=0)
    X /= np.sqrt((X * X).sum(axis=0))
    z = rng.standard_normal(n) * scale
    stats = LazyStats(np.asfortranarray(X), z - z.mean())
    active = np.array([3, 17, 400, 1499])
    fit = X[:, active] @ (rng.standard_normal(4) * scale)
    exact = stats.c - X.T @ fit
    for quantile in (0.5, 0.99, 1.0):
        lam1 = float(np.quantile(np.abs(exact), quantile))
        grad, error = stats.screened_gradient(fit, lam1, active, np.asfortranarray(X[:, active]))
        near = np.abs(exact) >= lam1  # at or above: a violation, or the check's boundary
        near[active] = True
        # exact (to double rounding) wherever the check could find a violation ...
        size = np.abs(stats.c).max() + np.abs(X.T @ fit).max()  # the rounding's yardstick
        assert np.allclose(grad[near], exact[near], rtol=0.0, atol=1e-13 * size)
        # ... and elsewhere below lam1 and close to the exact value
        assert (np.abs(grad[~near]) <= lam1).all()
        residual = np.linalg.norm(stats.zs - fit)
        assert (np.abs(grad - exact) <= 1e-4 * residual).all()
        if quantile > 0.5:  # few features near lam1: the single-precision product served
            assert error is not None and not np.array_equal(grad[~near], exact[~near])
            assert (error[near] == 0.0).all() and (
                np.abs(grad - exact) <= error + 1e-13 * size
            ).all()
            assert (np.abs(grad) + error <= lam1)[error > 0].all()  # each bound places it


def test_lazy_statistics_are_freed_as_soon_as_they_are_dropped():
    """No reference cycle keeps X~ alive until the cyclic collector runs: paths make and drop
    such statistics, and memory that comes back late costs fresh pages (a cycle through the
    screening copy once made a wide elastic-net path 1.2x slower)."""
    import gc
    import weakref

    from regcli.core.family import BINOMIAL
    from regcli.core.glm import glm_problem
    from regcli.core.stats import LazyStats

    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.standard_normal((50, 300)))
    gc.disable()
    try:
        stats = LazyStats(X, rng.standard_normal(50))
        stats.largest_column_norm2  # noqa: B018 (the norms are kept)
        ref = weakref.ref(stats)
        del stats
        assert ref() is None
        y = (rng.uniform(size=50) < 0.5).astype(float)
        _, prob = glm_problem(X, y, BINOMIAL, None, fit_intercept=True, standardize=True)
        prob.single.column_norms2  # noqa: B018
        ref = weakref.ref(prob)
        del prob
        assert ref() is None
    finally:
        gc.enable()


@pytest.mark.parametrize("shape", [(3000, 50), (700, 300), (5, 4), (1, 1), (0, 3)])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_centered_fortran_equals_the_plain_centered_copy(shape, layout):
    """The blocked copy into Fortran order gives X - mean exactly, for C- and Fortran-ordered X
    and a non-contiguous view, with several blocks of rows and with fewer rows than a block."""
    from regcli.core import stats

    rng = np.random.default_rng(5)
    n, p = shape
    base = rng.standard_normal((n, 2 * p))
    X = {"C": np.ascontiguousarray(base[:, :p]), "F": np.asfortranarray(base[:, :p])}.get(
        layout, base[:, ::2]
    )
    mean = rng.standard_normal(p)
    out = stats.centered_fortran(X, mean)
    assert out.flags.f_contiguous
    np.testing.assert_array_equal(out, X - mean)
    if shape == (3000, 50):
        assert stats.TRANSPOSE_BLOCK // p < n  # the case of several blocks
