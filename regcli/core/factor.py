"""The active set's Cholesky factor, kept as the leading block of a larger array.

Appending rows writes only the new rows and deleting one moves only the rows after it, instead
of copying a k x k array per change.  LAPACK and BLAS reach the block through its leading
dimension by calling SciPy's Cython BLAS/LAPACK function pointers with ctypes (their
signatures are checked first); without them the block is copied and SciPy's wrappers are used:
the same answers, slower.  Small blocks are solved with NumPy while SciPy is not loaded
(``lapack.use_scipy``), so a small fit does not pay SciPy's import.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import numpy as np

from regcli.core.lapack import scipy_linalg, use_scipy

_P = ctypes.c_void_p
_LOWER = ctypes.c_char(b"L")
_LEFT = ctypes.c_char(b"L")
_NOTRANS = ctypes.c_char(b"N")
_TRANS = ctypes.c_char(b"T")
_NONUNIT = ctypes.c_char(b"N")
_ONE_INT = ctypes.c_int(1)
_ONE = ctypes.c_double(1.0)


def _routine(module: Any, name: str, kinds: str) -> Callable[..., None] | None:
    """The C function ``name`` of a SciPy Cython module, or None.

    ``kinds`` spells its arguments, all pointers: c (char), i (int), d (double).  The capsule's
    signature must say exactly that (``void (char *, int *, ...)``): a build whose integers are
    not C ints (ILP64) is refused rather than called with the wrong width."""
    words = {"c": "char *", "i": "int *", "d": "d *"}
    try:
        capsule = module.__pyx_capi__[name]
        api = ctypes.pythonapi
        api.PyCapsule_GetName.restype = ctypes.c_char_p
        api.PyCapsule_GetName.argtypes = [ctypes.py_object]
        api.PyCapsule_GetPointer.restype = ctypes.c_void_p
        api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        signature = api.PyCapsule_GetName(capsule)
        address = api.PyCapsule_GetPointer(capsule, signature)
    except (AttributeError, KeyError, ImportError, ValueError):  # pragma: no cover
        return None
    # Cython names the double type after its module (__pyx_t_..._cython_blas_d *)
    args = [a.strip() for a in signature.decode().removeprefix("void (").rstrip(")").split(",")]
    spelled = ["d *" if a.endswith("_d *") else a for a in args]
    if not address or spelled != [words[k] for k in kinds]:  # pragma: no cover
        return None
    return ctypes.CFUNCTYPE(None, *([_P] * len(kinds)))(address)


def _routines() -> tuple[Callable[..., None], Callable[..., None]] | None:
    try:
        scipy_linalg()
        from scipy.linalg import cython_blas
    except ImportError:  # pragma: no cover
        return None
    trsv = _routine(cython_blas, "dtrsv", "cccididi")
    trsm = _routine(cython_blas, "dtrsm", "cccciiddidi")
    if trsv is None or trsm is None:  # pragma: no cover
        return None
    return trsv, trsm


_LOADED: list[tuple[Callable[..., None], Callable[..., None]] | None] = []


def _fast() -> tuple[Callable[..., None], Callable[..., None]] | None:
    """SciPy's trsv and trsm function pointers, loaded on first use (None without them)."""
    if not _LOADED:
        _LOADED.append(_routines())
    return _LOADED[0]


def _solve_triangular(T: np.ndarray, b: np.ndarray, trans: bool) -> np.ndarray:
    """T^{-1} b (T^{-T} b) for a small lower-triangular T, by NumPy; a zero on the diagonal gives
    infinities and NaN as a triangular solve would, not an exception."""
    try:
        return np.linalg.solve(T.T if trans else T, b)
    except np.linalg.LinAlgError:
        return scipy_linalg().solve_triangular(
            T, b, lower=True, trans=int(trans), check_finite=False
        )


def _address(a: np.ndarray) -> int:
    """Data address of a contiguous array (C or Fortran order), cheaper than ``a.ctypes.data``."""
    if not a.flags.c_contiguous:
        a = a.T
    return ctypes.addressof(ctypes.c_char.from_buffer(a))  # type: ignore[arg-type]


# the constant arguments' addresses, taken once
_A_LOWER, _A_LEFT, _A_NOTRANS, _A_TRANS, _A_NONUNIT, _A_ONE_INT, _A_ONE = (
    ctypes.addressof(v) for v in (_LOWER, _LEFT, _NOTRANS, _TRANS, _NONUNIT, _ONE_INT, _ONE)
)


