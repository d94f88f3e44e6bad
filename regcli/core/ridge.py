"""Ridge (l1_ratio = 0) in closed form on the standardized problem.

b(lam2) = (G + lam2 I)^{-1} c.  One eigendecomposition gives the whole path: of G (p x p) where
the Gram is formed, G = Q diag(d) Q' and b(lam2) = Q diag(1 / (d + lam2)) Q' c; of X~ by a thin
SVD on tall lazy data.  On wide data (p > n) b(lam2) = X~'(K + lam2 I)^{-1} z with the n x n
kernel K = X~ X~': one Lanczos basis of the Krylov space of K and z solves every lam2 (a few
dozen products with K where K is well conditioned), and K = U diag(d) U' where Lanczos does
not reach rounding level, and below 256 rows.  Several alphas are solved at once, so their
products with X~ are matrix products.
"""

from __future__ import annotations

import numpy as np

from regcli.core.lapack import potrf, potrs, scipy_linalg
from regcli.core.stats import GramStats, LazyStats, Stats, thin_product


class RidgeSolver:
    """Solves ridge for any number of lam2 values after one factorization (on wide lazy data:
    after one kernel, with Lanczos or its eigendecomposition per block of lam2 values)."""

    def __init__(self, stats: Stats):
        self.stats = stats
        linalg = scipy_linalg()
        eigh, svd = linalg.eigh, linalg.svd

        self._kernel = False
        self._K: np.ndarray | None = None
        if isinstance(stats, GramStats):
            d, Q = eigh(stats.gram, check_finite=False, driver="evd")
            self._basis = Q
            self._d = np.maximum(d, 0.0)
            self._proj = Q.T @ stats.c
        elif stats.n_features > stats.n_samples:
            self._kernel = True
            self._K = thin_product(stats.Xs, stats.Xs.T)
            # the kernel's eigendecomposition, made only where Lanczos gives way (``_dual``)
            self._basis = self._d = self._proj = np.zeros(0)
        else:
            assert isinstance(stats, LazyStats)
            U, sv, Vt = svd(stats.Xs, full_matrices=False, check_finite=False)
            self._basis = Vt.T
            self._d = sv * sv
            # c = V S U'z, so V' c = S U' z
            self._proj = sv * (U.T @ stats.zs)

    def _weights(self, lam2: np.ndarray) -> np.ndarray:
        """proj / (d + lam2) per direction (rows) and lam2 (columns).  Directions whose
        eigenvalue plus lam2 is within rounding of the largest eigenvalue are dropped, as a
        pseudo-inverse drops them."""
        d = self._d[:, None] + lam2[None, :]
        cut = float(self._d.max(initial=0.0)) * max(self._d.size, 1) * 1e-15
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(d > cut, self._proj[:, None] / d, 0.0)

    def _dual(self, lam2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """In the kernel form: the dual coefficients D (n x k; b = X~'D) and X~ b = K D at each
        lam2, by Lanczos (``lanczos_shifted_solve``) or else from K = U diag(d) U'."""
        assert self._K is not None and isinstance(self.stats, LazyStats)
        D = None
        if self._K.shape[0] >= LANCZOS_MIN_SAMPLES:
            D = lanczos_shifted_solve(self._K, self.stats.zs, lam2)
        if D is not None:
            return D, self._K @ D
        if self._basis.size == 0:
            d, U = scipy_linalg().eigh(self._K, check_finite=False, driver="evd")
            self._basis, self._d = U, np.maximum(d, 0.0)
            self._proj = U.T @ self.stats.zs
        weights = self._weights(lam2)
        return self._basis @ weights, self._basis @ (self._d[:, None] * weights)

    def solve(self, lam2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients (m, k) and gradients c - G b (m, k) at each lam2 > 0 of ``lam2`` (k,)."""
        lam2 = np.asarray(lam2, dtype=float)
        stats = self.stats
        if self._kernel:  # b = X~'D and X~'(X~ b) = X~'(K D): both in one pass over X~
            assert isinstance(stats, LazyStats)
            D, KD = self._dual(lam2)
            k = D.shape[1]
            both = np.empty((D.shape[0], 2 * k), order="F")
            both[:, :k] = D
            both[:, k:] = KD
            products = stats.Xs.T @ both
            return products[:, :k], stats.c[:, None] - products[:, k:]
        W = self._basis @ self._weights(lam2)
        if isinstance(stats, GramStats):
            return W, stats.c[:, None] - stats.gram @ W
        assert isinstance(stats, LazyStats)
        return W, stats.c[:, None] - stats.Xs.T @ (stats.Xs @ W)

    def dual_path(self, lam2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """In the kernel form, the whole path without p-wide arrays: dual coefficients D (n x k,
        the coefficients are b = X~'D) and the fit terms c'b + b'(c - G b) (k,) at each lam2 >
        0 of ``lam2`` (k,)."""
        assert self._kernel and isinstance(self.stats, LazyStats)
        dual, fitted = self._dual(np.asarray(lam2, dtype=float))  # fitted: X~ b, n x k
        fit_terms = 2.0 * (self.stats.zs @ fitted) - np.einsum("ij,ij->j", fitted, fitted)
        return dual, fit_terms

    def coef(self, lam2: float) -> np.ndarray:
        """Coefficients (m,) at one lam2 > 0."""
        if self._kernel:
            assert isinstance(self.stats, LazyStats)
            return thin_product(self.stats.Xs.T, self._dual(np.array([lam2]))[0][:, 0])
        return self._basis @ self._weights(np.array([lam2]))[:, 0]


#: Rows from which a wide ridge path tries Lanczos (below, the eigendecomposition of the small
#: kernel costs less than the steps' overhead).
LANCZOS_MIN_SAMPLES = 256
#: Lanczos steps after which a shifted kernel solve gives way to the eigendecomposition.
LANCZOS_MAX_STEPS = 160
#: Residual of a shifted solve, relative to ||K|| ||x|| + ||z||, at which it is accepted.
LANCZOS_RESIDUAL = 1e-14


def lanczos_shifted_solve(K: np.ndarray, z: np.ndarray, shifts: np.ndarray) -> np.ndarray | None:
    """X (n x k) with (K + s_j I) X_j = z for every shift s_j > 0, K symmetric positive
    semidefinite: one Lanczos basis V of the Krylov space of K and z serves every shift (the
    space does not depend on it), with full reorthogonalization, and X_j = V (T + s_j I)^{-1}
    ||z|| e_1 through the eigendecomposition of the small tridiagonal T.  Each residual is
    known without a product (beta_m |e_m' y_j|); None where one stays above
    ``LANCZOS_RESIDUAL`` (relative to ||K|| ||X_j|| + ||z||, ||K|| <= trace(K)) after
    ``LANCZOS_MAX_STEPS`` steps, or a shift is not positive."""
    n, k = z.size, shifts.size
    z_norm = float(np.sqrt(z @ z))
    if z_norm == 0.0 or k == 0:
        return np.zeros((n, k))
    if not float(shifts.min()) > 0.0:
        return None
    tridiagonal = scipy_linalg().eigh_tridiagonal
    k_norm = float(np.trace(K))
    steps = min(n, LANCZOS_MAX_STEPS)
    V = np.empty((n, steps + 1))
    V[:, 0] = z / z_norm
    diag = np.empty(steps)
    off = np.empty(steps)
    for j in range(steps):
        w = K @ V[:, j]
        diag[j] = float(V[:, j] @ w)
        for _ in range(2):  # full reorthogonalization, twice is enough
            w -= V[:, : j + 1] @ (V[:, : j + 1].T @ w)
        off[j] = float(np.sqrt(w @ w))
        m = j + 1
        exhausted = off[j] <= 1e-15 * k_norm or m == n  # an invariant subspace: exact
        if exhausted or m % 8 == 0 or m == steps:
            theta, S = tridiagonal(diag[:m], off[: m - 1], check_finite=False)
            Y = S @ ((z_norm * S[0])[:, None] / (theta[:, None] + shifts[None, :]))  # (m, k)
            size = np.sqrt(np.einsum("ij,ij->j", Y, Y))
            residual = 0.0 if exhausted else off[j] * np.abs(Y[-1])
            if np.all(residual <= LANCZOS_RESIDUAL * (k_norm * size + z_norm)):
                return V[:, :m] @ Y
        if exhausted:
            break
        V[:, j + 1] = w / off[j]
    return None


def ridge_coef(stats: Stats, lam2: float) -> np.ndarray:
    """One ridge solution: a Cholesky solve on the Gram, or on the n x n kernel of wide data
    (b = X~' (K + lam2 I)^{-1} z), else the eigendecomposition or SVD."""
    if lam2 > 0 and (isinstance(stats, GramStats) or stats.n_features > stats.n_samples):
        if isinstance(stats, GramStats):
            M, rhs = stats.gram.copy(), stats.c
        else:
            M, rhs = thin_product(stats.Xs, stats.Xs.T), stats.zs
        M[np.diag_indices_from(M)] += lam2
        L, info = potrf(M)
        if info == 0:
            x, info = potrs(L, rhs)
            if info == 0:
                return x if isinstance(stats, GramStats) else thin_product(stats.Xs.T, x)
    return RidgeSolver(stats).coef(lam2)  # lam2 below rounding of a singular system
