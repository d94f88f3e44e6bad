"""`regcli fit`: one penalized model at one alpha."""

from __future__ import annotations

from regcli.cli.options import (
    AlphaOption,
    ChecksOption,
    DataArgument,
    DecimalOption,
    Engine,
    EngineOption,
    ExcludeOption,
    Family,
    FamilyOption,
    FeaturesOption,
    FitFoldsOption,
    FitSeedOption,
    FitSelectOption,
    ForceOption,
    FormatOption,
    GammaOption,
    InterceptOption,
    JobsOption,
    JunitOption,
    L1RatioOption,
    LowerOption,
    MaxDevianceOption,
    MaxIterOption,
    MaxNonzeroOption,
    MemoryLimitOption,
    MinAucOption,
    MinR2Option,
    NaMode,
    NaOption,
    OutputOption,
    PenaltyFactorOption,
    PenaltyOption,
    PositiveClassOption,
    PositiveOption,
    ProgressOption,
    QuietOption,
    RelaxOption,
    RequireConvergedOption,
    RequireFeatureOption,
    SaveOption,
    SchedulerOption,
    Select,
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


def fit_command(
    data: DataArgument,
    target: TargetOption = None,
    features: FeaturesOption = None,
    exclude: ExcludeOption = None,
    weights: WeightsOption = None,
    na: NaOption = NaMode.error,
    decimal: DecimalOption = ".",
    penalty: PenaltyOption = None,
    alpha: AlphaOption = None,
    l1_ratio: L1RatioOption = None,
    standardize: StandardizeOption = True,
    intercept: InterceptOption = True,
    tol: TolOption = 1e-7,
    max_iter: MaxIterOption = 10_000,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    save: SaveOption = None,
    min_r2: MinR2Option = None,
    max_nonzero: MaxNonzeroOption = None,
    require_feature: RequireFeatureOption = None,
    sign: SignOption = None,
    junit: JunitOption = None,
    require_converged: RequireConvergedOption = False,
    checks_file: ChecksOption = None,
    jobs: JobsOption = 0,
    progress: ProgressOption = False,
    quiet: QuietOption = False,
    folds: FitFoldsOption = None,
    seed: FitSeedOption = None,
    select: FitSelectOption = None,
    penalty_factor: PenaltyFactorOption = None,
    unpenalized: UnpenalizedOption = None,
    lower: LowerOption = None,
    upper: UpperOption = None,
    positive: PositiveOption = False,
    relax: RelaxOption = False,
    gamma: GammaOption = None,
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
    """Fit one lasso, ridge or elastic-net model and report its coefficients and sparsity.

    Without --alpha, alpha is chosen as `regcli cv` would (--folds 10, --seed 0, --select 1se).
    """
    from regcli.cli import common, csvout, payload, tables
    from regcli.cli.checks import arm, report
    from regcli.cli.messages import set_quiet
    from regcli.cli.penalties import controls_report, penalty_controls
    from regcli.cli.progress import progress_bar
    from regcli.core import fit
    from regcli.errors import UsageError
    from regcli.io.model import model_document, save_model

    set_quiet(quiet)
    common.use_threads(threads)
    engine = Engine(common.chosen_engine(engine.value, data, memory_limit, family.value))
    common.check_family_options(
        family.value,
        positive_class=positive_class,
        relax=relax and alpha is None,  # a relaxed fit at --alpha serves every family
        min_auc=min_auc,
        max_deviance=max_deviance,
    )
    ratio = common.resolve_l1_ratio(penalty, l1_ratio)
    relax_gamma = common.relax_gamma(relax, gamma)
    cv_options = [n for n, v in (("--folds", folds), ("--seed", seed), ("--select", select)) if v]
    if alpha is not None and cv_options:
        raise UsageError(
            f"{', '.join(cv_options)}: only without --alpha (they set the cross-validation "
            "that chooses alpha)"
        )
    n_folds = 10 if folds is None else folds
    seed = 0 if seed is None else seed
    rule = (select or Select.one_se).value
    common.distinct_outputs(output=output, save=save, junit=junit)
    emitter = common.Emitter.create(fmt, output, force)
    arm(junit, command="fit", force=force)
    common.check_save(save, force)
    data_options = common.DataOptions(
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
    streamed = prepared = None
    if engine is not Engine.local:
        stream = common.stream_data(
            data_options,
            family=family.value,
            n_folds=None if alpha is not None else n_folds,
            seed=seed,
            engine=engine.value,
            scheduler=scheduler,
            timeout=timeout,
            progress=progress,
            quiet=quiet,
        )
        ds = stream.dataset
        prepared = common.streamed_statistics(
            stream, fit_intercept=intercept, standardize=standardize
        )
        streamed = prepared if alpha is None else None
    else:
        ds = data_options.load(digest=save is not None)
    controls = penalty_controls(
        ds,
        factors=penalty_factor,
        unpenalized=unpenalized,
        lower=lower,
        upper=upper,
        positive=positive,
    )
    checks = common.check_set(
        "fit",
        junit=junit,
        checks_file=checks_file,
        features=ds.feature_names,
        columns=common.encoded_columns(ds),
        r2_metric="r2",
        min_r2=min_r2,
        max_nonzero=max_nonzero,
        require=require_feature,
        signs=sign,
        require_converged=require_converged,
        bounds=[
            ("min_auc (training)", "auc", min_auc, None),
            ("max_deviance (training)", "deviance", None, max_deviance),
        ],
    )
    selection = None
    if alpha is None:  # chosen as `regcli cv` would with its defaults: 10 folds, seed 0, 1se
        from regcli.core.usecases import cv_then_refit

        if ds.n_samples < 3:
            raise UsageError(
                f"--alpha is needed: {ds.n_samples} rows are too few to choose it "
                "by cross-validation"
            )
        if streamed is not None:
            fold_ids = [stream.fold_ids]
        else:
            fold_ids = common.build_folds(
                ds,
                n_folds=min(n_folds, ds.n_samples),
                seed=seed,
                repeats=1,
                fold_col=None,
                group_col=None,
                family=family.value,
            )
        points = (min(n_folds, ds.n_samples) + 1) * 100
        with progress_bar("choosing alpha by cv", points, force=progress, quiet=quiet):
            run = cv_then_refit(
                ds.X,
                ds.y,
                weights=ds.weights,
                l1_ratios=[ratio],
                folds=fold_ids,
                select=rule,
                standardize=standardize,
                fit_intercept=intercept,
                tol=tol,
                max_iter=max_iter,
                jobs=jobs,
                controls=controls,
                gammas=None if relax_gamma is None else [relax_gamma],
                family=family.value,
                metric=common.resolve_metric(None, family.value),
                streamed=streamed,
            )
        res = run.model
        common.infinite_cv_warning(run.cv)
        selection = run.summary(seed=seed, cv_s=run.cv.fit_s)
    elif prepared is not None:  # --engine stream: the statistics are the data
        from regcli.core.fitting import fit_prepared

        std = prepared[0][0]
        res = fit_prepared(
            *prepared[0],
            alpha=alpha,
            l1_ratio=ratio,
            tol=tol,
            max_iter=max_iter,
            penalty=controls.for_problem(ds.n_features, ratio, std.keep, std.scale),
            gamma=relax_gamma,
        )
        common.above_alpha_max(alpha, res.alpha_max, res.l1_ratio)
    elif family is not Family.gaussian:
        from regcli.core.family import family_named
        from regcli.core.glm import glm_fit

        res = glm_fit(
            ds.X,
            ds.y,
            family_named(family.value),
            alpha=alpha,
            l1_ratio=ratio,
            weights=ds.weights,
            standardize=standardize,
            fit_intercept=intercept,
            tol=tol,
            max_iter=max_iter,
            penalty_factor=controls.factors,
            lower=controls.lower,
            upper=controls.upper,
            gamma=relax_gamma,
        )
        common.above_alpha_max(alpha, res.alpha_max, res.l1_ratio)
    else:
        res = fit(
            ds.X,
            ds.y,
            alpha=alpha,
            l1_ratio=ratio,
            weights=ds.weights,
            standardize=standardize,
            fit_intercept=intercept,
            tol=tol,
            max_iter=max_iter,
            penalty_factor=controls.factors,
            lower=controls.lower,
            upper=controls.upper,
            gamma=relax_gamma,
        )
        common.above_alpha_max(alpha, res.alpha_max, res.l1_ratio)
    if not res.converged:
        hint = "raise --max-iter or --tol"
        if res.family == "binomial":
            hint = (
                "at a small alpha this usually means the classes are separable (coefficients "
                "grow without bound); use a larger alpha"
            )
        common.warn(
            f"solver did not converge: max KKT violation {res.max_kkt_violation:.3g} "
            f"> its tolerance {res.kkt_tolerance:.3g} (tol x alpha, alpha floored at 1e-6 x "
            f"alpha_max); {hint}"
        )
    common.relax_note(res)
    coefficients = dict(zip(ds.feature_names, map(float, res.coef)))
    reported = controls_report(controls, ds.feature_names, res.coef)
    measures = common.family_measures(res, ds)
    result = payload.fit_payload(
        res,
        ds,
        selection=selection,
        controls=reported,
        checks=checks.evaluate(common.fit_metrics(res, measures), coefficients),
        family=measures,
    )
    if save is not None:
        save_model(
            save,
            model_document(
                res,
                ds,
                metrics={"train_r2": res.r2, "cv": selection, **(measures or {})},
                controls=reported,
            ),
            force=force,
        )
    emitter.result(result, csvout.fit_csv, lambda con, p, _terminal: tables.draw_fit(con, p))
    report(result["checks"], checks, command="fit", force=force)
