"""Many lasso / elastic-net paths on dense Gram statistics at once: the folds of a CV.

The folds (times l1 ratios, times repeats) of a cross-validation advance down their grids
together, so every NumPy call serves all of them.  Each point is solved by a vectorized
primal-dual active-set iteration (Ito and Kunisch) until the active set and signs are fixed
(then the point is exact); kernels are a batched LU, one Cholesky per problem, or spectral
solves at the dense end (``tuning``).  A problem without a fixed point after
``BATCH_MAX_ROUNDS`` solves, or out of tolerance, is solved by ``activeset.solve_enet`` from
the same warm start; every point is certified.  docs/solvers.md has the details.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from regcli.core.activeset import solve_enet
from regcli.core.family import deviance_ratios
from regcli.core.lapack import scipy_linalg
from regcli.core.moments import symmetric_from_upper
from regcli.core.path import (
    MIN_POINTS_BEFORE_STOP,
    STOP_REASONS,
    RawPath,
    early_stop_rule,
)
from regcli.core.penalty import ElasticNet, kkt_residuals, kkt_scales
from regcli.core.progress import advance
from regcli.core.stats import GramStats
from regcli.core.tuning import (
    BATCH_CHOLESKY_FROM,
    BATCH_MAX_ROUNDS,
    SPECTRAL_INACTIVE,
    SPECTRAL_MAX_CONDITION,
    SPECTRAL_MAX_FEATURES,
)


def solve_paths(
    problems: Sequence[GramStats],
    grids: Sequence[np.ndarray],
    l1_ratios: Sequence[float],
    *,
    tol: float,
    max_iter: int = 10_000,
    early_stop: Sequence[bool] | bool = False,
) -> list[RawPath]:
    """``path.solve_path`` for every (problem, grid, l1 ratio) triple, all advanced together.

    The problems must share their number of features (``cv`` groups them by it); l1 ratios must
    be > 0 (ridge has its closed form).  Returns one ``RawPath`` per problem, equal to what
    ``solve_path`` returns up to rounding (the solutions are the same exact points).
    """
    B = len(problems)
    if isinstance(early_stop, bool):
        early_stop = [early_stop] * B
    if B == 0:
        return []
    m = problems[0].n_features
    if any(p.n_features != m for p in problems):
        raise ValueError("batched problems must have the same number of features")
    lengths = np.array([len(g) for g in grids])
    steps = int(lengths.max())
    ratios = np.asarray(l1_ratios, dtype=float)
    # one padded copy of each distinct Gram (a fold's serves all its l1 ratios): index m is a
    # dummy feature with a zero row and column
    grams = _GramStack(problems)
    spectral = _Spectral(grams)
    cpad = np.zeros((B, m + 1))
    for q, prob in enumerate(problems):
        cpad[q, :m] = prob.c
    c = cpad[:, :m]
    diag = grams.diag[grams.gid]
    yy = np.array([prob.yy for prob in problems])
    null = np.array([prob.null_yy for prob in problems])
    alphas = np.zeros((B, steps))
    for q, grid in enumerate(grids):
        alphas[q, : len(grid)] = grid
    lam1_all = alphas * ratios[:, None]
    lam2_all = alphas * (1.0 - ratios[:, None])
    c_max = np.abs(c).max(axis=1) if m else np.zeros(B)
    tol_all = tol * kkt_scales(alphas, c_max[:, None])

    coef = np.zeros((B, m))
    grad = c.copy()
    coef_prev = np.zeros((B, m))  # the point before, for the extrapolated warm start
    grad_prev = c.copy()
    out_coef = np.zeros((B, steps, m))
    out_kkt = np.zeros((B, steps))
    out_iter = np.zeros((B, steps), dtype=int)
    out_conv = np.zeros((B, steps), dtype=bool)
    fit_term = np.zeros((B, steps))
    dev = np.zeros((B, steps))
    done = np.zeros(B, dtype=int)
    stop = np.zeros(B, dtype=int)  # index into STOP_REASONS
    may_stop = np.asarray(early_stop, dtype=bool)
    alive = np.ones(B, dtype=bool)
    # each lasso problem's last Cholesky factor: (active indices, upper factor U)
    factors: list[tuple[np.ndarray, np.ndarray] | None] = [None] * B
    for i in range(steps):
        P = np.flatnonzero(alive & (lengths > i))
        if P.size == 0:
            break
        advance(int(P.size))
        # while every problem is on (the common case), slices: views instead of gathers
        S: slice | np.ndarray = slice(None) if P.size == B else P
        lam1, lam2, tol_i = lam1_all[S, i], lam2_all[S, i], tol_all[S, i]
        b, g = coef[S], grad[S]
        if i >= 2:
            # the warm start extrapolated linearly in alpha from the last two points (exact for
            # the lasso while its active set holds): it predicts the new active set better
            step = alphas[S, i - 1] - alphas[S, i - 2]
            theta = (alphas[S, i] - alphas[S, i - 1]) / np.where(step != 0, step, np.inf)
            b = b + theta[:, None] * (b - coef_prev[S])
            g = g + theta[:, None] * (g - grad_prev[S])
        else:
            b, g = b.copy(), g.copy()
        b, g, n_iter = _pdas(grams, spectral, cpad, diag, P, b, g, lam1, lam2, factors)
        kkt = _kkt(b, g, lam1, lam2)
        for j in np.flatnonzero(~(kkt <= tol_i)):  # the exact sequential method, same warm start
            q = int(P[j])
            sol = solve_enet(
                problems[q],
                ElasticNet(alpha=float(alphas[q, i]), l1_ratio=float(ratios[q])),
                coef[q],
                tol=float(tol_i[j]),
                max_iter=max_iter,
            )
            b[j], g[j], kkt[j] = sol.coef, sol.grad, sol.max_kkt_violation
            n_iter[j] += sol.n_iter
        coef_prev, coef = coef, coef_prev  # the old arrays take the new values below
        grad_prev, grad = grad, grad_prev
        if P.size < B:  # the problems that are done keep their last point
            off = np.ones(B, dtype=bool)
            off[P] = False
            coef[off], grad[off] = coef_prev[off], grad_prev[off]
        coef[S], grad[S] = b, g
        out_coef[S, i] = b
        out_kkt[S, i] = kkt
        out_iter[S, i] = n_iter
        out_conv[S, i] = kkt <= tol_i
        done[S] = i + 1
        term = np.einsum("ij,ij->i", b, c[S] + g)
        fit_term[S, i] = term
        if not may_stop.any():
            continue
        # glmnet's early stop, for the problems on a default grid
        d = deviance_ratios(yy[S], term, null[S])
        dev[S, i] = d
        if i + 1 >= MIN_POINTS_BEFORE_STOP:
            high, flat = early_stop_rule(d, dev[S, i - 1])
            high &= may_stop[S]
            flat &= may_stop[S]
            stop[P[high]] = 1
            stop[P[flat]] = 2
            alive[P[high | flat]] = False
    paths = []
    for q in range(B):
        k = int(done[q])
        d = dev[q, :k] if may_stop[q] else deviance_ratios(yy[q], fit_term[q, :k], null[q])
        paths.append(
            RawPath(
                alphas=np.asarray(grids[q][:k], dtype=float),
                coefs=out_coef[q, :k],
                dev_ratio=d,
                max_kkt_violation=out_kkt[q, :k],
                n_iter=out_iter[q, :k],
                converged=out_conv[q, :k],
                stop_reason=STOP_REASONS[stop[q]],
            )
        )
    return paths


class _GramStack:
    """The distinct Grams of a batch, padded with a dummy feature (zero row and column):
    ``G`` (U, m + 1, m + 1), ``diag`` (U, m); per problem ``gid`` (which Gram) and ``slot``
    (its rank among the problems sharing that Gram, < ``width``)."""

    def __init__(self, problems: Sequence[GramStats]):
        first: dict[int, int] = {}
        gid = np.zeros(len(problems), dtype=np.intp)
        slot = np.zeros(len(problems), dtype=np.intp)
        count: list[int] = []
        for q, prob in enumerate(problems):
            u = first.setdefault(id(prob), len(first))
            if u == len(count):
                count.append(0)
            gid[q], slot[q] = u, count[u]
            count[u] += 1
        m = problems[0].n_features
        self.G = np.zeros((len(first), m + 1, m + 1))
        for q, prob in enumerate(problems):
            if slot[q] == 0:
                self.G[gid[q], :m, :m] = prob.gram
        self.diag = np.ascontiguousarray(np.diagonal(self.G, axis1=1, axis2=2)[:, :m])
        self.gid, self.slot, self.width = gid, slot, max(count)

    def stacked(self, mats: np.ndarray, P: np.ndarray, v: np.ndarray) -> np.ndarray:
        """mats[gid[q]] @ v[i] for each problem q = P[i] (mats: one matrix per Gram): every
        problem in its own column of its Gram's right-hand side, one stacked product."""
        gid, slot = self.gid[P], self.slot[P]
        stack = np.zeros((mats.shape[0], mats.shape[2], self.width))
        stack[gid, :, slot] = v
        return np.matmul(mats, stack)[gid, :, slot]


