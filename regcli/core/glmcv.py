"""Cross-validation of binomial and Poisson paths, cv.glmnet's procedure and measures.

Each fold fits its own path on its training rows (its own default grid, early stop included,
or the given alphas), its coefficients are interpolated linearly in alpha at the full path's
alphas (glmnet's predict(s = )), and the held-out rows are scored by cv.glmnet's
``type.measure``: deviance (probabilities clipped to [1e-5, 1 - 1e-5] for binomial, as
cv.glmnet does), class (misclassification), auc (per fold, larger is better), mse, mae.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from regcli.core.cv import (
    CVCurve,
    CVResult,
    fold_count,
    fold_mean_se,
    heldout_predictions,
    interpolate_path,
    select_indices,
)
from regcli.core.family import Family
from regcli.core.glm import glm_path
from regcli.core.parallel import run_tasks
from regcli.core.penalty import NO_CONTROLS, PenaltyControls
from regcli.core.threads import threads_on_demand

#: cv.glmnet's clip of held-out probabilities before the binomial deviance.
PROBABILITY_CLIP = 1e-5
#: measures each family accepts; the first is the default.
FAMILY_METRICS = {
    "binomial": ("deviance", "class", "auc", "mse", "mae"),
    "poisson": ("deviance", "mse", "mae"),
}
#: cv.glmnet falls back from auc below this many rows per fold; regcli warns (``auc_warning``).
AUC_MIN_FOLD_ROWS = 10


def larger_is_better(metric: str) -> bool:
    return metric == "auc"


def weighted_auc(y: np.ndarray, score: np.ndarray, w: np.ndarray) -> float:
    """Area under the ROC curve: the weighted share of (positive, negative) pairs ranked
    right, ties counting one half (the Mann-Whitney statistic); NaN without both classes."""
    pos = y > 0.5
    wp, wn = float(w[pos].sum()), float(w[~pos].sum())
    if wp <= 0 or wn <= 0:
        return float("nan")
    values, group = np.unique(score, return_inverse=True)
    neg_w = np.bincount(group, weights=np.where(pos, 0.0, w), minlength=values.size)
    pos_w = np.bincount(group, weights=np.where(pos, w, 0.0), minlength=values.size)
    below = np.cumsum(neg_w) - neg_w
    return float(pos_w @ (below + 0.5 * neg_w) / (wp * wn))


def heldout_scores(
    family: Family, metric: str, y: np.ndarray, eta: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """The measure (k,) of linear predictors ``eta`` (k, n) on held-out rows y (n,), w (n,).
    A linear predictor that overflowed (a held-out row far outside the training rows' range;
    NaN where the overflow met a zero) costs an infinite error (AUC: ranks as no evidence),
    never NaN, as gaussian cv's does."""
    lost = np.isnan(eta)
    if lost.any():
        eta = np.where(lost, 0.0, eta)
    W = float(w.sum())
    if not W > 0:  # a held-out fold of weight 0 counts for nothing (its fold weight is 0)
        return np.zeros(eta.shape[0])
    if metric == "auc":
        return np.array([weighted_auc(y, row, w) for row in eta])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        mu = family.inverse_link(eta)
        if metric == "deviance":
            if family.name == "binomial":
                p = np.clip(mu, PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
                unit = -2.0 * (y * np.log(p) + (1.0 - y) * np.log1p(-p))
            else:
                unit = 2.0 * family.half_deviance(y, eta)
        elif metric == "class":
            unit = ((mu > 0.5) != (y > 0.5)).astype(float)
        elif metric == "mse":
            unit = (y - mu) ** 2
        elif metric == "mae":
            unit = np.abs(y - mu)
        else:
            raise ValueError(f"unknown measure {metric!r}")
        unit = np.where(lost | np.isnan(unit), np.inf, unit)
        unit[..., w == 0] = 0.0  # a row of weight 0 counts for nothing, even then
        return (unit @ w) / W


@threads_on_demand
def glm_cross_validate(
    X: np.ndarray,
    y: np.ndarray,
    family: Family,
    *,
    folds: list[np.ndarray],
    l1_ratios: list[float],
    weights: np.ndarray | None = None,
    alphas: np.ndarray | None = None,
    n_alphas: int = 100,
    eps: float | None = None,
    standardize: bool = True,
    fit_intercept: bool = True,
    metric: str = "deviance",
    tol: float = 1e-7,
    max_iter: int = 10_000,
    controls: PenaltyControls = NO_CONTROLS,
    fold_grid: str = "own",
    jobs: int = 1,
) -> CVResult:
    """Cross-validate each l1 ratio of a binomial or Poisson model on the same folds (one
    fold-id array per repeat), as cv.glmnet does; ``cv_r2`` is the held-out share of
    deviance explained, 1 - cv deviance / the null deviance of all rows.  ``fold_grid``
    'common' solves every fold at the full path's alphas instead of its own grid.  ``jobs``:
    processes for the fold paths (``parallel.run_tasks``; results do not depend on it)."""
    if metric not in FAMILY_METRICS[family.name]:
        raise ValueError(
            f"measure {metric!r} does not apply to {family.name} "
            f"(one of {', '.join(FAMILY_METRICS[family.name])})"
        )
    t0 = time.perf_counter()
    n, p = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    K = fold_count(folds)
    options: dict[str, Any] = dict(
        weights=weights,
        standardize=standardize,
        fit_intercept=fit_intercept,
        tol=tol,
        max_iter=max_iter,
        penalty_factor=controls.factors,
        lower=controls.lower,
        upper=controls.upper,
    )
    curves = []
    for ratio in l1_ratios:
        full = glm_path(
            X, y, family, l1_ratio=ratio, alphas=alphas, n_alphas=n_alphas, eps=eps, **options
        )
        grid = full.alphas
        null_dev = full.null_deviance

        def one_fold(
            task: tuple[int, int], ratio: float = ratio, grid: np.ndarray = grid
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
            """Held-out measure, deviance and support (k, ...) of fold k of repeat r."""
            r, k = task
            test = folds[r] == k
            train = ~test
            fold_options: dict[str, Any] = dict(
                options, weights=None if weights is None else w[train]
            )
            path = glm_path(
                X[train],
                y[train],
                family,
                l1_ratio=ratio,
                alphas=grid if fold_grid == "common" else alphas,
                n_alphas=n_alphas,
                eps=eps,
                **fold_options,
            )
            coefs, b0 = interpolate_path(path.alphas, path.coefs, path.intercepts, grid)
            eta = heldout_predictions(b0, coefs, X[test])
            return (
                heldout_scores(family, metric, y[test], eta, w[test]),
                heldout_scores(family, "deviance", y[test], eta, w[test]),
                coefs != 0,
                float(w[test].sum()),
            )

        tasks = [(r, k) for r in range(len(folds)) for k in range(K)]
        done = run_tasks(one_fold, tasks, jobs, task_bytes=8.0 * X.size)  # a fold's X copy
        errors, devs, support, fold_w = [], [], [], []
        for r in range(len(folds)):
            rows = done[r * K : (r + 1) * K]
            errors.append(np.array([row[0] for row in rows]))
            devs.append(np.array([row[1] for row in rows]))
            support.append(np.array([row[2] for row in rows]))
            fold_w.append(np.array([row[3] for row in rows]))
        cv_mean, cv_se = fold_mean_se(errors, fold_w)
        cv_dev = fold_mean_se(devs, fold_w)[0]
        i_min, i_1se = select_indices(cv_mean, cv_se, larger_is_better=larger_is_better(metric))
        curves.append(
            CVCurve(
                l1_ratio=ratio,
                alphas=grid,
                cv_mean=cv_mean,
                cv_se=cv_se,
                cv_r2=1.0 - cv_dev / null_dev if null_dev > 0 else np.zeros_like(cv_dev),
                n_nonzero=full.n_nonzero,
                fold_errors=np.concatenate(errors),
                fold_support=np.concatenate(support),
                index_min=i_min,
                index_1se=i_1se,
                entry_alpha=full.entry_alpha,
            )
        )
    sign = -1.0 if larger_is_better(metric) else 1.0
    best = int(np.argmin([sign * c.best for c in curves]))
    return CVResult(
        curves=curves,
        best=best,
        metric=metric,
        n_folds=K,
        n_repeats=len(folds),
        fit_s=time.perf_counter() - t0,
    )


def auc_problem(
    y: np.ndarray, folds: list[np.ndarray], weights: np.ndarray | None = None
) -> str | None:
    """Why auc cannot be cross-validated on these folds (a fold without both classes among
    its rows of positive weight; a fold of weight 0 counts for nothing), or None."""
    for ids in folds:
        for k in range(fold_count([ids])):
            rows = ids == k
            if weights is not None:
                rows &= weights > 0
            held = y[rows]
            if held.size and (held.min() == held.max()):
                where = "" if weights is None else " of positive weight"
                return f"fold {k + 1} holds only one class{where}, so its AUC is undefined"
    return None


def classification_measures(
    y: np.ndarray, eta: np.ndarray, weights: np.ndarray | None = None
) -> dict[str, float]:
    """Weighted accuracy (class 1 where the probability is >= 0.5) and AUC of a binomial
    model's linear predictor ``eta`` on rows y in {0, 1}."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    right = (eta >= 0.0) == (y > 0.5)
    return {"accuracy": float(w @ right / w.sum()), "auc": weighted_auc(y, eta, w)}
