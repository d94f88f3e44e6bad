"""Working-set coordinate descent for the general penalty: per-feature weights and bounds.

Minimizes 1/2 b'Gb - c'b + sum_j (lam1_j |b_j| + lam2_j / 2 b_j^2) subject to
lower <= b <= upper, on either statistics source.  The working set W (the nonzero features, the
unpenalized ones and the worst KKT violators) gets its Gram block G_WW once; coordinate descent
runs on it, and once the signs and the bounds in force settle, one linear solve on the free
features makes the solution exact (it is kept only if it respects those signs and bounds).  The
KKT residuals of all features, from one gradient product, decide whether W must grow.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from regcli.core.penalty import Penalty
from regcli.core.stats import Stats
from regcli.core.tuning import CD_ADD_PER_ROUND, CD_MAX_SWEEPS_PER_ROUND


class GeneralSolution(NamedTuple):
    coef: np.ndarray  # (m,)
    grad: np.ndarray  # (m,) c - G coef
    n_iter: int  # coordinate sweeps plus exact solves
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
) -> GeneralSolution:
    """Solve at one alpha from the warm start ``coef0`` (m,), to max KKT violation <= ``tol``
    (absolute); ``screen`` (m,) marks features to put in the first working set."""
    m = stats.n_features
    lam1 = np.broadcast_to(np.asarray(penalty.lam1(alpha), float), (m,))
    lam2 = np.broadcast_to(np.asarray(penalty.lam2(alpha), float), (m,))
    lower, upper = penalty.bounds(m)
    coef = np.clip(np.asarray(coef0, dtype=float), lower, upper)
    if m == 0:
        return GeneralSolution(coef, stats.c.copy(), 0, 0.0, True)
    free_of_penalty = (lam1 == 0) & (lower < 0) & (upper > 0)
    working = (coef != 0) | free_of_penalty
    if screen is not None:
        working |= screen
    grad = _gradient(stats, coef)
    n_iter = 0
    while True:
        resid = penalty.kkt_residuals(grad, coef, alpha)
        worst = float(resid.max())
        if worst <= tol or n_iter >= max_iter:
            return GeneralSolution(coef, grad, n_iter, worst, worst <= tol)
        outside = np.flatnonzero(~working & (resid > tol))
        if outside.size:
            worst_first = outside[np.argsort(resid[outside])[::-1][:CD_ADD_PER_ROUND]]
            working[worst_first] = True
        W = np.flatnonzero(working)
        G = stats.block(W, W)
        gW = grad[W].copy()
        bW = coef[W].copy()
        sweeps = _descend(
            G,
            gW,
            bW,
            lam1[W],
            lam2[W],
            lower[W],
            upper[W],
            tol,
            min(CD_MAX_SWEEPS_PER_ROUND, max_iter - n_iter),
        )
        n_iter += sweeps
        polished = _exact_on_free(G, stats.c[W], bW, lam1[W], lam2[W], lower[W], upper[W])
        if polished is not None:
            bW = polished
            n_iter += 1
        coef[W] = bW
        coef[~working] = 0.0
        grad = _gradient(stats, coef)
        working &= (coef != 0) | free_of_penalty | (penalty.kkt_residuals(grad, coef, alpha) > 0)


def _gradient(stats: Stats, coef: np.ndarray) -> np.ndarray:
    active = np.flatnonzero(coef)
    return stats.grad(active, coef[active])


def _descend(
    G: np.ndarray,
    g: np.ndarray,
    b: np.ndarray,
    lam1: np.ndarray,
    lam2: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    tol: float,
    max_sweeps: int,
) -> int:
    """Cyclic coordinate descent on the block, in place on b and g = c_W - G b; returns the
    sweeps done (it stops when no coefficient moves by more than tol / G_jj in a sweep)."""
    diag = np.diagonal(G)
    denom = diag + lam2
    k = b.size
    for sweep in range(1, max_sweeps + 1):
        largest = 0.0
        for j in range(k):
            if denom[j] <= 0.0:
                continue
            z = g[j] + diag[j] * b[j]
            new = (np.sign(z) * max(abs(z) - lam1[j], 0.0)) / denom[j]
            new = min(max(new, lower[j]), upper[j])
            delta = new - b[j]
            if delta != 0.0:
                g -= delta * G[:, j]
                b[j] = new
                largest = max(largest, abs(delta) * diag[j])
        if largest <= tol:
            return sweep
    return max_sweeps


def _exact_on_free(
    G: np.ndarray,
    c: np.ndarray,
    b: np.ndarray,
    lam1: np.ndarray,
    lam2: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray | None:
    """The exact minimizer for the signs and active bounds of b: on the free features F,
    (G_FF + diag lam2_F) b_F = c_F - lam1_F s_F - G_FB b_B, with B at their bounds; None when
    the system is singular or its solution changes a sign or crosses a bound."""
    at_bound = (b != 0) & ((b >= upper) | (b <= lower))
    free = (b != 0) & ~at_bound
    F = np.flatnonzero(free)
    if F.size == 0:
        return None
    B = np.flatnonzero(at_bound)
    s = np.sign(b[F])
    M = G[np.ix_(F, F)] + np.diag(lam2[F])
    rhs = c[F] - lam1[F] * s
    if B.size:
        rhs = rhs - G[np.ix_(F, B)] @ b[B]
    try:
        bF = np.linalg.solve(M, rhs)
    except np.linalg.LinAlgError:
        return None
    if not np.isfinite(bF).all() or np.any(np.sign(bF) != s):
        return None
    if np.any(bF > upper[F]) or np.any(bF < lower[F]):
        return None
    out = b.copy()
    out[F] = bF
    return out


def null_gradient(stats: Stats, penalty: Penalty) -> np.ndarray:
    """The gradient c - G b at the null fit: the unpenalized features (factor 0) fitted alone
    within their bounds, every other coefficient 0 (glmnet's alpha_max starts from it)."""
    U = penalty.unpenalized()
    if U.size == 0:
        return stats.c.copy()
    lower, upper = penalty.bounds(stats.n_features)
    G = stats.block(U, U)
    b = np.zeros(U.size)
    if not penalty.bounded:
        b = np.linalg.lstsq(G, stats.c[U], rcond=1e-12)[0]
    else:
        g = stats.c[U].copy()
        zeros = np.zeros(U.size)
        _descend(G, g, b, zeros, zeros, lower[U], upper[U], 1e-14, CD_MAX_SWEEPS_PER_ROUND)
        polished = _exact_on_free(G, stats.c[U], b, zeros, zeros, lower[U], upper[U])
        b = b if polished is None else polished
    return stats.grad(U, b)
