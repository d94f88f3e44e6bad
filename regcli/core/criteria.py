"""Information criteria along a path: AIC, BIC and EBIC of each point (Gaussian family).

With df = nonzero coefficients (+ 1 for the intercept) and the error variance estimated as
RSS / n, -2 log L = n (log(2 pi RSS / n) + 1), as glum computes it; AIC = -2 log L + 2 df,
BIC = -2 log L + log(n) df, and EBIC (Chen and Chen, for p > n) = BIC + 2 gamma log C(p, k)
with k the nonzero coefficients and gamma = 0.5.  Weights enter as in the objective (RSS is
the weighted mean squared residual).  For binomial and Poisson -2 log L is replaced by the
deviance, n x the mean deviance (``minus_2ll``), as glum does: it differs from -2 log L by a
constant of the data, so the selected point is the same.
"""

from __future__ import annotations

from math import lgamma, log, pi

import numpy as np

#: EBIC's gamma (Chen and Chen 2008 suggest 0.5 when p grows with n).
EBIC_GAMMA = 0.5


def _log_binomial(p: int, k: np.ndarray) -> np.ndarray:
    return np.array([lgamma(p + 1) - lgamma(int(j) + 1) - lgamma(p - int(j) + 1) for j in k])


def information_criteria(
    mse: np.ndarray,
    n_nonzero: np.ndarray,
    *,
    n_samples: int,
    n_features: int,
    fit_intercept: bool,
    minus_2ll: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """{aic, bic, ebic} per path point from its (weighted) mean squared residual ``mse`` (or,
    for the other families, ``minus_2ll``) and its number of nonzero coefficients.  A point
    that fits exactly (mse 0) gets -inf."""
    n = float(n_samples)
    k = np.asarray(n_nonzero)
    df = k + (1 if fit_intercept else 0)
    if minus_2ll is None:
        with np.errstate(divide="ignore"):
            minus_2ll = n * (np.log(2 * pi * np.maximum(mse, 0.0)) + 1.0)
    aic = minus_2ll + 2.0 * df
    bic = minus_2ll + log(n) * df
    ebic = bic + 2.0 * EBIC_GAMMA * _log_binomial(n_features, k)
    return {"aic": aic, "bic": bic, "ebic": ebic}


def select_by(criterion: np.ndarray) -> int:
    """The path point minimizing a criterion (the first, largest alpha, on ties); NaN never
    wins."""
    values = np.where(np.isnan(criterion), np.inf, criterion)
    return int(np.argmin(values))
