"""Mergeable weighted sufficient statistics of rows: the one accumulator behind every Gram.

``Moments`` holds, about a fixed center (c, y_c), the sums over rows of w, w (x - c),
w (y - y_c), w (x - c)(y - y_c), w (y - y_c)^2 and w (x - c)(x - c)'.  Rows arrive in chunks
(``update``), accumulators merge (``merge``, re-centering the other's sums exactly), and a
fold's sums subtract from a total (``minus``).  Choosing the center near the data's mean (the
weighted mean when known, else the first chunk's) keeps the cross-products free of the
cancellation that raw sums of squares suffer.  fit, path, cv fold statistics and compare all
build their statistics from it; the streaming and cluster engines will feed it batches.
"""

from __future__ import annotations

import numpy as np

from regcli.core.lapack import scipy_linalg, use_scipy
from regcli.core.tuning import gram_chunk_rows


def symmetric_from_upper(C: np.ndarray) -> np.ndarray:
    """The symmetric matrix whose upper triangle is C's, for a C whose strict lower triangle is
    exactly 0 (LAPACK's triangular output): C + C' with the diagonal counted once."""
    S = C + C.T
    np.fill_diagonal(S, np.diagonal(C))
    return S


def _gram(B: np.ndarray, scale: float) -> np.ndarray:
    """scale x B'B (symmetric): SciPy's syrk where SciPy serves (``lapack.use_scipy``), else
    NumPy's product of a matrix and its transpose (also a syrk, with a copy more)."""
    if use_scipy(B.shape[1]):
        blas = scipy_linalg().blas
        if B.flags.f_contiguous:  # B' B straight from the columns (no transposed copy)
            return symmetric_from_upper(blas.dsyrk(scale, B, trans=1))
        return symmetric_from_upper(blas.dsyrk(scale, B.T, trans=0))
    return scale * (B.T @ B)


