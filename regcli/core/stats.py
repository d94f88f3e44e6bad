"""Sufficient statistics of the weighted, standardized least-squares problem.

The Gaussian objective depends on the data only through

    G = X~' V X~   (p x p),   c = X~' V z   (p,),   z' V z,

where V = diag(w) / sum(w), z = y - ybar (weighted mean) and X~ holds the centered, scaled
columns.  Two sources provide them behind one small interface:

- ``GramStats`` forms G once (one BLAS ``syrk`` pass over the rows, in chunks so memory stays
  near the size of X).  Best when n >= p and p is moderate.
- ``LazyStats`` keeps the standardized X~ (n x p) and fills Gram columns on demand, one matrix
  product per block of entering features.  Best when p is large or p > n.

Constant columns are removed before either is built; the solvers see only the ``keep`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import blas

_CHUNK_ROWS = 32768
#: Use a dense Gram when p <= n and p <= this many columns.
GRAM_MAX_FEATURES = 2500


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
        keep = self.keep
        shape = coef_std.shape[:-1] + (self.constant.size,)
        coef = np.zeros(shape)
        coef[..., keep] = coef_std / self.scale[keep]
        if self.fit_intercept:
            intercept = self.y_mean - coef[..., keep] @ self.mean[keep]
        else:
            intercept = np.zeros(shape[:-1])
        return coef, intercept

    def standardized(self, coef_std: np.ndarray) -> np.ndarray:
        """Solver coefficients over ``keep`` placed into all p columns (zeros for constants)."""
        coef_std = np.asarray(coef_std, dtype=float)
        out = np.zeros(coef_std.shape[:-1] + (self.constant.size,))
        out[..., self.keep] = coef_std
        return out


def normalized_weights(n: int, weights: np.ndarray | None) -> np.ndarray:
    """Weights scaled to sum to 1 (uniform when ``weights`` is None)."""
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def standardization(
    X: np.ndarray,
    y: np.ndarray,
    v: np.ndarray,
    *,
    fit_intercept: bool,
    standardize: bool,
) -> Standardization:
    """Weighted means, scales and constant-column flags for X (n x p) with weights v (sum 1)."""
    n, p = X.shape
    rows = v > 0
    if fit_intercept:
        mean = v @ X
        y_mean = float(v @ y)
        # A column is constant when every row that carries weight holds the same value.
        Xr = X[rows] if not rows.all() else X
        constant = (Xr.max(axis=0) == Xr.min(axis=0)) if Xr.shape[0] else np.ones(p, bool)
    else:
        mean = np.zeros(p)
        y_mean = 0.0
        constant = ~np.any(X[rows] != 0, axis=0)
    if standardize:
        scale = np.ones(p)
        # weighted sd with divisor sum(w) (or root mean square without an intercept)
        var = _column_sumsq(X, mean, v)
        ok = ~constant
        scale[ok] = np.sqrt(var[ok])
        # numerically constant: a spread below rounding of the values themselves
        tiny = ok & (scale <= 1e-13 * np.maximum(np.abs(mean), 1e-300))
        constant = constant | tiny
        scale[constant] = 1.0
    else:
        scale = np.ones(p)
    return Standardization(
        mean=mean,
        scale=scale,
        constant=np.asarray(constant, dtype=bool),
        y_mean=y_mean,
        fit_intercept=fit_intercept,
        standardize=standardize,
    )


def _column_sumsq(X: np.ndarray, mean: np.ndarray, v: np.ndarray) -> np.ndarray:
    """sum_i v_i (x_ij - mean_j)^2 for every column, in row chunks."""
    out = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        block = X[start : start + _CHUNK_ROWS] - mean
        out += v[start : start + _CHUNK_ROWS] @ (block * block)
    return out


class GramStats:
    """Dense Gram statistics of the standardized problem over the kept columns."""

    def __init__(self, X: np.ndarray, y: np.ndarray, v: np.ndarray, std: Standardization):
        keep = std.keep
        m = keep.size
        mean, scale = std.mean[keep], std.scale[keep]
        sv = np.sqrt(v)
        z = (y - std.y_mean) * sv
        G = np.zeros((m, m), order="F")
        c = np.zeros(m)
        all_cols = m == X.shape[1]
        for start in range(0, X.shape[0], _CHUNK_ROWS):
            stop = start + _CHUNK_ROWS
            block = X[start:stop] if all_cols else X[start:stop, keep]
            block = (block - mean) / scale
            block *= sv[start:stop, None]
            # block is C-ordered (rows x m): its transpose is an F-ordered (m x rows) matrix,
            # so syrk forms block' block without a copy.
            G = blas.dsyrk(1.0, block.T, beta=1.0, c=G, trans=0, overwrite_c=1)
            c += block.T @ z[start:stop]
        G = np.triu(G) + np.triu(G, 1).T
        self.gram = np.ascontiguousarray(G)
        self.c = c
        self.yy = float(z @ z)
        self.n_samples = X.shape[0]
        self.n_features = m

    @classmethod
    def from_arrays(cls, gram: np.ndarray, c: np.ndarray, yy: float, n_samples: int) -> GramStats:
        """Statistics given directly (used by cross-validation folds)."""
        self = cls.__new__(cls)
        self.gram = np.ascontiguousarray(gram)
        self.c = np.asarray(c, dtype=float)
        self.yy = float(yy)
        self.n_samples = n_samples
        self.n_features = self.c.size
        return self

    @property
    def diag(self) -> np.ndarray:
        return np.diagonal(self.gram)

    def cols(self, idx: np.ndarray) -> np.ndarray:
        """Gram columns G[:, idx] (m x len(idx))."""
        return self.gram[:, idx]

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return self.gram[np.ix_(rows, cols)]

    def times(self, active: np.ndarray, M: np.ndarray) -> np.ndarray:
        """G[:, active] @ M for M (len(active), k)."""
        return (M.T @ self.gram[active]).T  # G is symmetric: gather rows

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
    """Standardized X~ kept in memory; Gram columns computed on demand and cached."""

    def __init__(self, X: np.ndarray, y: np.ndarray, v: np.ndarray, std: Standardization):
        keep = std.keep
        sv = np.sqrt(v)
        Xs = X[:, keep] if keep.size != X.shape[1] else X.copy()
        Xs -= std.mean[keep]
        Xs /= std.scale[keep]
        Xs *= sv[:, None]
        self.Xs = np.asfortranarray(Xs)
        self.zs = (y - std.y_mean) * sv
        self.c = self.Xs.T @ self.zs
        self.yy = float(self.zs @ self.zs)
        self.n_samples = X.shape[0]
        self.n_features = keep.size
        self.diag = np.einsum("ij,ij->j", self.Xs, self.Xs)
        self._pos = np.full(self.n_features, -1, dtype=np.intp)
        self._order = np.zeros(0, dtype=np.intp)  # cached features in cache-column order
        self._cache = np.empty((self.n_features, 0), order="F")
        self._n_cached = 0

    def _ensure(self, idx: np.ndarray) -> None:
        missing = idx[self._pos[idx] < 0]
        if missing.size == 0:
            return
        missing = np.unique(missing)
        need = self._n_cached + missing.size
        if need > self._cache.shape[1]:
            grown = np.empty((self.n_features, max(need, 2 * self._cache.shape[1], 16)), order="F")
            grown[:, : self._n_cached] = self._cache[:, : self._n_cached]
            self._cache = grown
        # one matrix product per block of entering features
        self._cache[:, self._n_cached : need] = self.Xs.T @ self.Xs[:, missing]
        self._pos[missing] = np.arange(self._n_cached, need)
        self._order = np.concatenate([self._order, missing])
        self._n_cached = need

    def cols(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.intp)
        self._ensure(idx)
        return self._cache[:, self._pos[idx]]

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        cols = np.asarray(cols, dtype=np.intp)
        self._ensure(cols)
        return self._cache[np.ix_(rows, self._pos[cols])]

    def times(self, active: np.ndarray, M: np.ndarray) -> np.ndarray:
        """G[:, active] @ M from the cached Gram columns (one contiguous product, no gather)."""
        self._ensure(active)
        full = np.zeros((self.n_features,) + M.shape[1:])
        full[active] = M
        return self._cache[:, : self._n_cached] @ full[self._order]

    def grad(self, active: np.ndarray, coef_active: np.ndarray) -> np.ndarray:
        """c - G b for b supported on ``active``."""
        if active.size == 0:
            return self.c.copy()
        return self.c - self.times(active, coef_active)


Stats = GramStats | LazyStats


def build_stats(
    X: np.ndarray, y: np.ndarray, v: np.ndarray, std: Standardization, *, gram: bool | None = None
) -> Stats:
    """Choose the statistics source: dense Gram for n >= p and moderate p, lazy otherwise."""
    m = int((~std.constant).sum())
    if gram is None:
        gram = m <= X.shape[0] and m <= GRAM_MAX_FEATURES
    return GramStats(X, y, v, std) if gram else LazyStats(X, y, v, std)
