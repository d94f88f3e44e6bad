"""The family (datafit) axis of the core: the loss a model minimizes and how it is scored.

A family gives the mean deviance of predictions, its link and inverse link, its variance
function and the half deviance of a linear predictor (the loss a GLM solver minimizes, ``glm``).
Gaussian (identity link) has the weighted least-squares loss, whose sufficient statistics also give
the deviance of any coefficients without the rows (``deviance_ratios``, ``moments_deviance``);
binomial (logit link) and Poisson (log link) are fitted by proximal Newton steps (``glm``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from regcli.core.moments import Moments


class Family(Protocol):
    """What solvers, cross-validation and prediction ask of a family."""

    name: str
    link_name: str

    def link(self, mu: np.ndarray) -> np.ndarray: ...

    def inverse_link(self, eta: np.ndarray) -> np.ndarray: ...

    def unit_deviance(self, y: np.ndarray, mu: np.ndarray) -> np.ndarray: ...

    def deviance(
        self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None
    ) -> float: ...

    def null_deviance(self, y: np.ndarray, weights: np.ndarray | None = None) -> float: ...

    def variance(self, mu: np.ndarray) -> np.ndarray: ...

    def variance_unit(self, mean: float) -> float: ...

    def half_deviance(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray: ...

    def nll(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray: ...

    def null_mean(self, y: np.ndarray, v: np.ndarray) -> float: ...


def _mean(values: np.ndarray, weights: np.ndarray | None) -> float:
    if weights is None:
        return float(np.mean(values))
    w = np.asarray(weights, dtype=float)
    return float(w @ values / w.sum())


class Gaussian:
    """Least squares: deviance (y - mu)^2, identity link; one IRLS step is the problem itself."""

    name = "gaussian"
    link_name = "identity"

    def link(self, mu: np.ndarray) -> np.ndarray:
        return mu

    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        return eta

    def unit_deviance(self, y: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """Squared errors; infinite where one passes float64's range (a prediction far off)."""
        with np.errstate(over="ignore"):
            resid = y - mu
            return resid * resid

    def deviance(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Weighted mean deviance (the mean squared error)."""
        return _mean(self.unit_deviance(y, mu), weights)

    def null_deviance(self, y: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Deviance of the intercept-only model (the weighted variance of y)."""
        return self.deviance(y, np.full(len(y), _mean(y, weights)), weights)

    def variance(self, mu: np.ndarray) -> np.ndarray:
        return np.ones_like(mu)

    def variance_unit(self, mean: float) -> float:
        return 1.0

    def half_deviance(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        resid = y - eta
        return 0.5 * resid * resid

    def nll(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        return self.half_deviance(y, eta)

    def null_mean(self, y: np.ndarray, v: np.ndarray) -> float:
        return float(v @ y)


def _xlogx(x: np.ndarray) -> np.ndarray:
    """x log x with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0)), 0.0)


class _IRLSFamily:
    """What binomial and Poisson share: the deviance from the half deviance."""

    name: str
    link_name: str

    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def link(self, mu: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def variance(self, mu: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def variance_unit(self, mean: float) -> float:
        """The scale of the variance function for data of this mean (the null model's): what a
        floor on working variances is a share of."""
        raise NotImplementedError

    def half_deviance(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Half the unit deviance of the mean at ``eta``: ``nll`` plus a term of y alone."""
        return self.nll(y, eta) + self.saturated(y)

    def nll(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Negative log-likelihood per row, up to a term of y alone (what solvers minimize)."""
        raise NotImplementedError

    def saturated(self, y: np.ndarray) -> np.ndarray:
        """half_deviance - nll: a term of y alone."""
        raise NotImplementedError

    def unit_deviance(self, y: np.ndarray, mu: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", over="ignore"):
            return 2.0 * self.half_deviance(y, self.link(mu))

    def deviance(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Weighted mean deviance of the means ``mu``."""
        return _mean(self.unit_deviance(y, mu), weights)

    def null_mean(self, y: np.ndarray, v: np.ndarray) -> float:
        """The intercept-only model's mean: the weighted mean of y (``v`` sums to 1)."""
        return float(v @ y)

    def null_deviance(self, y: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Deviance of the intercept-only model."""
        w = np.full(len(y), 1.0 / len(y)) if weights is None else weights / np.sum(weights)
        return self.deviance(y, np.full(len(y), self.null_mean(y, w)), weights)


class Binomial(_IRLSFamily):
    """Logistic regression: y in [0, 1] (0/1 classes), mean the probability, logit link."""

    name = "binomial"
    link_name = "logit"

    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-eta))

    def link(self, mu: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(mu) - np.log1p(-mu)

    def variance(self, mu: np.ndarray) -> np.ndarray:
        return mu * (1.0 - mu)

    def variance_unit(self, mean: float) -> float:
        return 1.0  # probabilities have no unit

    def nll(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """log(1 + e^eta) - y eta, stable for any eta."""
        return np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta))) - y * eta

    def saturated(self, y: np.ndarray) -> np.ndarray:
        return _xlogx(y) + _xlogx(1.0 - y)


class Poisson(_IRLSFamily):
    """Poisson regression: y >= 0 (counts or rates), log link."""

    name = "poisson"
    link_name = "log"

    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(eta)

    def link(self, mu: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(mu)

    def variance(self, mu: np.ndarray) -> np.ndarray:
        return mu

    def variance_unit(self, mean: float) -> float:
        return mean  # the variance is in y's units

    def nll(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """mu - y eta (half the unit deviance 2 (y log(y / mu) - (y - mu)), less y log y - y)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(eta) - np.where(y > 0, y * eta, 0.0)

    def saturated(self, y: np.ndarray) -> np.ndarray:
        return _xlogx(y) - y


GAUSSIAN = Gaussian()
BINOMIAL = Binomial()
POISSON = Poisson()
FAMILIES: dict[str, Family] = {"gaussian": GAUSSIAN, "binomial": BINOMIAL, "poisson": POISSON}


def family_named(name: str) -> Family:
    """The family called ``name``; ValueError for an unknown one."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(
            f"unknown family {name!r} (known: {', '.join(sorted(FAMILIES))})"
        ) from None


def deviance_ratios(
    yy: float | np.ndarray, fit_term: np.ndarray, null: float | np.ndarray | None = None
) -> np.ndarray:
    """Gaussian share of deviance explained, 1 - RSS / null, from sufficient statistics.

    RSS = z'z - fit_term with fit_term = c'b + b'(c - G b) per coefficient vector; ``yy`` is one
    z'z or one per problem (a batch); ``null`` is the intercept-only deviance (z'z itself unless
    the statistics were reduced, ``reduction``); the ratio is 0 where it is 0.
    """
    if null is None:
        null = yy
    if not isinstance(yy, np.ndarray) and not isinstance(null, np.ndarray):
        if null <= 0:  # one path, at every point of its loop: stay scalar
            return np.zeros_like(fit_term)
        with np.errstate(over="ignore", invalid="ignore"):
            ratio = 1.0 - np.maximum(yy - fit_term, 0.0) / null
        return np.where(np.isfinite(ratio), ratio, 0.0)  # overflow only on degenerate folds
    positive = null > 0
    safe = np.where(positive, null, 1.0)
    return np.where(positive, 1.0 - np.maximum(yy - fit_term, 0.0) / safe, 0.0)


def deviance_ratio(yy: float, c: np.ndarray, coef: np.ndarray, grad: np.ndarray) -> float:
    """``deviance_ratios`` of one coefficient vector with its gradient grad = c - G coef."""
    return float(deviance_ratios(yy, np.asarray(coef @ (c + grad))))


def moments_deviance(moments: Moments, coefs: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
    """Gaussian mean deviance (MSE) of coefficient rows (a, p) with their intercepts (a,) on
    the rows summarized by ``moments``, without the rows:
    sum w (y - b0 - x b)^2 = syy - 2 b0 sy - 2 b'sxy + b0^2 W + 2 b0 b'sx + b'S b about the
    moments' center; 0 for rows of no weight at all (a held-out fold of weight 0 counts for
    nothing)."""
    m = moments
    if not m.W > 0:
        return np.zeros(coefs.shape[0])
    b0 = intercepts - m.y_center + coefs @ m.center  # the intercept in centered units
    quad = np.einsum("ij,ij->i", coefs @ m.S, coefs)
    sse = m.syy - 2 * b0 * m.sy - 2 * coefs @ m.sxy + b0 * b0 * m.W + 2 * b0 * (coefs @ m.sx) + quad
    return np.maximum(sse, 0.0) / m.W