class Moments:
    """Weighted sums of centered rows (see the module docstring); ``n`` counts the rows."""

    def __init__(self, center: np.ndarray, y_center: float = 0.0):
        p = center.size
        self.center = np.asarray(center, dtype=float)
        self.y_center = float(y_center)
        self.n = 0
        self.W = 0.0
        self.sx = np.zeros(p)
        self.sy = 0.0
        self.sxy = np.zeros(p)
        self.syy = 0.0
        self._S = np.zeros((p, p))
        self.top = np.zeros(p)  # largest |x| per column of the rows noted (``note_top``)
        self._covariances: dict[bool, tuple] = {}  # type: ignore[type-arg]  # by fit_intercept

    @property
    def n_features(self) -> int:
        return self.center.size

    @property
    def S(self) -> np.ndarray:
        """sum w (x - c)(x - c)' (p x p, symmetric)."""
        return self._S

    def update(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> Moments:
        """Add rows X (k, p), y (k,) with weights w (k,) (1 each when None), in chunks."""
        chunk = gram_chunk_rows(X.shape[1])
        for start in range(0, X.shape[0], chunk):
            stop = min(X.shape[0], start + chunk)
            self.update_centered(
                X[start:stop] - self.center,
                y[start:stop] - self.y_center,
                1.0 if w is None else w[start:stop],
            )
        return self

    def update_centered(self, B: np.ndarray, z: np.ndarray, w: np.ndarray | float) -> None:
        """Add rows already centered at this accumulator's center: B = X - c, z = y - y_c;
        ``w`` is one weight per row, or a single weight every row carries.  B may be changed."""
        self._covariances.clear()
        if np.ndim(w) == 0:
            wt = float(w)
            self.W += wt * B.shape[0]
            self.sx += wt * B.sum(axis=0)
            self.sy += wt * float(z.sum())
            self.sxy += wt * (z @ B)
            self.syy += wt * float(z @ z)
            self._S += _gram(B, wt)
        else:
            wv = np.asarray(w, dtype=float)
            wz = wv * z
            self.W += float(wv.sum())
            self.sx += wv @ B
            self.sy += float(wz.sum())
            self.sxy += wz @ B
            self.syy += float(wz @ z)
            B *= np.sqrt(wv)[:, None]
            self._S += _gram(B, 1.0)
        self.n += B.shape[0]

    def update_augmented(self, A: np.ndarray, rows: int) -> None:
        """Add ``rows`` rows given as A = [sqrt(w) (x - c), sqrt(w) (y - y_c), sqrt(w)] (rows x
        (p + 2), centered at this accumulator's center): one syrk of A yields every sum at
        once (A'A holds S, sxy, sx, syy, sy and W)."""
        self._covariances.clear()
        p = self.center.size
        G = _gram(A, 1.0)
        self._S += G[:p, :p]
        self.sxy += G[:p, p]
        self.sx += G[:p, p + 1]
        self.syy += float(G[p, p])
        self.sy += float(G[p, p + 1])
        self.W += float(G[p + 1, p + 1])
        self.n += rows

    def note_top(self, top: np.ndarray) -> None:
        """Record the largest |x| per column of rows added (uncentered): the streamed engines
        refuse the columns the in-memory engine would rescale (``stats.prescale``)."""
        np.fmax(self.top, top, out=self.top)

    def recentered(self, center: np.ndarray, y_center: float) -> Moments:
        """The same sums about another center (exact algebra: x - c' = (x - c) + (c - c'))."""
        d = self.center - center
        e = self.y_center - y_center
        out = Moments(center, y_center)
        out.n, out.W, out.top = self.n, self.W, self.top.copy()
        out.sx = self.sx + self.W * d
        out.sy = self.sy + self.W * e
        out.sxy = self.sxy + e * self.sx + self.sy * d + self.W * e * d
        out.syy = self.syy + 2 * e * self.sy + self.W * e * e
        out._S = self.S + np.outer(d, self.sx) + np.outer(self.sx, d) + self.W * np.outer(d, d)
        return out

    def merge(self, other: Moments) -> Moments:
        """The sums of both accumulators' rows (a new accumulator, at this one's center)."""
        if not (np.array_equal(other.center, self.center) and other.y_center == self.y_center):
            other = other.recentered(self.center, self.y_center)
        return self._combine(other, 1.0)

    def minus(self, other: Moments) -> Moments:
        """The sums of this accumulator's rows without ``other``'s (a subset of them, summed
        about the same center): a training fold is the total minus its held-out fold."""
        return self._combine(other, -1.0)

    def _combine(self, other: Moments, sign: float) -> Moments:
        out = Moments(self.center, self.y_center)
        out.n = self.n + int(sign) * other.n
        out.W = self.W + sign * other.W
        out.sx = self.sx + sign * other.sx
        out.sy = self.sy + sign * other.sy
        out.sxy = self.sxy + sign * other.sxy
        out.syy = self.syy + sign * other.syy
        out._S = self.S + sign * other.S
        out.top = np.fmax(self.top, other.top) if sign > 0 else self.top.copy()  # bound
        return out

    def covariances(
        self, fit_intercept: bool
    ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, float]:
        """(mean x, mean y, cov x, cov xy, var y): weighted, divisor W, about the rows' own means
        (or about the center without an intercept, where the mean returned is 0).  Computed
        once per accumulated state (the standardization and the Gram both ask)."""
        if fit_intercept in self._covariances:
            return self._covariances[fit_intercept]  # type: ignore[no-any-return]
        self._covariances[fit_intercept] = out = self._compute_covariances(fit_intercept)
        return out

    def _compute_covariances(
        self, fit_intercept: bool
    ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, float]:
        W = self.W
        S = self.S
        if not fit_intercept:
            return np.zeros_like(self.sx), 0.0, S / W, self.sxy / W, self.syy / W
        mx, my = self.sx / W, self.sy / W
        C = S / W - np.outer(mx, mx)
        return (
            mx + self.center,
            my + self.y_center,
            C,
            self.sxy / W - mx * my,
            self.syy / W - my * my,
        )


def moments_by_fold(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    fold: np.ndarray,
    K: int,
    center: np.ndarray,
    y_center: float,
    chunk_rows: int,
) -> list[Moments]:
    """One accumulator per fold id 0..K-1, all about one center, in one pass over the rows.

    Rows are taken in contiguous chunks, each sorted by fold once, so that every gather stays
    within a chunk."""
    moments = [Moments(center, y_center) for _ in range(K)]
    uniform = bool(np.all(w == w[0])) if w.size else True
    for start in range(0, X.shape[0], chunk_rows):
        stop = min(X.shape[0], start + chunk_rows)
        f = fold[start:stop]
        order = np.argsort(f, kind="stable")
        bounds = np.searchsorted(f[order], np.arange(K + 1))
        xc = X[start:stop][order]
        xc -= center
        yc = y[start:stop][order] - y_center
        wr = w[start:stop][order]
        for k in range(K):
            lo, hi = bounds[k], bounds[k + 1]
            if lo < hi:
                moments[k].update_centered(
                    xc[lo:hi], yc[lo:hi], float(wr[lo]) if uniform else wr[lo:hi]
                )
    return moments
