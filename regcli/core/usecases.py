"""What the commands compute, as plain functions on arrays returning frozen results.

The CLI parses options, loads a dataset, calls one of these and renders what comes back; so do
tests and scripts that use regcli as a library.  (``fitting.fit``, ``path.compute_path`` and
``compare.compare_models`` are use cases of their own.)
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from regcli.core.cv import CVResult, FoldSums, cross_validate, prepare_cv
from regcli.core.family import Family, family_named
from regcli.core.fitting import FitResult, fit_prepared
from regcli.core.path import DEFAULT_TOL
from regcli.core.penalty import NO_CONTROLS, PenaltyControls
from regcli.core.stats import Standardization, Stats


@dataclass(frozen=True)
class CVFit:
    """Cross-validation and the model refit on all rows at its selected (l1 ratio, alpha)."""

    cv: CVResult
    model: FitResult
    select: str  # "min" or "1se"

    @property
    def index(self) -> int:
        """Position of the selected alpha on the chosen l1 ratio's curve."""
        if self.cv.relaxed is not None:
            return self.cv.relaxed.selected(self.select)[1]
        return self.cv.curve.selected(self.select)

    @property
    def gamma_index(self) -> int | None:
        """Position of the selected gamma (relaxed cross-validation), else None."""
        if self.cv.relaxed is None:
            return None
        return self.cv.relaxed.selected(self.select)[0]

    def _at(self, name: str) -> float:
        if self.cv.relaxed is not None:
            gi, ai = self.cv.relaxed.selected(self.select)
            return float(getattr(self.cv.relaxed, name)[gi, ai])
        return float(getattr(self.cv.curve, name)[self.index])

    @property
    def cv_mean(self) -> float:
        return self._at("cv_mean")

    @property
    def cv_se(self) -> float:
        return self._at("cv_se")

    @property
    def cv_r2(self) -> float:
        return self._at("cv_r2")

    def summary(self, **extra: Any) -> dict[str, Any]:
        """How alpha was chosen, as model files and reports record it."""
        curve = self.cv.curve
        return {
            "method": "cv",
            "metric": self.cv.metric,
            "n_folds": self.cv.n_folds,
            "select": self.select,
            "alpha_min": curve.alpha_min,
            "alpha_1se": curve.alpha_1se,
            "cv_mean": self.cv_mean,
            "cv_se": self.cv_se,
            "cv_r2": self.cv_r2,
            **(
                {}
                if self.cv.relaxed is None
                else {
                    "gamma": float(self.cv.relaxed.gammas[self.gamma_index or 0]),
                    "gammas": [float(g) for g in self.cv.relaxed.gammas],
                }
            ),
            **extra,
        }


