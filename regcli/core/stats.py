"""Sufficient statistics of the weighted, standardized least-squares problem.

The Gaussian objective depends on the data only through

    G = X~' V X~   (p x p),   c = X~' V z   (p,),   z' V z,

where V = diag(w) / sum(w), z = y - ybar (weighted mean) and X~ holds the centered, scaled
columns.  Two sources provide them behind one small interface:

- ``GramStats`` holds G, formed once by ``prepare`` (one BLAS ``syrk`` pass over the rows, in
  chunks so memory stays near the size of X).  Best when n >= p and p is moderate.
- ``LazyStats`` keeps the standardized X~ (n x p) and forms only the Gram blocks the active set
  needs, and gradients as X~'(X~_A b).  Best when p is large or p > n.

Constant columns are removed before either is built; the solvers see only the ``keep`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.linalg import blas

from regcli.core.threads import all_threads

#: Use a dense Gram when p <= n and p <= this many columns.
GRAM_MAX_FEATURES = 2500
#: Columns whose largest |value| lies outside [PRESCALE_LOW, PRESCALE_HIGH] are divided by a
#: power of two near it before any square is formed (exact in binary floating point), when the
#: problem is standardized (which makes the solution independent of each column's scale).
PRESCALE_HIGH = 1e100
PRESCALE_LOW = 1e-100


@dataclass(frozen=True)
class Standardization:
    """How the solver's columns relate to the user's columns.

    ``mean`` (p,) and ``scale`` (p,) map x to (x - mean) / scale; ``constant`` (p,) marks columns
    that carry no information (given a value of 0).  ``y_mean`` is the weighted mean of y (0 without
    an intercept).
    """

    mean: np.ndarray
    scale: np.ndarray
    constant: np.ndarray
    y_mean: float
    fit_intercept: bool
    standardize: bool

    @property
    def keep(self) -> np.ndarray:
        """Indices of the columns the solver works on."""
        return np.flatnonzero(~self.constant)

    def to_original(self, coef_std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map solver coefficients over ``keep`` to (coef, intercept) on the original scale.

        ``coef_std`` may be (k,) or (n_alphas, k); the result has p (or n_alphas x p) columns.
        """
        coef_std = np.asarray(coef_std, dtype=float)
        if not self.constant.any():  # every column kept: no scatter (a path's 100 x p is 1 ms)
            coef = coef_std / self.scale
            mean = self.mean
            kept = coef
        else:
            keep = self.keep
            coef = np.zeros(coef_std.shape[:-1] + (self.constant.size,))
            kept = coef_std / self.scale[keep]
            coef[..., keep] = kept
            mean = self.mean[keep]
        if self.fit_intercept:
            intercept = self.y_mean - kept @ mean
        else:
            intercept = np.zeros(coef.shape[:-1])
        return coef, intercept

    def rescaled(self, factor: np.ndarray | None) -> Standardization:
        """The standardization of the columns X * factor, from that of X (``prescale``)."""
        if factor is None:
            return self
        return replace(self, mean=self.mean * factor, scale=self.scale * factor)

    def standardized(self, coef_std: np.ndarray) -> np.ndarray:
        """Solver coefficients over ``keep`` placed into all p columns (zeros for constants);
        ``coef_std`` itself, not a copy, when no column is constant."""
        coef_std = np.asarray(coef_std, dtype=float)
        if not self.constant.any():
            return coef_std
        out = np.zeros(coef_std.shape[:-1] + (self.constant.size,))
        out[..., self.keep] = coef_std
        return out


