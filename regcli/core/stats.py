"""Sufficient statistics of the weighted, standardized least-squares problem.

The Gaussian objective depends on the data only through G = X~' V X~, c = X~' V z and z' V z
(V = diag(w) / sum w, z = y - ybar, X~ the centered, scaled columns).  ``GramStats`` holds G,
built from a ``moments.Moments`` accumulator; ``LazyStats`` keeps X~ and forms the Gram blocks
a solver asks for (wide data).  ``Standardization`` maps the solver's columns to the user's;
``prepare`` builds both (``dispatch.statistics_source`` picks the form).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from regcli.core.dispatch import statistics_source
from regcli.core.moments import Moments
from regcli.core.parallel import available_memory
from regcli.core.threads import all_threads, spare_threads
from regcli.core.tuning import (
    SCREENED_AFTER,
    SCREENED_GRADIENT_FROM,
    THIN_COLUMNS,
    THREADED_FROM,
)

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
        if not self.constant.any():  # every column kept: no scatter
            return self._original(coef_std, self.scale, self.mean)
        keep = self.keep
        kept, intercept = self._original(coef_std, self.scale[keep], self.mean[keep])
        coef = np.zeros(coef_std.shape[:-1] + (self.constant.size,))
        coef[..., keep] = kept
        return coef, intercept

    def to_original_on(
        self, coef_std: np.ndarray, used: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``to_original`` for coefficients that are zero outside the solver columns ``used``
        (positions in ``keep``): (their original column indices, their coefficients
        (..., len(used)), the intercepts), without the p-wide arrays."""
        cols = self.keep[used]
        coef, intercept = self._original(coef_std[..., used], self.scale[cols], self.mean[cols])
        return cols, coef, intercept

    def _original(
        self, coef_std: np.ndarray, scale: np.ndarray, mean: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        coef = coef_std / scale
        if self.fit_intercept:
            return coef, self.y_mean - coef @ mean
        return coef, np.zeros(coef.shape[:-1])

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


#: Entries per block when a C-ordered X is copied into Fortran order (the block's rows, read
#: and written, stay in cache).
TRANSPOSE_BLOCK = 2**17


def centered_fortran(X: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """X - mean as a new Fortran-ordered array.  A C-ordered X is copied a block of rows at a
    time through the transposes, so that NumPy walks both arrays in their own order and the
    block stays in cache (docs/solvers.md)."""
    n, p = X.shape
    out = np.empty((n, p), order="F")
    rows = max(256, TRANSPOSE_BLOCK // max(p, 1))
    if not X.flags.c_contiguous or rows >= n:
        np.subtract(X.T, mean[:, None], out=out.T)
        return out
    for start in range(0, n, rows):
        block = slice(start, start + rows)
        np.subtract(X[block].T, mean[:, None], out=out[block].T)
    return out


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
    squares are read off it and one in-place pass scales it; no n x p temporaries.
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
    Xs = centered_fortran(X, mean)
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
        constant |= ok & constant_columns(var, np.maximum(np.abs(mean), 1e-300))
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
        #: the intercept-only deviance when these statistics were reduced (``reduction``)
        self.null_yy = self.yy

    @property
    def diag(self) -> np.ndarray:
        return np.diagonal(self.gram)

    def cols_for(self, idx: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Gram columns G[:, idx] (m x len(idx)); all rows are valid, ``rows`` is a hint for
        the lazy source, which fills only the rows a caller reads."""
        return self.gram.take(idx, axis=1)

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        # two takes: cheaper than gram[np.ix_(rows, cols)]
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


class SingleCopy:
    """A single-precision copy of X~ (n x m) and its columns' norms, for products that need
    only bound their entries (``single_product``): made on the ``SCREENED_AFTER``-th request
    where X~ is large enough (a short path does not pay for it), memory allows and X~ fits
    single precision's range; never where it does not."""

    def __init__(self, Xs: np.ndarray, from_entries: int | None = None):
        """``from_entries``: the least size of X~ served (``SCREENED_GRADIENT_FROM``)."""
        self.Xs = Xs
        self._from = SCREENED_GRADIENT_FROM if from_entries is None else from_entries
        self._copy: tuple[np.ndarray, np.ndarray] | None = None
        self._requests = 0
        self._norms2: np.ndarray | None = None

    @property
    def made(self) -> bool:
        return self._copy is not None

    @property
    def column_norms2(self) -> np.ndarray:
        """||x~_j||^2 per column of X~, computed once."""
        if self._norms2 is None:
            self._norms2 = np.einsum("ij,ij->j", self.Xs, self.Xs)
        return self._norms2

    def get(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(X~ in single precision, the columns' norms), or None where it does not serve."""
        if self._copy is None:
            n, m = self.Xs.shape
            self._requests += 1
            if n * m < self._from or self._requests < SCREENED_AFTER or n * 2.0**-24 >= 0.5:
                return None
            free = available_memory()
            if free is not None and free < 4.0 * 4 * n * m:  # the copy, with room to spare
                return None
            norms = np.sqrt(self.column_norms2)
            if not float(norms.max(initial=0.0)) < 2.0**100:  # (also catches NaN)
                self._requests = -(2**62)  # never again for this X~
                return None
            self._copy = (self.Xs.astype(np.float32), norms)
        return self._copy


def single_product(
    single: tuple[np.ndarray, np.ndarray], r: np.ndarray, *, threads: bool = True
) -> tuple[np.ndarray, np.ndarray] | None:
    """X~'r from ``single`` (``SingleCopy.get``) with each entry's error bound, rigorous for
    any order of summation: (product, bound).  None where r has no finite nonzero entry.
    ``threads``: a large product may wake the spare cores (``thin_product``); without, it
    stays on the caller's thread (a product now and then, whose threads would be asleep)."""
    top = float(np.abs(r).max(initial=0.0))
    if not 0.0 < top < np.inf:
        return None
    X32, norms = single
    # r scaled by a power of two (exact) to a largest entry in [1/2, 1): no overflow and
    # (up to a bounded absolute error, below) no underflow in single precision
    exponent = int(np.frexp(top)[1])
    r_scaled = np.ldexp(r, -exponent)
    r32 = r_scaled.astype(np.float32)
    product = thin_product(X32.T, r32) if threads else X32.T @ r32
    grad = np.ldexp(product.astype(np.float64), exponent)
    # |fl(x'r) - x'r| <= (gamma_n + 3u) |x|'|r| <= (gamma_n + 3u) ||x|| ||r||, u the unit
    # roundoff of single precision (the rounding of x, of r and of the n-term sum), plus
    # at most 2^-149 per term where a value or a product falls below the normal range
    u = 2.0**-24
    n = X32.shape[0]
    rel = 1.01 * (n * u / (1.0 - n * u) + 3.0 * u)
    r_norm = float(np.sqrt(r_scaled @ r_scaled))
    bound = (rel * r_norm) * norms
    bound += 4.0 * n * 2.0**-149 * (1.0 + norms + r_norm)
    return grad, np.ldexp(bound, exponent)


def undecided(
    grad: np.ndarray, error: np.ndarray, lam1: np.ndarray | float, known: np.ndarray
) -> np.ndarray | None:
    """The entries of a screened product (``single_product``: ``grad`` and its ``error``)
    whose bound cannot place |g_j| at or below lam1 (a scalar or one per entry), other than
    those ``known`` exactly: their indices, or None where they are more than a quarter of
    the entries (the exact product then costs less than gathering their columns)."""
    unsure = np.abs(grad)
    unsure += error
    unsure = unsure > lam1
    unsure[known] = False
    others = np.flatnonzero(unsure)
    return None if others.size > 0.25 * grad.size else others


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
        self.null_yy = self.yy  # as GramStats.null_yy
        self.n_samples = Xs.shape[0]
        self.n_features = Xs.shape[1]
        # the single-precision copy of X~ (``screened_gradient``), with the columns' norms
        self._single = SingleCopy(Xs)

    def screened_gradient(
        self, fit: np.ndarray, lam1: float, active: np.ndarray, active_columns: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """c - X~'fit (the gradient at fitted values ``fit`` = X~ b), exact wherever it decides
        a KKT check against lam1: a product with a single-precision copy of X~ bounds every
        entry (the rounding bound of that product, rigorous for any order of summation), and
        the entries that bound cannot place at or below lam1 in absolute value are computed
        exactly, those of ``active`` (whose columns X~_A are ``active_columns``) always.  The
        others keep the single-precision value: below lam1 by more than its error, so the
        check's decisions and any positive violation it reports are those of the exact
        gradient.  Returns (gradient, each entry's error bound: 0 where exact), the bound None
        where the product was exact (small or short problems)."""
        r = self.zs - fit
        single = self._single.get()
        approx = None if single is None else single_product(single, r)
        if approx is None:
            return self.c - thin_product(self.Xs.T, fit), None
        grad, error = approx
        others = undecided(grad, error, lam1, active)
        if others is None:
            return self.c - thin_product(self.Xs.T, fit), None
        if others.size:
            grad[others] = self.c[others] - self.Xs[:, others].T @ fit
            error[others] = 0.0
        if active.size:
            grad[active] = self.c[active] - thin_product(active_columns.T, fit)
            error[active] = 0.0
        return grad, error

    @property
    def column_norms2(self) -> np.ndarray:
        """||x~_j||^2 per column (1 for standardized columns), computed once."""
        return self._single.column_norms2

    @property
    def largest_column_norm2(self) -> float:
        """max_j ||x~_j||^2."""
        return float(self.column_norms2.max(initial=0.0))

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


def thin_product(A: np.ndarray, M: np.ndarray) -> np.ndarray:
    """A @ M: as matrix-vector products for a few columns, on every thread for a large A."""
    if A.size >= THREADED_FROM:
        with all_threads():
            return _thin_product(A, M)
    return _thin_product(A, M)


def _thin_product(A: np.ndarray, M: np.ndarray) -> np.ndarray:
    if M.ndim == 1 or M.shape[1] > THIN_COLUMNS:
        return A @ M
    out = np.empty((A.shape[0], M.shape[1]))
    for j in range(M.shape[1]):
        out[:, j] = A @ M[:, j]
    return out


def close_gaps(columns: np.ndarray, gone: np.ndarray, count: int) -> None:
    """Remove the columns at sorted positions ``gone`` from the first ``count`` columns of a
    Fortran-order buffer, in place and in order: the runs between them move left as contiguous
    blocks (no gathered copy of the whole buffer)."""
    dst = int(gone[0])
    ends = gone.tolist()[1:] + [count]
    for start, end in zip(gone.tolist(), ends):
        width = end - start - 1
        if width > 0:
            columns[:, dst : dst + width] = columns[:, start + 1 : end]
            dst += width


def constant_columns(
    var: np.ndarray, mean: np.ndarray, reference: np.ndarray | float = 0.0
) -> np.ndarray:
    """Columns that carry no information: a weighted variance no larger than the rounding of
    the values themselves ((1e-13 |mean|)^2: a column equal in every weighted row keeps about
    1e-16 of its mean after centering), or, for statistics obtained by subtracting sums (a
    training fold as total minus fold), than the rounding of that subtraction
    (1e-13 x ``reference``, the total's mean square)."""
    return var <= np.maximum((1e-13 * np.abs(mean)) ** 2, 1e-13 * np.asarray(reference))


def standardization_from(
    moments: Moments,
    *,
    fit_intercept: bool,
    standardize: bool,
    constant: np.ndarray | None = None,
    reference: np.ndarray | float = 0.0,
) -> Standardization:
    """The standardization of the rows summarized by ``moments`` (weighted means, 1/W standard
    deviations, constant columns; ``constant`` adds columns known to be constant elsewhere)."""
    mean, y_mean, C, _, _ = moments.covariances(fit_intercept)
    var = np.diagonal(C)
    const = constant_columns(var, mean, reference)
    if constant is not None:
        const = const | constant
    scale = np.ones(var.size)
    if standardize:
        scale[~const] = np.sqrt(np.maximum(var[~const], 0.0))
    return Standardization(
        mean=mean,
        scale=scale,
        constant=const,
        y_mean=y_mean,
        fit_intercept=fit_intercept,
        standardize=standardize,
    )


def gram_statistics(
    moments: Moments, std: Standardization, *, fit_intercept: bool, n_samples: int
) -> GramStats:
    """Gram statistics of the rows summarized by ``moments`` on the columns and scales of
    ``std`` (which may come from other weights than these moments' own)."""
    _, _, C, cxy, cyy = moments.covariances(fit_intercept)
    keep = std.keep
    if keep.size != C.shape[0]:
        C = C[np.ix_(keep, keep)]
    inv = 1.0 / std.scale[keep]
    G = C * inv[:, None] * inv[None, :]
    return GramStats(G, cxy[keep] * inv, float(cyy), n_samples=n_samples)


def _gram_one_pass(
    X: np.ndarray,
    y: np.ndarray,
    v: np.ndarray,
    weights: np.ndarray | None,
    *,
    fit_intercept: bool,
    standardize: bool,
) -> tuple[Standardization, GramStats]:
    """Standardization and Gram statistics in one chunked pass over the rows, centered at the
    weighted means (computed first) so that the accumulated cross-products lose no precision."""
    n, p = X.shape
    center = v @ X if fit_intercept else np.zeros(p)
    y_center = float(v @ y) if fit_intercept else 0.0
    moments = Moments(center, y_center).update(X, y, weights)
    std = standardization_from(moments, fit_intercept=fit_intercept, standardize=standardize)
    return std, gram_statistics(moments, std, fit_intercept=fit_intercept, n_samples=n)


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
    factor[odd] = np.exp2(np.clip(np.round(np.log2(top[odd])), -1022, 1023))  # finite powers
    return factor


def vanishing_scales(scale: np.ndarray, constant: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """The non-constant columns whose scale on the prescaled values (``prescale``'s
    ``factor``) is below float64's normal range on the original ones: a spread of subnormal
    values (a fold's 0 and 5e-324), which no written coefficient could use; constant."""
    return ~constant & (scale * factor < np.finfo(float).tiny)


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
        gram = statistics_source(n, p) == "gram"

    def one_pass(X: np.ndarray) -> tuple[Standardization, Stats]:
        with spare_threads():
            return _one_pass(X)

    def _one_pass(X: np.ndarray) -> tuple[Standardization, Stats]:
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
    if factor is not None:
        # a spread below float64's normal range on the original values: constant here
        vanishing = vanishing_scales(std.scale, std.constant, factor)
        if vanishing.any():
            X = X.copy()
            X[:, vanishing] = 0.0
            factor[vanishing] = 1.0
            with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
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
