"""`regcli compare`: L1, L2 and elastic net side by side on the same folds, with a verdict."""

from __future__ import annotations

from regcli.cli.options import (
    ChecksOption,
    DataArgument,
    DecimalOption,
    Engine,
    EngineOption,
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
    GroupColOption,
    InterceptOption,
    JobsOption,
    JunitOption,
    L1RatiosOption,
    LowerOption,
    MaxIterOption,
    MemoryLimitOption,
    NaMode,
    NaOption,
    OutputOption,
    PenaltyFactorOption,
    PlotOption,
    PositiveClassOption,
    PositiveOption,
    ProgressOption,
    QuietOption,
    RepeatsOption,
    SaveOption,
    SchedulerOption,
    SeedOption,
    Select,
    SelectOption,
    StandardizeOption,
    TargetOption,
    TestSizeOption,
    ThreadsOption,
    TimeoutOption,
    TolOption,
    UnpenalizedOption,
    UpperOption,
    WeightsOption,
)


def compare_command(
    data: DataArgument,
    target: TargetOption = None,
    features: FeaturesOption = None,
    exclude: ExcludeOption = None,
    weights: WeightsOption = None,
    na: NaOption = NaMode.error,
    decimal: DecimalOption = ".",
    l1_ratio: L1RatiosOption = None,
    folds: FoldsOption = 10,
    seed: SeedOption = 0,
    fold_col: FoldColOption = None,
    group_col: GroupColOption = None,
    repeats: RepeatsOption = 1,
    fold_grid: FoldGridOption = FoldGrid.own,
    jobs: JobsOption = 0,
    select: SelectOption = Select.one_se,
    test_size: TestSizeOption = None,
    standardize: StandardizeOption = True,
    intercept: InterceptOption = True,
    tol: TolOption = 1e-7,
    max_iter: MaxIterOption = 10_000,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    plot: PlotOption = None,
    save: SaveOption = None,
    progress: ProgressOption = False,
    quiet: QuietOption = False,
    checks_file: ChecksOption = None,
    junit: JunitOption = None,
    penalty_factor: PenaltyFactorOption = None,
    unpenalized: UnpenalizedOption = None,
    lower: LowerOption = None,
    upper: UpperOption = None,
    positive: PositiveOption = False,
    threads: ThreadsOption = None,
    family: FamilyOption = Family.gaussian,
    positive_class: PositiveClassOption = None,
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
    timeout: TimeoutOption = 30.0,
    memory_limit: MemoryLimitOption = None,
) -> None:
    """Compare lasso, ridge and elastic net (and least squares) tuned by CV on the same folds."""

    from regcli.cli import common, csvout, payload, tables
    from regcli.cli.messages import set_quiet
    from regcli.cli.penalties import controls_report, penalty_controls, require_some_penalty
    from regcli.cli.plot import check_plot_target, plot_compare
    from regcli.cli.progress import progress_bar
    from regcli.core.compare import compare_models
    from regcli.core.usecases import holdout_rows
    from regcli.errors import DataError
    from regcli.io.model import model_document, save_model

    set_quiet(quiet)
    common.use_threads(threads)
    engine = Engine(common.chosen_engine(engine.value, data, memory_limit, family.value))
    common.check_family_options(family.value, positive_class=positive_class)
    ratios = (
        common.parse_floats(l1_ratio, "--l1-ratio", low=0.0, high=1.0)
        if l1_ratio
        else [0.1, 0.5, 0.9]
    )
    from regcli.cli.checks import arm, report

    common.distinct_outputs(output=output, plot=plot, save=save, junit=junit)
    emitter = common.Emitter.create(fmt, output, force)
    check_plot_target(plot, force=force)
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
    arm(junit, command="compare", force=force)
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
        needs_rows="--group-col, --repeats and --test-size"
        if group_col is not None or repeats != 1 or test_size is not None
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
    require_some_penalty(controls, "compare")
    checks = common.check_set(
        "compare",
        junit=junit,
        checks_file=checks_file,
        features=ds.feature_names,
        columns=common.encoded_columns(ds),
    )
    test = None
    train_ds = ds
    if test_size is not None:
        try:
            test = holdout_rows(ds.n_samples, test_size, seed)
        except ValueError as exc:
            raise DataError(f"{ds.source}: --test-size: {exc}") from None
        train_ds = ds.rows(~test)
    if streamed is not None:
        fold_ids = [stream.fold_ids]
    else:
        fold_ids = common.build_folds(
            train_ds,
            n_folds=folds,
            seed=seed,
            repeats=repeats,
            fold_col=fold_col,
            group_col=group_col,
            family=family.value,
        )
    points = (len(fold_ids) * (max(fold_ids[0]) + 1) + 1) * (2 + len(ratios)) * 100
    shared = dict(
        folds=fold_ids,
        en_ratios=ratios,
        weights=train_ds.weights,
        select=select.value,
        standardize=standardize,
        fit_intercept=intercept,
        tol=tol,
        max_iter=max_iter,
        X_test=None if test is None else ds.X[test],
        y_test=None if test is None else ds.y[test],
        w_test=None if test is None or ds.weights is None else ds.weights[test],
        fold_grid=fold_grid.value,
        controls=controls,
    )
    with progress_bar("compare", int(points), force=progress, quiet=quiet):
        if family is Family.gaussian:
            res = compare_models(
                train_ds.X,
                train_ds.y,
                jobs=jobs,
                streamed=streamed,
                **shared,  # type: ignore[arg-type]
            )
        else:
            from regcli.core.compare import compare_glm_models
            from regcli.core.family import family_named

            res = compare_glm_models(
                train_ds.X,
                train_ds.y,
                family_named(family.value),
                jobs=jobs,
                **shared,  # type: ignore[arg-type]
            )
    best = res.recommended
    assert best.fit is not None
    measures = common.family_measures(best.fit, train_ds)
    metrics = common.fit_metrics(
        best.fit, measures, cv_r2=best.cv_r2, cv_mean=best.cv_mean, cv_se=best.cv_se
    )
    coefficients = dict(zip(ds.feature_names, map(float, best.coef)))
    reported = controls_report(controls, ds.feature_names, best.coef)
    result = payload.compare_payload(
        res,
        ds,
        controls=reported,
        select=select.value,
        seed=seed,
        fold_col=fold_col,
        group_col=group_col,
        test_size=test_size,
        checks=checks.evaluate(metrics, coefficients),
    )
    if save is not None:
        save_model(
            save,
            model_document(
                best.fit,
                train_ds,
                metrics={
                    "train_r2": best.fit.r2,
                    "cv": res.summary(select.value),
                    **(measures or {}),
                },
                controls=reported,
            ),
            force=force,
        )
    if plot is not None:
        plot_compare(result, res, plot, force=force)
    emitter.result(
        result, csvout.compare_csv, lambda con, p, _terminal: tables.draw_compare(con, p)
    )
    report(result["checks"], checks, command="compare", force=force)
