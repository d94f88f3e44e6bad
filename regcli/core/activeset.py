"""Exact active-set solver for the elastic net at one alpha, on sufficient statistics.

Minimizes  1/2 b'Gb - c'b + lam1 ||b||_1 + lam2/2 ||b||^2  (G, c from ``stats``).

On an active set A with signs s the solution solves the linear system
(G_AA + lam2 I) b_A = c_A - lam1 s_A, done by a Cholesky factor that grows by one row per
entering feature.  When the new solution would flip a sign, the step goes back along the segment
to the first coefficient that reaches zero and drops it (Lawson-Hanson / feature-sign search);
the objective falls at every such step.  Then the KKT conditions are checked on all features with
one product and the worst violators are added, a bounded number at a time.

For the lasso (lam2 = 0) a feature whose column lies in the span of the active columns (duplicated
or collinear columns, or |A| = n - 1) cannot join the factor.  It enters by a pivot instead: moving
along the null direction changes no fitted value and lowers the L1 norm, until an active
coefficient reaches zero and leaves.  The factor therefore stays nonsingular.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack, solve_triangular

from regcli.core.penalty import ElasticNet
from regcli.core.stats import Stats

#: A column whose Cholesky pivot falls below this share of its norm is taken as dependent.
_DEPENDENT = 1e-10


@dataclass(frozen=True)
class PointSolution:
    """Solution at one alpha on the standardized problem (over the solver's m columns)."""

    coef: np.ndarray  # (m,)
    grad: np.ndarray  # (m,) c - G coef, at the solution
    n_iter: int  # linear solves performed
    max_kkt_violation: float
    converged: bool
    active_set: _ActiveSet  # the factor at the solution, reusable as the next warm start


def _factor(stats: Stats, active: np.ndarray, lam2: float) -> np.ndarray | None:
    """Lower Cholesky factor of G_AA + lam2 I, or None if it is not positive definite."""
    if active.size == 0:
        return np.zeros((0, 0))
    M = stats.block(active, active)
    M[np.diag_indices_from(M)] += lam2
    L, info = lapack.dpotrf(M, lower=1, clean=0)  # upper triangle is never read
    return None if info != 0 else L


def _solve(L: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    x, _ = lapack.dpotrs(L, rhs, lower=1)
    return x


class _ActiveSet:
    """Active indices, their signs and the Cholesky factor of G_AA + lam2 I."""

    def __init__(self, stats: Stats, coef: np.ndarray, lam2: float):
        self.stats = stats
        self.lam2 = lam2
        self.idx = np.flatnonzero(coef)
        self.sign = np.sign(coef[self.idx])
        L = _factor(stats, self.idx, lam2)
        if L is None:  # warm start lost definiteness: rebuild one column at a time
            keep = self.idx
            self.idx = np.zeros(0, dtype=np.intp)
            self.sign = np.zeros(0)
            self.L = np.zeros((0, 0))
            cols = stats.cols(keep)
            for pos, j in enumerate(keep):
                if not self.try_append(j, np.sign(coef[j]), cols[:, pos]):
                    coef[j] = 0.0
        else:
            self.L = L

    def reusable(self, coef: np.ndarray, lam2: float) -> bool:
        """Whether this factor fits a warm start with support and signs of ``coef``."""
        if lam2 != self.lam2:
            return False
        support = np.flatnonzero(coef)
        if support.size != self.idx.size or not np.array_equal(np.sort(self.idx), support):
            return False
        return bool(np.all(np.sign(coef[self.idx]) == self.sign))

    def refactor(self, keep: np.ndarray) -> None:
        """Keep only the positions ``keep`` (boolean mask) and refactor."""
        self.idx = self.idx[keep]
        self.sign = self.sign[keep]
        L = _factor(self.stats, self.idx, self.lam2)
        if L is None:  # cannot happen in exact arithmetic: a subset of independent columns
            raise np.linalg.LinAlgError("active Gram block lost positive definiteness")
        self.L = L

    def pivot_column(self, col: np.ndarray, j: int) -> tuple[np.ndarray, float]:
        """Triangular solve for column j: w = L^{-1} G_Aj and the new pivot d^2."""
        diag = col[j] + self.lam2
        if self.idx.size == 0:
            return np.zeros(0), diag
        w = solve_triangular(self.L, col[self.idx], lower=True, check_finite=False)
        return w, diag - w @ w

    def try_append(self, j: int, sign: float, col: np.ndarray) -> bool:
        w, d2 = self.pivot_column(col, j)
        if d2 <= _DEPENDENT * (col[j] + self.lam2):
            return False
        k = self.idx.size
        L = np.zeros((k + 1, k + 1))
        L[:k, :k] = self.L
        L[k, :k] = w
        L[k, k] = np.sqrt(d2)
        self.L = L
        self.idx = np.append(self.idx, j)
        self.sign = np.append(self.sign, sign)
        return True


def solve_enet(
    stats: Stats,
    penalty: ElasticNet,
    coef0: np.ndarray,
    *,
    tol: float,
    max_iter: int = 10_000,
    max_add: int = 10,
    screen: np.ndarray | None = None,
    active_set: _ActiveSet | None = None,
) -> PointSolution:
    """Solve at one alpha from the warm start ``coef0`` (m,).

    ``tol`` is absolute, on the standardized gradient (the caller scales it by alpha).
    ``screen`` is an optional boolean mask (m,): the strong set, whose violators are added first.
    ``active_set`` is the previous solution's factor; it is reused when lam2 and the support match.
    """
    lam1, lam2 = penalty.lam1, penalty.lam2
    c = stats.c
    coef = np.array(coef0, dtype=float)
    if active_set is not None and active_set.reusable(coef, lam2):
        act = active_set
    else:
        act = _ActiveSet(stats, coef, lam2)
    n_iter = 0
    single = False  # fall back to one entering feature per round after a round without progress
    converged = False
    refined = 0
    p_gt_n = stats.n_features >= stats.n_samples
    entered = np.zeros(0, dtype=np.intp)
    while True:
        # 1. sign-consistent solve on the active set
        while act.idx.size and n_iter < max_iter:
            n_iter += 1
            A, s = act.idx, act.sign
            x = _solve(act.L, c[A] - lam1 * s)
            bad = s * x <= 0
            if not bad.any():
                coef[A] = x
                break
            bA = coef[A]
            with np.errstate(invalid="ignore", divide="ignore"):
                t = bA[bad] / (bA[bad] - x[bad])
            t = np.where(np.isfinite(t), np.clip(t, 0.0, 1.0), 0.0)
            tmin = t.min()
            new_b = bA + tmin * (x - bA)
            drop = np.zeros(A.size, dtype=bool)
            drop[np.flatnonzero(bad)[t <= tmin]] = True
            drop |= s * new_b <= 0
            new_b[drop] = 0.0
            coef[A] = new_b
            act.refactor(~drop)
        if entered.size and not np.isin(entered, act.idx).any():
            single = True  # every feature of the last round left again at once
        # 2. optimality on all features
        A = act.idx
        grad = stats.grad(A, coef[A])
        viol = np.abs(grad) - lam1
        viol[A] = -np.inf
        worst = float(viol.max()) if viol.size else 0.0
        active_resid = (
            float(np.abs(grad[A] - lam1 * act.sign - lam2 * coef[A]).max()) if A.size else 0.0
        )
        if max(worst, active_resid) <= tol:
            converged = True
            break
        if n_iter >= max_iter:
            break
        if worst <= tol:
            # only rounding in the active solve: one step of iterative refinement
            refined += 1
            if refined > 3:
                break
            r = grad[A] - lam1 * act.sign - lam2 * coef[A]
            coef[A] += _solve(act.L, r)
            continue
        # 3. add the worst violators (the strong set's first)
        cand = np.flatnonzero(viol > tol)
        if screen is not None:
            inside = cand[screen[cand]]
            if inside.size:
                cand = inside
        k = 1 if single else max_add
        if p_gt_n and lam2 == 0.0:
            k = min(k, max(1, (stats.n_samples - 1 - A.size) // 2))
        if cand.size > k:
            cand = cand[np.argpartition(-viol[cand], k - 1)[:k]]
        cand = cand[np.argsort(-viol[cand], kind="stable")]
        cols = stats.cols(cand)
        added = []
        for pos, j in enumerate(cand):
            if act.try_append(j, np.sign(grad[j]), cols[:, pos]):
                added.append(j)
            elif not added and lam2 == 0.0:
                if _pivot(act, coef, grad, j, cols[:, pos]):
                    added.append(j)
                break
        if not added:
            break  # nothing can enter: report the violation as it stands
        entered = np.array(added, dtype=np.intp)
    kkt = penalty.kkt_violation(grad, coef)
    return PointSolution(
        coef=coef, grad=grad, n_iter=n_iter, max_kkt_violation=kkt, converged=converged,
        active_set=act,
    )


def _pivot(act: _ActiveSet, coef: np.ndarray, grad: np.ndarray, j: int, col: np.ndarray) -> bool:
    """Enter dependent column j (lasso): move along the null direction until an active leaves.

    With x_j = X_A u the fitted values do not change along d = (d_A, d_j) = (-sigma u, sigma),
    while the L1 norm falls at rate lam1 (|u's_A| - 1) > 0 when j violates its KKT condition.
    """
    w, _ = act.pivot_column(col, j)
    u = solve_triangular(act.L.T, w, lower=False, check_finite=False)
    sigma = np.sign(grad[j])
    A = act.idx
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
    act.refactor(keep)
    return act.try_append(j, sigma, col) or _undo_pivot(coef, j)


def _undo_pivot(coef: np.ndarray, j: int) -> bool:
    coef[j] = 0.0
    return False
