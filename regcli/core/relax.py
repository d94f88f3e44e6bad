"""The relaxed lasso (glmnet's relax = TRUE): a penalized fit blended with the unpenalized
least-squares refit on its support, gamma * penalized + (1 - gamma) * refit.

The refit keeps the coefficient limits (as glmnet's refit does) and is computed once per
distinct support along a path.  A support of more than n - 3 features cannot be refit (glmnet's
``maxp``); there the relaxed coefficients are the penalized ones (gamma = 1).
"""

from __future__ import annotations

import numpy as np

from regcli.core.general import least_squares_on
from regcli.core.penalty import Penalty
from regcli.core.stats import Stats

#: gamma values cross-validated by default (cv.glmnet's).
DEFAULT_GAMMAS = (0.0, 0.25, 0.5, 0.75, 1.0)


def max_support(n_samples: int) -> int:
    """The largest support that is refit: n - 3, glmnet's default ``maxp``."""
    return max(n_samples - 3, 0)


def refit_on_support(stats: Stats, coef: np.ndarray, penalty: Penalty) -> np.ndarray | None:
    """Unpenalized least squares on the nonzero features of ``coef`` (m,) within the penalty's
    bounds, on the standardized problem; None when the support is too large to refit."""
    support = np.flatnonzero(coef)
    if support.size > max_support(stats.n_samples):
        return None
    return least_squares_on(stats, penalty, support, coef)


def relaxed_coefs(
    stats: Stats, coefs: np.ndarray, gammas: np.ndarray, penalty: Penalty
) -> tuple[np.ndarray, np.ndarray]:
    """Relaxed coefficients (len(gammas), k, m) of a path's standardized coefficients (k, m),
    and which points could be refit (k,) (the others keep their penalized coefficients)."""
    k, m = coefs.shape
    refits = np.array(coefs, dtype=float)
    ok = np.ones(k, dtype=bool)
    cache: dict[bytes, np.ndarray | None] = {}
    for i in range(k):
        key = np.packbits(coefs[i] != 0).tobytes()
        if key not in cache:
            cache[key] = refit_on_support(stats, coefs[i], penalty)
        refit = cache[key]
        if refit is None:
            ok[i] = False
        else:
            refits[i] = refit
    g = np.asarray(gammas, dtype=float)[:, None, None]
    return g * coefs[None] + (1.0 - g) * refits[None], ok
