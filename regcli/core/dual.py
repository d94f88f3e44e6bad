"""The elastic net's active set on wide data in the n x n (dual, Woodbury) form.

(X_A'X_A + lam2 I)^{-1} r = (r - X_A' (K + lam2 I)^{-1} X_A r) / lam2 with K = X_A X_A'.  One
Cholesky factor of K_ref + lam2_ref I serves many rounds and alphas: the features that entered
or left since it was made are a low-rank change handled exactly by the Woodbury capacitance,
and a new lam2 by conjugate gradients preconditioned with that (exact) M, which converge in a
few O(n^2) iterations.  The factor is renewed when the changes or the shift grow large, or the
iterations stop paying; below ``DUAL_PCG_MIN_SAMPLES`` rows every change factors again.
docs/solvers.md has the details.
"""

from __future__ import annotations

import numpy as np

from regcli.core.factor import Factor
from regcli.core.lapack import potrf, scipy_linalg
from regcli.core.stats import LazyStats, thin_product
from regcli.core.tuning import (
    DUAL_MAX_CHANGES,
    DUAL_MIN_SHIFT,
    DUAL_PCG_MAX_ITERATIONS,
    DUAL_PCG_MIN_SAMPLES,
    DUAL_PCG_MIN_SHIFT_RATIO,
    DUAL_PCG_RENEW_ITERATIONS,
    DUAL_RECOMPUTE_UPDATES,
    SINGLE_MAX_CONDITION,
    SINGLE_MAX_ITERATIONS,
)

#: Conjugate gradients stop at this share of ||K + lam2 I|| ||u|| + ||b|| in the residual: about
#: the backward error of a direct Cholesky solve of order ~1000.
_PCG_ROUNDING = 1e-14


