"""`regcli cv`: alpha (and the elastic-net mix) chosen by K-fold cross-validation."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from regcli.cli.options import (
    AlphasOption,
    ChecksOption,
    DataArgument,
    DecimalOption,
    EpsOption,
    ExcludeOption,
    FeaturesOption,
    FoldColOption,
    FoldGrid,
    FoldGridOption,
    FoldsOption,
    ForceOption,
    FormatOption,
    GroupColOption,
    InterceptOption,
    JobsOption,
    JunitOption,
    L1RatiosOption,
    MaxIterOption,
    MaxNonzeroOption,
    Metric,
    MetricOption,
    MinR2Option,
    NAlphasOption,
    NaMode,
    NaOption,
    OutputOption,
    PenaltyOption,
    PlotOption,
    ProgressOption,
    QuietOption,
    RepeatsOption,
    RequireConvergedOption,
    RequireFeatureOption,
    SaveOption,
    SeedOption,
    Select,
    SelectOption,
    SignOption,
    StandardizeOption,
    TargetOption,
    TolOption,
    WeightsOption,
)

if TYPE_CHECKING:
    from regcli.core.cv import CVResult
    from regcli.core.fitting import FitResult
    from regcli.io.dataset import Dataset


def run_cv(
    ds: Dataset,
    *,
    l1_ratios: list[float],
    folds: list,
    select: str,
    metric: str,  # type: ignore[type-arg]
    alphas: Any = None,
    n_alphas: int = 100,
    eps: float | None = None,
    standardize: bool = True,
    intercept: bool = True,
    tol: float = 1e-7,
    max_iter: int = 10_000,
    fold_grid: str = "own",
    jobs: int = 1,
) -> tuple[CVResult, FitResult]:
    """Cross-validate, then refit on all rows at the selected (l1 ratio, alpha)."""
    from regcli.core.cv import cross_validate, prepare_cv
    from regcli.core.fitting import fit_prepared

    t0 = time.perf_counter()
    # one pass over the rows: per-fold sums, and the all-row statistics from their totals
    prepared, sums = prepare_cv(
        ds.X, ds.y, ds.weights, folds, fit_intercept=intercept, standardize=standardize
    )
    res = cross_validate(
        ds.X,
        ds.y,
        folds=folds,
        l1_ratios=l1_ratios,
        weights=ds.weights,
        alphas=alphas,
        n_alphas=n_alphas,
        eps=eps,
        standardize=standardize,
        fit_intercept=intercept,
        metric=metric,
        tol=tol,
        max_iter=max_iter,
        fold_grid=fold_grid,
        prepared=prepared,
        sums=sums,
        jobs=jobs,
    )
    res = dataclasses.replace(res, fit_s=time.perf_counter() - t0)  # the data pass included
    curve = res.curve
    alpha = curve.alpha_min if select == "min" else curve.alpha_1se
    # the refit shares the all-row statistics of the CV: no second pass over the rows
    model = fit_prepared(
        *prepared, alpha=alpha, l1_ratio=curve.l1_ratio, tol=tol, max_iter=max_iter
    )
    return res, model


def cv_command(
    data: DataArgument,
    target: TargetOption = None,
    features: FeaturesOption = None,
    exclude: ExcludeOption = None,
    weights: WeightsOption = None,
    na: NaOption = NaMode.error,
    decimal: DecimalOption = ".",
    penalty: PenaltyOption = None,
    l1_ratio: L1RatiosOption = None,
    folds: FoldsOption = 10,
    seed: SeedOption = 0,
    fold_col: FoldColOption = None,
    group_col: GroupColOption = None,
    repeats: RepeatsOption = 1,
    fold_grid: FoldGridOption = FoldGrid.own,
    jobs: JobsOption = 1,
    metric: MetricOption = Metric.mse,
    select: SelectOption = Select.one_se,
    alphas: AlphasOption = None,
    n_alphas: NAlphasOption = 100,
    eps: EpsOption = None,
    standardize: StandardizeOption = True,
    intercept: InterceptOption = True,
    tol: TolOption = 1e-7,
    max_iter: MaxIterOption = 10_000,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    plot: PlotOption = None,
    save: SaveOption = None,
    min_r2: MinR2Option = None,
    max_nonzero: MaxNonzeroOption = None,
    require_feature: RequireFeatureOption = None,
    sign: SignOption = None,
    junit: JunitOption = None,
    require_converged: RequireConvergedOption = False,
    checks_file: ChecksOption = None,
    progress: ProgressOption = False,
    quiet: QuietOption = False,
) -> None:
    """Cross-validate alpha (and l1 ratios): glmnet's alpha_min and alpha_1se, then refit."""

    from regcli.cli import common, render
    from regcli.cli.checks import arm, report
    from regcli.cli.messages import set_quiet
    from regcli.cli.plot import check_plot_target, plot_cv
    from regcli.cli.progress import progress_bar
    from regcli.io.model import model_document, save_model

    set_quiet(quiet)
    ratios = common.resolve_l1_ratios(penalty, l1_ratio)
    grid = common.parse_grid(alphas, eps)
    common.distinct_outputs(output=output, plot=plot, save=save, junit=junit)
    emitter = common.Emitter.create(fmt, output, force)
    check_plot_target(plot, force=force)
    arm(junit, command="cv", force=force)
    common.check_save(save, force)
    options = common.DataOptions(
        data, target, features, exclude, weights, na.value, decimal, standardize
    )
    ds = options.load(fold_col, group_col, digest=save is not None)
    checks = common.check_set(
        "cv",
        junit=junit,
        checks_file=checks_file,
        features=ds.feature_names,
        columns=common.encoded_columns(ds),
        r2_metric="cv_r2",
        min_r2=min_r2,
        max_nonzero=max_nonzero,
        require=require_feature,
        signs=sign,
        require_converged=require_converged,
    )
    fold_ids = common.build_folds(
        ds, n_folds=folds, seed=seed, repeats=repeats, fold_col=fold_col, group_col=group_col
    )
    points = (len(fold_ids) * (max(fold_ids[0]) + 1) + 1) * len(ratios)
    points *= n_alphas if grid is None else len(grid)
    with progress_bar("cv", int(points), force=progress, quiet=quiet):
        res, model = run_cv(
            ds,
            l1_ratios=ratios,
            folds=fold_ids,
            select=select.value,
            metric=metric.value,
            alphas=grid,
            n_alphas=n_alphas,
            eps=eps,
            standardize=standardize,
            intercept=intercept,
            tol=tol,
            max_iter=max_iter,
            fold_grid=fold_grid.value,
            jobs=jobs,
        )
    if not model.converged:
        common.warn(f"refit did not converge: max KKT violation {model.max_kkt_violation:.3g}")
    payload = render.cv_payload(
        res,
        model,
        ds,
        select=select.value,
        seed=seed,
        fold_col=fold_col,
        group_col=group_col,
        fold_grid=fold_grid.value,
    )
    curve = res.curve
    chosen = curve.index_min if select.value == "min" else curve.index_1se
    payload["cv_r2_selected"] = render._f(curve.cv_r2[chosen])
    metrics = common.fit_metrics(
        model,
        cv_r2=curve.cv_r2[chosen],
        cv_mean=curve.cv_mean[chosen],
        cv_se=curve.cv_se[chosen],
    )
    payload["checks"] = checks.evaluate(metrics, payload["model"]["coefficients"])
    if save is not None:
        cv_metrics = {
            "method": "cv",
            "metric": res.metric,
            "n_folds": res.n_folds,
            "select": select.value,
            "alpha_min": curve.alpha_min,
            "alpha_1se": curve.alpha_1se,
            "cv_mean": float(curve.cv_mean[chosen]),
            "cv_se": float(curve.cv_se[chosen]),
            "cv_r2": float(curve.cv_r2[chosen]),
        }
        save_model(
            save,
            model_document(model, ds, metrics={"train_r2": model.r2, "cv": cv_metrics}),
            force=force,
        )
    if plot is not None:
        plot_cv(payload, plot, force=force)
    emitter.result(
        payload, render.cv_csv, lambda con, p, terminal: render.draw_cv(con, p, thin=terminal)
    )
    report(payload["checks"], checks, command="cv", force=force)