def normalized_weights(n: int, weights: np.ndarray | None) -> np.ndarray:
    """Weights scaled to sum to 1 (uniform when ``weights`` is None)."""
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _lazy_one_pass(
    X: np.ndarray,
    y: np.ndarray,
    v: np.ndarray,
    *,
    fit_intercept: bool,
    standardize: bool,
) -> tuple[Standardization, LazyStats]:
    """Standardization and the lazy source's X~ (Fortran order) in few passes over X.

    The centered copy is written once (transposing a C-ordered X on the way), the column sums of
    squares are read off it and one in-place pass scales it; no n x p temporaries.  (Separate
    passes for the means, extremes, centered squares and a scaled copy took 18 ms of a 26 ms
    one-point path on 500 x 2000.)
    """
    n, p = X.shape
    rows = v > 0
    uniform = bool(rows.all()) and float(v.max() - v.min()) <= 1e-15 * float(v.max())
    if fit_intercept:
        mean = v @ X
        y_mean = float(v @ y)
    else:
        mean = np.zeros(p)
        y_mean = 0.0
    sv = np.sqrt(v)
    Xs = np.empty((n, p), order="F")
    np.subtract(X, mean, out=Xs)
    if uniform:
        # X~ = (X - mean) / (sqrt(n) sd): the sums of squares of the centered columns give n var
        ss = np.einsum("ij,ij->j", Xs, Xs)
        var = ss / n
        sv_all = 1.0 / np.sqrt(n)
    else:
        Xs *= sv[:, None]
        var = np.einsum("ij,ij->j", Xs, Xs)  # sum_i v_i (x_ij - mean_j)^2
        sv_all = 1.0
    # A column is constant when every row that carries weight holds the same value (zero without
    # an intercept).  Only columns whose spread is within rounding of their mean can be: after
    # centering a constant column keeps about n eps |mean|, far below the 1e-6 |mean| looked at.
    if fit_intercept:
        maybe = np.flatnonzero(var <= (1e-6 * mean) ** 2)
    else:
        maybe = np.flatnonzero(var <= 1e-200)
    constant = np.zeros(p, dtype=bool)
    if maybe.size:
        Xm = X[:, maybe][rows]
        if not Xm.shape[0]:
            constant[maybe] = True
        elif fit_intercept:
            constant[maybe] = Xm.max(axis=0) == Xm.min(axis=0)
        else:
            constant[maybe] = ~np.any(Xm != 0, axis=0)
    scale = np.ones(p)
    if standardize:
        ok = ~constant
        scale[ok] = np.sqrt(var[ok])
        # numerically constant: a spread below rounding of the values themselves
        constant |= ok & (scale <= 1e-13 * np.maximum(np.abs(mean), 1e-300))
        scale[constant] = 1.0
    std = Standardization(
        mean=mean,
        scale=scale,
        constant=constant,
        y_mean=y_mean,
        fit_intercept=fit_intercept,
        standardize=standardize,
    )
    keep = std.keep
    if keep.size != p:
        Xs = np.asfortranarray(Xs[:, keep])
    Xs *= sv_all / scale[keep]
    return std, LazyStats(Xs, (y - y_mean) * sv)