class _Spectral:
    """Active solves from the whole Gram, for problems with few inactive features (the dense
    end of a path, where a Cholesky factorization per problem and point costs the most).

    With M = G + lam2 I and W = M^{-1}, the active block's system M_AA x = v (I the inactive
    features) has the solution x = (W v~)_A - W_AI W_II^{-1} (W v~)_I (v~: v on A, zero on I;
    the block inverse of M_AA is W_AA - W_AI W_II^{-1} W_IA): one product with an m x m matrix
    per problem (every problem of a round in one stacked product) and a |I| x |I| solve,
    instead of a k^3 / 3 factorization.
    - The lasso (lam2 = 0 at every alpha) keeps W = G^{-1} itself.
    - The elastic net (a new lam2 at every alpha) uses G = Q diag(lam) Q': W = Q D Q' with
      D = diag(1 / (lam + lam2)), so x~ = Q D (Q'v~ - Q_I' z) with W_II = Q_I D Q_I' and
      W_II z = Q_I D Q'v~: two stacked products with Q.
    A Gram's inverse or eigendecomposition is computed the first time one of its problems
    qualifies; problems whose M is not well conditioned keep the Cholesky solves."""

    def __init__(self, grams: _GramStack):
        self.grams = grams
        U, w, _ = grams.G.shape
        m = w - 1
        self.m = m
        self.eig_ready = np.zeros(U, dtype=bool)
        self.inv_ready = np.zeros(U, dtype=bool)
        self.inv_ok = np.zeros(U, dtype=bool)
        self.lam = np.zeros((U, m))
        # allocated on first use (each as large as the Gram stack, which ``cv`` budgets for):
        # the eigenvectors with a zero row m (the padding index of the inactive sets), and
        # G^{-1} with a zero row and column m
        self.Qpad: np.ndarray | None = None
        self.Winv: np.ndarray | None = None

    def usable(self, Pt: np.ndarray, counts: np.ndarray, lam2: np.ndarray) -> np.ndarray:
        """(t,) bool: the problems Pt whose active solve this serves (computing what their
        Grams need on first use)."""
        near = self.m - counts <= SPECTRAL_INACTIVE
        if self.m > SPECTRAL_MAX_FEATURES or not near.any():
            return np.zeros_like(near)
        gid = self.grams.gid[Pt]
        lasso = lam2 == 0.0
        self._prepare(np.unique(gid[near & lasso]), np.unique(gid[near & ~lasso]))
        lo = self.lam[gid, 0] + lam2
        hi = self.lam[gid, -1] + lam2
        enet_ok = (lo > 0.0) & (hi <= SPECTRAL_MAX_CONDITION * lo)
        return near & np.where(lasso, self.inv_ok[gid], enet_ok)

    def _prepare(self, inv: np.ndarray, eig: np.ndarray) -> None:
        m = self.m
        U = self.grams.G.shape[0]
        inv = inv[~self.inv_ready[inv]]
        if inv.size and self.Winv is None:
            self.Winv = np.zeros((U, m + 1, m + 1))
        lapack = scipy_linalg().lapack

        for u in inv.tolist():
            G = self.grams.G[u, :m, :m]
            L, info = lapack.dpotrf(G, lower=1, clean=1)
            if info == 0:
                Wu, info = lapack.dpotri(L, lower=1)  # its lower triangle; the upper stays 0
            if info == 0:
                Wu = symmetric_from_upper(Wu.T)
                # 1-norm condition number (G and W symmetric)
                cond = np.abs(G).sum(axis=0).max() * np.abs(Wu).sum(axis=0).max()
                if cond <= SPECTRAL_MAX_CONDITION:
                    self.Winv[u, :m, :m] = Wu  # type: ignore[index]
                    self.inv_ok[u] = True
            self.inv_ready[u] = True
        eig = eig[~self.eig_ready[eig]]
        if eig.size:
            if self.Qpad is None:
                self.Qpad = np.zeros((U, m + 1, m))
            lam, Q = np.linalg.eigh(self.grams.G[eig, :m, :m])
            self.lam[eig] = lam
            self.Qpad[eig, :m] = Q
            self.eig_ready[eig] = True

    def solve(self, Pt: np.ndarray, A: np.ndarray, lam2: np.ndarray, v: np.ndarray) -> np.ndarray:
        """(t, m) x with x_A = M_AA^{-1} v_A for problems Pt (active masks A (t, m), v zero
        off A); the inactive entries are rounding and are not used."""
        x = np.empty(v.shape)
        lasso = lam2 == 0.0
        for rows, route in ((lasso, self._solve_inverse), (~lasso, self._solve_eigen)):
            if rows.any():
                if rows.all():
                    return route(Pt, A, lam2, v)
                x[rows] = route(Pt[rows], A[rows], lam2[rows], v[rows])
        return x

    def _inactive(self, A: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """(indices (t, imax) of each problem's inactive features, padded with m; valid mask;
        imax)."""
        off, valid = _padded_indices(~A, self.m - A.sum(axis=1), self.m)
        return off, valid, off.shape[1]

    def _solve_inverse(self, Pt, A, lam2, v):  # type: ignore[no-untyped-def]
        m = self.m
        gid = self.grams.gid[Pt]
        W = self.Winv
        assert W is not None
        y = np.zeros((v.shape[0], m + 1))
        y[:, :m] = self.grams.stacked(W[:, :m, :m], Pt, v)
        off, valid, imax = self._inactive(A)
        if imax:
            WI = W[gid[:, None], off]  # (t, imax, m + 1): rows of W at I (zero on the padding)
            W_II = np.take_along_axis(WI, off[:, None, :], axis=2)
            W_II[:, np.arange(imax), np.arange(imax)] += ~valid  # z = 0 on the padding
            z = np.linalg.solve(W_II, np.take_along_axis(y, off, axis=1)[:, :, None])
            y -= np.matmul(z.transpose(0, 2, 1), WI)[:, 0, :]
        return y[:, :m]

    def _solve_eigen(self, Pt, A, lam2, v):  # type: ignore[no-untyped-def]
        m = self.m
        gid = self.grams.gid[Pt]
        Qpad = self.Qpad
        assert Qpad is not None
        Q = Qpad[:, :m]
        D = 1.0 / (self.lam[gid] + lam2[:, None])
        DZ = self.grams.stacked(Q.transpose(0, 2, 1), Pt, v)
        DZ *= D
        off, valid, imax = self._inactive(A)
        if imax:
            QI = Qpad[gid[:, None], off]  # (t, imax, m), zero rows on the padding
            y_I = np.matmul(QI, DZ[:, :, None])
            W_II = np.matmul(QI * D[:, None, :], QI.transpose(0, 2, 1))
            W_II[:, np.arange(imax), np.arange(imax)] += ~valid  # z = 0 on the padding
            z = np.linalg.solve(W_II, y_I)  # (t, imax, 1)
            DZ -= D * np.matmul(z.transpose(0, 2, 1), QI)[:, 0, :]
        return self.grams.stacked(Q, Pt, DZ)


def _padded_indices(
    mask: np.ndarray, counts: np.ndarray, pad: int
) -> tuple[np.ndarray, np.ndarray]:
    """(indices (t, counts.max()) of each row's True entries of ``mask`` in ascending order,
    padded with ``pad``; the mask of the real ones).  ``counts``: True entries per row."""
    width = int(counts.max())
    order = np.argsort(~mask, axis=1, kind="stable")[:, :width]
    valid = np.arange(width) < counts[:, None]
    return np.where(valid, order, pad), valid


def _kkt(b: np.ndarray, g: np.ndarray, lam1: np.ndarray, lam2: np.ndarray) -> np.ndarray:
    """(r,) max KKT violation of each row's (b, g = c - G b); NaN stays NaN."""
    if b.shape[1] == 0:
        return np.zeros(b.shape[0])
    return kkt_residuals(g, b, lam1[:, None], lam2[:, None]).max(axis=1)


def _pdas(
    grams: _GramStack,
    spectral: _Spectral,
    cpad: np.ndarray,
    diag: np.ndarray,
    P: np.ndarray,
    b: np.ndarray,
    g: np.ndarray,
    lam1: np.ndarray,
    lam2: np.ndarray,
    factors: list[tuple[np.ndarray, np.ndarray] | None],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Primal-dual active-set rounds for problems ``P`` from warm starts (b, g), in place.

    ``grams`` holds the padded Grams (index m is the dummy feature that pads every active set
    to the batch's largest) and which one each problem uses.  Returns (b, g, solves per problem).
    Rows that reach no fixed point keep their last iterate (the caller's KKT check sends them
    to the exact solver)."""
    r, m = b.shape
    Gpad = grams.G
    Gflat = Gpad.reshape(-1)
    gid = grams.gid
    n_iter = np.zeros(r, dtype=int)
    if m == 0:
        return b, g, n_iter
    w = m + 1
    z = diag[P] * b + g
    A = np.abs(z) > lam1[:, None]
    s = np.where(A, np.sign(z), 0.0)
    todo = np.arange(r)
    for _ in range(BATCH_MAX_ROUNDS):
        # T indexes the problems of this round: a slice (views) while it is all of them
        T: slice | np.ndarray = slice(None) if todo.size == r else todo
        Pt = P[T]
        At = A[T]
        counts = At.sum(axis=1)
        kmax = int(counts.max())
        n_iter[T] += 1
        c_t = cpad[Pt]
        if kmax == 0:
            bt = np.zeros((todo.size, m))
            gt = c_t[:, :m].copy()
        else:
            # the active indices of each problem (ascending), then the dummy
            idx, valid = _padded_indices(At, counts, m)
            s_t = np.concatenate([s[T], np.zeros((todo.size, 1))], axis=1)
            rows_t = np.arange(todo.size)[:, None]
            right = c_t - lam1[T][:, None] * s_t  # c - lam1 s over every feature (and dummy)
            rhs = right[rows_t, idx]
            if kmax >= BATCH_CHOLESKY_FROM:
                x = np.zeros((todo.size, kmax))
                lam2_t = lam2[T]
                near = spectral.usable(Pt, counts, lam2_t)
                if near.any():  # few inactive features: from the whole Gram (_Spectral)
                    e = np.flatnonzero(near)
                    v = np.where(At[e], right[e, :m], 0.0)
                    try:
                        xe = spectral.solve(Pt[e], At[e], lam2_t[e], v)
                    except np.linalg.LinAlgError:  # pragma: no cover - W_II is definite
                        near[:] = False
                    else:
                        x[e] = np.concatenate([xe, np.zeros((e.size, 1))], axis=1)[
                            np.arange(e.size)[:, None], idx[e]
                        ]
                rest = np.flatnonzero(~near)
                if rest.size:
                    x[rest] = _solve_each_own(
                        Gpad,
                        gid,
                        Pt[rest],
                        idx[rest],
                        counts[rest],
                        lam2_t[rest],
                        rhs[rest],
                        factors,
                    )
            else:
                base = (gid[Pt] * (w * w))[:, None] + idx * w  # (t, kmax): offsets of G[q, idx]
                M = Gflat.take(base[:, :, None] + idx[:, None, :])
                dg = np.einsum("tii->ti", M)
                dg += np.where(valid, lam2[T][:, None], 1.0)
                x = _solve_batched(M, rhs)
            failed = np.isnan(x).any(axis=1)  # an exactly singular block: for the exact solver
            full = np.zeros((todo.size, w))
            full[rows_t, idx] = x  # the dummy's entry is 0 (it solves 1 x = 0)
            bt = full[:, :m]
            if 2 * todo.size * kmax > Gpad.shape[0] * grams.width * w:
                # most of the stack is needed: one product with all of it beats gathering rows
                # (a Gram's problems in its own columns of the right-hand side)
                gt = c_t[:, :m] - grams.stacked(Gpad, Pt, full)[:, :m]
            else:
                rows = Gpad[gid[Pt][:, None], idx]  # (t, kmax, m + 1): G symmetric: its rows
                gt = c_t[:, :m] - np.matmul(x[:, None, :], rows[:, :, :m])[:, 0, :]
            if failed.any():
                keep = ~failed
                todo, Pt, bt, gt = todo[keep], Pt[keep], bt[keep], gt[keep]
                T = todo
        b[T], g[T] = bt, gt
        z = diag[Pt] * bt + gt
        An = np.abs(z) > lam1[T][:, None]
        sn = np.where(An, np.sign(z), 0.0)
        same = (sn == s[T]).all(axis=1)  # the same set with the same signs
        A[T] = An
        s[T] = sn
        todo = todo[~same]
        if todo.size == 0:
            break
    return b, g, n_iter


def _solve_batched(M: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """x with M[t] x[t] = rhs[t] for every t (one batched LU solve of the padded blocks); a
    problem whose block is exactly singular (collinear active columns) gets NaN."""
    try:
        return np.linalg.solve(M, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        x = np.full(rhs.shape, np.nan)
        for t in range(M.shape[0]):
            try:
                x[t] = np.linalg.solve(M[t], rhs[t])
            except np.linalg.LinAlgError:
                pass
        return x


def _solve_each_own(
    Gpad: np.ndarray,
    gid: np.ndarray,
    Pt: np.ndarray,
    idx: np.ndarray,
    counts: np.ndarray,
    lam2: np.ndarray,
    rhs: np.ndarray,
    factors: list[tuple[np.ndarray, np.ndarray] | None],
) -> np.ndarray:
    """x with (G_AA + lam2 I) x = rhs for each problem Pt[q] on its own active block (A =
    idx[q, :counts[q]]), by one LAPACK Cholesky solve each; zero on the padding, NaN for a
    problem whose block is not positive definite (collinear active columns).

    ``factors[p]`` keeps problem p's last factor: the same block again (the lasso on an
    unchanged active set, where lam2 = 0 at every alpha) needs only the two triangular solves."""
    linalg = scipy_linalg()
    blas, lapack = linalg.blas, linalg.lapack

    t, k = rhs.shape
    x = np.zeros((t, k))
    posv, trsv = lapack.dposv, blas.dtrsv
    for q in range(t):
        c = int(counts[q])
        if c == 0:
            continue
        a = idx[q, :c]
        p = int(Pt[q])
        last = factors[p] if lam2[q] == 0.0 else None
        if last is not None and last[0].size == c and (last[0] == a).all():
            U = last[1]  # upper: U'U = M; trsv (OpenBLAS's potrs goes through the slower trsm)
            x[q, :c] = trsv(U, trsv(U, rhs[q, :c], trans=1), overwrite_x=1)
            continue
        M = Gpad[gid[p]].take(a, axis=0).take(a, axis=1)
        if lam2[q]:
            M.reshape(-1)[:: c + 1] += lam2[q]  # a view of the diagonal (cheaper than M.flat)
        # M is symmetric: its transpose is the Fortran-ordered matrix LAPACK reads, no copy
        L, xq, info = posv(M.T, rhs[q, :c], overwrite_a=1)
        if info != 0:
            x[q] = np.nan
            factors[p] = None
        else:
            x[q, :c] = xq
            if lam2[q] == 0.0:  # the lasso's factor serves its next alphas too
                factors[p] = (a, L)
    return x
