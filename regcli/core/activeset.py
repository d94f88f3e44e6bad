"""Exact active-set solver for the elastic net at one alpha, on sufficient statistics.

Minimizes 1/2 b'Gb - c'b + lam1 ||b||_1 + lam2/2 ||b||^2 (G, c from ``stats``): on an active
set with signs s it solves (G_AA + lam2 I) b_A = c_A - lam1 s_A with a Cholesky factor grown by
blocks; contradicted signs leave (all at once first, then one at a time along the segment, as
Lawson-Hanson), the worst KKT violators enter, and one gradient product checks all features.
A lasso column in the span of the active ones enters by a pivot, so the factor stays
nonsingular.  On lazy data with many active features, ``DualActiveSet`` works with the n x n
(Woodbury) form instead.  docs/solvers.md has the details.
"""

from __future__ import annotations

import math
from typing import NamedTuple, TypeGuard

import numpy as np

from regcli.core.dispatch import dual_factor_pays
from regcli.core.dual import DualActiveSet, shift_serves
from regcli.core.factor import Factor
from regcli.core.lapack import potrf
from regcli.core.penalty import ElasticNet, sided
from regcli.core.stats import LazyStats, Stats, close_gaps, thin_product
from regcli.core.tuning import (
    ADD_PER_ROUND,
    ADD_PER_ROUND_DUAL,
    ADD_PER_ROUND_LARGE_LAZY,
    DROP_ALL_ROUNDS,
    HARD_ROUNDS_EXTRA,
    HARD_ROUNDS_FACTOR,
    STRONG_ROUNDS_MIN_SIZE,
)

#: A column whose Cholesky pivot falls below this share of its norm is taken as dependent.
_DEPENDENT = 1e-10
_EMPTY_IDX = np.zeros(0, dtype=np.intp)
_NO_POINTS = np.zeros((0, 0))  # what a segment without points returns (read-only by use)
_NO_POINTS.flags.writeable = False
# reductions of 1-d arrays without the Python wrappers of ndarray.max / any / all (hundreds of
# calls per path): max needs a nonempty array or ``initial``
_MAX = np.maximum.reduce
_ANY = np.logical_or.reduce
_ALL = np.logical_and.reduce


class PointSolution(NamedTuple):
    """Solution at one alpha on the standardized problem (over the solver's m columns); a
    named tuple, made once per alpha (cheaper to make than a frozen dataclass)."""

    coef: np.ndarray  # (m,)
    grad: np.ndarray  # (m,) c - G coef, at the solution
    n_iter: int  # linear solves performed
    max_kkt_violation: float
    converged: bool
    active_set: ActiveSet | DualActiveSet  # the solution's factor, reusable as the next warm start


def pivot_row(
    factor: Factor, col: np.ndarray, norm: float
) -> tuple[np.ndarray | None, float] | None:
    """The row (w, pivot) that appends one column to the factor L of a Gram block: col holds
    its Gram entries against the factor's columns, norm its own (G_jj, + lam2 where there is
    one); w = L^{-1} col (None on an empty factor), pivot = sqrt(norm - w'w).  None when the
    column depends on the factor's (the pivot falls below ``_DEPENDENT`` of its norm)."""
    w = factor.tri(col) if factor.k else None
    left = norm - float(w @ w) if w is not None else norm
    if not left > _DEPENDENT * norm:
        return None
    return w, math.sqrt(left)


def _chol(M: np.ndarray) -> np.ndarray | None:
    """Lower Cholesky factor with a zero upper triangle (``Factor`` relies on it), or None."""
    L, info = potrf(M)
    return None if info != 0 else L