_ACCUMULATE = np.add.accumulate  # np.cumsum without its Python wrapper
_BOTH = (False, True)  # L^{-1}, then L^{-T}: (L L')^{-1}
#: Right-hand sides up to this many are solved column by column with BLAS trsv (OpenBLAS's
#: potrs / trtrs go through trsm, slower for one or two columns).
_TRSV_COLUMNS = 2

#: Deletions update the trailing block in row blocks of at least this many rows, at most
#: this many blocks.
_DELETE_BLOCK_ROWS = 48
_DELETE_BLOCKS = 6


class Factor:
    """Lower Cholesky factor L (k x k) as the leading block of ``buf`` (Fortran order, every
    entry outside L's lower triangle zero)."""

    __slots__ = ("buf", "k", "limit", "_address", "_lda", "_lda_ref")

    def __init__(self, L: np.ndarray, limit: int):
        """``limit``: the largest k expected (the buffer grows beyond it only when a larger
        factor arrives)."""
        self.limit = max(limit, L.shape[0])
        self.k = 0
        self.buf = np.zeros((0, 0), order="F")
        self._address = 0
        self._lda = ctypes.c_int(0)  # the buffer's leading dimension, as BLAS takes it
        self._lda_ref = ctypes.addressof(self._lda)
        self.reset(L)

    def reset(self, L: np.ndarray) -> None:
        """Make L (k x k, lower with a zero upper triangle) the factor, in the buffer if it
        fits (room for as many again, up to ``limit``)."""
        k = L.shape[0]
        if self.buf.shape[0] < k:
            self.limit = max(self.limit, k)
            self._grow(min(max(2 * k, 16), self.limit))
        else:
            self.buf[: self.k, : self.k] = 0.0
        self.buf[:k, :k] = L
        self.k = k

    def _room(self, size: int) -> None:
        """Room for a size x size factor: the buffer doubles when it is full, up to ``limit``
        (raised to ``size`` if need be)."""
        if self.buf.shape[0] < size:
            self.limit = max(self.limit, size)
            self._grow(min(max(2 * self.buf.shape[0], size, 16), self.limit))

    def _grow(self, size: int) -> None:
        grown = np.zeros((size, size), order="F")
        grown[: self.k, : self.k] = self.buf[: self.k, : self.k]
        self.buf = grown
        self._address = _address(grown) if size else 0
        self._lda.value = size

    @property
    def L(self) -> np.ndarray:
        """The factor (a view into the buffer)."""
        return self.buf[: self.k, : self.k]

    # --- solves -----------------------------------------------------------------------------

    def _trsv(
        self, x: np.ndarray, passes: tuple[bool, ...], start: int = 0, n: int | None = None
    ) -> None:
        """x <- L_b^{-1} x (L_b^{-T} x for a pass with trans True), in place on a contiguous
        vector, once per entry of ``passes``, where L_b is the n x n diagonal block of L from
        (start, start)."""
        n = self.k - start if n is None else n
        if n == 0:
            return
        routines = _fast() if use_scipy(n) else None
        if routines is None:
            block = np.tril(self.buf[start : start + n, start : start + n])
            for trans in passes:
                x[:] = _solve_triangular(block, x, trans)
            return
        a = self._address + 8 * start * (self.buf.shape[0] + 1)
        nn = ctypes.c_int(n)
        n_ref, ld_ref, x_ref = ctypes.addressof(nn), self._lda_ref, _address(x)
        for trans in passes:
            routines[0](
                _A_LOWER, _A_TRANS if trans else _A_NOTRANS, _A_NONUNIT, n_ref, a, ld_ref,
                x_ref, _A_ONE_INT,
            )  # fmt: skip

    def _trsm(self, B: np.ndarray, passes: tuple[bool, ...]) -> None:
        """B <- L^{-1} B (L^{-T} B for a pass with trans True), in place on a Fortran-order
        k x m array, once per entry of ``passes``."""
        k, m = B.shape
        if k == 0 or m == 0:
            return
        routines = _fast() if use_scipy(k) else None
        if routines is None:
            L = np.tril(self.L)
            for trans in passes:
                B[:] = _solve_triangular(L, B, trans)
            return
        nn, mm = ctypes.c_int(k), ctypes.c_int(m)
        ldb = ctypes.c_int(k)
        refs = [ctypes.addressof(nn), ctypes.addressof(mm), self._lda_ref, ctypes.addressof(ldb)]
        b_ref = _address(B)
        for trans in passes:
            routines[1](
                _A_LEFT, _A_LOWER, _A_TRANS if trans else _A_NOTRANS, _A_NONUNIT, refs[0],
                refs[1], _A_ONE, self._address, refs[2], b_ref, refs[3],
            )  # fmt: skip

    def tri(self, rhs: np.ndarray, trans: bool = False) -> np.ndarray:
        """L^{-1} rhs (L^{-T} rhs with ``trans``), a new array; rhs (k,) or (k, m)."""
        if rhs.ndim == 1:
            x = np.array(rhs, dtype=float)
            self._trsv(x, (trans,))
            return x
        B = np.array(rhs, dtype=float, order="F")
        self._trsm(B, (trans,))
        return B

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """(L L')^{-1} rhs, a new array; rhs (k,) or (k, m); up to ``_TRSV_COLUMNS`` columns
        through two trsv each, more through trsm."""
        if rhs.ndim == 1:
            x = np.array(rhs, dtype=float)
            self._trsv(x, _BOTH)
            return x
        B = np.array(rhs, dtype=float, order="F")
        if B.shape[1] <= _TRSV_COLUMNS:
            for j in range(B.shape[1]):
                self._trsv(B[:, j], _BOTH)  # a contiguous column, solved in place
            return B
        self._trsm(B, _BOTH)
        return B

    # --- updates ----------------------------------------------------------------------------

    def append(self, W: np.ndarray | None, L22: np.ndarray) -> None:
        """Add m rows: L <- [[L, 0], [W', L22]] (W k x m, None when k = 0; L22 m x m lower
        with a zero upper triangle).  The buffer doubles when it is full, up to ``limit``."""
        k, m = self.k, L22.shape[0]
        self._room(k + m)
        if W is not None and k:
            self.buf[k : k + m, :k] = W.T
        self.buf[k : k + m, k : k + m] = L22
        self.k = k + m

    def append_row(self, w: np.ndarray | None, pivot: float) -> None:
        """``append`` of one row: L <- [[L, 0], [w', pivot]] (w of length k, None when k = 0)."""
        k = self.k
        self._room(k + 1)
        if w is not None:
            self.buf[k, :k] = w
        self.buf[k, k] = pivot
        self.k = k + 1

    def delete(self, i: int) -> None:
        """Remove row and column i: L becomes the factor of M without them (M = L L').

        The trailing block T must absorb the removed column l: T~ T~' = T T' + l l' =
        T (I + q q') T' with q = T^{-1} l.  I + q q' has a closed-form Cholesky factor
        D + tril(q b', -1) with t_j = 1 + sum_{i<=j} q_i^2, D_jj = sqrt(t_j / t_{j-1}),
        b_j = q_j / sqrt(t_j t_{j-1}), so T~ = T D + (suffix sums of T's columns scaled by q) b':
        a few vectorized passes over T instead of sequential Givens rotations.  The rows after
        i move up one row; nothing before them is touched.
        """
        k = self.k
        buf = self.buf
        r = k - 1 - i
        if r:
            q = buf[i + 1 : k, i].copy()  # l, then T^{-1} l in place
            self._trsv(q, (False,), start=i + 1, n=r)
            t = _ACCUMULATE(q * q)
            t += 1.0
            t_prev = np.empty_like(t)
            t_prev[0] = 1.0
            t_prev[1:] = t[:-1]
            b = q / np.sqrt(t * t_prev)
            d = np.sqrt(t / t_prev)
            if i:
                buf[i : k - 1, :i] = buf[i + 1 : k, :i]
            # each row of T~ depends on the same row of T alone, and T is lower triangular:
            # in blocks of rows [a0, a1) only the columns before a1 are nonzero, which skips
            # most of the zero upper triangle (~5/8 of r^2 entries for four blocks, where the
            # suffix sums cost ~4 ns an entry)
            blocks = min(max(r // _DELETE_BLOCK_ROWS, 1), _DELETE_BLOCKS)
            cuts = [r * j // blocks for j in range(blocks + 1)]
            for a0, a1 in zip(cuts[:-1], cuts[1:]):
                T = buf[i + 1 + a0 : i + 1 + a1, i + 1 : i + 1 + a1]
                # W[:, j] <- sum_{e >= j} T[:, e] q_e
                W = T * q[:a1]
                tail = W[:, :0:-1]
                _ACCUMULATE(tail, axis=1, out=tail)
                W[:, 1:] *= b[: a1 - 1]
                new = T * d[:a1]
                new[:, :-1] += W[:, 1:]
                # one row up and one column left; the rows overwritten are this block's,
                # already read, and the previous block's last
                buf[i + a0 : i + a1, i : i + a1] = new
        buf[k - 1, :k] = 0.0  # the last row moved up (its column was zero above the diagonal)
        self.k = k - 1