class GramStats:
    """Dense Gram statistics of the standardized problem over the kept columns:
    gram (m, m), c (m,), yy = z'Vz, and the number of rows they came from."""

    def __init__(self, gram: np.ndarray, c: np.ndarray, yy: float, n_samples: int):
        self.gram = np.ascontiguousarray(gram)
        self.c = np.asarray(c, dtype=float)
        self.yy = float(yy)
        self.n_samples = n_samples
        self.n_features = self.c.size

    @property
    def diag(self) -> np.ndarray:
        return np.diagonal(self.gram)

    def cols_for(self, idx: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Gram columns G[:, idx] (m x len(idx)); all rows are valid, ``rows`` is a hint for
        the lazy source, which fills only the rows a caller reads."""
        return self.gram.take(idx, axis=1)

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        # two takes: 3-6x faster than gram[np.ix_(rows, cols)] for a 100 x 100 block (measured)
        return self.gram.take(rows, axis=0).take(cols, axis=1)

    def times(self, active: np.ndarray, M: np.ndarray) -> np.ndarray:
        """G[:, active] @ M for M (len(active), k)."""
        return (M.T @ self.gram.take(active, axis=0)).T  # G is symmetric: gather rows

    def grad(self, active: np.ndarray, coef_active: np.ndarray) -> np.ndarray:
        """c - G b for b supported on ``active``."""
        if active.size == 0:
            return self.c.copy()
        if 4 * active.size > self.n_features:  # a full product beats gathering the columns
            coef = np.zeros(self.n_features)
            coef[active] = coef_active
            return self.c - self.gram @ coef
        return self.c - coef_active @ self.gram[active]  # G is symmetric: gather rows


class LazyStats:
    """Standardized X~ (n x m) kept in memory; Gram entries are computed from it as needed.

    Only the blocks the active-set factor needs (G[A u new, new]) and gradient products
    X~'(X~_A M) are formed: no p x p Gram and no full Gram column per entering feature.
    """

    def __init__(self, Xs: np.ndarray, zs: np.ndarray):
        """``Xs``: the standardized columns scaled by the square roots of the weights
        (n x m, Fortran order, kept as it is); ``zs``: the centered y scaled the same way."""
        self.Xs = Xs
        self.zs = zs
        self.c = Xs.T @ zs
        self.yy = float(zs @ zs)
        self.n_samples = Xs.shape[0]
        self.n_features = Xs.shape[1]

    def cols_for(self, idx: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """An (m, len(idx)) array whose rows ``rows`` hold G[rows, idx] (other rows are zero)."""
        out = np.zeros((self.n_features, idx.size))
        out[rows] = self.block(rows, idx)
        return out

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """G[rows, cols] (a new array)."""
        return self.Xs[:, rows].T @ self.Xs[:, cols]

    def times(self, active: np.ndarray, M: np.ndarray) -> np.ndarray:
        """G[:, active] @ M as X~'(X~_A M)."""
        return thin_product(self.Xs.T, thin_product(self.Xs[:, active], M))

    def grad(self, active: np.ndarray, coef_active: np.ndarray) -> np.ndarray:
        """c - G b for b supported on ``active``."""
        if active.size == 0:
            return self.c.copy()
        return self.c - self.times(active, coef_active)


Stats = GramStats | LazyStats


def least_squares(stats: Stats) -> np.ndarray:
    """The minimum-norm least-squares coefficients of the standardized problem (alpha = 0).

    Collinear columns (a duplicated column, every level of a category beside the intercept)
    share their weight instead of taking huge opposite values: singular directions below
    rounding of the largest are dropped, as a pseudo-inverse does.
    """
    if isinstance(stats, GramStats):
        if stats.n_features == 0:
            return np.zeros(0)
        vals, vecs = np.linalg.eigh(stats.gram)
        cut = vals.max(initial=0.0) * max(stats.gram.shape[0], 1) * 1e-12
        inv = np.where(vals > cut, 1.0 / np.where(vals > cut, vals, 1.0), 0.0)
        return vecs @ (inv * (vecs.T @ stats.c))
    return np.linalg.lstsq(stats.Xs, stats.zs, rcond=1e-12)[0]


#: Up to this many columns a product A @ M runs as one matrix-vector product per column:
#: OpenBLAS's gemm packs its operands first, which made X~'R with R of 2 columns 2.5-4.5x
#: slower than two gemv calls (500 x 2000, measured).
_THIN = 4


#: Products with a matrix of at least this many entries run on every BLAS thread
#: (``threads.all_threads``), even inside a path.
THREADED_FROM = 500_000


def thin_product(A: np.ndarray, M: np.ndarray) -> np.ndarray:
    """A @ M: as matrix-vector products for a few columns, on every thread for a large A."""
    if A.size >= THREADED_FROM:
        with all_threads():
            return _thin_product(A, M)
    return _thin_product(A, M)


def _thin_product(A: np.ndarray, M: np.ndarray) -> np.ndarray:
    if M.ndim == 1 or M.shape[1] > _THIN:
        return A @ M
    out = np.empty((A.shape[0], M.shape[1]))
    for j in range(M.shape[1]):
        out[:, j] = A @ M[:, j]
    return out


def use_gram(n: int, p: int) -> bool:
    """Whether the dense Gram statistics serve an n x p problem (else the lazy ones)."""
    return p <= n and p <= GRAM_MAX_FEATURES


def _gram_chunk(p: int) -> int:
    """Rows per syrk call: few for narrow X (n = 10^6, p = 100: 32768 rows took 0.9-1.9 s,
    2048 rows 0.6-0.7 s), many for wide X, where each call also reads and writes the p x p
    output (n = 20000, p = 1000: 2048 rows 0.75 s, 32768 rows 0.43 s)."""
    return int(min(32768, max(2048, 32 * p)))


def symmetric_from_upper(C: np.ndarray) -> np.ndarray:
    """The symmetric matrix whose upper triangle is C's, for a C accumulated by ``syrk`` into
    zeros (its strict lower triangle is exactly 0): C + C' with the diagonal counted once.
    (``np.triu`` builds a mask per call: 185 us for a 100 x 100 matrix here, this ~15 us.)"""
    S = C + C.T
    np.fill_diagonal(S, np.diagonal(C))
    return S


def _gram_one_pass(
    X: np.ndarray,
    y: np.ndarray,
    v: np.ndarray,
    weights: np.ndarray | None,
    *,
    fit_intercept: bool,
    standardize: bool,
) -> tuple[Standardization, GramStats]:
    """Standardization and Gram statistics in one chunked pass over the rows (after the means).

    Each chunk is centered once and its cross-products accumulated by syrk; scales and constant
    columns come from the diagonal afterwards, so no second pass and no scaled copy of X is
    needed.
    """
    n, p = X.shape
    mean = v @ X if fit_intercept else np.zeros(p)
    y_mean = float(v @ y) if fit_intercept else 0.0
    uniform = weights is None
    sv = None if uniform else np.sqrt(v)
    C = np.zeros((p, p), order="F")
    cx = np.zeros(p)
    chunk = _gram_chunk(p)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        B = X[start:stop] - mean
        z = y[start:stop] - y_mean
        if sv is not None:
            B *= sv[start:stop, None]
            z = z * sv[start:stop]
        C = blas.dsyrk(1.0, B.T, beta=1.0, c=C, trans=0, overwrite_c=1)
        cx += B.T @ z
    if uniform:
        C /= n
        cx /= n
        yy = float(np.mean((y - y_mean) ** 2))
    else:
        yy = float(v @ (y - y_mean) ** 2)
    var = np.diagonal(C).copy()
    # constant: a spread no larger than the rounding of the values themselves (a column equal
    # in every weighted row leaves only rounding of its mean, about 1e-16 of it, after centering)
    constant = var <= (1e-13 * np.abs(mean)) ** 2
    scale = np.ones(p)
    if standardize:
        scale[~constant] = np.sqrt(var[~constant])
    std = Standardization(
        mean=mean,
        scale=scale,
        constant=constant,
        y_mean=y_mean,
        fit_intercept=fit_intercept,
        standardize=standardize,
    )
    keep = std.keep
    Ck = symmetric_from_upper(C)
    Ck = Ck[np.ix_(keep, keep)] if keep.size != p else Ck
    inv = 1.0 / scale[keep]
    G = Ck * inv[:, None] * inv[None, :]
    return std, GramStats(G, cx[keep] * inv, yy, n_samples=n)


#: Rows looked at to decide on prescaling before the pass over X (a full scan follows only
#: when the pass produced a non-finite statistic).
PRESCALE_SAMPLE_ROWS = 2048


def prescale(X: np.ndarray, standardize: bool, *, exhaustive: bool = False) -> np.ndarray | None:
    """Per-column powers of two that bring every column's largest |value| near 1, for columns
    whose squares would overflow or underflow float64; None when no column needs one (or the
    problem is not standardized, where a column's scale is part of the problem). Decided on a
    sample of rows unless ``exhaustive``."""
    if not standardize or X.size == 0:
        return None
    step = 1 if exhaustive else max(1, X.shape[0] // PRESCALE_SAMPLE_ROWS)
    rows = X[::step]
    with np.errstate(invalid="ignore"):
        top = np.maximum(np.abs(rows.max(axis=0)), np.abs(rows.min(axis=0)))
    odd = np.isfinite(top) & (top > 0) & ((top > PRESCALE_HIGH) | (top < PRESCALE_LOW))
    if not odd.any():
        return None
    factor = np.ones(X.shape[1])
    factor[odd] = np.exp2(np.round(np.log2(top[odd])))
    return factor


def prepare(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    *,
    fit_intercept: bool,
    standardize: bool,
    gram: bool | None = None,
) -> tuple[Standardization, Stats]:
    """Standardize and build the statistics source: a dense Gram for n >= p and moderate p
    (one pass over the rows), otherwise the lazy source that never forms the p x p Gram."""
    n, p = X.shape
    v = normalized_weights(n, weights)
    if gram is None:
        gram = use_gram(n, p)

    def one_pass(X: np.ndarray) -> tuple[Standardization, Stats]:
        if gram:
            return _gram_one_pass(
                X, y, v, weights, fit_intercept=fit_intercept, standardize=standardize
            )
        return _lazy_one_pass(X, y, v, fit_intercept=fit_intercept, standardize=standardize)

    factor = prescale(X, standardize)  # from a sample of rows: no second pass over X
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        std, stats = one_pass(X if factor is None else X / factor)
    if (
        factor is None
        and standardize
        and (not finite_statistics(std, stats) or odd_magnitude(X, np.flatnonzero(std.constant)))
    ):
        factor = prescale(X, standardize, exhaustive=True)  # a value the sample missed
        if factor is not None:
            std, stats = one_pass(X / factor)
    return std.rescaled(factor), stats


def odd_magnitude(X: np.ndarray, columns: np.ndarray) -> bool:
    """Whether any of these columns (few: those that looked constant) holds values beyond
    the prescaling bounds: squares that overflowed or underflowed can make a column look
    constant."""
    if columns.size == 0:
        return False
    top = np.abs(X[:, columns]).max(axis=0)
    return bool(((top > PRESCALE_HIGH) | ((top > 0) & (top < PRESCALE_LOW))).any())


def finite_statistics(std: Standardization, stats: Stats) -> bool:
    """Whether the standardization and the statistics are all finite numbers."""
    diag = stats.diag if isinstance(stats, GramStats) else stats.c
    return bool(
        np.isfinite(std.scale).all()
        and np.isfinite(stats.c).all()
        and np.isfinite(diag).all()
        and np.isfinite(stats.yy)
    )
