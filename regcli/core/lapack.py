"""Cholesky factors and triangular solves: SciPy's LAPACK where it pays, NumPy where it does not.

Importing ``scipy.linalg`` costs about 0.2 s of a process's start-up, more than a small fit takes.
Systems of order up to ``NUMPY_ORDER`` are therefore solved with NumPy unless SciPy is already
loaded; larger ones load SciPy (its overhead per call is lower, and triangular solves are
O(k^2) instead of NumPy's O(k^3)).  Every function returns LAPACK's (result, info) convention.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

#: Largest order served by NumPy while SciPy is not loaded.
NUMPY_ORDER = 64


def use_scipy(order: int) -> bool:
    """Whether a system of this order goes to SciPy's LAPACK."""
    return order > NUMPY_ORDER or "scipy.linalg" in sys.modules


def scipy_lapack() -> Any:
    if not _SCIPY:
        _SCIPY.append(scipy_linalg().lapack)
    return _SCIPY[0]


_SCIPY: list[Any] = []


def scipy_linalg() -> Any:
    """``scipy.linalg``, imported where first needed; its BLAS then joins the thread limit in
    force (``threads.blas_loaded``)."""
    loaded = "scipy.linalg" in sys.modules
    import scipy.linalg

    if not loaded:
        from regcli.core.threads import blas_loaded

        blas_loaded()
    return scipy.linalg


def potrf(M: np.ndarray) -> tuple[np.ndarray, int]:
    """The lower Cholesky factor of M (zeros above the diagonal) and LAPACK's info (0: done)."""
    if use_scipy(M.shape[0]):
        L, info = scipy_lapack().dpotrf(M, lower=1, clean=1)
        return L, int(info)
    try:
        return np.linalg.cholesky(M), 0
    except np.linalg.LinAlgError:
        return M, 1


def trtrs(L: np.ndarray, B: np.ndarray, trans: bool = False) -> tuple[np.ndarray, int]:
    """L^{-1} B (L^{-T} B with ``trans``) for lower-triangular L, and info (> 0: singular)."""
    if use_scipy(L.shape[0]):
        X, info = scipy_lapack().dtrtrs(L, B, lower=1, trans=int(trans))
        return X, int(info)
    T = np.tril(L)
    if not np.all(np.diagonal(T) != 0):
        return B, 1
    return np.linalg.solve(T.T if trans else T, B), 0


def potrs(L: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, int]:
    """(L L')^{-1} B from the lower Cholesky factor L, and info."""
    if use_scipy(L.shape[0]):
        X, info = scipy_lapack().dpotrs(L, B, lower=1)
        return X, int(info)
    Y, info = trtrs(L, B)
    if info:
        return B, info
    return trtrs(L, Y, trans=True)
