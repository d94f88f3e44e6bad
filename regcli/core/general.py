"""Active-set solver for the general penalty: per-feature l1 and l2 weights and bounds.

Minimizes 1/2 b'Gb - c'b + sum_j (lam1_j |b_j| + lam2_j / 2 b_j^2) subject to
lower <= b <= upper (lower <= 0 <= upper), on either statistics source.  Each feature is zero,
free (nonzero with a sign, strictly inside its bounds) or at a nonzero bound.  On the free set
F the solution solves (G_FF + diag lam2_F) b_F = c_F - lam1_F s_F - G_FB b_B; when that
solution would change a sign or cross a bound, the step goes back along the segment to the
first such event, which makes that feature zero or bounded (Lawson-Hanson), so the objective
falls at every step.  The KKT residuals of all features, from one gradient product, choose
the features that enter or leave a bound.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from regcli.core.factor import Factor
from regcli.core.lapack import potrf
from regcli.core.penalty import Penalty, alpha_max, bounded_kkt_residuals, kkt_residuals
from regcli.core.stats import LazyStats, Stats
from regcli.core.tuning import (
    GENERAL_ADD_PER_ROUND,
    GENERAL_CACHE_BYTES,
    HARD_ROUNDS_EXTRA,
    HARD_ROUNDS_FACTOR,
)

#: A new factorization's fixed cost (its calls and the gather), in the units of ``FreeFactor``'s
#: rule, multiples of k^2 operations: k deletions cost 30 each, a factorization k / 3 plus this.
_REFACTOR_CALLS = 2.0

#: A free system whose Cholesky pivots fall below this share of its largest diagonal entry is
#: taken as singular (a column in the span of the others).
_SINGULAR = 1e-10


class BlockCache:
    """Gram entries of the features a path has used, kept between solves: on the lazy source
    each entry costs a pass over n rows, and the free sets of successive solves overlap."""

    def __init__(self, stats: Stats):
        self.stats = stats
        self.lazy = isinstance(stats, LazyStats)
        self.where = np.full(stats.n_features, -1, dtype=np.intp)
        self.G = np.zeros((0, 0))
        self.count = 0

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """G[rows, cols] (a new array)."""
        if not self.lazy:
            return self.stats.block(rows, cols)
        at_rows, at_cols = self.where[rows], self.where[cols]
        if (at_rows < 0).any() or (at_cols < 0).any():
            if not self._add(np.union1d(rows[at_rows < 0], cols[at_cols < 0])):
                return self.stats.block(rows, cols)  # beyond the cache's memory: form it
            at_rows, at_cols = self.where[rows], self.where[cols]
        return self.G.take(at_rows, axis=0).take(at_cols, axis=1)

    def _add(self, idx: np.ndarray) -> bool:
        """Cache the Gram entries of ``idx`` against every cached feature; False (nothing
        cached) when the cache would outgrow ``tuning.GENERAL_CACHE_BYTES``."""
        new = idx[self.where[idx] < 0]
        if new.size == 0:
            return True
        k, m = self.count, new.size
        if k + m > self.G.shape[0]:
            size = min(2 * (k + m), self.stats.n_features)
            if 8 * size * size > GENERAL_CACHE_BYTES:
                return False
            grown = np.zeros((size, size))
            grown[:k, :k] = self.G[:k, :k]
            self.G = grown
        old = np.flatnonzero(self.where >= 0)
        old = old[np.argsort(self.where[old])]
        cross = self.stats.block(np.concatenate([old, new]), new)  # (k + m, m)
        self.G[: k + m, k : k + m] = cross
        self.G[k : k + m, :k] = cross[:k].T
        self.where[new] = np.arange(k, k + m)
        self.count = k + m
        return True


class FreeFactor:
    """The Cholesky factor of the last free system, G_FF + diag lam2_F, kept between solves
    (``factor.Factor``): the next free set usually keeps most of it along a path, so features
    that left are deleted (O(k^2) each) and those that joined appended (O(k^2) per feature)
    where a new factorization costs O(k^3)."""

    def __init__(self) -> None:
        self.idx = np.zeros(0, dtype=np.intp)  # the factor's features, in its order
        self.lam2 = np.zeros(0)
        self.factor: Factor | None = None

    def order(self, in_f: np.ndarray) -> np.ndarray:
        """The free features: the factor's (those still free, in its order) first, then the
        others."""
        kept = self.idx[in_f[self.idx]] if self.idx.size else self.idx
        mark = in_f.copy()
        mark[kept] = False
        return np.concatenate([kept, np.flatnonzero(mark)])

    def solve(
        self, cache: BlockCache, F: np.ndarray, lam2: np.ndarray, rhs: np.ndarray, exact: bool
    ) -> np.ndarray | None:
        """(G_FF + diag lam2_F) x = rhs, from the kept factor where it serves (F in ``order``'s
        order)."""
        if not self._update(cache, F, lam2):
            M = cache.block(F, F)
            M.flat[:: F.size + 1] += lam2[F]
            top = np.diagonal(M).max()
            L, info = potrf(M)
            if info != 0 or not np.diagonal(L).min() ** 2 > _SINGULAR * top:
                self.idx = np.zeros(0, dtype=np.intp)
                return None if exact else np.linalg.lstsq(M, rhs, rcond=1e-12)[0]
            if self.factor is None:
                self.factor = Factor(L, F.size)
            else:
                self.factor.reset(L)
            self.idx, self.lam2 = F.copy(), lam2[F].copy()
        assert self.factor is not None
        x = self.factor.solve(rhs)
        return x if np.isfinite(x).all() else None

    def _update(self, cache: BlockCache, F: np.ndarray, lam2: np.ndarray) -> bool:
        """Bring the kept factor to F (deleting the features that left, appending the new
        ones); False where a new factorization is needed or cheaper."""
        factor, k = self.factor, self.idx.size
        if factor is None or k == 0:
            return False
        mark = np.zeros(lam2.size, dtype=bool)
        mark[F] = True
        stay = mark[self.idx]
        kept = int(np.count_nonzero(stay))
        if kept == 0 or not np.array_equal(F[:kept], self.idx[stay]):
            return False
        if not np.array_equal(lam2[self.idx[stay]], self.lam2[stay]):
            return False  # a new alpha of the elastic net: every diagonal entry moved
        gone = np.flatnonzero(~stay)
        if gone.size:
            # a deletion costs about 30 k^2, a new factorization k^3 / 3 plus its fixed cost
            if 30.0 * gone.size >= k / 3.0 + _REFACTOR_CALLS:
                return False
            for i in gone[::-1]:
                factor.delete(int(i))
            self.idx, self.lam2 = self.idx[stay], self.lam2[stay]
        if F.size > kept:
            return self._append(cache, F, lam2)
        return True

    def _append(self, cache: BlockCache, F: np.ndarray, lam2: np.ndarray) -> bool:
        """Extend the factor by the features F[k:]; False when they depend on the others."""
        assert self.factor is not None
        k = self.idx.size
        new = F[k:]
        W = self.factor.tri(cache.block(self.idx, new))  # (k, m)
        if not np.isfinite(W).all():
            return False
        S = cache.block(new, new) - W.T @ W
        S.flat[:: new.size + 1] += lam2[new]
        top = float(np.diagonal(self.factor.L).max() ** 2)
        L22, info = potrf(S)
        if info != 0 or not np.diagonal(L22).min() ** 2 > _SINGULAR * max(top, 1e-300):
            return False
        self.factor.append(W, L22)
        self.idx, self.lam2 = F.copy(), lam2[F].copy()
        return True


class GeneralSolution(NamedTuple):
    coef: np.ndarray  # (m,)
    grad: np.ndarray  # (m,) c - G coef
    n_iter: int  # linear solves
    max_kkt_violation: float
    converged: bool


def solve_general(
    stats: Stats,
    penalty: Penalty,
    alpha: float,
    coef0: np.ndarray,
    *,
    tol: float,
    max_iter: int = 10_000,
    screen: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
    cache: BlockCache | None = None,
    grad0: np.ndarray | None = None,
    factor: FreeFactor | None = None,
) -> GeneralSolution:
    """Solve at one alpha from the warm start ``coef0`` (m,) to max KKT violation <= ``tol``
    (absolute).  ``screen`` (m,) marks features whose violations are added first (the strong
    set); ``allowed`` (m,) restricts the features that may be nonzero (the others stay 0 and
    are not certified).  ``cache`` keeps Gram blocks between the solves of a path, and
    ``grad0`` is the gradient at ``coef0`` when the caller has it (the previous point's)."""
    m = stats.n_features
    if cache is None:
        cache = BlockCache(stats)
    if factor is None:
        factor = FreeFactor()
    lam1 = np.broadcast_to(np.asarray(penalty.lam1(alpha), float), (m,))
    lam2 = np.broadcast_to(np.asarray(penalty.lam2(alpha), float), (m,))
    lower, upper = penalty.bounds(m)
    b = np.clip(np.asarray(coef0, dtype=float), lower, upper)
    if allowed is not None:
        b[~allowed] = 0.0
    if grad0 is not None and allowed is None and np.array_equal(b, coef0):
        grad = grad0
    else:
        grad = _gradient(stats, b)
    n_iter = rounds = 0
    seen: set[bytes] = set()  # free sets and signs tried: a repeat is a cycle
    bounded = penalty.bounded
    while True:
        if bounded:
            resid = bounded_kkt_residuals(grad, b, lam1, lam2, lower, upper)
        else:
            resid = kkt_residuals(grad, b, lam1, lam2)
        if allowed is not None:
            resid[~allowed] = 0.0
        worst = float(resid.max(initial=0.0))
        rounds += 1
        # a round that solves nothing and changes nothing cannot do better: stop there too
        stalled = rounds > HARD_ROUNDS_FACTOR * max_iter + HARD_ROUNDS_EXTRA
        if worst <= tol or n_iter >= max_iter or stalled or not np.isfinite(worst):
            return GeneralSolution(b, grad, n_iter, worst, worst <= tol)
        # the worst violators among features that are zero or at a bound enter the free set
        # (strong-set features first); free features' residuals are the solve's business
        free = (b != 0) & (b > lower) & (b < upper)
        outside = ~free & (resid > tol)
        if screen is not None and (outside & screen).any():
            outside &= screen
        cand = np.flatnonzero(outside)
        count = GENERAL_ADD_PER_ROUND
        if stats.n_features >= stats.n_samples:  # wide: the free set's rank is at most n - 1
            count = min(count, max(1, (stats.n_samples - 1 - int(free.sum())) // 2))
        enter = cand[np.argsort(resid[cand])[::-1][:count]]
        sign = np.where(b != 0, np.sign(b), np.sign(grad))
        sign[enter] = np.where(b[enter] != 0, np.sign(b[enter]), np.sign(grad[enter]))
        in_f = free.copy()
        in_f[enter] = True
        held = ~in_f & (b != 0)  # at a bound
        state = b"".join(
            np.packbits(x).tobytes() for x in (in_f, sign[in_f] > 0, held, b[held] > 0)
        )
        if state in seen:  # the same free set again: a cycle (collinear columns, no ridge)
            return GeneralSolution(b, grad, n_iter, worst, False)
        seen.add(state)
        before = b
        b, solves = _solve_free_set(
            stats, cache, factor, b, in_f, sign, lam1, lam2, lower, upper, n_iter, max_iter, enter
        )
        if solves == n_iter and np.array_equal(b, before):  # no solve, no change: stuck
            return GeneralSolution(b, grad, n_iter, worst, False)
        n_iter = solves
        grad = _gradient(stats, b)


def _solve_free_set(
    stats: Stats,
    cache: BlockCache,
    factor: FreeFactor,
    b: np.ndarray,
    in_f: np.ndarray,
    sign: np.ndarray,
    lam1: np.ndarray,
    lam2: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    n_iter: int,
    max_iter: int,
    entering: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Lawson-Hanson steps on the free set ``in_f`` until its solution keeps its signs and
    bounds; returns the new coefficients and the solve count.  Entering penalized features
    whose columns make the free system singular are left out, the least violating first."""
    b = b.copy()
    # the least violating penalized entrant leaves first; unpenalized columns that depend on
    # others share their weight instead (the minimum-norm solution)
    waiting = [int(j) for j in entering[::-1] if lam1[j] > 0]
    while n_iter < max_iter:
        F = factor.order(in_f)
        if F.size == 0:
            return b, n_iter
        B = np.flatnonzero(~in_f & (b != 0))  # at a bound, held there
        s = sign[F]
        rhs = stats.c[F] - lam1[F] * s
        if B.size:
            rhs = rhs - cache.block(F, B) @ b[B]
        x = factor.solve(cache, F, lam2, rhs, exact=bool(waiting))
        n_iter += 1
        if x is None:  # singular with entering features: the least violating one waits
            j = waiting.pop(0)
            in_f[j] = False
            b[j] = 0.0
            continue
        start = b[F]
        d = x - start
        # events along start -> x: a penalized coefficient reaching zero, or one a bound
        t_zero = np.full(F.size, np.inf)
        t_upper = np.full(F.size, np.inf)
        t_lower = np.full(F.size, np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = (lam1[F] > 0) & (s * x < 0)
            t_zero[crossing] = np.where(d[crossing] != 0, -start[crossing] / d[crossing], 0.0)
            over = x > upper[F]
            t_upper[over] = (upper[F][over] - start[over]) / d[over]
            under = x < lower[F]
            t_lower[under] = (lower[F][under] - start[under]) / d[under]
        t = np.clip(np.minimum(np.minimum(t_zero, t_upper), t_lower), 0.0, np.inf)
        q = int(np.argmin(t))
        if not t[q] < 1.0:
            b[F] = x
            return b, n_iter
        b[F] = start + t[q] * d
        # every feature whose event comes at this step (ties by rounding) leaves the free set
        for r in np.flatnonzero(t <= t[q] * (1 + 1e-12) + 1e-300):
            j = F[r]
            if t_zero[r] <= t[r]:
                b[j] = 0.0
            elif t_upper[r] <= t[r]:
                b[j] = upper[j]
            else:
                b[j] = lower[j]
            in_f[j] = False
            if b[j] == 0.0:
                sign[j] = 0.0
    return b, n_iter


def _gradient(stats: Stats, coef: np.ndarray) -> np.ndarray:
    active = np.flatnonzero(coef)
    return stats.grad(active, coef[active])


def least_squares_on(
    stats: Stats, penalty: Penalty, features: np.ndarray, coef0: np.ndarray | None = None
) -> np.ndarray:
    """Unpenalized least squares on ``features`` alone (every other coefficient 0) within the
    penalty's bounds: the minimum-norm solution without bounds, else the general solver at
    alpha = 0 from ``coef0`` (m,)."""
    out = np.zeros(stats.n_features)
    if features.size == 0:
        return out
    if not penalty.bounded:
        G = stats.block(features, features)
        out[features] = np.linalg.lstsq(G, stats.c[features], rcond=1e-12)[0]
        return out
    allowed = np.zeros(stats.n_features, dtype=bool)
    allowed[features] = True
    scale = float(np.abs(stats.c).max(initial=0.0))
    start = out if coef0 is None else coef0
    sol = solve_general(stats, penalty, 0.0, start, tol=1e-12 * max(scale, 1e-300), allowed=allowed)
    return sol.coef


def null_gradient(stats: Stats, penalty: Penalty) -> np.ndarray:
    """The gradient c - G b at the null fit: the unpenalized features (factor 0) fitted alone
    within their bounds, every other coefficient 0 (glmnet's alpha_max starts from it)."""
    U = penalty.unpenalized()
    if U.size == 0:
        return stats.c.copy()
    b = least_squares_on(stats, penalty, U)
    return stats.grad(U, b[U])


def problem_alpha_max(stats: Stats, penalty: Penalty) -> float:
    """The smallest alpha at which every penalized coefficient is zero: from c for the scalar
    penalty, else from the gradient at the null fit."""
    if penalty.scalar:
        return alpha_max(stats.c, penalty.l1_ratio)
    return penalty.alpha_max(null_gradient(stats, penalty))