class DualActiveSet:
    """Active indices, signs and kept columns X~_A (n x k) for the elastic net (lam2 > 0) on
    the lazy source, with the solves of the Woodbury form (module docstring)."""

    __slots__ = (
        "stats",
        "lam2",
        "idx",
        "sign",
        "_XA",
        "_K",
        "_scale",
        "_factor",
        "_factor_lam2",
        "_eig",
        "_W",
        "_Z",
        "_S",
        "_owner",
        "_m",
        "_cap_inv",
        "_x",
        "_renew",
        "_updates",
        "_direct",
        "_single",
        "residual_target",
    )

    def __init__(self, stats: LazyStats, coef: np.ndarray, lam2: float):
        n = stats.n_samples
        self.stats = stats
        self.lam2 = lam2
        self.idx = np.flatnonzero(coef)
        self.sign = np.sign(coef[self.idx])
        k = self.idx.size
        self._XA = np.empty((n, max(16, 2 * k)), order="F")
        self._XA[:, :k] = stats.Xs[:, self.idx]
        # X_A X_A' of the factor's active set (Fortran order; updates keep its lower triangle)
        self._K: np.ndarray | None = None
        self._scale = 0.0  # trace(K) + lam2 at the factor: the residuals' yardstick
        # of K + lam2_ref I: in single precision where it only preconditions (``_refactor``)
        self._factor: Factor | SingleFactor | None = None
        self._factor_lam2 = lam2
        self._eig: tuple[np.ndarray, np.ndarray] | None = None  # where no factor exists
        # the changes since the factor: columns W, Z = (K_ref + lam2_ref I)^{-1} W, signs S
        # (+1 entered, -1 left), the feature of each, and the capacitance's inverse
        self._W = np.empty((n, DUAL_MAX_CHANGES), order="F")
        self._Z = np.empty((n, DUAL_MAX_CHANGES), order="F")
        self._S = np.empty(DUAL_MAX_CHANGES)
        self._owner = np.empty(DUAL_MAX_CHANGES, dtype=np.intp)
        self._m = 0
        self._cap_inv: np.ndarray | None = None
        self._x: tuple[float, np.ndarray] | None = None
        self._renew = True
        self._updates = 0
        self._direct = n < DUAL_PCG_MIN_SAMPLES  # a factor per change (module docstring)
        self._single = not self._direct  # whether a single-precision factor may serve
        #: The residual ||b - (K + lam2 I) u|| that is good enough (``target_for``); below it
        #: the iterations stop even above rounding level.
        self.residual_target = 0.0

    def target_for(self, tol: float) -> None:
        """Solve only as accurately as a KKT tolerance ``tol`` (absolute, on the standardized
        gradient) needs: an inner residual r moves the active solution by X~_A' r / lam2 and
        the gradient by at most 2 ||r|| / lam2 per (unit) column, so ||r|| <= 0.25 tol lam2
        spends at most half the tolerance (in practice a few percent: r is spread over n
        directions).  The certificate, computed from the solution itself, decides."""
        self.residual_target = 0.25 * tol * self.lam2

    # --- the active set -----------------------------------------------------------------------

    def retarget(self, lam2: float) -> bool:
        """Serve another alpha's lam2 (False where lam2 = 0 or too small for this form's
        accuracy, ``shift_serves``: the primal form serves those)."""
        if lam2 <= 0.0 or not shift_serves(self.stats, lam2, self.idx.size):
            return False
        if lam2 != self.lam2:
            self.lam2 = lam2
            self._x = None
        return True

    def fitted(self, x: np.ndarray) -> np.ndarray:
        """X~_A x from the kept columns."""
        return thin_product(self._XA[:, : self.idx.size], x)

    def append(self, new: np.ndarray, signs: np.ndarray, cols: np.ndarray | None) -> bool:
        """Add features ``new`` with ``signs`` (``cols``, Gram columns, are not needed)."""
        k, m = self.idx.size, new.size
        if self._XA.shape[1] < k + m:
            grown = np.empty((self._XA.shape[0], max(2 * self._XA.shape[1], k + m)), order="F")
            grown[:, :k] = self._XA[:, :k]
            self._XA = grown
        self._XA[:, k : k + m] = self.stats.Xs[:, new]
        self._record(new, self._XA[:, k : k + m], 1.0)
        self.idx = np.concatenate([self.idx, new])
        self.sign = np.concatenate([self.sign, signs])
        self._x = None
        return True

    def keep(self, mask: np.ndarray) -> None:
        """Keep the features where ``mask`` is True.  K does not depend on their order, so the
        last kept features move into the gaps (n values moved per feature that left)."""
        if mask.all():
            return
        gone = np.flatnonzero(~mask)
        self._record(self.idx[gone], self._XA[:, gone], -1.0)
        count = self.idx.size - gone.size
        holes = gone[gone < count]
        idx, sign = self.idx[:count].copy(), self.sign[:count].copy()
        if holes.size:
            movers = count + np.flatnonzero(mask[count:])
            self._XA[:, holes] = self._XA[:, movers]
            idx[holes] = self.idx[movers]
            sign[holes] = self.sign[movers]
        self.idx, self.sign = idx, sign
        self._x = None

    def _record(self, features: np.ndarray, cols: np.ndarray, sign: float) -> None:
        """Note a change K += sign * cols cols' against the factor (an opposite change of the
        same feature since the factor cancels instead)."""
        self._updates += features.size
        if self._factor is None:
            return  # the next solve factors K as it then is
        if self._direct:
            self._renew = True
            self._pending(cols, sign)
            return
        m = self._m
        fresh = []
        for pos, j in enumerate(features.tolist()):
            hit = np.flatnonzero(self._owner[:m] == j)
            if hit.size and self._S[hit[0]] == -sign:
                self._drop_change(int(hit[0]))
                m = self._m
            else:
                fresh.append(pos)
        if not fresh:
            return
        if m + len(fresh) > DUAL_MAX_CHANGES:
            self._renew = True  # the next solve folds the changes into K and factors again
            self._pending(cols[:, fresh], sign)
            return
        stop = m + len(fresh)
        self._W[:, m:stop] = cols[:, fresh]
        self._Z[:, m:stop] = self._factor.solve(self._W[:, m:stop])
        self._S[m:stop] = sign
        self._owner[m:stop] = features[fresh]
        self._m = stop
        self._cap_inv = None

    def _pending(self, cols: np.ndarray, sign: float) -> None:
        """Fold changes straight into K (the factor is renewed before the next solve)."""
        assert self._K is not None
        _syrk_update(self._K, cols, sign)

    def _drop_change(self, pos: int) -> None:
        m = self._m
        for arr in (self._W, self._Z):
            arr[:, pos : m - 1] = arr[:, pos + 1 : m]
        self._S[pos : m - 1] = self._S[pos + 1 : m]
        self._owner[pos : m - 1] = self._owner[pos + 1 : m]
        self._m = m - 1
        self._cap_inv = None

    # --- the factor ---------------------------------------------------------------------------

    def _refactor(self, exact: bool = False) -> None:
        """Fold the changes into K and factor K + lam2 I at the current lam2: in single
        precision where the factor only preconditions conjugate gradients (in double precision:
        they correct its rounding; half the time and memory traffic of a double factor), unless
        ``exact``, the direct mode, or K + lam2 I too ill-conditioned for single precision."""
        k, m = self.idx.size, self._m
        if self._K is None or self._updates > DUAL_RECOMPUTE_UPDATES:
            XA = self._XA[:, :k]
            self._K = (XA @ XA.T).T  # symmetric: the transposed view is Fortran order
            self._updates = 0
        elif m:
            S = self._S[:m]
            for sign in (1.0, -1.0):
                if (S == sign).any():
                    _syrk_update(self._K, self._W[:, :m][:, S == sign], sign)
        self._m = 0
        self._cap_inv = None
        self._renew = False
        self._factor_lam2 = self.lam2
        K = self._K
        # trace(K) >= ||K||_2 (K is positive semidefinite): the residuals' yardstick
        self._scale = float(np.trace(K)) + self.lam2
        if (
            self._single
            and not exact
            and self._scale <= SINGLE_MAX_CONDITION * self.lam2
            and 1e-30 < self.lam2
            and self._scale < 1e30  # K + lam2 I within single precision's normal range
        ):
            M32 = K.astype(np.float32, order="F")
            M32.flat[:: M32.shape[0] + 1] += np.float32(self.lam2)
            L32, info = scipy_linalg().lapack.spotrf(M32, lower=1, clean=0, overwrite_a=1)
            if info == 0:
                self._factor = SingleFactor(L32)
                self._eig = None
                return
        M = K.copy(order="F")
        M.flat[:: M.shape[0] + 1] += self.lam2
        L, info = potrf(M)
        if info == 0:
            if isinstance(self._factor, Factor):
                self._factor.reset(L)
            else:
                self._factor = Factor(L, L.shape[0])
            self._eig = None
        else:  # lam2 below the rounding of K: eigenvalues floored at rounding level instead
            self._factor = None
            vals, vecs = np.linalg.eigh(K)
            floor = max(self.lam2, float(np.abs(vals).max(initial=0.0)) * 1e-15)
            self._eig = (vecs, np.maximum(vals, 0.0) + floor)

    def _precondition(self, r: np.ndarray) -> np.ndarray:
        """(K + lam2_ref I)^{-1} r for the current K: the factor and the capacitance."""
        assert self._factor is not None
        y = self._factor.solve(r)
        m = self._m
        if m:
            W, Z = self._W[:, :m], self._Z[:, :m]
            if self._cap_inv is None:
                cap = W.T @ Z
                cap.flat[:: m + 1] += self._S[:m]  # S^{-1} = S for +-1
                self._cap_inv = np.linalg.inv(cap)
            y -= Z @ (self._cap_inv @ (W.T @ y))
        return y

    def _times(self, d: np.ndarray) -> np.ndarray:
        """(K + lam2 I) d for the current K."""
        assert self._K is not None
        out = _symv(self._K, d)
        m = self._m
        if m:
            W = self._W[:, :m]
            out += W @ (self._S[:m] * (W.T @ d))
        out += self.lam2 * d
        return out

    def _inner(self, b: np.ndarray) -> np.ndarray:
        """(K + lam2 I)^{-1} b."""
        if (
            self._factor is None
            or self._renew
            or self.lam2 < DUAL_PCG_MIN_SHIFT_RATIO * self._factor_lam2
            or (self._direct and self.lam2 != self._factor_lam2)
        ):
            self._refactor()
            if self._eig is not None:
                vecs, vals = self._eig
                return vecs @ ((vecs.T @ b) / vals)
        if self._direct:
            assert self._factor is not None
            return self._factor.solve(b)
        u, iterations = self._pcg(b)
        if u is not None and iterations > SINGLE_MAX_ITERATIONS and self._fresh_single():
            # a fresh single-precision factor preconditions poorly here: the next is exact
            self._single, self._renew = False, True
            return u
        if u is None:  # not converged: an exact factor at this lam2 solves it at once
            self._single = False
            self._refactor(exact=True)
            if self._eig is not None:
                return self._inner(b)
            u, iterations = self._pcg(b)
            if u is None:
                assert self._factor is not None
                return self._factor.solve(b)
        # each change since the factor costs iterations: renew it once they cost more than a
        # factorization would save
        self._renew = iterations > DUAL_PCG_RENEW_ITERATIONS
        return u

    def _fresh_single(self) -> bool:
        """Whether the factor is in single precision, at the current lam2, with no changes."""
        return (
            isinstance(self._factor, SingleFactor)
            and self._m == 0
            and self.lam2 == self._factor_lam2
        )

    def _pcg(self, b: np.ndarray) -> tuple[np.ndarray | None, int]:
        """Conjugate gradients on (K + lam2 I) u = b preconditioned by ``_precondition``;
        (None, iterations) where they do not reach the rounding level of a direct solve."""
        b_norm = float(np.sqrt(b @ b))
        if b_norm == 0.0:
            return np.zeros_like(b), 0
        u = self._precondition(b)
        r = b - self._times(u)
        z = self._precondition(r)
        d = z.copy()
        rz = float(r @ z)
        for it in range(DUAL_PCG_MAX_ITERATIONS + 1):
            target = max(
                _PCG_ROUNDING * (self._scale * float(np.sqrt(u @ u)) + b_norm),
                self.residual_target,
            )
            if float(np.sqrt(r @ r)) <= target:
                if it == 0:
                    return u, it
                # the recursion's residual drifts from the true one: confirm it
                r_true = b - self._times(u)
                if float(np.sqrt(r_true @ r_true)) <= 2.0 * target:
                    return u, it
                r = r_true
                z = self._precondition(r)
                d = z.copy()
                rz = float(r @ z)
            if it == DUAL_PCG_MAX_ITERATIONS:
                break
            Ad = self._times(d)
            curvature = float(d @ Ad)
            if not curvature > 0.0:
                break
            step = rz / curvature
            u += step * d
            r -= step * Ad
            z = self._precondition(r)
            rz_next = float(r @ z)
            d *= rz_next / rz
            d += z
            rz = rz_next
        return None, DUAL_PCG_MAX_ITERATIONS

    # --- solves -------------------------------------------------------------------------------

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """(X~_A'X~_A + lam2 I)^{-1} rhs for one right-hand side (k,)."""
        XA = self._XA[:, : self.idx.size]
        inner = self._inner(thin_product(XA, rhs))
        return (rhs - thin_product(XA.T, inner)) / self.lam2

    def solution(self, lam1: float) -> np.ndarray:
        """The active solution at lam1 (one Woodbury solve; the last one is kept, as the
        gradient asks for it again)."""
        if self._x is None or self._x[0] != lam1:
            self._x = (lam1, self.solve(self.stats.c[self.idx] - lam1 * self.sign))
        return self._x[1]

    def gradient(self, lam1: float) -> np.ndarray:
        """c - G b at ``solution(lam1)``, from the kept columns; exact wherever the KKT check
        at lam1 needs it (``LazyStats.screened_gradient``)."""
        k = self.idx.size
        fit = self.fitted(self.solution(lam1))
        return self.stats.screened_gradient(fit, lam1, self.idx, self._XA[:, :k])[0]


