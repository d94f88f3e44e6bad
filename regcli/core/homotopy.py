"""The lasso path on wide data by homotopy (LARS with the lasso modification): kink to kink.

On an active set with fixed signs the lasso solution and its gradient are linear in lam1, so
the next kink (a coefficient reaching zero or an inactive gradient reaching lam1) follows in
O(p), and each grid point before it costs no solve.  A kink costs one pass over X~ and two
triangular solves.  Grid points are certified by their own KKT violation; whatever the homotopy
cannot take (a dependent column, a point out of tolerance, no progress) hands over to the
active-set solver with the last exact solution and factor (``Handover``).
docs/solvers.md has the details.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import NamedTuple

import numpy as np

from regcli.core.activeset import ActiveSet, pivot_row
from regcli.core.factor import Factor
from regcli.core.penalty import sided
from regcli.core.stats import LazyStats, thin_product

#: Recompute the gradient (and b_A) from X~ after this many kinks.
_ANCHOR_EVERY = 16
#: Kinks in a row without progress in lam after which the homotopy hands over.
_STALLS = 50
#: Floor of lam -+ g_j in the entry ratios (zero on the active set and for a feature that left).
_FLOOR = 1e-300
_INF = math.inf

#: One yielded grid point: (coef (m,), gradient (m,), linear solves, max KKT violation, converged).
Point = tuple[np.ndarray, np.ndarray, int, float, bool]


class Handover(NamedTuple):
    """Where the homotopy stopped: the caller solves the grid from ``next_index`` on, warm
    started from the exact solution at ``alpha`` (a kink, or the last point yielded)."""

    next_index: int
    coef: np.ndarray
    grad: np.ndarray
    alpha: float  # the kink's lam1: coef is the lasso solution there
    active_set: ActiveSet


def lasso_homotopy(
    stats: LazyStats,
    values: list[float],
    tols: np.ndarray,
    max_iter: int = 10_000,
    signs: np.ndarray | None = None,
    limits: tuple[np.ndarray, np.ndarray] | None = None,
) -> Generator[Point, None, Handover | None]:
    """Yield the lasso solution at each alpha of the descending grid ``values`` (lam1 = alpha),
    each certified against its absolute tolerance ``tols[i]``; return None when every point
    was yielded, else a ``Handover`` (also where a grid point would take more than
    ``max_iter`` kinks, each a linear solve: the active-set solver then keeps that limit).
    ``signs`` (``Penalty.sign_limits``): a feature allowed one sign only enters with it.
    ``limits`` (lower, upper) (m,) each, lower <= 0 <= upper: a coefficient reaching its limit
    is held there (it leaves the factor; its fitted values stay in the gradient), and a held
    one goes free again where its gradient stops pushing it outward: two more kinds of kink."""
    Xs = stats.Xs
    XsT = Xs.T
    c = stats.c
    n, m = Xs.shape
    K = len(values)
    g = c.copy()
    i = 0
    lam = 0.0
    j = -1
    if m:
        push = sided(g, signs)
        j = int(push.argmax())
        lam = max(float(push[j]), 0.0)
    # points at or above alpha_max: the zero solution
    while i < K and values[i] >= lam:
        yield np.zeros(m), c.copy(), 0, max(lam - values[i], 0.0), True
        i += 1
    if i >= K or lam <= 0.0:
        return None
    path = _Path(stats)
    norms = np.einsum("ij,ij->j", Xs, Xs)  # G_jj
    entering, leaving = j, -1  # the event at the kink lam (a feature, a position in A)
    just_left = -1  # a feature that left at the last kink: not a candidate to enter at once
    # with limits: the held features (at a limit), their values and fitted values X~_B b_B
    lower, upper = limits if limits is not None else (None, None)
    # a feature both of whose limits are 0 never enters
    pinned: np.ndarray | None = None
    if limits is not None:
        pinned = np.flatnonzero((limits[0] == 0) & (limits[1] == 0))
    held = np.zeros(m, dtype=bool)
    B = np.flatnonzero(held)  # the held features
    value = np.zeros(m)
    held_side = np.zeros(m)  # +1 at the upper limit, -1 at the lower
    fitted_held = np.zeros(n)
    bounding = releasing = -1  # the kink's other events: a position in A, a held feature
    bound_up = False  # whether the bounding feature moves toward its upper limit (else lower)
    just_released = -1  # its limit is where it starts: not an event at once
    solves = 0
    since_anchor = 0
    stalls = 0  # kinks in a row at the same lam
    while True:
        # 1. the event at the kink lam
        just_released = -1
        if entering >= 0:
            if not path.append(entering, 1.0 if g[entering] > 0 else -1.0, float(norms[entering])):
                return path.handover(g, lam, i, value)
        elif leaving >= 0:
            path.delete(leaving)
        elif bounding >= 0:  # held at the limit it reached
            q = int(path.idx[bounding])
            at = float(upper[q]) if bound_up else float(lower[q])  # type: ignore[index]
            path.delete(bounding)
            held[q], value[q], held_side[q] = True, at, 1.0 if at > 0 else -1.0
            B = np.flatnonzero(held)
            fitted_held += at * Xs[:, q]
        elif releasing >= 0:  # free again, from its limit
            q, at = releasing, float(value[releasing])
            if not path.append(q, 1.0 if at > 0 else -1.0, float(norms[q]), start=at):
                return path.handover(g, lam, i, value)
            held[q], value[q] = False, 0.0
            B = np.flatnonzero(held)
            fitted_held -= at * Xs[:, q]
            just_released = q
        k = path.k
        A, s, b = path.idx[:k], path.sign[:k], path.b[:k]
        since_anchor += 1
        if since_anchor >= _ANCHOR_EVERY:
            if limits is None:
                b[:] = path.factor.solve(c[A] - lam * s)
                g = c - thin_product(XsT, path.XA[:, :k] @ b)
            else:  # c_A - G_AB b_B, and the held features' fitted values in the gradient
                b[:] = path.factor.solve(c[A] - path.XA[:, :k].T @ fitted_held - lam * s)
                g = c - thin_product(XsT, path.XA[:, :k] @ b + fitted_held)
            since_anchor = 0
        # 2. the direction: v = G_AA^{-1} s, d = X~'(X~_A v)
        solves += 1
        if solves > max_iter:
            return path.handover(g, lam, i, value)
        v = path.factor.tri(path.z[:k], trans=True)
        d = thin_product(XsT, path.XA[:, :k] @ v)
        # 3. the next kink at lam - delta: the first active coefficient to reach zero, where
        # -v_i / b_i is largest and positive (1 / delta) ...
        with np.errstate(over="ignore"):  # b within rounding of 0 (released from a limit near
            # 0): it reaches 0 at once
            inv = -v / b if entering < 0 else -v[:-1] / b[:-1]  # one just entered has b = 0
        leaving = int(inv.argmax()) if inv.size else -1
        inv_drop = float(inv[leaving]) if leaving >= 0 else 0.0
        inv_bound = inv_release = 0.0
        bounding = releasing = -1
        if limits is not None:
            # ... or the first active coefficient to reach its limit: b_i + delta v_i = limit
            room = np.where(v > 0, upper[A], lower[A])  # type: ignore[index]
            room -= b
            # at or (by rounding) past the limit it moves toward: held at once
            past = v * room <= 0.0
            past &= v != 0.0
            if past.any():
                room[past] = 1.0
            with np.errstate(over="ignore"):  # a limit within rounding of b: reached at once
                inv_lim = np.divide(v, room, out=room)  # 0 where a limit is infinite
            if past.any():
                inv_lim[past] = _INF
            if just_released >= 0 and past[k - 1]:
                inv_lim[k - 1] = -_INF  # leaving its limit outward: not an event at once
            if inv_lim.size:
                bounding = int(inv_lim.argmax())
                inv_bound = float(inv_lim[bounding])
                bound_up = bool(v[bounding] > 0)  # (b's sign says nothing at a limit near 0)
            # ... or the first held feature whose gradient stops pushing it outward: at the
            # upper limit g_j >= lam until 1 / delta = (d_j - 1) / (g_j - lam), at the lower
            # g_j <= -lam until (-1 - d_j) / (-g_j - lam)
            if B.size:
                side = held_side[B]  # +1 at the upper limit, -1 at the lower
                gap = side * g[B]
                gap -= lam
                np.maximum(gap, _FLOOR, out=gap)
                inv_rel = side * d[B]
                inv_rel -= 1.0
                with np.errstate(over="ignore"):  # a floored gap: released at once
                    inv_rel /= gap
                r = int(inv_rel.argmax())
                releasing, inv_release = int(B[r]), float(inv_rel[r])
        # ... or the first inactive |g_j| to reach lam: g_j - delta d_j = +-(lam - delta), at
        # 1 / delta = (1 -+ d_j) / (lam -+ g_j) where positive; |g_j| <= lam off the active set,
        # so a denominator is only zero there (floored: the ratio is then huge, or negative)
        up = np.subtract(lam, g)
        np.maximum(up, _FLOOR, out=up)
        down = np.add(lam, g)
        np.maximum(down, _FLOOR, out=down)
        with np.errstate(over="ignore"):  # a floored denominator: that feature enters at once
            np.divide(np.subtract(1.0, d), up, out=up)
            np.divide(np.add(1.0, d), down, out=down)
        if signs is not None:  # a feature allowed one sign enters on that side only
            up[signs < 0] = -_INF
            down[signs > 0] = -_INF
        np.maximum(up, down, out=up)
        up[A] = -_INF
        if just_left >= 0:
            up[just_left] = -_INF
        up[B] = -_INF
        if pinned is not None:
            up[pinned] = -_INF
        entering = int(up.argmax()) if m > k else -1
        inv_enter = float(up[entering]) if entering >= 0 else 0.0
        first = max(inv_enter, inv_drop, inv_bound, inv_release)
        if not first > 0.0:  # nothing enters, leaves or changes any more: the rest of the path
            entering = leaving = bounding = releasing = -1
            delta = _INF
        else:
            delta = 1.0 / first
            if inv_enter == first:
                leaving = bounding = releasing = -1
            elif inv_drop == first:
                entering = bounding = releasing = -1
            elif inv_bound == first:
                entering = leaving = releasing = -1
            else:
                entering = leaving = bounding = -1
        lam_next = lam - delta
        # 4. the grid points on this piece, lam >= alpha >= lam_next
        while i < K and values[i] >= lam_next:
            alpha = values[i]
            step = lam - alpha
            grad = g - step * d
            bp = b + step * v
            if leaving >= 0 and step >= delta:
                bp[leaving] = 0.0  # the grid point is the kink where it leaves
            coef = np.zeros(m)
            coef[A] = bp
            absg = sided(grad, signs)
            if limits is not None:
                if bounding >= 0 and step >= delta:  # the kink where it reaches its limit
                    q = int(A[bounding])
                    coef[q] = upper[q] if bound_up else lower[q]  # type: ignore[index]
                coef[B] = value[B]
                absg[B] = -_INF  # a held feature's violation is its gradient's pull inward
            kkt = float(absg[absg.argmax()]) - alpha
            if k:  # (with limits every active feature may be held)
                resid = np.abs(grad[A] - alpha * s)
                kkt = max(kkt, float(resid[resid.argmax()]))
            kkt = max(kkt, 0.0)
            if B.size:  # pulled inward: alpha - g_j at the upper limit, g_j + alpha at the lower
                pull = held_side[B] * grad[B]
                kkt = max(kkt, alpha - float(pull.min()))
            if not kkt <= tols[i]:
                return path.handover(g, lam, i, value)
            yield coef, grad, max(solves, 1), kkt, True
            solves = 0
            i += 1
        if i >= K:
            return None
        # 5. move to the kink
        b += delta * v
        g -= delta * d
        stalls = stalls + 1 if lam_next == lam else 0
        lam = lam_next
        just_left = int(A[leaving]) if leaving >= 0 else -1
        if lam <= 0.0 or stalls > _STALLS:
            return path.handover(g, lam, i, value)


class _Path:
    """The homotopy's active set: indices, signs, coefficients, the Cholesky factor L of G_AA,
    z = L^{-1} s, and the active columns of X~ side by side, each in a buffer with room to grow
    (the first k entries are the active set)."""

    def __init__(self, stats: LazyStats):
        self.stats = stats
        n, m = stats.Xs.shape
        cap = max(16, min(m, n) + 1)
        self.k = 0
        self.factor = Factor(np.zeros((0, 0)), min(m, n))
        self.XA = np.empty((n, cap), order="F")
        self.idx = np.empty(cap, dtype=np.intp)
        self.sign = np.empty(cap)
        self.b = np.empty(cap)
        self.z = np.empty(cap)

    def append(self, j: int, sign: float, norm: float, start: float = 0.0) -> bool:
        """Feature j joins with coefficient ``start`` (a row of the factor), unless its column
        depends on the active ones."""
        k = self.k
        xj = self.stats.Xs[:, j]
        row = pivot_row(self.factor, self.XA[:, :k].T @ xj, norm)
        if row is None:
            return False
        if k + 1 > self.idx.size:
            self._grow()
        w, pivot = row
        self.factor.append_row(w, pivot)
        self.XA[:, k] = xj
        self.idx[k] = j
        self.sign[k] = sign
        self.b[k] = start
        self.z[k] = (sign - float(w @ self.z[:k])) / pivot if k else sign / pivot
        self.k = k + 1
        return True

    def delete(self, q: int) -> None:
        """The feature at position q leaves."""
        k = self.k
        self.factor.delete(q)
        self.XA[:, q : k - 1] = self.XA[:, q + 1 : k]
        for a in (self.idx, self.sign, self.b):
            a[q : k - 1] = a[q + 1 : k]
        self.k = k - 1
        self.z[: k - 1] = self.factor.tri(self.sign[: k - 1])

    def _grow(self) -> None:
        cap = 2 * self.idx.size
        XA = np.empty((self.XA.shape[0], cap), order="F")
        XA[:, : self.k] = self.XA[:, : self.k]
        self.XA = XA
        for name in ("idx", "sign", "b", "z"):
            old = getattr(self, name)
            new = np.empty(cap, dtype=old.dtype)
            new[: self.k] = old[: self.k]
            setattr(self, name, new)

    def handover(
        self, g: np.ndarray, lam: float, i: int, held: np.ndarray | None = None
    ) -> Handover:
        """The exact solution at the kink lam, for the active-set solver to go on from
        (``held``: the values of the features held at a limit, 0 elsewhere)."""
        m = self.stats.n_features
        coef = np.zeros(m) if held is None else held.copy()
        coef[self.idx[: self.k]] = self.b[: self.k]
        return Handover(
            next_index=i,
            coef=coef,
            grad=g,
            alpha=lam,
            active_set=ActiveSet(self.stats, coef, 0.0),
        )
