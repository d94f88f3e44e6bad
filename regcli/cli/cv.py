"""`regcli cv`: alpha (and the elastic-net mix) chosen by K-fold cross-validation."""

from __future__ import annotations

from regcli.cli.options import (
    AlphasOption,
    ChecksOption,
    DataArgument,
    DecimalOption,
    Engine,
    EngineOption,
    EpsOption,
    ExcludeOption,
    Family,
    FamilyOption,
    FeaturesOption,
    FoldColOption,
    FoldGrid,
    FoldGridOption,
    FoldsOption,
    ForceOption,
    FormatOption,
    GammasOption,
    GroupColOption,
    InterceptOption,
    JobsOption,
    JunitOption,
    L1RatiosOption,
    LowerOption,
    MaxDevianceOption,
    MaxIterOption,
    MaxNonzeroOption,
    MemoryLimitOption,
    MetricOption,
    MinAucOption,
    MinR2Option,
    NAlphasOption,
    NaMode,
    NaOption,
    OutputOption,
    PenaltyFactorOption,
    PenaltyOption,
    PlotOption,
    PositiveClassOption,
    PositiveOption,
    ProgressOption,
    QuietOption,
    RelaxOption,
    RepeatsOption,
    RequireConvergedOption,
    RequireFeatureOption,
    SaveOption,
    SchedulerOption,
    SeedOption,
    Select,
    SelectOption,
    SignOption,
    StandardizeOption,
    TargetOption,
    ThreadsOption,
    TimeoutOption,
    TolOption,
    UnpenalizedOption,
    UpperOption,
    WeightsOption,
)


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
    jobs: JobsOption = 0,
    metric: MetricOption = None,
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
    penalty_factor: PenaltyFactorOption = None,
    unpenalized: UnpenalizedOption = None,
    lower: LowerOption = None,
    upper: UpperOption = None,
    positive: PositiveOption = False,
    relax: RelaxOption = False,
    gamma: GammasOption = None,
    threads: ThreadsOption = None,
    family: FamilyOption = Family.gaussian,
    positive_class: PositiveClassOption = None,
    min_auc: MinAucOption = None,
    max_deviance: MaxDevianceOption = None,
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
    timeout: TimeoutOption = 30.0,
    memory_limit: MemoryLimitOption = None,
) -> None:
    """Cross-validate alpha (and l1 ratios): glmnet's alpha_min and alpha_1se, then refit."""

    from regcli.cli import common, csvout, payload, tables
    from regcli.cli.checks import arm, report
    from regcli.cli.messages import set_quiet
    from regcli.cli.penalties import controls_report, penalty_controls, require_some_penalty
    from regcli.cli.plot import check_plot_target, plot_cv
    from regcli.cli.progress import progress_bar
    from regcli.core.usecases import cv_then_refit
    from regcli.io.model import model_document, save_model

    set_quiet(quiet)
    common.use_threads(threads)
    engine = Engine(common.chosen_engine(engine.value, data, memory_limit, family.value))
    common.check_family_options(
        family.value,
        positive_class=positive_class,
        relax=relax,
        min_auc=min_auc,
        max_deviance=max_deviance,
    )
    measure = common.resolve_metric(metric, family.value)
    ratios = common.resolve_l1_ratios(penalty, l1_ratio)
    grid = common.parse_grid(alphas, eps)
    common.distinct_outputs(output=output, plot=plot, save=save, junit=junit)
    emitter = common.Emitter.create(fmt, output, force)
    check_plot_target(plot, force=force)
    arm(junit, command="cv", force=force)
    common.check_save(save, force)
    options = common.DataOptions(
        data,
        target,
        features,
        exclude,
        weights,
        na.value,
        decimal,
        standardize,
        family=family.value,
        positive_class=positive_class,
    )
    ds, stream, streamed = common.load_for_cv(
        options,
        scheduler=scheduler,
        timeout=timeout,
        progress=progress,
        quiet=quiet,
        engine=engine.value,
        family=family.value,
        fold_col=fold_col,
        group_col=group_col,
        n_folds=folds,
        seed=seed,
        digest=save is not None,
        fit_intercept=intercept,
        standardize=standardize,
        needs_rows="--group-col, --repeats and --metric mae"
        if group_col is not None or repeats != 1 or measure == "mae"
        else None,
    )
    controls = penalty_controls(
        ds,
        factors=penalty_factor,
        unpenalized=unpenalized,
        lower=lower,
        upper=upper,
        positive=positive,
    )
    require_some_penalty(controls, "cv")
    gammas = common.relax_gammas(relax, gamma, ratios)
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
        bounds=[
            (
                f"min_auc ({'cross-validated' if measure == 'auc' else 'training'})",
                "auc",
                min_auc,
                None,
            ),
            (
                f"max_deviance ({'cross-validated' if measure == 'deviance' else 'training'})",
                "deviance",
                None,
                max_deviance,
            ),
        ],
    )
    if streamed is not None:
        fold_ids = [stream.fold_ids]
    else:
        fold_ids = common.build_folds(
            ds,
            n_folds=folds,
            seed=seed,
            repeats=repeats,
            fold_col=fold_col,
            group_col=group_col,
            family=family.value,
        )
    if measure == "auc":
        common.auc_folds(ds.y, fold_ids, ds.weights)
    training_folds = len(fold_ids) * (max(fold_ids[0]) + 1)
    grid_points = n_alphas if grid is None else len(grid)
    points = (training_folds + 1) * len(ratios) * grid_points
    common.check_grid_memory(
        grid_points * len(ratios) * ds.n_features * (common.CV_BYTES_PER_ENTRY + training_folds),
        grid_points,
        ds.n_features,
        "--n-alphas" if grid is None else "--alphas",
    )
    with progress_bar("cv", int(points), force=progress, quiet=quiet):
        run = cv_then_refit(
            ds.X,
            ds.y,
            weights=ds.weights,
            l1_ratios=ratios,
            folds=fold_ids,
            select=select.value,
            metric=measure,
            alphas=grid,
            n_alphas=n_alphas,
            eps=eps,
            standardize=standardize,
            fit_intercept=intercept,
            tol=tol,
            max_iter=max_iter,
            fold_grid=fold_grid.value,
            jobs=jobs,
            controls=controls,
            gammas=gammas,
            family=family.value,
            streamed=streamed,
        )
    model = run.model
    common.relax_note(model)
    common.infinite_cv_warning(run.cv)
    if not model.converged:
        common.warn(f"refit did not converge: max KKT violation {model.max_kkt_violation:.3g}")
    measures = common.family_measures(model, ds)
    metrics = common.fit_metrics(
        model, measures, cv_r2=run.cv_r2, cv_mean=run.cv_mean, cv_se=run.cv_se
    )
    if measure in ("auc", "deviance") and measures is not None:
        metrics[measure] = run.cv_mean  # the gates test the cross-validated value
    coefficients = dict(zip(ds.feature_names, map(float, model.coef)))
    reported = controls_report(controls, ds.feature_names, model.coef)
    result = payload.cv_payload(
        run,
        ds,
        controls=reported,
        seed=seed,
        fold_col=fold_col,
        group_col=group_col,
        fold_grid=fold_grid.value,
        checks=checks.evaluate(metrics, coefficients),
        family=measures,
    )
    if save is not None:
        save_model(
            save,
            model_document(
                model,
                ds,
                metrics={"train_r2": model.r2, "cv": run.summary(), **(measures or {})},
                controls=reported,
            ),
            force=force,
        )
    if plot is not None:
        plot_cv(result, plot, force=force)
    emitter.result(
        result, csvout.cv_csv, lambda con, p, terminal: tables.draw_cv(con, p, thin=terminal)
    )
    report(result["checks"], checks, command="cv", force=force)
