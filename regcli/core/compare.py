"""L1, L2, elastic net (and least squares) tuned on the same folds, with a verdict from numbers."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from regcli.core.cv import (
    CVCurve,
    FoldSums,
    cross_validate,
    fold_count,
    fold_mean_se,
    heldout_errors,
    heldout_predictions,
    ols_cross_validate,
    prepare_cv,
)
from regcli.core.diagnostics import Collinearity, collinearity, collinearity_from_gram
from regcli.core.dispatch import statistics_source
from regcli.core.family import Family
from regcli.core.fitting import FitResult, fit_prepared
from regcli.core.penalty import NO_CONTROLS, PenaltyControls
from regcli.core.stats import GramStats, Standardization, Stats, least_squares
from regcli.core.threads import threads_on_demand


@dataclass(frozen=True)
class ModelRow:
    """One compared model, refit on all (training) rows at its CV-selected alpha."""

    name: str  # 'l1', 'l2', 'elasticnet' or 'ols'
    l1_ratio: float | None
    alpha: float | None
    cv_mean: float
    cv_se: float
    cv_r2: float
    coef: np.ndarray  # (p,) original scale
    standardized_coef: np.ndarray  # (p,)
    intercept: float
    selection_frequency: np.ndarray | None  # (p,) for l1 and elastic net
    curve: CVCurve | None
    fit: FitResult | None
    seconds: float
    cv_mean_min: float = float("nan")  # cv error at the model's own alpha_min
    fold_errors_min: np.ndarray | None = None  # (repeats x K,) fold errors at alpha_min
    test_mse: float | None = None
    test_r2: float | None = None

    @property
    def n_nonzero(self) -> int:
        return int(np.count_nonzero(self.coef))

    @property
    def l1_norm(self) -> float:
        return float(np.abs(self.standardized_coef).sum())

    @property
    def l2_norm(self) -> float:
        return float(np.sqrt((self.standardized_coef**2).sum()))


@dataclass(frozen=True)
class GroupContrast:
    """A correlated group where L1 kept some members and dropped the rest, L2 kept all."""

    members: list[int]
    l1_kept: list[int]
    l1_dropped: list[int]


@dataclass(frozen=True)
class Difference:
    """A model's cv error minus the best model's, fold by fold on the same folds (paired):
    the fold-size-weighted mean of the differences and its standard error (cv.glmnet's se)."""

    mean: float
    se: float


@dataclass(frozen=True)
class Verdict:
    """Models are compared at their own alpha_min, by paired per-fold differences from the
    best one; a model is within noise of the best when its mean difference is at most one
    standard error of that difference."""

    best: str  # the lowest cv error at alpha_min
    within_one_se: list[str]  # best included
    sparsest_within_one_se: str
    recommended: str  # the sparsest penalized model within one se of the best
    groups: list[GroupContrast]
    differences: dict[str, Difference]  # each model against the best (the best: 0, 0)


@dataclass(frozen=True)
class CompareResult:
    models: list[ModelRow]
    verdict: Verdict
    collinearity: Collinearity
    entry_alpha: np.ndarray  # (p,) from the L1 path on all rows
    metric: str
    n_folds: int
    n_repeats: int
    ols_absent_reason: str | None
    data_pass_s: float
    total_s: float

    def model(self, name: str) -> ModelRow:
        return next(m for m in self.models if m.name == name)

    @property
    def recommended(self) -> ModelRow:
        """The verdict's recommended model (always refit)."""
        return self.model(self.verdict.recommended)

    def summary(self, select: str) -> dict[str, Any]:
        """How the recommended model was chosen, as model files record it."""
        chosen = self.recommended
        return {
            "method": "compare",
            "recommended": chosen.name,
            "select": select,
            "n_folds": self.n_folds,
            "cv_mean": chosen.cv_mean,
            "cv_se": chosen.cv_se,
            "cv_r2": chosen.cv_r2,
        }


def penalized_row(
    name: str, curve: CVCurve, model: FitResult, select: str, seconds: float
) -> ModelRow:
    """A penalized model's row: its cv curve at the selected alpha and the refit there."""
    i = curve.selected(select)
    return ModelRow(
        name=name,
        l1_ratio=curve.l1_ratio,
        alpha=model.alpha,
        cv_mean=float(curve.cv_mean[i]),
        cv_se=float(curve.cv_se[i]),
        cv_r2=float(curve.cv_r2[i]),
        coef=model.coef,
        standardized_coef=model.standardized_coef,
        intercept=model.intercept,
        selection_frequency=None if name == "l2" else curve.selection_frequency(select),
        curve=curve,
        fit=model,
        seconds=seconds,
        cv_mean_min=float(curve.cv_mean[curve.index_min]),
        fold_errors_min=curve.fold_errors[:, curve.index_min],
    )


@threads_on_demand
def compare_models(
    X: np.ndarray,
    y: np.ndarray,
    *,
    folds: list[np.ndarray],
    en_ratios: list[float],
    weights: np.ndarray | None = None,
    select: str = "1se",
    standardize: bool = True,
    fit_intercept: bool = True,
    tol: float = 1e-7,
    max_iter: int = 10_000,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    w_test: np.ndarray | None = None,
    fold_grid: str = "own",
    jobs: int = 1,
    controls: PenaltyControls = NO_CONTROLS,
    streamed: tuple[tuple[Standardization, Stats], list[FoldSums]] | None = None,
) -> CompareResult:
    """Tune L1, L2 and elastic net (best of ``en_ratios``) by CV on the same folds; add least
    squares when n > p (and no limits are set).  Rows are refit on all rows at their selected
    alpha.  ``controls`` (penalty factors, limits) apply to every penalized model.
    ``streamed``: the statistics and fold sums computed elsewhere (the stream engine); X and y
    then only give the shape."""
    t0 = time.perf_counter()
    n, p = X.shape
    gram = statistics_source(n, p) == "gram"
    # the only pass over the rows: per-fold sums and the all-row statistics from their totals
    sums: list[FoldSums] | None
    if streamed is not None:
        prepared, sums = streamed
    else:
        prepared, sums = prepare_cv(
            X, y, weights, folds, fit_intercept=fit_intercept, standardize=standardize
        )
    data_pass = time.perf_counter() - t0
    common: dict[str, Any] = dict(
        folds=folds,
        weights=weights,
        standardize=standardize,
        fit_intercept=fit_intercept,
        tol=tol,
        max_iter=max_iter,
        gram=gram,
        sums=sums,
        prepared=prepared,
        jobs=jobs,
        controls=controls,
    )
    rows: list[ModelRow] = []
    base_eps = 1e-4 if n >= p else 1e-2
    # one cv of every model's ratios: on wide data a training fold's standardized copy serves
    # them all, and their paths share one pool of processes.  Ridge's alpha_max uses the 1e-3
    # floor on l1_ratio: its grid extends down to the lasso grid's bottom, so that ridge is not
    # judged on large alphas only (its path is cheap)
    # the first ratio's full fit runs alone before the others (``cross_validate``): on wide
    # data ridge's (a kernel and Lanczos) is the shortest
    first, second = (0.0, 1.0) if n < p and not gram else (1.0, 0.0)
    eps_of = {1.0: None, 0.0: base_eps * 1e-3}
    res = cross_validate(
        X,
        y,
        l1_ratios=[first, second, *en_ratios],
        eps=[eps_of[first], eps_of[second], *[None] * len(en_ratios)],
        fold_grid=fold_grid,
        **common,
    )
    first_curve, second_curve, *en_curves = res.curves
    l1_curve, l2_curve = (
        (first_curve, second_curve) if first == 1.0 else (second_curve, first_curve)
    )
    entry = l1_curve.entry_alpha
    # the elastic net: the ratio with the lowest cv error at its alpha_min (the first on ties)
    en_curve = min(en_curves, key=lambda c: c.best)
    for name, curve in (("l1", l1_curve), ("l2", l2_curve), ("elasticnet", en_curve)):
        t1 = time.perf_counter()
        i = curve.selected(select)
        std_all = prepared[0]
        model = fit_prepared(
            *prepared,
            alpha=float(curve.alphas[i]),
            l1_ratio=curve.l1_ratio,
            tol=tol,
            max_iter=max_iter,
            penalty=controls.for_problem(p, curve.l1_ratio, std_all.keep, std_all.scale),
        )
        # the model's own paths (summed over processes), its refit and the data pass
        seconds = curve.solve_s + time.perf_counter() - t1 + data_pass
        if name == "elasticnet":  # every ratio tried
            seconds += sum(c.solve_s for c in en_curves) - curve.solve_s
        rows.append(penalized_row(name, curve, model, select, seconds))
    ols_reason = None
    bounded = controls.lower is not None or controls.upper is not None
    if n > p and gram and not bounded:
        t1 = time.perf_counter()
        assert sums is not None
        std, stats = prepared
        assert isinstance(stats, GramStats)
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        ols = ols_cross_validate(
            sums,
            folds,
            w,
            fold_count(folds),
            std,
            metric="mse",
            standardize=standardize,
            fit_intercept=fit_intercept,
        )
        coef, intercept = std.to_original(least_squares(stats)[None, :])
        rows.append(
            ModelRow(
                name="ols",
                l1_ratio=None,
                alpha=0.0,
                cv_mean=ols.cv_mean,
                cv_se=ols.cv_se,
                cv_r2=ols.cv_r2,
                coef=coef[0],
                standardized_coef=coef[0] * std.scale,
                intercept=float(intercept[0]),
                selection_frequency=None,
                curve=None,
                fit=None,
                seconds=time.perf_counter() - t1 + data_pass,
                cv_mean_min=ols.cv_mean,
                fold_errors_min=ols.fold_errors,
            )
        )
    elif bounded:
        ols_reason = "no least-squares baseline: coefficient limits are set"
    elif n <= p:
        ols_reason = (
            f"no least-squares baseline: with p = {p} features and n = {n} rows "
            "(p >= n) the unpenalized fit is not unique and interpolates the data"
        )
    else:
        ols_reason = f"no least-squares baseline: p = {p} is too large for the Gram statistics"
    if X_test is not None and y_test is not None:
        wt = np.ones(len(y_test)) if w_test is None else w_test
        wt = wt / wt.sum()
        var = float(wt @ (y_test - wt @ y_test) ** 2)
        rows = [_with_test(r, X_test, y_test, wt, var) for r in rows]
    std, stats = prepared
    if isinstance(stats, GramStats):
        col = collinearity_from_gram(stats.gram, std.keep, n)
    else:
        col = collinearity(X, weights)
    w_all = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    K = fold_count(folds)
    fold_w = [np.bincount(f, weights=w_all, minlength=K) for f in folds]
    return CompareResult(
        models=rows,
        verdict=judge(rows, col, fold_w),
        collinearity=col,
        entry_alpha=entry,
        metric="mse",
        n_folds=fold_count(folds),
        n_repeats=len(folds),
        ols_absent_reason=ols_reason,
        data_pass_s=data_pass,
        total_s=time.perf_counter() - t0,
    )


def _with_test(row: ModelRow, X: np.ndarray, y: np.ndarray, wt: np.ndarray, var: float) -> ModelRow:
    """``row`` with its test-set MSE and R^2 (infinite where a prediction overflowed)."""
    pred = heldout_predictions(row.intercept, row.coef, X)
    mse = float(heldout_errors(y, pred, wt)[0][0])
    return replace(row, test_mse=mse, test_r2=1.0 - mse / var if var > 0 else None)


def paired_difference(a: np.ndarray, b: np.ndarray, fold_w: list[np.ndarray]) -> Difference:
    """Mean and standard error of a - b over the same folds (one block of K per repeat); NaN
    (undefined) where both are infinite on a fold."""
    K = len(fold_w[0])
    with np.errstate(invalid="ignore"):  # inf - inf
        d = [(a - b)[r * K : (r + 1) * K, None] for r in range(len(fold_w))]
        mean, se = fold_mean_se(d, fold_w)
    return Difference(mean=float(mean[0]), se=float(se[0]))


def judge(
    rows: list[ModelRow], col: Collinearity, fold_w: list[np.ndarray], scale: float = 1.0
) -> Verdict:
    """The verdict on rows whose ``cv_mean_min`` and fold errors are smaller-is-better
    (negated for a larger-is-better measure such as auc: ``scale`` -1 turns the reported
    differences back)."""
    best = min(rows, key=lambda r: r.cv_mean_min)
    assert best.fold_errors_min is not None
    diffs = {
        r.name: paired_difference(r.fold_errors_min, best.fold_errors_min, fold_w)
        for r in rows
        if r.fold_errors_min is not None
    }
    # the best row is within its own se even where rounding left its differences undefined
    within = [r for r in rows if r is best or diffs[r.name].mean <= diffs[r.name].se]
    if scale != 1.0:
        diffs = {k: Difference(mean=scale * d.mean, se=d.se) for k, d in diffs.items()}
    sparsest = min(within, key=lambda r: (r.n_nonzero, r.cv_mean_min))
    penalized = [r for r in within if r.name != "ols"]
    if penalized:
        recommended = min(penalized, key=lambda r: (r.n_nonzero, r.cv_mean_min))
    else:  # least squares is clearly best: the penalized model closest to it
        recommended = min((r for r in rows if r.name != "ols"), key=lambda r: r.cv_mean_min)
    l1 = next(r for r in rows if r.name == "l1")
    l2 = next(r for r in rows if r.name == "l2")
    groups = []
    for g in col.groups:
        kept = [j for j in g if l1.coef[j] != 0]
        if kept and len(kept) < len(g) and all(l2.coef[j] != 0 for j in g):
            groups.append(
                GroupContrast(members=g, l1_kept=kept, l1_dropped=[j for j in g if l1.coef[j] == 0])
            )
    return Verdict(
        best=best.name,
        within_one_se=[r.name for r in within],
        sparsest_within_one_se=sparsest.name,
        recommended=recommended.name,
        groups=groups,
        differences=diffs,
    )


@threads_on_demand
def compare_glm_models(
    X: np.ndarray,
    y: np.ndarray,
    family: Family,
    *,
    folds: list[np.ndarray],
    en_ratios: list[float],
    weights: np.ndarray | None = None,
    select: str = "1se",
    metric: str = "deviance",
    standardize: bool = True,
    fit_intercept: bool = True,
    tol: float = 1e-7,
    max_iter: int = 10_000,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    w_test: np.ndarray | None = None,
    fold_grid: str = "own",
    controls: PenaltyControls = NO_CONTROLS,
    jobs: int = 1,
) -> CompareResult:
    """``compare_models`` for binomial and Poisson: L1, L2 and elastic net cross-validated by
    cv.glmnet's procedure (``glmcv``) on the same folds, and the unpenalized GLM where n > p,
    no limits are set and it converges on every fold.  ``cv_r2`` is the held-out deviance
    explained; with a test split, ``test_mse`` holds the test rows' mean deviance and
    ``test_r2`` its share explained."""
    from regcli.core.glm import glm_fit
    from regcli.core.glmcv import glm_cross_validate, heldout_scores, larger_is_better

    t0 = time.perf_counter()
    n, p = X.shape
    options: dict[str, Any] = dict(
        weights=weights,
        standardize=standardize,
        fit_intercept=fit_intercept,
        tol=tol,
        max_iter=max_iter,
    )
    rows: list[ModelRow] = []
    entry = np.full(p, np.nan)
    base_eps = 1e-4 if n >= p else 1e-2
    for name, ratios in (("l1", [1.0]), ("l2", [0.0]), ("elasticnet", en_ratios)):
        t1 = time.perf_counter()
        eps = base_eps * 1e-3 if name == "l2" else None
        res = glm_cross_validate(
            X,
            y,
            family,
            folds=folds,
            l1_ratios=ratios,
            eps=eps,
            metric=metric,
            controls=controls,
            fold_grid=fold_grid,
            jobs=jobs,
            **options,
        )
        curve = res.curve
        if name == "l1":
            entry = curve.entry_alpha
        i = curve.selected(select)
        model = glm_fit(
            X,
            y,
            family,
            alpha=float(curve.alphas[i]),
            l1_ratio=curve.l1_ratio,
            penalty_factor=controls.factors,
            lower=controls.lower,
            upper=controls.upper,
            **options,
        )
        rows.append(penalized_row(name, curve, model, select, time.perf_counter() - t1))
    bounded = controls.lower is not None or controls.upper is not None
    ols_reason = None
    unpenalized = f"unpenalized {family.name} baseline"
    if bounded:
        ols_reason = f"no {unpenalized}: coefficient limits are set"
    elif n <= p:
        ols_reason = (
            f"no {unpenalized}: with p = {p} features and n = {n} rows (p >= n) the "
            "unpenalized fit is not unique"
        )
    else:
        t1 = time.perf_counter()
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        K = fold_count(folds)
        errors, devs, fold_w, ok = [], [], [], True
        for ids in folds:
            e_rep, d_rep, w_rep = [], [], []
            for k in range(K):
                test = ids == k
                fold_fit = glm_fit(
                    X[~test],
                    y[~test],
                    family,
                    alpha=0.0,
                    **dict(options, weights=None if weights is None else w[~test]),
                )
                ok &= fold_fit.converged
                eta = heldout_predictions(fold_fit.intercept, fold_fit.coef, X[test])
                e_rep.append(heldout_scores(family, metric, y[test], eta, w[test])[0])
                d_rep.append(heldout_scores(family, "deviance", y[test], eta, w[test])[0])
                w_rep.append(float(w[test].sum()))
            errors.append(np.array(e_rep)[:, None])
            devs.append(np.array(d_rep)[:, None])
            fold_w.append(np.array(w_rep))
        full = glm_fit(X, y, family, alpha=0.0, **options)
        if ok and full.converged:
            cv_mean, cv_se = fold_mean_se(errors, fold_w)
            cv_dev = float(fold_mean_se(devs, fold_w)[0][0])
            null = full.null_deviance or 0.0
            rows.append(
                ModelRow(
                    name="ols",
                    l1_ratio=None,
                    alpha=0.0,
                    cv_mean=float(cv_mean[0]),
                    cv_se=float(cv_se[0]),
                    cv_r2=1.0 - cv_dev / null if null > 0 else float("nan"),
                    coef=full.coef,
                    standardized_coef=full.standardized_coef,
                    intercept=full.intercept,
                    selection_frequency=None,
                    curve=None,
                    fit=full,
                    seconds=time.perf_counter() - t1,
                    cv_mean_min=float(cv_mean[0]),
                    fold_errors_min=np.concatenate(errors)[:, 0],
                )
            )
        else:
            ols_reason = (
                f"no {unpenalized}: the unpenalized fit does not converge here (the classes "
                "are separable, or fitted means run off to 0); only penalized models are shown"
            )
    if X_test is not None and y_test is not None:
        wt = np.ones(len(y_test)) if w_test is None else w_test
        null_test = heldout_scores(
            family,
            "deviance",
            y_test,
            np.full((1, len(y_test)), float(family.link(np.array([wt @ y_test / wt.sum()]))[0])),
            wt,
        )[0]
        rows = [_with_glm_test(r, family, X_test, y_test, wt, null_test) for r in rows]
    col = collinearity(X, weights)
    w_all = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    K = fold_count(folds)
    fold_w_all = [np.bincount(f, weights=w_all, minlength=K) for f in folds]
    sign = -1.0 if larger_is_better(metric) else 1.0
    verdict_rows = [
        replace(
            r,
            cv_mean_min=sign * r.cv_mean_min,
            fold_errors_min=None if r.fold_errors_min is None else sign * r.fold_errors_min,
        )
        for r in rows
    ]
    return CompareResult(
        models=rows,
        verdict=judge(verdict_rows, col, fold_w_all, scale=sign),
        collinearity=col,
        entry_alpha=entry,
        metric=metric,
        n_folds=K,
        n_repeats=len(folds),
        ols_absent_reason=ols_reason,
        data_pass_s=0.0,
        total_s=time.perf_counter() - t0,
    )


def _with_glm_test(
    row: ModelRow, family: Family, X: np.ndarray, y: np.ndarray, wt: np.ndarray, null: float
) -> ModelRow:
    from regcli.core.glmcv import heldout_scores

    eta = heldout_predictions(row.intercept, row.coef, X)
    dev = float(heldout_scores(family, "deviance", y, eta, wt)[0])
    return replace(row, test_mse=dev, test_r2=1.0 - dev / null if null > 0 else None)
