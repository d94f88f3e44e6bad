"""K-fold cross-validation with glmnet's definitions, from per-fold sufficient statistics.

One pass over the rows gives every fold's ``Moments``; a training fold is the total minus its
held-out fold, and the held-out error of every alpha comes from the same sums
(``family.moments_deviance``).  Wide data (no Gram) standardize each training fold's rows and
predict the held-out rows directly.  Definitions (cv.glmnet's): cv_mean = fold errors averaged
with weights W_k; cv_se = sqrt(sum_k W_k (e_k - cv_mean)^2 / sum_k W_k / (K - 1)); alpha_min =
the largest alpha reaching the minimum; alpha_1se = the largest alpha within one se of it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from regcli.core.batch import solve_paths
from regcli.core.dispatch import Problem, Route, choose_route, statistics_source
from regcli.core.family import GAUSSIAN, deviance_ratios, moments_deviance
from regcli.core.general import problem_alpha_max
from regcli.core.moments import Moments, moments_by_fold
from regcli.core.parallel import run_tasks
from regcli.core.path import (
    RawPath,
    alpha_grid,
    early_stop_reason,
    path_grid,
    solve_path,
)
from regcli.core.penalty import NO_CONTROLS, Penalty, PenaltyControls
from regcli.core.reduction import ReducedLasso, reducible
from regcli.core.relax import relaxed_coefs
from regcli.core.ridge import RidgeSolver
from regcli.core.stats import (
    GramStats,
    LazyStats,
    Standardization,
    Stats,
    gram_statistics,
    least_squares,
    odd_magnitude,
    prepare,
    prescale,
    standardization_from,
)
from regcli.core.threads import single_blas_thread, spare_threads, threads_on_demand
from regcli.core.tuning import (
    BATCH_GRAM_BYTES,
    FOLD_CHUNK_ROWS,
    PARALLEL_MIN_SECONDS,
    SPECTRAL_MAX_FEATURES,
)

METRICS = ("mse", "mae", "r2")


def make_folds(
    n: int, n_folds: int, *, seed: int = 0, groups: np.ndarray | None = None
) -> np.ndarray:
    """Fold ids 0..K-1: a seeded shuffle of balanced labels, or whole groups kept together.

    With ``groups`` the groups are shuffled and each goes to the currently smallest fold, so
    every row of a group lands in one fold.
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        return rng.permutation(np.arange(n) % n_folds)
    _, codes, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    order = rng.permutation(sizes.size)
    load = np.zeros(n_folds)
    fold_of_group = np.empty(sizes.size, dtype=np.intp)
    for g in order:
        k = int(np.argmin(load))
        fold_of_group[g] = k
        load[k] += sizes[g]
    return fold_of_group[codes.ravel()]


@dataclass(frozen=True)
class CVCurve:
    """The cross-validation curve of one l1 ratio over its alpha grid (descending)."""

    l1_ratio: float
    alphas: np.ndarray  # (k,)
    cv_mean: np.ndarray  # (k,)
    cv_se: np.ndarray  # (k,)
    cv_r2: np.ndarray  # (k,) pooled held-out R^2: 1 - cv mean of MSE / var(y) of all rows
    n_nonzero: np.ndarray  # (k,) of the fit on all rows
    fold_errors: np.ndarray  # (K, k)
    fold_support: np.ndarray  # (K, k, p) bool: nonzero in each fold's fit
    index_min: int
    index_1se: int
    entry_alpha: np.ndarray  # (p,) first alpha at which each feature is nonzero on all rows; NaN
    #: seconds spent on this ratio's paths (full fit and folds), summed over processes; paths
    #: that advance together on a Gram share their time equally; NaN where not measured
    solve_s: float = float("nan")

    def selected(self, select: str) -> int:
        """Grid index of alpha_min ('min') or alpha_1se ('1se')."""
        return self.index_min if select == "min" else self.index_1se

    def selection_frequency(self, select: str) -> np.ndarray:
        """(p,) share of fold fits (over repeats too) in which each feature is nonzero."""
        return self.fold_support[:, self.selected(select), :].mean(axis=0)

    @property
    def alpha_min(self) -> float:
        return float(self.alphas[self.index_min])

    @property
    def alpha_1se(self) -> float:
        return float(self.alphas[self.index_1se])

    @property
    def best(self) -> float:
        return float(self.cv_mean[self.index_min])


@dataclass(frozen=True)
class OLSCV:
    """Cross-validated unpenalized least squares on the same folds (n > p only)."""

    cv_mean: float
    cv_se: float
    cv_r2: float
    fold_errors: np.ndarray  # (K,)


@dataclass(frozen=True)
class RelaxedCV:
    """Cross-validation of the relaxed fits: one curve per gamma over the same alphas."""

    gammas: np.ndarray  # (g,)
    cv_mean: np.ndarray  # (g, k)
    cv_se: np.ndarray  # (g, k)
    cv_r2: np.ndarray  # (g, k)
    index_min: tuple[int, int]  # (gamma index, alpha index), cv.glmnet's rules
    index_1se: tuple[int, int]

    def selected(self, select: str) -> tuple[int, int]:
        return self.index_min if select == "min" else self.index_1se


@dataclass(frozen=True)
class CVResult:
    curves: list[CVCurve]
    best: int  # index into curves of the l1 ratio with the best cv_mean at its alpha_min
    metric: str
    n_folds: int
    n_repeats: int
    fit_s: float
    ols: OLSCV | None = None
    relaxed: RelaxedCV | None = None

    @property
    def curve(self) -> CVCurve:
        return self.curves[self.best]