class ActiveSet:
    """Active indices, their signs and the Cholesky factor L of G_AA + lam2 I (lam2 diag(w_A)
    with per-feature l2 ``weights``)."""

    __slots__ = (
        "stats",
        "lam2",
        "weights",
        "idx",
        "sign",
        "factor",
        "_uv",
        "_ad",
        "_ad_error",
        "_g",
        "_x",
        "_one_lam1",
        "_XA",
        "_GA",
    )

    def __init__(
        self, stats: Stats, coef: np.ndarray, lam2: float, weights: np.ndarray | None = None
    ):
        self.stats = stats
        self.lam2 = lam2
        self.weights = weights
        # on the lazy source the active columns of X~ are kept side by side (n x capacity,
        # Fortran order, the first |A| columns in the order of idx): Gram blocks and gradients
        # then need no gather of |A| columns of X~ per round
        self._XA: np.ndarray | None = None
        # and for the elastic net there G_AA itself (k x k in a larger buffer), so a new lam2
        # (the next alpha) is one factorization without forming G_AA from X~ again
        self._GA: np.ndarray | None = None
        self._uv: tuple[np.ndarray, np.ndarray] | None = None
        self._ad: tuple[np.ndarray, np.ndarray] | None = None
        self._ad_error: np.ndarray | None = None  # a's error bounds (None: exact)
        # (lam1, gradient, its error bounds: ``LazyStats.screened_gradient``; None: exact)
        self._g: tuple[float, np.ndarray, np.ndarray | None] | None = None
        self._x: tuple[float, np.ndarray] | None = None
        # the elastic net's factor serves one alpha, and on the lazy source most active sets
        # are checked at one lam1 only: there solution and gradient are formed for that lam1
        # alone, the lasso direction (u, v; a, d) only when a segment asks for it
        self._one_lam1 = lam2 > 0.0 or isinstance(stats, LazyStats)
        support = np.flatnonzero(coef)
        self.idx = _EMPTY_IDX
        self.sign = np.zeros(0)
        # the factor never exceeds the number of features, nor n on the lazy source's lasso
        # (|A| <= rank(X~) there); the elastic net's can reach the number of features
        limit = stats.n_features
        if isinstance(stats, LazyStats) and lam2 == 0.0:
            limit = min(limit, stats.n_samples)
        self.factor = Factor(np.zeros((0, 0)), limit)
        if isinstance(stats, LazyStats):
            self._XA = np.empty((stats.Xs.shape[0], max(16, 2 * support.size)), order="F")
            if lam2 > 0.0:
                self._GA = np.empty((max(16, 2 * support.size),) * 2, order="F")
        if support.size:
            L = self._factor(support)
            if L is not None:
                self.idx, self.sign = support, np.sign(coef[support])
                self.factor.reset(L)
                if self._XA is not None:
                    self._XA[:, : support.size] = self.stats.Xs[:, support]  # type: ignore[union-attr]
            else:  # warm start lost definiteness: rebuild one column at a time
                cols = stats.cols_for(support, support)
                for pos, j in enumerate(support):
                    if not self.append(np.array([j]), np.sign(coef[[j]]), cols[:, [pos]]):
                        coef[j] = 0.0

    def _factor(self, idx: np.ndarray, kept: bool = False) -> np.ndarray | None:
        """Cholesky factor of G[idx, idx] + lam2 I (``kept``: idx are the kept columns)."""
        if idx.size == 0:
            return np.zeros((0, 0))
        if kept and self._GA is not None:  # already closed up by ``keep``
            M = self._GA[: idx.size, : idx.size].copy(order="F")
        elif kept and self._XA is not None:
            XA = self._XA[:, : idx.size]
            M = XA.T @ XA
        else:
            M = self.stats.block(idx, idx)
        if self._GA is not None and not kept:
            self._GA[: idx.size, : idx.size] = M
        M.flat[:: idx.size + 1] += self.ridge(idx)
        return _chol(M)

    def ridge(self, idx: np.ndarray, lam2: float | None = None) -> np.ndarray | float:
        """The l2 term's diagonal at features ``idx``: lam2, or lam2 w_idx with weights."""
        lam2 = self.lam2 if lam2 is None else lam2
        return lam2 if self.weights is None else lam2 * self.weights[idx]

    def _keep_gram(self, block: np.ndarray) -> None:
        """Add the entering features' G[A u new, new] (before lam2 joins its diagonal) to the
        kept G_AA."""
        assert self._GA is not None
        k, m = self.idx.size, block.shape[1]
        if self._GA.shape[0] < k + m:
            grown = np.empty((max(2 * self._GA.shape[0], k + m),) * 2, order="F")
            grown[:k, :k] = self._GA[:k, :k]
            self._GA = grown
        self._GA[:k, k : k + m] = block[:k]
        self._GA[k : k + m, :k] = block[:k].T
        self._GA[k : k + m, k : k + m] = block[k:]

    def _times(self, M: np.ndarray) -> np.ndarray:
        """G[:, idx] @ M (m x ...): X~'(X~_A M) from the kept columns on the lazy source."""
        if self._XA is None:
            return self.stats.times(self.idx, M)
        return thin_product(self.stats.Xs.T, self.fitted(M))  # type: ignore[union-attr]

    def fitted(self, x: np.ndarray) -> np.ndarray:
        """X~_A x from the kept columns (the lazy source only)."""
        assert self._XA is not None, "the kept columns exist on the lazy source only"
        return thin_product(self._XA[:, : self.idx.size], x)

    def entering_block(self, new: np.ndarray) -> np.ndarray:
        """G[A u new, new] (rows in the order of idx, then new), a fresh array for
        ``append_block``; on the lazy source X~_A' X~_new from the kept columns."""
        return self._entering(new)[0]

    def _entering(self, new: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(``entering_block``, the columns X~_new on the lazy source or None)."""
        if self._XA is None:
            return self.stats.block(np.concatenate([self.idx, new]), new), None
        k = self.idx.size
        if new.size == 1:  # most rounds on small wide data: a view of the column, no gather
            xn = self.stats.Xs[:, int(new[0])]  # type: ignore[union-attr]
            col = np.empty((k + 1, 1))
            if k:
                col[:k, 0] = self._XA[:, :k].T @ xn
            col[k, 0] = xn @ xn
            return col, xn[:, None]
        Xn = self.stats.Xs[:, new]  # type: ignore[union-attr]
        out = np.empty((k + new.size, new.size))
        if k:
            out[:k] = self._XA[:, :k].T @ Xn
        out[k:] = Xn.T @ Xn
        return out, Xn

    def append_entering(self, new: np.ndarray, signs: np.ndarray) -> bool:
        """``append`` with the Gram entries formed here (``entering_block``)."""
        block, Xn = self._entering(new)
        return self.append_block(new, signs, block, Xn)

    def _changed(self) -> None:
        self._uv = None
        self._ad = None
        self._ad_error = None
        self._g = None
        self._x = None

    @property
    def direction_formed(self) -> bool:
        """Whether the lasso gradient's direction d (``segment``'s, a product with the Gram
        columns) is at hand for this active set."""
        return self._ad is not None

    @property
    def L(self) -> np.ndarray:
        """The Cholesky factor of G_AA + lam2 I (a view)."""
        return self.factor.L

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """(G_AA + lam2 I)^{-1} rhs."""
        return self.factor.solve(rhs)

    def _segment_uv(self) -> tuple[np.ndarray, np.ndarray]:
        """(k, 2): u = M^{-1} c_A and v = M^{-1} s, M = G_AA + lam2 I; b_A = u - lam1 v."""
        if self._uv is None:
            if self._x is not None:  # u = x + lam1 v from the last solution: one solve
                lam1, x = self._x
                v = self.solve(self.sign)
                self._uv = (x + lam1 * v, v)
            else:
                uv = np.empty((self.idx.size, 2), order="F")
                uv[:, 0] = self.stats.c[self.idx]
                uv[:, 1] = self.sign
                uv = self.solve(uv)
                self._uv = (uv[:, 0], uv[:, 1])
        return self._uv

    def solution(self, lam1: float) -> np.ndarray:
        """Solution on the active set with signs fixed: linear in lam1, so along a lasso path
        an alpha without a change of the active set needs no new solve (one right-hand side
        instead of two where ``_one_lam1``, until a segment asks for the direction)."""
        if self._uv is None and self._one_lam1:
            if self._x is None or self._x[0] != lam1:
                self._x = (lam1, self.solve(self.stats.c[self.idx] - lam1 * self.sign))
            return self._x[1]
        u, v = self._segment_uv()
        return u - lam1 * v

    def gradient(self, lam1: float) -> np.ndarray:
        """c - G b at ``solution(lam1)``: a + lam1 d with a = c - G_:A u, d = G_:A v (one product
        with the Gram columns per active set, then O(p) per alpha).

        Where ``_one_lam1`` (on the lazy source each column of that product is a pass over X~)
        the gradient is formed alone, and d (with a = gradient - lam1 d) only when ``segment``
        asks for it."""
        if self._ad is None and self._one_lam1:
            if self._g is None or self._g[0] != lam1:
                x = self.solution(lam1)
                if self._XA is not None:  # the lazy source: exact where the check needs it
                    k = self.idx.size
                    fit = self.fitted(x)
                    self._g = (
                        lam1,
                        *self.stats.screened_gradient(  # type: ignore[union-attr]
                            fit, lam1, self.idx, self._XA[:, :k]
                        ),
                    )
                else:
                    self._g = (lam1, self.stats.c - self._times(x), None)
            return self._g[1].copy()
        a, d = self._segment_ad()
        return a + lam1 * d

    def _segment_ad(self) -> tuple[np.ndarray, np.ndarray]:
        """(a, d) of ``gradient``, from the last gradient when there is one (a then has that
        gradient's error bounds, ``_ad_error``)."""
        if self._ad is None:
            self._ad_error = None
            if self._g is not None:  # one product less
                lam1, g, error = self._g
                d = self._times(self._segment_uv()[1])
                self._ad = (g - lam1 * d, d)
                self._ad_error = error
            else:
                AD = self._times(np.column_stack(self._segment_uv()))
                self._ad = (self.stats.c - AD[:, 0], AD[:, 1])
        return self._ad

    def segment(
        self, lam1: np.ndarray, tol: np.ndarray
    ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """The lasso (lam2 = 0) at several smaller lam1 on this active set and its signs, at once.

        b_A = u - lam1 v and the gradient a + lam1 d are linear in lam1, so the next kink (the
        largest lam1 at which an active coefficient reaches zero or an inactive |gradient|
        reaches lam1) follows in O(p), and every grid point above it costs a few vectorized
        passes instead of a solve.  Returns (count, B (k x count), grads (m x count), kkt
        (count,)): the leading points before the kink whose max KKT violation is within ``tol``
        (each is certified on its own); the rest are left to the solver.  Without a point the
        three arrays are one shared, read-only empty array.
        """
        lam0 = float(lam1[0])
        if self.idx.size:
            u, v = self._segment_uv()
            shrinking = self.sign * v < 0  # s_i b_i falls with lam1: zero at u_i / v_i
            kink = float(_MAX(u[shrinking] / v[shrinking])) if _ANY(shrinking) else 0.0
            if kink >= lam0:
                # an active coefficient reaches zero first: no point here, and the gradient's
                # direction d (a product with all of X~ on wide data) is not formed
                return 0, _NO_POINTS, _NO_POINTS, _NO_POINTS
            a, d = self._segment_ad()
            error = self._ad_error
        else:
            u = v = np.zeros(0)
            a, d = self.stats.c, np.zeros_like(self.stats.c)
            kink = 0.0
            error = None
        # most calls end at the first point (something enters or leaves before it): test it
        # alone first, a few O(p) passes instead of the crossing of every feature
        if not self._point_ok(lam0, u - lam0 * v, a + lam0 * d, float(tol[0]), error):
            return 0, _NO_POINTS, _NO_POINTS, _NO_POINTS
        # an inactive j violates once a_j + lam1 d_j leaves [-lam1, lam1] (by its error bound
        # e_j where a_j is not exact: once |a_j + lam1 d_j| + e_j passes lam1)
        up_a, down_a = (a, -a) if error is None else (a + error, error - a)
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(1.0 - d > 0, up_a / (1.0 - d), 0.0)
            down = np.where(1.0 + d > 0, down_a / (1.0 + d), 0.0)
        cross = np.maximum(up, down)
        cross[self.idx] = 0.0
        kink = max(kink, float(_MAX(cross, initial=0.0)))
        count = int(np.count_nonzero(lam1 > kink))  # lam1 descends: a leading run
        lam = lam1[:count]
        B = u[:, None] - v[:, None] * lam
        grads = a[:, None] + d[:, None] * lam
        if count == 0:
            return 0, B, grads, np.zeros(0)
        viol = np.abs(grads)
        viol -= lam
        if error is not None:
            viol += error[:, None]
        viol[self.idx] = -np.inf
        kkt = np.maximum(viol.max(axis=0, initial=0.0), 0.0)
        if self.idx.size:
            resid = np.abs(grads[self.idx] - self.sign[:, None] * lam).max(axis=0)
            kkt = np.maximum(kkt, resid)
        ok = (kkt <= tol[:count]) & (self.sign[:, None] * B > 0).all(axis=0)
        count = int(np.argmin(ok)) if not _ALL(ok) else count
        return count, B[:, :count], grads[:, :count], kkt[:count]

    def _point_ok(
        self, lam: float, b: np.ndarray, grad: np.ndarray, tol: float, error: np.ndarray | None
    ) -> bool:
        """Whether (b on the active set, gradient ``grad``, its error bounds ``error`` or None)
        is the lasso solution at lam within ``tol``: signs kept, no inactive |gradient| above
        lam, active gradients at lam s."""
        idx = self.idx
        if idx.size and not _ALL(self.sign * b > 0):
            return False
        viol = np.abs(grad)
        if error is not None:
            viol += error
        if idx.size:
            if _MAX(np.abs(grad[idx] - self.sign * lam)) > tol:
                return False
            viol[idx] = 0.0
        return bool(_MAX(viol, initial=0.0) <= lam + tol)

    def retarget(self, lam2: float) -> bool:
        """Make this factor serve lam2, or return False.  Where G_AA is kept (the elastic net
        on the lazy source) a new lam2 > 0 costs one k^3 / 3 factorization instead of n k^2 to
        form G_AA from X~ again (G_AA is kept exactly, so this never drifts); an active set
        large enough for the dual form is built afresh."""
        if lam2 == self.lam2:
            return True
        k = self.idx.size
        if not (
            self._GA is not None
            and lam2 > 0.0
            and k
            and (self.weights is not None or not dual_factor_pays(self.stats.n_samples, k))
        ):
            return False
        M = self._GA[:k, :k].copy(order="F")
        M.flat[:: k + 1] += self.ridge(self.idx, lam2)
        chol = _chol(M)
        if chol is None:
            return False
        self.factor.reset(chol)
        self.lam2 = lam2
        self._changed()
        return True

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the positions in boolean ``mask``: rank-one updates of the factor for a
        few removals (O(k^2) each), a new factorization for many."""
        self._changed()
        gone = (~mask).nonzero()[0]
        if gone.size == 0:
            return
        if self._XA is not None:  # close the gaps: move the columns after the first one left
            close_gaps(self._XA, gone, self.idx.size)
            if self._GA is not None:  # the same for G_AA's columns, then its rows
                k = self.idx.size
                close_gaps(self._GA[:k], gone, k)
                close_gaps(self._GA.T[: k - gone.size], gone, k)
        if self._deletes_cheaper(gone.size):
            for i in gone[::-1]:
                self.factor.delete(int(i))
            self.idx = self.idx[mask]
            self.sign = self.sign[mask]
            return
        factor = self._factor(self.idx[mask], kept=True)
        if factor is None:  # only by rounding (a subset of independent columns): delete instead
            for i in gone[::-1]:
                self.factor.delete(int(i))
        else:
            self.factor.reset(factor)
        self.idx = self.idx[mask]
        self.sign = self.sign[mask]

    def _deletes_cheaper(self, count: int) -> bool:
        """Whether ``count`` O(k^2) deletions beat a new factorization (k^3 / 3, plus n k^2
        to form the block from X~ on the lazy source unless G_AA is kept); a deletion costs
        about 30 k^2."""
        k = self.idx.size
        lazy = isinstance(self.stats, LazyStats) and self._GA is None
        gather = self.stats.n_samples if lazy else 1
        return 30.0 * count < k / 3.0 + gather

    def append(self, new: np.ndarray, signs: np.ndarray, cols: np.ndarray) -> bool:
        """Add features ``new`` (with Gram columns ``cols``, m x len(new)) in one block.

        Returns False (and changes nothing) when the block is not positive definite given the
        active set, i.e. some new column depends on the others.
        """
        return self.append_block(new, signs, cols[np.concatenate([self.idx, new])])

    def append_block(
        self,
        new: np.ndarray,
        signs: np.ndarray,
        block: np.ndarray,
        Xn: np.ndarray | None = None,
    ) -> bool:
        """``append`` given only G[A u new, new] (rows in the order of idx, then new; a fresh
        array, which this overwrites) and, on the lazy source, the columns X~_new if at hand."""
        k, m = self.idx.size, new.size
        if self._GA is not None:
            self._keep_gram(block)
        S = block[k:]
        if self.lam2:
            S.flat[:: m + 1] += self.ridge(new)
        if m == 1:  # one column (most rounds on small wide data): the pivot, no LAPACK
            row = pivot_row(self.factor, block[:k, 0], float(S[0, 0]))  # G_jj + lam2
            if row is None:
                return False
            self._changed()
            self.factor.append_row(*row)
        else:
            norms = S.diagonal().copy()  # G_jj + lam2 of the new columns
            W: np.ndarray | None = None
            if k:
                W = self.factor.tri(block[:k])
                S -= W.T @ W
            chol = _chol(S)
            if chol is None:
                return False
            L22 = chol
            pivots = L22.diagonal()
            if (pivots * pivots <= _DEPENDENT * norms).any():
                return False
            self._changed()
            self.factor.append(W, L22)
        if self._XA is not None:
            if Xn is None:
                Xn = self.stats.Xs[:, new]  # type: ignore[union-attr]
            if self._XA.shape[1] < k + m:  # grow the kept columns' room
                grown = np.empty((self._XA.shape[0], max(2 * self._XA.shape[1], k + m)), order="F")
                grown[:, :k] = self._XA[:, :k]
                self._XA = grown
            self._XA[:, k : k + m] = Xn
        self.idx = np.concatenate([self.idx, new])
        self.sign = np.concatenate([self.sign, signs])
        return True


def _dual_form_serves(
    stats: Stats, lam2: float, weights: np.ndarray | None, n_active: int
) -> TypeGuard[LazyStats]:
    """Whether an elastic-net active set of ``n_active`` features takes the n x n form: lazy
    statistics, lam2 > 0 without per-feature weights (its capacitance is for lam2 I), enough
    features (``dispatch.dual_factor_pays``) and lam2 large enough for its accuracy
    (``dual.shift_serves``)."""
    return (
        isinstance(stats, LazyStats)
        and lam2 > 0.0
        and weights is None
        and dual_factor_pays(stats.n_samples, n_active)
        and shift_serves(stats, lam2, n_active)
    )


def solve_enet(
    stats: Stats,
    penalty: ElasticNet,
    coef0: np.ndarray,
    *,
    tol: float,
    max_iter: int = 10_000,
    max_add: int | None = None,
    screen: np.ndarray | None = None,
    active_set: ActiveSet | DualActiveSet | None = None,
    enter: tuple[np.ndarray, np.ndarray] | None = None,
    allowed: np.ndarray | None = None,
    frozen: np.ndarray | None = None,
) -> PointSolution:
    """Solve at one alpha from the warm start ``coef0`` (m,).

    ``tol`` is absolute, on the standardized gradient (the caller scales it by alpha).
    ``screen`` is an optional boolean mask (m,): the strong set, whose violators are added first.
    ``active_set`` is the factor of the solution ``coef0`` came from (reused where it can take
    this lam2).  ``max_add``: violators added per round (default 10; 6 on large lazy problems,
    16 in the dual form).  ``enter``: (features, signs) predicted to enter, added before the
    first solve (those that do not belong leave again).  ``allowed`` (m,), where limits at 0
    allow one sign only (``Penalty.sign_limits``): +1 or -1 per feature, 0 for either; a
    feature enters with its allowed sign only, and the certificate is that of the limits.
    ``frozen`` (m,) bool: features the caller holds elsewhere (at a limit, their part already
    taken out of ``stats.c``): zero here, never entered, not certified here.
    """
    lam1, lam2 = penalty.lam1, penalty.lam2
    weights = penalty.l2_weights
    c = stats.c
    coef = np.array(coef0, dtype=float)
    act: ActiveSet | DualActiveSet
    if (
        active_set is not None
        and getattr(active_set, "weights", None) is weights
        and active_set.idx.size == np.count_nonzero(coef)
        and active_set.retarget(lam2)
    ):
        act = active_set
    elif _dual_form_serves(stats, lam2, weights, int(np.count_nonzero(coef))):
        act = DualActiveSet(stats, coef, lam2)
    else:
        act = ActiveSet(stats, coef, lam2, weights)
    lam2_each = penalty.lam2_each
    if isinstance(act, DualActiveSet):
        act.target_for(tol)
    entered = _EMPTY_IDX  # the features of the last round that are still active
    entered_round = False
    if enter is not None and enter[0].size:
        new, signs = enter
        keep_new = coef[new] == 0
        new, signs = new[keep_new], signs[keep_new]
        if new.size and (
            act.append(new, signs, None)
            if isinstance(act, DualActiveSet)
            else act.append_entering(new, signs)
        ):
            entered, entered_round = new, True
    n_iter = 0
    single = False  # one entering feature per round, after a round that made no progress
    converged = False
    wide = stats.n_features >= stats.n_samples and lam2 == 0.0
    # strong-set rounds pay off only where a full gradient product is large
    large = stats.n_samples * stats.n_features >= STRONG_ROUNDS_MIN_SIZE
    if max_add is None:
        large_lazy = large and isinstance(stats, LazyStats)
        max_add = ADD_PER_ROUND_LARGE_LAZY if large_lazy else ADD_PER_ROUND
    strong = None
    if screen is not None and isinstance(stats, LazyStats) and large:
        # the strong set's columns of X~ are gathered once per alpha, so a round's gradient on
        # it is two matrix-vector products with no gather.  Active features need no gradient
        # there (nothing is added from the active set), so only the strong features outside
        # it are gathered, and the fitted values come from the active set's kept columns.
        strong_mask = screen.copy()
        strong_mask[act.idx] = False
        strong = np.flatnonzero(strong_mask)
        X_strong = stats.Xs[:, strong]
        c_strong = c[strong]
        in_active = np.zeros(stats.n_features, dtype=bool)
    drop_all_left = DROP_ALL_ROUNDS
    moved = False
    grad = c
    kkt = np.inf
    rounds = 0
    while rounds <= HARD_ROUNDS_FACTOR * max_iter + HARD_ROUNDS_EXTRA:  # a hard cap, never hit
        rounds += 1
        # 1. sign-consistent solve on the active set
        while act.idx.size and n_iter < max_iter:
            n_iter += 1
            A, s = act.idx, act.sign
            x = act.solution(lam1)
            bad = s * x <= 0
            if not _ANY(bad):
                coef[A] = x
                break
            if drop_all_left:
                # every feature whose sign the solve contradicts leaves at once (the
                # primal-dual active-set step): fewer solves than stepping back one crossing
                # at a time, where many would cross; the KKT check below re-adds any that
                # belong.  A few such rounds per alpha, then Lawson-Hanson, which descends.
                drop_all_left -= 1
                new_b = x.copy()
                drop = bad.copy()
                moved = True
            else:
                bA = coef[A]
                with np.errstate(invalid="ignore", divide="ignore"):
                    t = bA[bad] / (bA[bad] - x[bad])
                t = np.where(np.isfinite(t), np.clip(t, 0.0, 1.0), 0.0)
                tmin = t.min()
                new_b = bA + tmin * (x - bA)
                drop = np.zeros(A.size, dtype=bool)
                drop[np.flatnonzero(bad)[t <= tmin]] = True
                drop |= s * new_b <= 0
                moved = moved or tmin > 0.0
            if entered.size:
                entered = entered[~np.isin(entered, A[drop])]
            new_b[drop] = 0.0
            coef[A] = new_b
            act.keep(~drop)
        if entered_round and entered.size == 0 and not moved:
            single = True  # the whole last block left again without any progress
        entered_round = False
        A = act.idx
        partial = False
        if strong is not None and A.size and n_iter < max_iter:
            # 2a. wide data: look for violators in the strong set first; a gradient on its
            # columns costs 2 n |S| instead of n p.  Only the full check below certifies.
            fit = act.fitted(coef[A])
            g_s = c_strong - thin_product(X_strong.T, fit)
            v_s = sided(g_s, None if allowed is None else allowed[strong]) - lam1
            in_active[:] = False
            in_active[A] = True
            v_s[in_active[strong]] = -np.inf
            if frozen is not None:
                v_s[frozen[strong]] = -np.inf
            if (v_s > tol).any():
                partial = True
                viol = np.full(stats.n_features, -np.inf)
                viol[strong] = v_s
                grad = np.zeros(stats.n_features)
                grad[strong] = g_s
        if not partial:
            # 2. optimality on all features: the certificate
            grad = act.gradient(lam1) if A.size else c.copy()
            viol = sided(grad, allowed)
            viol -= lam1
            if frozen is not None:
                viol[frozen] = -np.inf
            if A.size:
                resid = grad[A] - lam1 * act.sign
                if lam2:
                    resid -= (lam2 if weights is None else lam2 * weights[A]) * coef[A]
                active_resid = float(_MAX(np.abs(resid)))
                viol[A] = -np.inf
            else:
                active_resid = 0.0
            worst = float(_MAX(viol)) if viol.size else 0.0
            kkt = max(worst, active_resid, 0.0)
            if kkt <= tol:
                converged = True
                break
            if n_iter >= max_iter or not np.isfinite(kkt):
                break
            if worst <= tol:
                # only rounding in the active solve: steps of iterative refinement
                for _ in range(3):
                    ridge_A = lam2 if weights is None else lam2 * weights[A]
                    coef[A] += act.solve(grad[A] - lam1 * act.sign - ridge_A * coef[A])
                    grad = stats.grad(A, coef[A])
                    kkt = (
                        penalty.kkt_violation(grad, coef)
                        if allowed is None and frozen is None
                        else _signed_violation(grad, coef, lam1, lam2_each, allowed, frozen)
                    )
                    if kkt <= tol:
                        converged = True
                        break
                break
            strong = None  # a violator outside the strong set: check every feature from now on
        # 3. add the worst violators (the strong set's first)
        cand = (viol > tol).nonzero()[0]
        if not cand.size:  # no violator to add (NaN in the statistics): no progress is possible
            break
        if screen is not None:
            inside = cand[screen[cand]]
            if inside.size:
                cand = inside
        if isinstance(act, ActiveSet) and _dual_form_serves(
            stats, lam2, weights, A.size + cand.size
        ):
            # the active set outgrows the k x k form within this alpha (on very few rows every
            # feature may enter at once): the n x n form takes over from the current solution
            act = DualActiveSet(stats, coef, lam2)
            act.target_for(tol)
        if isinstance(act, DualActiveSet):
            # O(n^2) per feature there; where violators outnumber the rows many times over
            # (a design of rank << p), half the active set's size per round instead of a fixed
            # count
            k = 1 if single else ADD_PER_ROUND_DUAL
            if cand.size > 8 * stats.n_samples and not single:
                k = max(k, A.size // 2)  # the active set grows geometrically
        else:
            k = 1 if single else max_add
        if wide:
            k = min(k, max(1, (stats.n_samples - 1 - A.size) // 2))
        if cand.size > k:
            cand = cand[np.argpartition(viol[cand], cand.size - k)[cand.size - k :]]
        if cand.size > 1:  # worst first
            cand = cand[np.argsort(-viol[cand], kind="stable")]
        signs = np.sign(grad[cand])
        moved = False
        if isinstance(act, DualActiveSet):  # always positive definite: no Gram columns needed
            act.append(cand, signs, cand)
            entered, entered_round = cand, True
            continue
        if act.append_entering(cand, signs):
            entered, entered_round = cand, True
            continue
        cols = stats.cols_for(cand, np.concatenate([A, cand]))
        # some candidate depends on the active set or on another: one at a time
        added = 0
        for pos, j in enumerate(cand):
            one = cand[pos : pos + 1]
            if act.append(one, signs[pos : pos + 1], cols[:, pos : pos + 1]):
                added += 1
            elif added == 0 and lam2 == 0.0:
                if _pivot(act, coef, grad, int(j), cols[:, pos]):
                    moved = True  # a pivot lowers the objective: progress
                    added = 1
                break
        if not added:
            break  # nothing can enter: report the violation as it stands
        entered, entered_round = act.idx[act.idx.size - added :], True  # joined at the end
    return PointSolution(
        coef=coef,
        grad=grad,
        n_iter=n_iter,
        max_kkt_violation=kkt,
        converged=converged,
        active_set=act,
    )


def _signed_violation(
    grad: np.ndarray,
    coef: np.ndarray,
    lam1: float,
    lam2: np.ndarray | float,
    allowed: np.ndarray | None,
    frozen: np.ndarray | None = None,
) -> float:
    """The largest KKT violation of the elastic net whose features take only the signs
    ``allowed`` gives (``solve_enet``): at 0, the gradient's push in an allowed direction
    beyond lam1; elsewhere the stationarity residual; ``frozen`` features not counted."""
    active = coef != 0
    resid = sided(grad, allowed) - lam1
    ridge = lam2 if np.isscalar(lam2) else lam2[active]  # type: ignore[index]
    resid[active] = np.abs(grad[active] - lam1 * np.sign(coef[active]) - ridge * coef[active])
    if frozen is not None:
        resid[frozen] = 0.0
    return float(max(resid.max(initial=0.0), 0.0))


def _pivot(act: ActiveSet, coef: np.ndarray, grad: np.ndarray, j: int, col: np.ndarray) -> bool:
    """Enter dependent column j (lasso): move along the null direction until an active leaves.

    With x_j = X_A u the fitted values do not change along d = (d_A, d_j) = (-sigma u, sigma),
    while the L1 norm falls at rate lam1 (|u's_A| - 1) > 0 when j violates its KKT condition.
    """
    A = act.idx
    if A.size == 0:
        return False
    u = act.solve(col[A])  # G_AA^{-1} G_Aj
    sigma = np.sign(grad[j])
    dA = -sigma * u
    moving = act.sign * dA < 0
    if not moving.any():
        return False
    ratios = -coef[A][moving] / dA[moving]
    leave = np.flatnonzero(moving)[np.argmin(ratios)]
    t = float(ratios.min())
    coef[A] += t * dA
    coef[A[leave]] = 0.0
    coef[j] = t * sigma
    keep = np.ones(A.size, dtype=bool)
    keep[leave] = False
    act.keep(keep)
    if act.append(np.array([j]), np.array([sigma]), col[:, None]):
        return True
    coef[j] = 0.0
    return False