def cv_then_refit(
    X: np.ndarray,
    y: np.ndarray,
    *,
    folds: list[np.ndarray],
    l1_ratios: list[float],
    weights: np.ndarray | None = None,
    select: str = "1se",
    metric: str = "mse",
    alphas: Any = None,
    n_alphas: int = 100,
    eps: float | None = None,
    standardize: bool = True,
    fit_intercept: bool = True,
    tol: float = DEFAULT_TOL,
    max_iter: int = 10_000,
    fold_grid: str = "own",
    jobs: int = 1,
    controls: PenaltyControls = NO_CONTROLS,
    gammas: Any = None,
    family: str = "gaussian",
    streamed: tuple[tuple[Standardization, Stats], list[FoldSums]] | None = None,
) -> CVFit:
    """Cross-validate every l1 ratio on ``folds`` (``cv.cross_validate``), then refit on all rows
    at the selected point; one pass over the rows serves both where a Gram does.  ``gammas``
    cross-validates the relaxed fits too and refits the chosen (alpha, gamma).  ``family``
    binomial or poisson: cv.glmnet's procedure (``glmcv``), the refit by ``glm.glm_fit``.
    ``streamed``: the statistics and fold sums computed elsewhere (the stream engine); X and y
    then only give the shape."""
    if select not in ("min", "1se"):
        raise ValueError(f"select must be 'min' or '1se', not {select!r}")
    t0 = time.perf_counter()
    if family != "gaussian":
        return _glm_cv_then_refit(
            X,
            y,
            family_named(family),
            folds=folds,
            l1_ratios=l1_ratios,
            weights=weights,
            select=select,
            metric=metric,
            alphas=alphas,
            n_alphas=n_alphas,
            eps=eps,
            standardize=standardize,
            fit_intercept=fit_intercept,
            tol=tol,
            max_iter=max_iter,
            controls=controls,
            fold_grid=fold_grid,
            jobs=jobs,
            t0=t0,
        )
    sums: list[FoldSums] | None
    if streamed is not None:
        prepared, sums = streamed
    else:
        prepared, sums = prepare_cv(
            X, y, weights, folds, fit_intercept=fit_intercept, standardize=standardize
        )
    res = cross_validate(
        X,
        y,
        folds=folds,
        l1_ratios=l1_ratios,
        weights=weights,
        alphas=alphas,
        n_alphas=n_alphas,
        eps=eps,
        standardize=standardize,
        fit_intercept=fit_intercept,
        metric=metric,
        tol=tol,
        max_iter=max_iter,
        fold_grid=fold_grid,
        prepared=prepared,
        sums=sums,
        jobs=jobs,
        controls=controls,
        gammas=gammas,
    )
    res = dataclasses.replace(res, fit_s=time.perf_counter() - t0)  # the data pass included
    curve = res.curve
    alpha = curve.alpha_min if select == "min" else curve.alpha_1se
    gamma = None
    if res.relaxed is not None:
        gi, ai = res.relaxed.selected(select)
        alpha, gamma = float(curve.alphas[ai]), float(res.relaxed.gammas[gi])
    std = prepared[0]
    model = fit_prepared(
        *prepared,
        alpha=alpha,
        l1_ratio=curve.l1_ratio,
        tol=tol,
        max_iter=max_iter,
        penalty=controls.for_problem(X.shape[1], curve.l1_ratio, std.keep, std.scale),
        gamma=gamma,
    )
    return CVFit(cv=res, model=model, select=select)


def _glm_cv_then_refit(
    X: np.ndarray,
    y: np.ndarray,
    family: Family,
    *,
    select: str,
    controls: PenaltyControls,
    t0: float,
    **options: Any,
) -> CVFit:
    from regcli.core.glm import glm_fit
    from regcli.core.glmcv import glm_cross_validate

    res = glm_cross_validate(X, y, family, controls=controls, **options)
    res = dataclasses.replace(res, fit_s=time.perf_counter() - t0)
    curve = res.curve
    model = glm_fit(
        X,
        y,
        family,
        alpha=curve.alpha_min if select == "min" else curve.alpha_1se,
        l1_ratio=curve.l1_ratio,
        weights=options["weights"],
        standardize=options["standardize"],
        fit_intercept=options["fit_intercept"],
        tol=options["tol"],
        max_iter=options["max_iter"],
        penalty_factor=controls.factors,
        lower=controls.lower,
        upper=controls.upper,
    )
    return CVFit(cv=res, model=model, select=select)


def holdout_rows(n_samples: int, test_size: float, seed: int) -> np.ndarray:
    """A boolean mask of the rows held out for testing: round(test_size x n) rows drawn with
    ``seed``; ValueError when it leaves no test row or fewer than 4 training rows."""
    if not 0 < test_size < 1:
        raise ValueError(f"test size {test_size:g} must be between 0 and 1 (exclusive)")
    n_test = int(round(test_size * n_samples))
    if n_test < 1 or n_samples - n_test < 4:
        raise ValueError(f"test size {test_size:g} leaves too few rows")
    test = np.zeros(n_samples, dtype=bool)
    test[np.random.default_rng(seed).permutation(n_samples)[:n_test]] = True
    return test
