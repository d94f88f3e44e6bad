"""The active-set factor's updates against factorizations from scratch."""

import numpy as np
import pytest
from scipy.linalg import lapack

from regcli.core.activeset import _delete, _solve, _tri
from regcli.core.stats import thin_product


def _factor(M: np.ndarray) -> np.ndarray:
    L, info = lapack.dpotrf(M, lower=1, clean=1)
    assert info == 0
    return L


@pytest.mark.parametrize("k", [1, 2, 5, 40, 150])
def test_delete_matches_a_new_factorization(k: int) -> None:
    rng = np.random.default_rng(k)
    A = rng.standard_normal((k + 20, k))
    M = A.T @ A
    L = _factor(M)
    for i in sorted({0, k // 3, k // 2, k - 1}):
        keep = np.arange(k) != i
        expected = np.linalg.cholesky(M[np.ix_(keep, keep)])
        got = _delete(L, i)
        assert got.shape == (k - 1, k - 1)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(M).max())
        assert not np.triu(got, 1).any()  # the upper triangle stays exactly zero


def test_repeated_deletes_stay_accurate_on_correlated_columns() -> None:
    rng = np.random.default_rng(3)
    k = 60
    A = rng.standard_normal((200, k)) + 3.0 * rng.standard_normal((200, 1))  # rho ~ 0.9
    M = A.T @ A
    L = _factor(M)
    idx = np.arange(k)
    for _ in range(30):
        i = int(rng.integers(idx.size))
        L = _delete(L, i)
        idx = np.delete(idx, i)
    R = L @ L.T
    sub = M[np.ix_(idx, idx)]
    assert np.abs(R - sub).max() <= 1e-12 * np.abs(sub).max()


@pytest.mark.parametrize("cols", [1, 2, 4, 7])
def test_thin_product_is_the_matrix_product(cols: int) -> None:
    rng = np.random.default_rng(cols)
    A = rng.standard_normal((30, 12))
    M = rng.standard_normal((12, cols))
    np.testing.assert_allclose(thin_product(A, M), A @ M, rtol=1e-14, atol=1e-13)
    np.testing.assert_allclose(thin_product(A, M[:, 0]), A @ M[:, 0], rtol=1e-14, atol=1e-13)


@pytest.mark.parametrize("shape", [(9,), (9, 1), (9, 2), (9, 5)])
def test_solves_with_the_factor_match_numpy(shape: tuple[int, ...]) -> None:
    # one or two right-hand sides go through BLAS trsv, more through LAPACK: same answers
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    A = rng.standard_normal((30, 9))
    M = A.T @ A
    L = _factor(M)
    rhs = rng.standard_normal(shape)
    np.testing.assert_allclose(_solve(L, rhs), np.linalg.solve(M, rhs), rtol=1e-10)
    lower = np.tril(L)
    np.testing.assert_allclose(_tri(L, rhs), np.linalg.solve(lower, rhs), rtol=1e-10)
    np.testing.assert_allclose(_tri(L, rhs, trans=1), np.linalg.solve(lower.T, rhs), rtol=1e-10)
    before = rhs.copy()
    _solve(L, rhs)
    _tri(L, rhs)
    np.testing.assert_array_equal(rhs, before)  # the right-hand side is left alone


@pytest.mark.parametrize("lam2", [0.0, 0.3])
def test_kept_columns_on_the_lazy_source_follow_appends_and_removals(lam2: float) -> None:
    """ActiveSet keeps X~_A side by side on wide data: blocks, products and refactorizations
    from it equal those from X~ itself after any sequence of appends and removals."""
    from regcli.core.activeset import ActiveSet
    from regcli.core.stats import prepare

    rng = np.random.default_rng(11)
    n, p = 40, 120
    X = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    _, stats = prepare(X, y, None, fit_intercept=True, standardize=True, gram=False)
    coef = np.zeros(p)
    coef[[3, 50, 7]] = [1.0, -2.0, 0.5]
    act = ActiveSet(stats, coef, lam2)
    for step in range(12):
        new = rng.choice(np.setdiff1d(np.arange(p), act.idx), size=int(rng.integers(1, 4)))
        new = np.unique(new)
        if act.idx.size + new.size < n - 2:
            block = act.entering_block(new)
            np.testing.assert_allclose(
                block, stats.block(np.concatenate([act.idx, new]), new), rtol=1e-13, atol=1e-15
            )
            assert act.append_block(new, np.ones(new.size), block)
        if step % 3 == 2 and act.idx.size > 2:  # drop a few from the middle
            mask = np.ones(act.idx.size, dtype=bool)
            mask[rng.choice(act.idx.size, size=2, replace=False)] = False
            act.keep(mask)
        M = stats.block(act.idx, act.idx) + lam2 * np.eye(act.idx.size)
        np.testing.assert_allclose(act.L @ act.L.T, M, rtol=0, atol=1e-12)
        x = rng.standard_normal(act.idx.size)
        np.testing.assert_allclose(act._times(x), stats.times(act.idx, x), rtol=1e-12, atol=1e-14)
    # many removals at once take the refactorization, from the kept columns
    mask = np.zeros(act.idx.size, dtype=bool)
    mask[::4] = True
    act.keep(mask)
    M = stats.block(act.idx, act.idx) + lam2 * np.eye(act.idx.size)
    np.testing.assert_allclose(act.L @ act.L.T, M, rtol=0, atol=1e-12)