def select_indices(cv_mean: np.ndarray, cv_se: np.ndarray, *, larger_is_better: bool = False):
    """(index_min, index_1se) on a descending alpha grid, glmnet's rules."""
    score = -cv_mean if larger_is_better else cv_mean
    finite = np.isfinite(score)
    if not finite.any():  # no fold could be scored (degenerate weights): the null model
        return 0, 0
    best = float(score[finite].min())
    i_min = int(np.flatnonzero(finite & (score <= best))[0])  # largest alpha reaching the min
    bound = best + cv_se[i_min]
    i_1se = int(np.flatnonzero(finite & (score <= bound))[0])
    return i_min, i_1se


class FoldSums:
    """Per-fold ``Moments`` of the held-out rows, all centered at the global (weighted) means;
    a training fold's statistics are the total minus its held-out fold."""

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        w: np.ndarray,
        folds: np.ndarray,
        K: int,
        *,
        fit_intercept: bool,
        factor: np.ndarray | None = None,
    ):
        """``factor``: the columns' powers of two from ``stats.prescale`` (standardized
        problems only); the sums are of X / factor and everything reported maps back."""
        self.factor = factor
        if factor is not None:
            X = X / factor
        p = X.shape[1]
        v = w / w.sum()
        center = v @ X if fit_intercept else np.zeros(p)
        y_center = float(v @ y) if fit_intercept else 0.0
        self._set(moments_by_fold(X, y, w, folds, K, center, y_center, FOLD_CHUNK_ROWS))

    @classmethod
    def from_moments(cls, folds: list[Moments]) -> FoldSums:
        """The sums of accumulators filled elsewhere (the stream engine), one per fold id,
        all about one center."""
        out = cls.__new__(cls)
        out.factor = None
        out._set(folds)
        return out

    def _set(self, folds: list[Moments]) -> None:
        self.K = len(folds)
        self.folds = folds
        total = folds[0]
        for fold in folds[1:]:
            total = total.merge(fold)
        self.total = total
        # a training fold's subtraction rounds relative to the columns' mean square overall
        self.reference = np.maximum(np.diagonal(total.S) / total.W, 1e-300)

    def training(
        self, k: int, *, fit_intercept: bool, standardize: bool, constant: np.ndarray
    ) -> tuple[Standardization, GramStats]:
        """Standardization and Gram statistics of training fold k (all rows but fold k)."""
        train = self.total.minus(self.folds[k])
        std = standardization_from(
            train,
            fit_intercept=fit_intercept,
            standardize=standardize,
            constant=constant,
            reference=self.reference,
        )
        n_train = int(round(train.W)) if train.W > 1 else 2
        stats = gram_statistics(train, std, fit_intercept=fit_intercept, n_samples=n_train)
        return std.rescaled(self.factor), stats

    def all_rows(
        self, *, n_samples: int, fit_intercept: bool, standardize: bool
    ) -> tuple[Standardization, GramStats]:
        """Standardization and Gram statistics of all rows, from the folds' total: what
        ``stats.prepare`` computes without another pass over the rows."""
        std = standardization_from(self.total, fit_intercept=fit_intercept, standardize=standardize)
        stats = gram_statistics(self.total, std, fit_intercept=fit_intercept, n_samples=n_samples)
        return std.rescaled(self.factor), stats

    def heldout_mse(self, k: int, coefs: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
        """Weighted mean squared error on held-out fold k for coefficient rows (a, p)."""
        if self.factor is not None:
            coefs = coefs * self.factor  # the sums are of X / factor
        return moments_deviance(self.folds[k], coefs, intercepts)

    def total_variance(self) -> float:
        """Weighted mean squared deviation of y around its mean over all rows (divisor sum w)."""
        return float(max(self.total.covariances(True)[4], 0.0))


def fold_count(folds: list[np.ndarray]) -> int:
    """K: fold ids run 0..K-1 in every repeat."""
    return int(max(f.max() for f in folds)) + 1


def fold_sums(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    folds: list[np.ndarray],
    *,
    fit_intercept: bool,
    standardize: bool = True,
) -> list[FoldSums]:
    """Per-fold statistics of every repeat: the one pass over the rows that CV needs."""
    w = np.ones(X.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    K = fold_count(folds)
    factor = prescale(X, standardize)  # from a sample of rows; a full scan if the sums say so

    def build(factor: np.ndarray | None) -> list[FoldSums]:
        with spare_threads():
            return [
                FoldSums(X, y, w, f, K, fit_intercept=fit_intercept, factor=factor) for f in folds
            ]

    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        sums = build(factor)
    flat = np.flatnonzero(np.diagonal(sums[0].total.S) == 0)  # constant, or squares underflowed
    if (
        factor is None
        and standardize
        and (not np.isfinite(sums[0].total.S).all() or odd_magnitude(X, flat))
    ):
        factor = prescale(X, standardize, exhaustive=True)
        if factor is not None:
            sums = build(factor)
    return sums


def prepare_cv(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    folds: list[np.ndarray],
    *,
    fit_intercept: bool,
    standardize: bool,
) -> tuple[tuple[Standardization, Stats], list[FoldSums] | None]:
    """Everything CV needs from the rows: the per-fold sums and, from their totals, the all-row
    statistics of the full fit and the refit: one pass over X where a Gram serves (the lazy
    source for wide data keeps its standardized X~ instead)."""
    n, p = X.shape
    if statistics_source(n, p) != "gram":
        prepared = prepare(
            X, y, weights, fit_intercept=fit_intercept, standardize=standardize, gram=False
        )
        return prepared, None
    sums = fold_sums(X, y, weights, folds, fit_intercept=fit_intercept, standardize=standardize)
    prepared = sums[0].all_rows(n_samples=n, fit_intercept=fit_intercept, standardize=standardize)
    return prepared, sums


@threads_on_demand
def cross_validate(
    X: np.ndarray,
    y: np.ndarray,
    *,
    folds: list[np.ndarray],
    l1_ratios: list[float],
    weights: np.ndarray | None = None,
    alphas: np.ndarray | Sequence[np.ndarray] | None = None,
    n_alphas: int = 100,
    eps: float | None | Sequence[float | None] = None,
    standardize: bool = True,
    fit_intercept: bool = True,
    metric: str = "mse",
    tol: float = 1e-7,
    max_iter: int = 10_000,
    gram: bool | None = None,
    include_ols: bool = False,
    sums: list[FoldSums] | None = None,
    fold_grid: str = "own",
    prepared: tuple[Standardization, Stats] | None = None,
    jobs: int = 1,
    controls: PenaltyControls = NO_CONTROLS,
    gammas: Sequence[float] | None = None,
) -> CVResult:
    """Cross-validate every l1 ratio on the same folds.

    ``folds`` holds one fold-id array (values 0..K-1) per repeat; curves are averaged over
    repeats.  ``alphas`` is one grid for every ratio, or a sequence of grids, one per ratio;
    ``eps`` (the default grid's smallest alpha over alpha_max) one value, or one per ratio.
    Without ``alphas`` each ratio's grid is the one its path on all rows uses (glmnet's
    rule: cv.glmnet takes the lambdas of the full fit, early stop included).  ``include_ols``
    adds unpenalized least squares on the same folds (needs n > p and the Gram statistics).
    ``sums`` are fold statistics from ``fold_sums`` to share between calls (one data pass), and
    ``prepared`` the (standardization, statistics) of all rows from ``prepare`` (same settings).
    ``fold_grid``: 'own' (the default, as the CLI's: each fold solves its own default grid,
    early stop included, and its coefficients are interpolated linearly in alpha at the common
    alphas: exactly what cv.glmnet does) or 'common' (every fold solves the alphas of the full
    fit exactly).
    ``jobs``: processes for the paths (0: one per core; ``parallel.run_tasks``); results do not
    depend on it.  ``controls``: penalty factors and limits (each fold applies them to its own
    standardization).  ``gammas``: also cross-validate the relaxed fits at these gammas jointly
    with alpha (one l1 ratio only), as cv.glmnet with relax = TRUE.
    """
    if gammas is not None and len(l1_ratios) != 1:
        raise ValueError("relaxed cross-validation takes one l1 ratio")
    gamma_grid = None if gammas is None else np.asarray(gammas, dtype=float)
    if fold_grid not in ("common", "own"):
        raise ValueError(f"fold_grid must be 'common' or 'own', not {fold_grid!r}")
    t0 = time.perf_counter()
    n, p = X.shape
    # unit weights as a read-only view of one value: no n-vector for streamed data
    w = np.broadcast_to(1.0, (n,)) if weights is None else np.asarray(weights, dtype=float)
    if prepared is not None:  # the full-data statistics, shared with the caller
        full_std, full_stats = prepared
        gram = isinstance(full_stats, GramStats)
    elif sums is None and (gram is None or gram == (statistics_source(n, p) == "gram")):
        (full_std, full_stats), sums = prepare_cv(
            X, y, weights, folds, fit_intercept=fit_intercept, standardize=standardize
        )
        gram = sums is not None
    else:
        if gram is None:
            gram = statistics_source(n, p) == "gram"
        full_std, full_stats = prepare(
            X, y, weights, fit_intercept=fit_intercept, standardize=standardize, gram=gram
        )
    K = fold_count(folds)
    if gram and sums is None:
        sums = fold_sums(X, y, weights, folds, fit_intercept=fit_intercept, standardize=standardize)
    elif not gram:
        sums = None
    eps_each = list(eps) if isinstance(eps, Sequence) else [eps] * len(l1_ratios)
    if len(eps_each) != len(l1_ratios):
        raise ValueError("eps: one value per l1 ratio")
    # with explicit alphas cv.glmnet gives folds those alphas too
    own_grids = [(n_alphas, e) for e in eps_each] if fold_grid == "own" and alphas is None else None

    if alphas is None or isinstance(alphas, np.ndarray) and alphas.ndim == 1:
        given = [alphas] * len(l1_ratios)
    else:
        given = [np.asarray(a, dtype=float) for a in alphas]
        if len(given) != len(l1_ratios):
            raise ValueError("alphas: one grid per l1 ratio")

    def full_spec(ratio: float, grid_given: np.ndarray | None, eps: float | None) -> PathSpec:
        penalty = controls.for_problem(p, ratio, full_std.keep, full_std.scale)
        amax = problem_alpha_max(full_stats, penalty)
        grid, early = path_grid(amax, n, p, alphas=grid_given, n_alphas=n_alphas, eps=eps)
        return PathSpec(full_stats, grid, ratio, early, penalty)

    tasks = [(i, r, k) for i in range(len(l1_ratios)) for r in range(len(folds)) for k in range(K)]
    full_specs = [full_spec(*args) for args in zip(l1_ratios, given, eps_each)]
    t_paths = time.perf_counter()
    if gram:
        # every path on a Gram advances together (``batch``): one process, whatever ``jobs``
        assert sums is not None
        # one training fold's statistics serve every l1 ratio (and the batch keeps one copy)
        fold_stats = {
            (r, k): sums[r].training(
                k, fit_intercept=fit_intercept, standardize=standardize, constant=full_std.constant
            )
            for r in range(len(folds))
            for k in range(K)
        }
        problems = [fold_stats[r, k] for _, r, k in tasks]
        n_train = [int(np.count_nonzero(folds[r] != k)) for _, r, k in tasks]

        def fold_specs(grids: list[np.ndarray]) -> list[PathSpec]:
            return [
                _fold_spec(
                    stats,
                    grids[i],
                    controls.for_problem(p, l1_ratios[i], std.keep, std.scale),
                    n_train[t],
                    p,
                    None if own_grids is None else own_grids[i],
                )
                for t, ((i, _, _), (std, stats)) in enumerate(zip(tasks, problems))
            ]

        with single_blas_thread():
            if own_grids is not None or alphas is not None:  # folds need not wait for the fits
                specs = full_specs + fold_specs([sp.alphas for sp in full_specs])
                raws = solve_specs(specs, tol=tol, max_iter=max_iter)
                fulls, fold_raws = raws[: len(l1_ratios)], raws[len(l1_ratios) :]
            else:  # the folds solve the full fits' alphas (early stop included)
                fulls = solve_specs(full_specs, tol=tol, max_iter=max_iter)
                specs = fold_specs([full.alphas for full in fulls])
                fold_raws = solve_specs(specs, tol=tol, max_iter=max_iter)
            fold_only = specs[-len(tasks) :]
            per_fold = iter(
                [
                    _fold_score(
                        raw,
                        std,
                        fulls[i].alphas,
                        X,
                        y,
                        w,
                        folds[r],
                        k,
                        sums[r],
                        metric=metric,
                        interpolate=own_grids is not None,
                        relax=None
                        if gamma_grid is None
                        else (stats, spec.penalty or Penalty(l1_ratios[i]), gamma_grid),
                    )
                    for (i, r, k), (std, stats), raw, spec in zip(
                        tasks, problems, fold_raws, fold_only
                    )
                ]
            )
        solve_s = [(time.perf_counter() - t_paths) / len(l1_ratios)] * len(l1_ratios)
    else:
        # the folds wait for the full fits only where they solve the fits' alphas (``fold_grid``
        # full); otherwise every full fit after the first is one more task beside the folds
        first = 1 if own_grids is not None or alphas is not None else len(full_specs)
        with single_blas_thread():
            # in this process: forking costs copy-on-write faults, and its time tells whether
            # the paths are worth more processes
            t_full = time.perf_counter()
            fulls = solve_specs(full_specs[:first], tol=tol, max_iter=max_iter)
            t_full = (time.perf_counter() - t_full) / first
        # a later full fit may stop early on its grid: its folds are scored on the whole grid
        # and cut to the fit's length afterwards (scores are per alpha)
        grids = [f.alphas for f in fulls] + [sp.alphas for sp in full_specs[first:]]

        def fold_path(task: tuple[int, int]) -> list[TimedScore] | tuple[RawPath, float]:
            """A task's result in the form that crosses between processes: of a later full
            fit only which coefficients are nonzero (what the curves use), a fold's supports
            as bits."""
            r, k = task  # repeat r's training fold k, or (-1, i): the full fit of ratio i
            if r < 0:
                t = time.perf_counter()
                raw = solve_specs([full_specs[k]], tol=tol, max_iter=max_iter)[0]
                return replace(raw, coefs=raw.coefs != 0), time.perf_counter() - t
            scores = _fold_errors(
                X,
                y,
                w,
                folds[r],
                k,
                grids,
                l1_ratios,
                metric=metric,
                standardize=standardize,
                fit_intercept=fit_intercept,
                tol=tol,
                max_iter=max_iter,
                own_grids=own_grids,
                controls=controls,
                gammas=gamma_grid,
            )
            return [(sc._replace(support=np.packbits(sc.support, axis=1)), t) for sc, t in scores]

        # one task per training fold solves every ratio's path on one standardized copy of
        # its rows; the later full fits are tasks of their own
        fold_tasks = [(r, k) for r in range(len(folds)) for k in range(K)]
        # the later full fits densest first (smaller l1 ratios take longer), ridge's last:
        # whichever process is free takes the next task, so the long ones should not come last
        later_fits = sorted(
            range(first, len(full_specs)), key=lambda i: (l1_ratios[i] == 0.0, l1_ratios[i])
        )
        all_tasks = fold_tasks + [(-1, i) for i in later_fits]
        # a fold's path costs about what the full path did: too little work is not worth the
        # forks (their copy-on-write faults, and processes side by side slow each other)
        n_paths = len(tasks) + len(full_specs) - first
        if t_full * n_paths < PARALLEL_MIN_SECONDS:
            jobs = 1
        # one BLAS thread per process; a fold standardizes its own copy of its rows
        results = run_tasks(fold_path, all_tasks, jobs, task_bytes=8.0 * X.size)
        later = dict(zip(later_fits, results[len(fold_tasks) :]))
        later_order = range(first, len(full_specs))
        fulls = fulls + [later[i][0] for i in later_order]  # type: ignore[misc]
        by_fold = dict(zip(fold_tasks, results[: len(fold_tasks)]))
        per_fold = iter(
            [
                _unpacked(_cut(by_fold[r, k][i][0], fulls[i].alphas.size), p)  # type: ignore[index, arg-type]
                for i, r, k in tasks
            ]
        )
        solve_s = [t_full] * first + [later[i][1] for i in later_order]  # type: ignore[misc]
        for i, r, k in tasks:
            solve_s[i] += by_fold[r, k][i][1]  # type: ignore[index]
    if sums is not None:  # from the sums: the rows may not be at hand (the stream engine)
        fold_w = [np.array([fold.W for fold in s.folds]) for s in sums]
        var_y = sums[0].total_variance()
    else:
        fold_w = [np.bincount(f, weights=w, minlength=K) for f in folds]  # same for every ratio
        var_y = weighted_variance(y, w)
    curves = []
    for ratio, full, seconds in zip(l1_ratios, fulls, solve_s):
        grid = full.alphas
        errors, mses, support, scored = [], [], [], []
        for _ in folds:
            rows = [next(per_fold) for _ in range(K)]
            scored += rows
            errors.append(np.stack([row.errors for row in rows]))
            mses.append(np.stack([row.mse for row in rows]))
            support.append(np.stack([row.support for row in rows]))
        if metric == "r2":
            errors = [pooled_r2(e, var_y) for e in errors]
        cv_mean, cv_se = fold_mean_se(errors, fold_w)
        cv_r2 = pooled_r2(fold_mean_se(mses, fold_w)[0], var_y)
        i_min, i_1se = select_indices(cv_mean, cv_se, larger_is_better=metric == "r2")
        nz = full.coefs != 0
        entry = np.full(p, np.nan)
        entry[full_std.keep] = np.where(nz.any(axis=0), grid[np.argmax(nz, axis=0)], np.nan)
        curves.append(
            CVCurve(
                l1_ratio=ratio,
                alphas=grid,
                cv_mean=cv_mean,
                cv_se=cv_se,
                cv_r2=cv_r2,
                n_nonzero=nz.sum(axis=1),
                fold_errors=np.concatenate(errors),
                fold_support=np.concatenate(support),
                index_min=i_min,
                index_1se=i_1se,
                entry_alpha=entry,
                solve_s=seconds,
            )
        )
    relaxed = None
    if gamma_grid is not None:
        relaxed = _relaxed_cv(scored, gamma_grid, curves[0], folds, fold_w, var_y, metric)
    sign = -1.0 if metric == "r2" else 1.0
    best = int(np.argmin([sign * c.best for c in curves]))
    ols = None
    if include_ols and sums is not None and n > p:
        ols = ols_cross_validate(
            sums,
            folds,
            w,
            K,
            full_std,
            metric=metric,
            standardize=standardize,
            fit_intercept=fit_intercept,
        )
    return CVResult(
        curves=curves,
        best=best,
        metric=metric,
        n_folds=K,
        n_repeats=len(folds),
        fit_s=time.perf_counter() - t0,
        ols=ols,
        relaxed=relaxed,
    )


def _relaxed_cv(scored, gammas, curve, folds, fold_w, var_y, metric) -> RelaxedCV:  # type: ignore[no-untyped-def]
    """Curves of every gamma from the folds' relaxed scores, and cv.glmnet's choice."""
    K = len(scored) // len(folds)
    g = len(gammas)
    means, ses, r2s = [], [], []
    for j in range(g):
        errs = [
            np.stack([row.relaxed_errors[j] for row in scored[r * K : (r + 1) * K]])
            for r in range(len(folds))
        ]
        mses = [
            np.stack([row.relaxed_mse[j] for row in scored[r * K : (r + 1) * K]])
            for r in range(len(folds))
        ]
        if metric == "r2":
            errs = [pooled_r2(e, var_y) for e in errs]
        m, se = fold_mean_se(errs, fold_w)
        means.append(m)
        ses.append(se)
        r2s.append(pooled_r2(fold_mean_se(mses, fold_w)[0], var_y))
    cv_mean, cv_se = np.array(means), np.array(ses)
    i_min, i_1se = select_relaxed(
        cv_mean, cv_se, curve.alphas, gammas, larger_is_better=metric == "r2"
    )
    return RelaxedCV(gammas, cv_mean, cv_se, np.array(r2s), i_min, i_1se)


def select_relaxed(
    cv_mean: np.ndarray,
    cv_se: np.ndarray,
    alphas: np.ndarray,
    gammas: np.ndarray,
    *,
    larger_is_better: bool = False,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """cv.glmnet's choice over (gamma, alpha): the minimum, ties to the largest alpha and then
    the largest gamma; 1se: among the points within one se of the minimum, the largest alpha,
    then the largest gamma."""
    score = np.where(np.isfinite(cv_mean), -cv_mean if larger_is_better else cv_mean, np.inf)
    if not np.isfinite(score).any():
        return (len(gammas) - 1, 0), (len(gammas) - 1, 0)

    def first(mask: np.ndarray) -> tuple[int, int]:
        cand = np.argwhere(mask)  # (gamma index, alpha index)
        order = np.lexsort((-gammas[cand[:, 0]], -alphas[cand[:, 1]]))
        gi, ai = cand[order[0]]
        return int(gi), int(ai)

    best = float(score.min())
    i_min = first(score <= best)
    bound = best + cv_se[i_min]
    return i_min, first(score <= bound)


def ols_cross_validate(sums, folds, w, K, full_std, *, metric, standardize, fit_intercept) -> OLSCV:  # type: ignore[no-untyped-def]
    """Unpenalized least squares on the same folds, from the fold statistics."""
    mses: list[np.ndarray] = []
    fold_w: list[np.ndarray] = []
    for fs, fold in zip(sums, folds):
        mse = np.zeros(K)
        for k in range(K):
            std, stats = fs.training(
                k, fit_intercept=fit_intercept, standardize=standardize, constant=full_std.constant
            )
            coef, intercept = std.to_original(least_squares(stats)[None, :])
            mse[k] = float(fs.heldout_mse(k, coef, intercept)[0])
        mses.append(mse[:, None])
        fold_w.append(np.bincount(fold, weights=w, minlength=K))
    var_y = sums[0].total_variance()
    errs = [pooled_r2(e, var_y) for e in mses] if metric == "r2" else mses
    cv_mean, cv_se = fold_mean_se(errs, fold_w)
    return OLSCV(
        cv_mean=float(cv_mean[0]),
        cv_se=float(cv_se[0]),
        cv_r2=float(pooled_r2(fold_mean_se(mses, fold_w)[0], var_y)[0]),
        fold_errors=np.concatenate(errs)[:, 0],
    )


def weighted_variance(y: np.ndarray, w: np.ndarray) -> float:
    """Weighted mean squared deviation of y around its weighted mean (divisor sum w)."""
    v = w / w.sum()
    mean = float(v @ y)
    return float(v @ (y - mean) ** 2)


def pooled_r2(mse: np.ndarray, var_y: float) -> np.ndarray:
    """Cross-validated R^2 from held-out MSE: 1 - MSE / var(y) over all rows (pooled, so a
    fold whose own y is constant or tiny cannot blow it up)."""
    if not var_y > 0:
        return np.full(np.shape(mse), np.nan)
    with np.errstate(over="ignore"):  # a var(y) near underflow: the error dwarfs it, R^2 -inf
        return 1.0 - np.asarray(mse) / var_y


def fold_mean_se(
    errors: list[np.ndarray], fold_w: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """cv.glmnet's fold-size-weighted mean and standard error of per-fold errors (K, k),
    averaged over repeats (one array per repeat)."""
    means, ses = [], []
    for e, fw in zip(errors, fold_w):
        K = len(fw)
        with np.errstate(over="ignore", invalid="ignore"):
            m = (fw[:, None] * e).sum(axis=0) / fw.sum()
            se = np.sqrt((fw[:, None] * (e - m) ** 2).sum(axis=0) / fw.sum() / max(K - 1, 1))
            # finite errors near the float64 maximum: the same in scaled form (an infinite
            # error, a fold whose predictions overflowed, keeps an infinite mean, no se)
            redo = ~(np.isfinite(m) & np.isfinite(se)) & np.isfinite(e).all(axis=0)
            if redo.any():
                m[redo], se[redo] = _scaled_mean_se(e[:, redo], fw, K)
        means.append(m)
        ses.append(se)
    return np.mean(means, axis=0), np.mean(ses, axis=0)


def _scaled_mean_se(e: np.ndarray, fw: np.ndarray, K: int) -> tuple[np.ndarray, np.ndarray]:
    """``fold_mean_se`` of one repeat's finite errors whose squares overflow: the weighted mean
    with weights summing to 1 and the deviations scaled by the largest before squaring."""
    wn = fw / fw.sum()
    m = (wn[:, None] * e).sum(axis=0)
    d = e - m
    top = np.abs(d).max(axis=0)
    unit = np.where(np.isfinite(top) & (top > 0), top, 1.0)
    se = top * np.sqrt((wn[:, None] * (d / unit) ** 2).sum(axis=0) / max(K - 1, 1))
    return m, se


def interpolate_path(
    alphas: np.ndarray, coefs: np.ndarray, intercepts: np.ndarray, at: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (len(at), p) and intercepts at ``at`` by linear interpolation in alpha
    between the neighbouring points of a descending path; outside it, its end points (zero
    above its alpha_max).  This is glmnet's rule for predict(fit, s = ...)."""
    asc = alphas[::-1]
    pos = np.clip(np.searchsorted(asc, at), 1, max(len(asc) - 1, 1))
    if len(asc) == 1:
        return np.repeat(coefs, len(at), axis=0), np.repeat(intercepts, len(at))
    lo, hi = asc[pos - 1], asc[pos]
    gap = hi - lo
    # (a gap between subnormal alphas may overflow the quotient: clipped to 1 like any beyond)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        frac = np.where(gap > 0, np.clip((at - lo) / gap, 0.0, 1.0), 1.0)  # larger alpha's weight
    i_hi = len(alphas) - 1 - pos  # row of asc[pos] in the descending path
    i_lo = i_hi + 1
    c = frac[:, None] * coefs[i_hi] + (1 - frac)[:, None] * coefs[i_lo]
    b0 = frac * intercepts[i_hi] + (1 - frac) * intercepts[i_lo]
    return c, b0


@dataclass(frozen=True)
class PathSpec:
    """One path to solve: statistics, its descending alphas, l1 ratio, may it stop early."""

    stats: Stats
    alphas: np.ndarray
    l1_ratio: float
    early_stop: bool
    penalty: Penalty | None = None  # None: the scalar penalty of l1_ratio


def solve_specs(specs: list[PathSpec], *, tol: float, max_iter: int) -> list[RawPath]:
    """Every path of ``specs``, in order: the lasso and elastic net on a Gram all advanced
    together (``batch.solve_paths``, grouped by their number of features), the rest (ridge,
    the lazy source) one after another."""
    out: list[RawPath | None] = [None] * len(specs)
    # a lasso with penalty factors on a Gram is batched as the plain lasso of its reduced
    # statistics (``reduction``) and mapped back afterwards
    reduced: dict[int, ReducedLasso] = {}
    original = specs
    specs = list(specs)
    for t, spec in enumerate(specs):
        if isinstance(spec.stats, GramStats) and reducible(spec.penalty):
            assert spec.penalty is not None
            reduced[t] = ReducedLasso(spec.stats, spec.penalty)
            specs[t] = PathSpec(reduced[t].reduced, spec.alphas, 1.0, spec.early_stop)
    if reduced:  # certificates on the original problems: the reduced ones solved tighter
        tol_solve = tol / max(r.max_factor for r in reduced.values())
    else:
        tol_solve = tol
    groups: dict[int, list[int]] = {}
    for t, spec in enumerate(specs):
        if isinstance(spec.stats, GramStats):
            groups.setdefault(spec.stats.n_features, []).append(t)
    batched = set()
    for members in groups.values():
        for t in members:
            spec = specs[t]
            problem = Problem(
                n_samples=spec.stats.n_samples,
                n_features=spec.stats.n_features,
                l1_ratio=spec.l1_ratio,
                source="gram",
                n_points=len(spec.alphas),
                n_paths=sum(specs[u].l1_ratio > 0.0 for u in members),
                scalar_penalty=spec.penalty is None or spec.penalty.scalar,
            )
            if choose_route(problem) is Route.BATCHED:
                batched.add(t)
    groups = {m: [t for t in members if t in batched] for m, members in groups.items()}
    for members in groups.values():
        if len(members) < 2:  # nothing to advance it with: solved alone below
            batched.difference_update(members)
    groups = {m: members for m, members in groups.items() if len(members) >= 2}
    for t, spec in enumerate(specs):
        if t not in batched:  # ridge, the lazy source, or a path alone (fastest sequentially)
            out[t] = solve_path(
                spec.stats,
                spec.alphas,
                spec.l1_ratio,
                tol=tol_solve if t in reduced else tol,
                max_iter=max_iter,
                early_stop=spec.early_stop,
                penalty=spec.penalty,
            )
    for m, members in groups.items():
        for chunk in _batches(members, [id(specs[t].stats) for t in members], m):
            chosen = [specs[t] for t in chunk]
            raws = solve_paths(
                [sp.stats for sp in chosen],  # type: ignore[misc]
                [sp.alphas for sp in chosen],
                [sp.l1_ratio for sp in chosen],
                tol=tol_solve,
                max_iter=max_iter,
                early_stop=[sp.early_stop for sp in chosen],
            )
            for t, raw in zip(chunk, raws):
                out[t] = raw
    for t, red in reduced.items():
        solved, penalty = out[t], original[t].penalty
        assert solved is not None and penalty is not None
        out[t] = red.raw_path(solved, penalty, tol)
    return out  # type: ignore[return-value]


def _batches(members: list[int], keys: list[int], m: int) -> list[list[int]]:
    """``members`` cut into batches whose distinct Grams (``keys``) fit ``BATCH_GRAM_BYTES``;
    a Gram's problems (its l1 ratios) stay in one batch."""
    # up to m = SPECTRAL_MAX_FEATURES a batch may hold two more stacks of that size (the
    # Grams' inverses and eigenvectors, for the dense ends of the paths)
    copies = 3 if m <= SPECTRAL_MAX_FEATURES else 1
    per_batch = max(1, BATCH_GRAM_BYTES // (copies * 8 * (m + 1) ** 2))
    order: dict[int, list[int]] = {}
    for t, key in zip(members, keys):
        order.setdefault(key, []).append(t)
    grams = list(order.values())
    return [
        sorted(t for g in grams[i : i + per_batch] for t in g)
        for i in range(0, len(grams), per_batch)
    ]


def _fold_spec(
    stats: Stats,
    grid: np.ndarray,
    penalty: Penalty,
    n_train: int,
    p: int,
    own_grid: tuple[int, float | None] | None,
) -> PathSpec:
    """The path a training fold solves: the common ``grid``, or (``own_grid`` = (n_alphas,
    eps)) its own default grid with glmnet's early stop, to be interpolated at ``grid``."""
    ratio = penalty.l1_ratio
    if own_grid is None:
        return PathSpec(stats, grid, ratio, False, penalty)
    n_alphas, eps = own_grid
    amax = problem_alpha_max(stats, penalty)
    own = alpha_grid(amax, n_train, p, n_alphas=n_alphas, eps=eps)
    return PathSpec(stats, own, ratio, True, penalty)


def _fold_errors(
    X,
    y,
    w,
    fold,
    k,
    grids,
    ratios,
    *,
    metric,
    standardize,  # type: ignore[no-untyped-def]
    fit_intercept,
    tol,
    max_iter,
    own_grids=None,
    controls=NO_CONTROLS,
    gammas=None,
):
    """Per l1 ratio of ``ratios``: errors (len(grid),), held-out MSE (len(grid),) and supports
    (len(grid), p) of the path trained without fold k on its own standardized X (the lazy
    source; one copy serves every ratio), scored on fold k at that ratio's grid of ``grids``.

    ``own_grids``: per ratio (n_alphas, eps), the fold on its own default grid, interpolated at
    the ratio's grid.
    """
    train = fold != k
    std, stats = prepare(
        X[train],
        y[train],
        w[train],
        fit_intercept=fit_intercept,
        standardize=standardize,
        gram=False,
    )
    p = X.shape[1]
    scores = []
    for i, ratio in enumerate(ratios):
        t = time.perf_counter()
        penalty = controls.for_problem(p, ratio, std.keep, std.scale)
        own_grid = None if own_grids is None else own_grids[i]
        spec = _fold_spec(stats, grids[i], penalty, int(train.sum()), p, own_grid)
        if ratio == 0.0 and penalty.scalar and gammas is None and _kernel_ridge(stats):
            score = _ridge_fold_score(
                stats, std, spec, grids[i], X, y, w, fold, k, metric, own_grid is not None
            )
            scores.append((score, time.perf_counter() - t))
            continue
        raw = solve_path(
            stats,
            spec.alphas,
            ratio,
            tol=tol,
            max_iter=max_iter,
            early_stop=spec.early_stop,
            penalty=penalty,
        )
        score = _fold_score(
            raw,
            std,
            grids[i],
            X,
            y,
            w,
            fold,
            k,
            None,
            metric=metric,
            interpolate=own_grid is not None,
            relax=None if gammas is None else (stats, penalty, gammas),
        )
        scores.append((score, time.perf_counter() - t))
    return scores


def _kernel_ridge(stats: Stats) -> bool:
    """Whether ridge on these statistics takes the n x n kernel (wide lazy data)."""
    return isinstance(stats, LazyStats) and stats.n_features > stats.n_samples


def heldout_predictions(intercepts, coefs, X: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Linear predictions (k, n) of coefficient rows ``coefs`` (k, p) or one row (p,) with
    their intercepts on held-out rows X (n, p).  A row far outside the training rows' range
    may overflow: left as inf (NaN where it met a zero) for ``heldout_errors`` and
    ``glmcv.heldout_scores`` to score as an infinite error, with no floating-point warning."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.atleast_1d(intercepts)[:, None] + np.atleast_2d(coefs) @ X.T


def heldout_errors(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted (``w``) held-out MSE and MAE of predictions ``pred`` (k, n_test) of ``y``
    (n_test,).  A prediction that overflowed (a held-out row far outside the training rows'
    range; NaN where the overflow met a zero) counts as an infinite error, never NaN:
    ``fold_mean_se`` keeps an infinite mean and no se for it.  Rows of weight 0 count for
    nothing, even then; a fold of weight 0 has errors 0 (and its fold weight 0 in the mean)."""
    total = float(w.sum())
    wt = w / total if total > 0 else np.zeros_like(w)
    pred = np.where(np.isfinite(pred), pred, np.inf)
    pred[:, wt == 0] = y[wt == 0]
    mse = GAUSSIAN.unit_deviance(y[None, :], pred) @ wt
    mae = np.abs(y[None, :] - pred) @ wt
    return mse, mae


def _ridge_fold_score(  # type: ignore[no-untyped-def]
    stats: LazyStats,
    std: Standardization,
    spec: PathSpec,
    grid,
    X,
    y,
    w,
    fold,
    k,
    metric,
    interpolate,
) -> FoldScore:
    """``_fold_score`` of a training fold's ridge path on wide data from its n x n kernel alone
    (``RidgeSolver.dual_path``), with no p-wide arrays: the held-out predictions at every alpha
    of the fold's path are X~_test X~' D (D the dual coefficients), its early stop follows from
    the fit terms as ``solve_path``'s does, and predictions, being linear in the coefficients,
    are interpolated at ``grid`` as the coefficients would be (``interpolate_path``).  Every
    kept column's coefficient is taken as nonzero (b = X~'D)."""
    dual, fit_terms = RidgeSolver(stats).dual_path(spec.alphas)
    count = spec.alphas.size
    if spec.early_stop:
        dev = deviance_ratios(stats.yy, fit_terms, stats.null_yy)
        count = next((i + 1 for i in range(count) if early_stop_reason(dev, i)), count)
    test = fold == k
    keep = std.keep
    rows = X[np.ix_(test, keep)]
    if std.fit_intercept:
        rows = rows - std.mean[keep]
    with np.errstate(over="ignore", invalid="ignore"):  # as ``_fold_score``'s predictions
        rows = rows / std.scale[keep]  # the held-out rows standardized as the training fold's
        pred = std.y_mean + (rows @ stats.Xs.T) @ dual[:, :count]  # (n_test, count)
        pred = pred.T
        if interpolate:
            pred, _ = interpolate_path(spec.alphas[:count], pred, np.zeros(count), grid)
        mse, mae = heldout_errors(y[test], pred, w[test])
    errors = mae if metric == "mae" else mse
    support = np.zeros((len(grid), std.constant.size), dtype=bool)
    support[: pred.shape[0], keep] = True
    return FoldScore(errors, mse, support)


def _fold_score(
    raw: RawPath,
    std: Standardization,
    grid: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    fold: np.ndarray,
    k: int,
    sums: FoldSums | None,
    *,
    metric: str,
    interpolate: bool,
    relax: tuple[Stats, Penalty, np.ndarray] | None = None,
) -> FoldScore:
    """Errors, held-out MSE and supports at ``grid`` of a training fold's path, scored on held-out
    fold k: from the fold sums where they serve (mse, r2), else from the held-out rows.  For
    the r2 metric the errors are the MSE; ``pooled_r2`` turns them into R^2.  ``relax`` =
    (the fold's statistics, its penalty, gammas) also scores the relaxed path at each gamma."""

    def score(coefs_std: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        errors = np.zeros(len(grid))
        if metric in ("mse", "r2") and sums is not None:
            coefs, intercepts = std.to_original(coefs_std)
            if interpolate:
                coefs, intercepts = interpolate_path(raw.alphas, coefs, intercepts, grid)
            mse = sums.heldout_mse(k, coefs, intercepts)
            support = coefs != 0
        else:
            # from the rows, on the columns the path ever used (few of p on wide data)
            cols, coefs, intercepts = std.to_original_on(
                coefs_std, np.flatnonzero(coefs_std.any(axis=0))
            )
            if interpolate:
                coefs, intercepts = interpolate_path(raw.alphas, coefs, intercepts, grid)
            test = fold == k
            pred = heldout_predictions(intercepts, coefs, X[np.ix_(test, cols)])
            mse, mae = heldout_errors(y[test], pred, w[test])
            if metric == "mae":
                errors = mae
            support = np.zeros((len(grid), std.constant.size), dtype=bool)
            support[:, cols] = coefs != 0
        if metric != "mae":
            errors = mse  # r2 becomes 1 - mse / var(y) once every fold is in (``pooled_r2``)
        return errors, mse, support

    errors, mse, support = score(raw.coefs)
    if relax is None:
        return FoldScore(errors, mse, support)
    stats, penalty, gammas = relax
    relaxed, _ = relaxed_coefs(stats, raw.coefs, gammas, penalty)
    scored = [score(c) for c in relaxed]
    relaxed_errors = np.stack([e for e, _, _ in scored])
    relaxed_mse = np.stack([m for _, m, _ in scored])
    return FoldScore(errors, mse, support, relaxed_errors, relaxed_mse)


def _unpacked(score: FoldScore, p: int) -> FoldScore:
    """A fold's scores with its supports back from bits (``np.packbits`` over p columns)."""
    return score._replace(support=np.unpackbits(score.support, axis=1, count=p).view(bool))


def _cut(score: FoldScore, count: int) -> FoldScore:
    """A fold's scores at the first ``count`` alphas of its grid."""
    if score.errors.size == count:
        return score
    relaxed = score.relaxed_errors is not None
    return FoldScore(
        score.errors[:count],
        score.mse[:count],
        score.support[:count],
        score.relaxed_errors[:, :count] if relaxed else None,  # type: ignore[index]
        score.relaxed_mse[:, :count] if relaxed else None,  # type: ignore[index]
    )


class FoldScore(NamedTuple):
    """One training fold's path scored on its held-out fold (``_fold_score``)."""

    errors: np.ndarray  # (k,) the metric
    mse: np.ndarray  # (k,)
    support: np.ndarray  # (k, p)
    relaxed_errors: np.ndarray | None = None  # (gammas, k)
    relaxed_mse: np.ndarray | None = None  # (gammas, k)


#: A training fold's scores at one l1 ratio and the seconds its path and scoring took.
TimedScore = tuple[FoldScore, float]