def shift_serves(stats: LazyStats, lam2: float, n_active: int) -> bool:
    """Whether the Woodbury form is accurate at this lam2 for ``n_active`` features: lam2 at
    least ``DUAL_MIN_SHIFT`` of a bound on ||X~_A X~_A'|| (|A| times the largest squared column
    norm of X~)."""
    return lam2 >= DUAL_MIN_SHIFT * n_active * stats.largest_column_norm2


class SingleFactor:
    """A lower Cholesky factor in single precision, applied as (L L')^{-1} to double-precision
    vectors and matrices (the preconditioner of ``DualActiveSet``)."""

    __slots__ = ("L",)

    def __init__(self, L: np.ndarray):
        self.L = L  # float32, Fortran order; what lies above the diagonal is not read

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        blas = scipy_linalg().blas
        x = rhs.astype(np.float32, order="F")
        if x.ndim == 1:
            x = blas.strsv(self.L, x, lower=1, overwrite_x=1)
            x = blas.strsv(self.L, x, lower=1, trans=1, overwrite_x=1)
        else:
            x = blas.strsm(1.0, self.L, x, lower=1, overwrite_b=1)
            x = blas.strsm(1.0, self.L, x, lower=1, trans_a=1, overwrite_b=1)
        return x.astype(np.float64)


def _syrk_update(K: np.ndarray, cols: np.ndarray, sign: float) -> None:
    """K += sign * cols cols' in place, in the lower triangle of a Fortran-order K."""
    blas = scipy_linalg().blas
    blas.dsyrk(sign, cols, beta=1.0, c=K, lower=1, overwrite_c=1)


def _symv(K: np.ndarray, d: np.ndarray) -> np.ndarray:
    """K d from the lower triangle of K."""
    return scipy_linalg().blas.dsymv(1.0, K, d, lower=1)
