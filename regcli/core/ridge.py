"""Ridge (l1_ratio = 0) in closed form on the standardized problem.

b(lam2) = (G + lam2 I)^{-1} c.  One eigendecomposition of G (or one thin SVD of X~ when p > n)
gives the whole path: with G = Q diag(d) Q', b(lam2) = Q diag(1 / (d + lam2)) Q' c.
"""

from __future__ import annotations

import numpy as np

from regcli.core.lapack import potrf, potrs
from regcli.core.stats import GramStats, LazyStats, Stats


class RidgeSolver:
    """Solves ridge for any number of lam2 values after one factorization."""

    def __init__(self, stats: Stats):
        self.stats = stats
        from scipy.linalg import eigh, svd

        if isinstance(stats, GramStats):
            d, Q = eigh(stats.gram, check_finite=False)
            self._basis = Q
            self._d = np.maximum(d, 0.0)
            self._proj = Q.T @ stats.c
        else:
            assert isinstance(stats, LazyStats)
            U, sv, Vt = svd(stats.Xs, full_matrices=False, check_finite=False)
            self._basis = Vt.T
            self._d = sv * sv
            # c = V S U'z, so V' c = S U' z
            self._proj = sv * (U.T @ stats.zs)

    def coef(self, lam2: float) -> np.ndarray:
        """Coefficients (m,) at lam2 > 0.  Directions whose eigenvalue plus lam2 is within
        rounding of the largest eigenvalue are dropped, as a pseudo-inverse drops them."""
        d = self._d + lam2
        cut = float(self._d.max(initial=0.0)) * max(self._d.size, 1) * 1e-15
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = np.where(d > cut, self._proj / d, 0.0)
        return self._basis @ scaled


def ridge_coef(stats: Stats, lam2: float) -> np.ndarray:
    """One ridge solution: a Cholesky solve on the Gram, or the thin SVD when p is large."""
    if isinstance(stats, GramStats) and lam2 > 0:
        M = stats.gram.copy()
        M[np.diag_indices_from(M)] += lam2
        L, info = potrf(M)
        if info == 0:
            x, info = potrs(L, stats.c)
            if info == 0:
                return x
        return RidgeSolver(stats).coef(lam2)  # lam2 below rounding of a singular G
    return RidgeSolver(stats).coef(lam2)
