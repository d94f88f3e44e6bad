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

    def __init__(self, stats: Stats):
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
            d, U = eigh(thin_product(Xs, Xs.T), check_finite=False, driver="evd")
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
