"""Ridge (l1_ratio = 0) in closed form on the standardized problem.

b(lam2) = (G + lam2 I)^{-1} c.  One eigendecomposition gives the whole path: of G (p x p) where
the Gram is formed, G = Q diag(d) Q' and b(lam2) = Q diag(1 / (d + lam2)) Q' c; of the n x n
kernel K = X~ X~' on wide data (p > n), K = U diag(d) U' and b(lam2) = X~' U diag(1 / (d +
lam2)) U' z (the thin SVD of X~ without its p x n factor); of X~ by a thin SVD otherwise.
Several alphas are solved at once, so their products with X~ are matrix products.
"""

from __future__ import annotations

import numpy as np

from regcli.core.lapack import potrf, potrs, scipy_linalg
from regcli.core.stats import GramStats, LazyStats, Stats, thin_product


class RidgeSolver:
    """Solves ridge for any number of lam2 values after one factorization."""

    def __init__(self, stats: Stats, kernel: np.ndarray | None = None):
        """``kernel``: X~X~' of lazy wide statistics where it is already formed."""
        self.stats = stats
        linalg = scipy_linalg()
        eigh, svd = linalg.eigh, linalg.svd

        self._kernel = False
        if isinstance(stats, GramStats):
            d, Q = eigh(stats.gram, check_finite=False, driver="evd")
            self._basis = Q
            self._d = np.maximum(d, 0.0)
            self._proj = Q.T @ stats.c
        elif stats.n_features > stats.n_samples:
            self._kernel = True
            Xs = stats.Xs
            K = thin_product(Xs, Xs.T) if kernel is None else kernel
            d, U = eigh(K, check_finite=False, driver="evd")
            self._basis = U
            self._d = np.maximum(d, 0.0)
            self._proj = U.T @ stats.zs
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

    def solve(self, lam2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients (m, k) and gradients c - G b (m, k) at each lam2 > 0 of ``lam2`` (k,)."""
        lam2 = np.asarray(lam2, dtype=float)
        W = self._basis @ self._weights(lam2)
        stats = self.stats
        if isinstance(stats, GramStats):
            return W, stats.c[:, None] - stats.gram @ W
        if self._kernel:  # b = X~' W; X~ b = K W = U diag(d) U' W; both in one pass over X~
            assert isinstance(stats, LazyStats)
            k = W.shape[1]
            both = np.empty((W.shape[0], 2 * k), order="F")
            both[:, :k] = W
            both[:, k:] = self._basis @ (self._d[:, None] * (self._basis.T @ W))
            products = stats.Xs.T @ both
            return products[:, :k], stats.c[:, None] - products[:, k:]
        assert isinstance(stats, LazyStats)
        return W, stats.c[:, None] - stats.Xs.T @ (stats.Xs @ W)

    @property
    def kernel_form(self) -> bool:
        """Whether this solver works on the n x n kernel (wide lazy data)."""
        return self._kernel

    def dual_path(self, lam2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """In the kernel form, the whole path without p-wide arrays: dual coefficients D (n x k,
        the coefficients are b = X~' D) and the fit terms c'b + b'(c - G b) (k,) at each lam2 >
        0 of ``lam2`` (k,), from X~ b = K D = U diag(d) U' D."""
        assert self._kernel and isinstance(self.stats, LazyStats)
        weights = self._weights(np.asarray(lam2, dtype=float))
        dual = self._basis @ weights
        fitted = self._basis @ (self._d[:, None] * weights)  # X~ b, n x k
        fit_terms = 2.0 * (self.stats.zs @ fitted) - np.einsum("ij,ij->j", fitted, fitted)
        return dual, fit_terms

    def coef(self, lam2: float) -> np.ndarray:
        """Coefficients (m,) at one lam2 > 0."""
        W = self._basis @ self._weights(np.array([lam2]))[:, 0]
        if self._kernel:
            assert isinstance(self.stats, LazyStats)
            return thin_product(self.stats.Xs.T, W)
        return W


def kernel_dual_path(stats: LazyStats, lam2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``RidgeSolver.dual_path`` on wide lazy statistics, by Lanczos on the kernel where it
    reaches rounding level in at most ``LANCZOS_MAX_STEPS`` steps (a well-conditioned kernel:
    a few dozen products with K instead of an eigendecomposition), else by the
    eigendecomposition."""
    lam2 = np.asarray(lam2, dtype=float)
    K = thin_product(stats.Xs, stats.Xs.T)
    dual = lanczos_shifted_solve(K, stats.zs, lam2)
    if dual is None:
        return RidgeSolver(stats, kernel=K).dual_path(lam2)
    fitted = K @ dual  # X~ b
    fit_terms = 2.0 * (stats.zs @ fitted) - np.einsum("ij,ij->j", fitted, fitted)
    return dual, fit_terms


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
