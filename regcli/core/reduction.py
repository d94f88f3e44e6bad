"""Penalty factors (and no limits) reduced to the scalar penalty, so the fast routes serve them.

Unpenalized features (factor 0) are profiled out: on the rest, G' = G_PP - G_PU G_UU^+ G_UP and
c' = c_P - G_PU G_UU^+ c_U (the columns of X~_P made orthogonal to X~_U), and b_U follows
from b_P.  Penalized features are rescaled by their factors, u_j = f_j b_j, which turns
sum_j f_j |b_j| into ||u||_1 (and the l2 term into sum_j lam2 / f_j u_j^2, whose excess over
the smallest weight an elastic net on a Gram adds to the Gram's diagonal at each alpha, and
which the active-set solver takes as per-feature weights on the lazy source); for ridge,
u_j = sqrt(f_j) b_j turns sum_j f_j b_j^2 into ||u||^2.  The path is solved by a scalar route
and mapped back; the certificate is recomputed on the original problem.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from regcli.core.family import deviance_ratios
from regcli.core.lapack import scipy_linalg
from regcli.core.penalty import Penalty, alpha_max, kkt_scales
from regcli.core.stats import GramStats, LazyStats, Stats

if TYPE_CHECKING:
    from regcli.core.path import RawPath


def reducible(penalty: Penalty | None, *, lasso_only: bool = True) -> bool:
    """Whether the reduction applies: per-feature factors (some positive), no limits, and the
    lasso (or, with ``lasso_only`` off, any l1 ratio)."""
    return (
        penalty is not None
        and penalty.factors is not None
        and not penalty.bounded
        and (penalty.l1_ratio == 1.0 or not lasso_only)
        and bool((penalty.factors > 0).any())
    )


class ReducedLasso:
    """The scalar statistics of a problem with factors, and the map back: penalized features
    rescaled as u_j = f_j^power b_j (``power`` 1 for a penalty with an l1 term, 1/2 for
    ridge)."""

    def __init__(self, stats: Stats, penalty: Penalty, power: float = 1.0):
        assert penalty.factors is not None
        f = penalty.factors
        self.m = stats.n_features
        self.P = np.flatnonzero(f > 0)
        self.U = np.flatnonzero(f == 0)
        self.scale = f[self.P] ** -power  # b_P = u * scale
        #: how much larger a KKT residual is on the original problem than on the reduced one,
        #: at most (the reduced gradient is the original one times ``scale``)
        self.max_factor = float(f[self.P].max()) ** power
        self.stats = stats
        P, U, d = self.P, self.U, self.scale
        if isinstance(stats, GramStats):
            G, c = stats.gram, stats.c
            Gpp, cp, yy = G[np.ix_(P, P)], c[P], stats.yy
            if U.size:
                self._Guu_pinv = np.linalg.pinv(G[np.ix_(U, U)], rcond=1e-12, hermitian=True)
                self._Gup = G[np.ix_(U, P)]
                Gpu = self._Gup.T
                Gpp = Gpp - Gpu @ self._Guu_pinv @ self._Gup
                cu = self._Guu_pinv @ c[U]
                cp = cp - Gpu @ cu
                yy = yy - float(c[U] @ cu)
            self.reduced: Stats = GramStats(
                Gpp * d[:, None] * d[None, :], cp * d, yy, stats.n_samples
            )
            self.reduced.null_yy = stats.yy  # glmnet's deviance ratio: against the intercept
        else:
            assert isinstance(stats, LazyStats)
            # rows of X~' gathered: the columns arrive contiguous, in Fortran order (faster
            # than gathering columns of X~)
            XP = stats.Xs.T.take(P, axis=0).T
            zs = stats.zs
            if U.size:
                Q, R = np.linalg.qr(stats.Xs[:, U])
                self._R_pinv = np.linalg.pinv(R, rcond=1e-12)
                self._QtX = Q.T @ XP  # b_U = R^{-1} (Q'z - Q'X_P b_P), per point O(|U| |P|)
                self._Qtz = Q.T @ zs
                _subtract_product(XP, Q, self._QtX)
                zs = zs - Q @ self._Qtz
            XP *= d
            self.reduced = LazyStats(XP, zs)

    def raw_path(self, raw: RawPath, penalty: Penalty, tol: float) -> RawPath:
        """A path solved on the reduced statistics, on the original problem: coefficients,
        deviance ratios and certificates (``tol`` relative, as ``path.solve_path``'s)."""
        coefs = self.coefs(raw.coefs)
        stats = self.stats
        c_max = alpha_max(stats.c, 1.0)
        fit_term = np.zeros(len(coefs))
        kkt = np.zeros(len(coefs))
        for i, (a, b) in enumerate(zip(raw.alphas, coefs)):
            active = np.flatnonzero(b)
            g = stats.grad(active, b[active])
            fit_term[i] = b @ (stats.c + g)
            kkt[i] = penalty.kkt_violation(g, b, float(a))
        return replace(
            raw,
            coefs=coefs,
            dev_ratio=deviance_ratios(stats.yy, fit_term),
            max_kkt_violation=kkt,
            converged=kkt <= tol * kkt_scales(raw.alphas, c_max),
        )

    def gradient(self, reduced_grad: np.ndarray) -> np.ndarray:
        """c - G b of the original problem at the mapped coefficients: the reduced gradient
        scaled back on the penalized features (g_P = g'' / scale), 0 on the profiled ones."""
        out = np.zeros(self.m)
        out[self.P] = reduced_grad / self.scale
        return out

    def coef(self, u: np.ndarray) -> np.ndarray:
        """``coefs`` of one point: (m,) from u (|P|,) (one-dimensional indexing, cheaper per
        point of a path)."""
        out = np.zeros(self.m)
        bP = u * self.scale
        out[self.P] = bP
        if self.U.size:
            if isinstance(self.stats, GramStats):
                out[self.U] = self._Guu_pinv @ (self.stats.c[self.U] - self._Gup @ bP)
            else:
                out[self.U] = self._R_pinv @ (self._Qtz - self._QtX @ bP)
        return out

    def coefs(self, u: np.ndarray) -> np.ndarray:
        """Coefficients (k, m) of the original problem from the reduced ones (k, |P|)."""
        u = np.atleast_2d(u)
        out = np.zeros((u.shape[0], self.m))
        bP = u * self.scale
        out[:, self.P] = bP
        if self.U.size:
            if isinstance(self.stats, GramStats):
                cu = self.stats.c[self.U]
                out[:, self.U] = (self._Guu_pinv @ (cu[:, None] - self._Gup @ bP.T)).T
            else:
                rhs = self._Qtz[:, None] - self._QtX @ bP.T
                out[:, self.U] = (self._R_pinv @ rhs).T
        return out


#: Matrices of at least this many entries update in place through SciPy's BLAS even where
#: SciPy is not loaded yet (a small problem does not pay its import).
_GEMM_FROM = 1_000_000


def _subtract_product(C: np.ndarray, A: np.ndarray, B: np.ndarray) -> None:
    """C -= A @ B in place (C in Fortran order): one BLAS gemm where SciPy is at hand, without
    the n x m temporary of A @ B."""
    if C.flags.f_contiguous and (C.size >= _GEMM_FROM or "scipy.linalg" in sys.modules):
        blas = scipy_linalg().blas
        out = blas.dgemm(-1.0, A, B, beta=1.0, c=C, overwrite_c=True)
        if out is C or np.shares_memory(out, C):
            return
        C[...] = out
        return
    C -= A @ B
