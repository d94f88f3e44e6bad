"""A single elastic-net fit at one alpha, on the same engine as the path."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from regcli.core.activeset import solve_enet
from regcli.core.dispatch import Problem, Route, choose_route
from regcli.core.family import deviance_ratio
from regcli.core.general import problem_alpha_max, solve_general
from regcli.core.path import DEFAULT_TOL
from regcli.core.penalty import ElasticNet, Penalty, alpha_max, kkt_scale, penalty_for
from regcli.core.relax import refit_on_support
from regcli.core.ridge import ridge_coef
from regcli.core.stats import GramStats, Standardization, Stats, least_squares, prepare
from regcli.core.threads import single_blas_thread, threads_on_demand


@dataclass(frozen=True)
class FitResult:
    """One fitted model.  ``coef`` is on the original feature scale, ``standardized_coef`` on the
    standardized one (equal to ``coef`` with ``standardize=False``); both are (p,)."""

    alpha: float
    l1_ratio: float
    intercept: float
    coef: np.ndarray
    standardized_coef: np.ndarray
    n_samples: int
    r2: float  # weighted training R^2 (fraction of deviance explained)
    converged: bool
    n_iter: int
    max_kkt_violation: float  # absolute, on the standardized problem
    kkt_tolerance: float  # what converged means: max_kkt_violation <= this (tol x floored alpha)
    alpha_max: float
    standardization: Standardization
    fit_s: float
    #: relaxed fit (``relax``): its gamma, whether the support could be refit, and the
    #: penalized coefficients and intercept it was blended from; None otherwise
    gamma: float | None = None
    refit_ok: bool = True
    penalized_coef: np.ndarray | None = None
    penalized_intercept: float | None = None
    #: the family (``family.FAMILIES``); for binomial and Poisson ``r2`` is the deviance ratio
    #: and these are the mean deviances (per unit weight) of the fit and of the null model
    family: str = "gaussian"
    deviance: float | None = None
    null_deviance: float | None = None

    @property
    def n_features(self) -> int:
        return int(self.coef.size)

    @property
    def n_nonzero(self) -> int:
        return int(np.count_nonzero(self.coef))

    @property
    def penalty(self) -> str:
        return ElasticNet(self.alpha, self.l1_ratio).name


@threads_on_demand
def fit(
    X: np.ndarray,
    y: np.ndarray,
    *,
    alpha: float,
    l1_ratio: float = 1.0,
    weights: np.ndarray | None = None,
    standardize: bool = True,
    fit_intercept: bool = True,
    tol: float = DEFAULT_TOL,
    max_iter: int = 10_000,
    gram: bool | None = None,
    penalty_factor: np.ndarray | None = None,
    lower: np.ndarray | float | None = None,
    upper: np.ndarray | float | None = None,
    gamma: float | None = None,
) -> FitResult:
    """Minimize 1/(2 sum w) sum w_i (y_i - b0 - x_i b)^2 + alpha (r ||b||_1 + (1 - r)/2 ||b||^2).

    X is (n, p) float64, y (n,).  ``tol`` is relative to alpha: the fit is converged when its max
    KKT violation on the standardized problem is at most ``tol * alpha`` (alpha floored at 1e-6
    of alpha_max for the lasso, see ``penalty.kkt_scale``).  ``penalty_factor`` (p,) and the
    bounds ``lower`` / ``upper`` (original scale) follow glmnet's penalty.factor and limits;
    ``gamma`` gives the relaxed fit (glmnet's relax = TRUE at that gamma).
    """
    t0 = time.perf_counter()
    std, stats = prepare(
        X, y, weights, fit_intercept=fit_intercept, standardize=standardize, gram=gram
    )
    penalty = penalty_for(
        X.shape[1], l1_ratio, std.keep, std.scale, factors=penalty_factor, lower=lower, upper=upper
    )
    return fit_prepared(
        std,
        stats,
        alpha=alpha,
        l1_ratio=l1_ratio,
        tol=tol,
        max_iter=max_iter,
        t0=t0,
        penalty=penalty,
        gamma=gamma,
    )


@threads_on_demand
def fit_prepared(
    std: Standardization,
    stats: Stats,
    *,
    alpha: float,
    l1_ratio: float = 1.0,
    tol: float = DEFAULT_TOL,
    max_iter: int = 10_000,
    t0: float | None = None,
    penalty: Penalty | None = None,
    gamma: float | None = None,
) -> FitResult:
    """``fit`` on statistics already prepared (several fits on the same data share one pass);
    ``penalty`` over the solver's columns (``penalty.penalty_for``), scalar when None;
    ``gamma``: the relaxed fit (``relax``), gamma x penalized + (1 - gamma) x the unpenalized
    refit on the support (the certificate stays that of the penalized solve)."""
    t0 = time.perf_counter() if t0 is None else t0
    n = stats.n_samples
    if penalty is None:
        penalty = Penalty(l1_ratio=float(l1_ratio))
    point = ElasticNet(alpha=float(alpha), l1_ratio=float(l1_ratio))
    scale = kkt_scale(alpha, alpha_max(stats.c, 1.0))
    route = choose_route(
        Problem(
            n_samples=n,
            n_features=stats.n_features,
            l1_ratio=point.l1_ratio,
            source="gram" if isinstance(stats, GramStats) else "lazy",
            scalar_penalty=penalty.scalar,
            alpha=point.alpha,
        )
    )
    if route is Route.GENERAL_ACTIVE_SET:
        with single_blas_thread():
            general = solve_general(
                stats,
                penalty,
                point.alpha,
                np.zeros(stats.n_features),
                tol=tol * scale,
                max_iter=max_iter,
            )
        coef_std, grad = general.coef, general.grad
        kkt, n_iter, converged = general.max_kkt_violation, general.n_iter, general.converged
    elif route is Route.LEAST_SQUARES:  # the minimum-norm solution when columns are collinear
        coef_std = least_squares(stats)
        active = np.flatnonzero(coef_std)
        grad = stats.grad(active, coef_std[active])
        kkt = float(np.abs(grad).max(initial=0.0))
        n_iter, converged = 1, kkt <= tol * scale
    elif route is Route.RIDGE:
        coef_std = ridge_coef(stats, point.lam2)
        active = np.flatnonzero(coef_std)
        grad = stats.grad(active, coef_std[active])
        kkt = point.kkt_violation(grad, coef_std)
        n_iter, converged = 1, kkt <= tol * scale
    else:
        with single_blas_thread():
            sol = solve_enet(
                stats, point, np.zeros(stats.n_features), tol=tol * scale, max_iter=max_iter
            )
        coef_std, grad = sol.coef, sol.grad
        kkt, n_iter, converged = sol.max_kkt_violation, sol.n_iter, sol.converged
    penalized = None
    refit_ok = True
    if gamma is not None:
        penalized = std.to_original(coef_std)
        refit = refit_on_support(stats, coef_std, penalty)
        refit_ok = refit is not None
        if refit is not None:
            coef_std = gamma * coef_std + (1.0 - gamma) * refit
            active = np.flatnonzero(coef_std)
            grad = stats.grad(active, coef_std[active])
    coef, intercept = std.to_original(coef_std)
    coef = penalty.hold_limits(coef)
    return FitResult(
        alpha=float(alpha),
        l1_ratio=float(l1_ratio),
        intercept=float(intercept),
        coef=coef,
        standardized_coef=std.standardized(coef_std),
        n_samples=n,
        r2=deviance_ratio(stats.yy, stats.c, coef_std, grad),
        converged=bool(converged),
        n_iter=int(n_iter),
        max_kkt_violation=float(kkt),
        kkt_tolerance=float(tol * scale),
        alpha_max=problem_alpha_max(stats, penalty),
        standardization=std,
        fit_s=time.perf_counter() - t0,
        gamma=None if gamma is None else float(gamma),
        refit_ok=refit_ok,
        penalized_coef=None if penalized is None else penalized[0],
        penalized_intercept=None if penalized is None else float(penalized[1]),
    )
