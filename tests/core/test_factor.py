"""The active-set factor's updates against factorizations from scratch."""

import numpy as np
import pytest
from scipy.linalg import lapack

from regcli.core import factor as factor_module
from regcli.core.factor import Factor
from regcli.core.stats import thin_product


def _factor(M: np.ndarray) -> np.ndarray:
    L, info = lapack.dpotrf(M, lower=1, clean=1)
    assert info == 0
    return L


def _clean_outside(F: Factor) -> bool:
    """Everything in the buffer but L's lower triangle is exactly zero."""
    outside = F.buf.copy()
    outside[: F.k, : F.k] -= np.tril(F.L)
    return not outside.any()


@pytest.fixture(params=["pointers", "copies"])
def blas_route(request, monkeypatch):
    """Both routes to the triangular solves: SciPy's C function pointers, and the NumPy copies
    that small factors use while SciPy is not loaded."""
    if request.param == "copies":
        monkeypatch.setattr(factor_module, "_fast", lambda: None)
    return request.param


@pytest.mark.parametrize("k", [1, 2, 5, 40, 150])
def test_delete_matches_a_new_factorization(k: int, blas_route: str) -> None:
    rng = np.random.default_rng(k)
    A = rng.standard_normal((k + 20, k))
    M = A.T @ A
    L = _factor(M)
    for i in sorted({0, k // 3, k // 2, k - 1}):
        keep = np.arange(k) != i
        expected = np.linalg.cholesky(M[np.ix_(keep, keep)])
        F = Factor(L, limit=k + 7)
        F.delete(i)
        assert F.k == k - 1
        np.testing.assert_allclose(F.L, expected, rtol=0, atol=1e-12 * np.abs(M).max())
        assert _clean_outside(F)  # the upper triangle and the spare room stay exactly zero


def test_repeated_deletes_and_appends_stay_accurate_on_correlated_columns(
    blas_route: str,
) -> None:
    """Deletions anywhere and appends of blocks (growing the buffer past its room) keep L L'
    equal to the Gram block of the columns in the factor."""
    rng = np.random.default_rng(3)
    A = rng.standard_normal((300, 90)) + 3.0 * rng.standard_normal((300, 1))  # rho ~ 0.9
    M = A.T @ A
    idx = list(range(60))
    F = Factor(_factor(M[np.ix_(idx, idx)]), limit=90)
    spare = list(range(60, 90))
    for step in range(40):
        if step % 3 == 2 and spare:
            new = [spare.pop() for _ in range(min(len(spare), int(rng.integers(1, 5))))]
            B = M[np.ix_(idx, new)]
            W = F.tri(B)
            L22 = _factor(M[np.ix_(new, new)] - W.T @ W)
            F.append(W, L22)
            idx += new
        else:
            i = int(rng.integers(len(idx)))
            F.delete(i)
            spare.append(idx.pop(i))
        assert F.k == len(idx)
        sub = M[np.ix_(idx, idx)]
        assert np.abs(F.L @ F.L.T - sub).max() <= 1e-12 * np.abs(sub).max()
        assert _clean_outside(F)


def test_a_factor_grows_from_empty() -> None:
    rng = np.random.default_rng(5)
    A = rng.standard_normal((50, 40))
    M = A.T @ A
    F = Factor(np.zeros((0, 0)), limit=40)
    for start in range(0, 40, 8):
        new = list(range(start, start + 8))
        W = F.tri(M[:start, new]) if start else None
        S = M[np.ix_(new, new)] - (W.T @ W if W is not None else 0.0)
        F.append(W, _factor(S))
    assert F.buf.shape[0] <= 40  # never beyond the limit
    np.testing.assert_allclose(F.L, np.linalg.cholesky(M), rtol=0, atol=1e-11)


def test_single_rows_grow_a_factor_from_empty(blas_route: str) -> None:
    """``append_row`` (one entering column: its pivot) past the buffer's room, mixed with
    deletions, against NumPy's factor of the same block."""
    rng = np.random.default_rng(6)
    A = rng.standard_normal((60, 45)) + rng.standard_normal((60, 1))
    M = A.T @ A
    F = Factor(np.zeros((0, 0)), limit=20)  # grows past its limit when asked to
    idx: list[int] = []
    for j in range(45):
        w = F.tri(M[idx, j]) if idx else None
        F.append_row(w, float(np.sqrt(M[j, j] - (w @ w if w is not None else 0.0))))
        idx.append(j)
        if j % 7 == 6:
            F.delete(2)
            idx.pop(2)
    assert F.k == len(idx)
    sub = M[np.ix_(idx, idx)]
    np.testing.assert_allclose(F.L, np.linalg.cholesky(sub), rtol=0, atol=1e-11 * np.abs(sub).max())
    assert _clean_outside(F)


@pytest.mark.parametrize("cols", [1, 2, 4, 7])
def test_thin_product_is_the_matrix_product(cols: int) -> None:
    rng = np.random.default_rng(cols)
    A = rng.standard_normal((30, 12))
    M = rng.standard_normal((12, cols))
    np.testing.assert_allclose(thin_product(A, M), A @ M, rtol=1e-14, atol=1e-13)
    np.testing.assert_allclose(thin_product(A, M[:, 0]), A @ M[:, 0], rtol=1e-14, atol=1e-13)


@pytest.mark.parametrize("shape", [(9,), (9, 1), (9, 2), (9, 5)])
def test_solves_with_the_factor_match_numpy(shape: tuple[int, ...], blas_route: str) -> None:
    # one or two right-hand sides go through BLAS trsv, more through trsm: same answers, on a
    # factor with spare room (a leading dimension above k) as on an exact one
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    A = rng.standard_normal((30, 9))
    M = A.T @ A
    L = _factor(M)
    rhs = rng.standard_normal(shape)
    before = rhs.copy()
    lower = np.tril(L)
    for F in (Factor(L, limit=9), Factor(np.zeros((0, 0)), limit=13)):
        if F.k == 0:
            F.append(None, L)
        np.testing.assert_allclose(F.solve(rhs), np.linalg.solve(M, rhs), rtol=1e-10)
        np.testing.assert_allclose(F.tri(rhs), np.linalg.solve(lower, rhs), rtol=1e-10)
        np.testing.assert_allclose(F.tri(rhs, True), np.linalg.solve(lower.T, rhs), rtol=1e-10)
        np.testing.assert_array_equal(rhs, before)  # the right-hand side is left alone


@pytest.mark.parametrize("lam2", [0.0, 0.3])
def test_kept_columns_on_the_lazy_source_follow_appends_and_removals(
    lam2: float, blas_route: str
) -> None:
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


def test_scipys_blas_pointers_are_used_and_their_signatures_checked() -> None:
    """The fast route is the one tested here (SciPy exports dtrsv and dtrsm), and a routine
    whose capsule signature does not spell the expected arguments is refused, not called."""
    from scipy.linalg import cython_blas

    assert factor_module._fast() is not None
    assert factor_module._routine(cython_blas, "dtrsv", "cccididi") is not None
    assert factor_module._routine(cython_blas, "dtrsv", "cccidiid") is None  # wrong order
    assert factor_module._routine(cython_blas, "dtrsv", "cccididii") is None  # one too many
    assert factor_module._routine(cython_blas, "no_such_routine", "c") is None


def test_a_refactorization_lost_to_rounding_falls_back_on_deletions(monkeypatch) -> None:
    """When the kept block's new Cholesky factorization fails (rounding on near-collinear
    columns), removals go through deletions from the existing factor instead of an error."""
    from regcli.core.activeset import ActiveSet
    from regcli.core.stats import prepare

    rng = np.random.default_rng(12)
    X = rng.standard_normal((60, 30))
    _, stats = prepare(
        X, rng.standard_normal(60), None, fit_intercept=True, standardize=True, gram=True
    )
    coef = np.zeros(30)
    coef[:12] = 1.0
    act = ActiveSet(stats, coef, 0.0)
    monkeypatch.setattr(ActiveSet, "_factor", lambda self, idx, kept=False: None)
    mask = np.zeros(act.idx.size, dtype=bool)
    mask[::3] = True
    act.keep(mask)
    assert act.idx.tolist() == list(range(0, 12, 3))
    M = stats.block(act.idx, act.idx)
    np.testing.assert_allclose(act.L @ act.L.T, M, rtol=0, atol=1e-12)


def test_the_active_set_solve_ends_on_nan_statistics() -> None:
    """NaN in the statistics (an overflow upstream) ends the solve unconverged: no hang."""
    from regcli.core.activeset import solve_enet
    from regcli.core.penalty import ElasticNet
    from regcli.core.stats import GramStats

    G = np.eye(4)
    c = np.array([1.0, np.nan, 0.5, 2.0])
    sol = solve_enet(
        GramStats(G, c, 5.0, 10), ElasticNet(0.1, 1.0), np.zeros(4), tol=1e-9, max_iter=50
    )
    assert not sol.converged and sol.n_iter <= 50
