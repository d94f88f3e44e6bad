"""`regcli path`: the regularization path on glmnet's alpha grid."""

from __future__ import annotations

from regcli.cli.options import (
    AlphasOption,
    CriterionOption,
    DataArgument,
    DecimalOption,
    Engine,
    EngineOption,
    EpsOption,
    ExcludeOption,
    Family,
    FamilyOption,
    FeaturesOption,
    ForceOption,
    FormatOption,
    GammaOption,
    InterceptOption,
    L1RatioOption,
    LowerOption,
    MaxIterOption,
    MemoryLimitOption,
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
    SchedulerOption,
    StandardizeOption,
    TargetOption,
    ThreadsOption,
    TimeoutOption,
    TolOption,
    UnpenalizedOption,
    UpperOption,
    WeightsOption,
)


def path_command(
    data: DataArgument,
    target: TargetOption = None,
    features: FeaturesOption = None,
    exclude: ExcludeOption = None,
    weights: WeightsOption = None,
    na: NaOption = NaMode.error,
    decimal: DecimalOption = ".",
    penalty: PenaltyOption = None,
    l1_ratio: L1RatioOption = None,
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
    progress: ProgressOption = False,
    quiet: QuietOption = False,
    penalty_factor: PenaltyFactorOption = None,
    unpenalized: UnpenalizedOption = None,
    lower: LowerOption = None,
    upper: UpperOption = None,
    positive: PositiveOption = False,
    relax: RelaxOption = False,
    gamma: GammaOption = None,
    select: CriterionOption = None,
    threads: ThreadsOption = None,
    family: FamilyOption = Family.gaussian,
    positive_class: PositiveClassOption = None,
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
    timeout: TimeoutOption = 30.0,
    memory_limit: MemoryLimitOption = None,
) -> None:
    """Compute the whole regularization path: nonzeros, deviance explained, entry order."""

    from regcli.cli import common, csvout, payload, tables
    from regcli.cli.messages import set_quiet
    from regcli.cli.penalties import controls_report, penalty_controls, require_some_penalty
    from regcli.cli.plot import check_plot_target, plot_path
    from regcli.cli.progress import progress_bar
    from regcli.core import compute_path

    set_quiet(quiet)
    common.use_threads(threads)
    engine = Engine(common.chosen_engine(engine.value, data, memory_limit, family.value))
    common.check_family_options(family.value, positive_class=positive_class)
    ratio = common.resolve_l1_ratio(penalty, l1_ratio)
    relax_gamma = common.relax_gamma(relax, gamma)
    grid = common.parse_grid(alphas, eps)
    common.distinct_outputs(output=output, plot=plot)
    emitter = common.Emitter.create(fmt, output, force)
    check_plot_target(plot, force=force)
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
    prepared = None
    if engine is not Engine.local:
        stream = common.stream_data(
            data_options,
            family=family.value,
            engine=engine.value,
            scheduler=scheduler,
            timeout=timeout,
            progress=progress,
            quiet=quiet,
        )
        ds = stream.dataset
        prepared = common.streamed_statistics(
            stream, fit_intercept=intercept, standardize=standardize
        )[0]
    else:
        ds = data_options.load()
    controls = penalty_controls(
        ds,
        factors=penalty_factor,
        unpenalized=unpenalized,
        lower=lower,
        upper=upper,
        positive=positive,
    )
    require_some_penalty(controls, "path")
    points = n_alphas if grid is None else len(grid)
    common.check_grid_memory(
        points * ds.n_features * common.PATH_BYTES_PER_ENTRY[emitter.fmt.value],
        points,
        ds.n_features,
        "--n-alphas" if grid is None else "--alphas",
    )
    options = dict(
        l1_ratio=ratio,
        weights=ds.weights,
        alphas=grid,
        n_alphas=n_alphas,
        eps=eps,
        standardize=standardize,
        fit_intercept=intercept,
        tol=tol,
        max_iter=max_iter,
        penalty_factor=controls.factors,
        lower=controls.lower,
        upper=controls.upper,
        gamma=relax_gamma,
    )
    with progress_bar("path", points, force=progress, quiet=quiet):
        if family is not Family.gaussian:
            from regcli.core.family import family_named
            from regcli.core.glm import glm_path

            res = glm_path(ds.X, ds.y, family_named(family.value), **options)  # type: ignore[arg-type]
        else:
            res = compute_path(ds.X, ds.y, prepared=prepared, **options)  # type: ignore[arg-type]
    if res.refit_ok is not None and not res.refit_ok.all():
        common.note(
            f"relaxed path: {int((~res.refit_ok).sum())} points cannot be refit (more than "
            "n - 3 nonzero coefficients, or for binomial and poisson an unpenalized refit that "
            "does not converge); they keep their penalized coefficients (gamma 1)"
        )
    if not res.converged.all():
        bad = int((~res.converged).sum())
        common.warn(
            f"{bad} of {len(res.alphas)} path points did not converge "
            f"(worst KKT violation {res.max_kkt_relative.max():.3g} x alpha)"
        )
    reported = controls_report(controls, ds.feature_names, res.coefs[-1])
    result = payload.path_payload(
        res, ds, controls=reported, criterion=None if select is None else select.value
    )
    if plot is not None:
        plot_path(result, plot, force=force)
    emitter.result(
        result, csvout.path_csv, lambda con, p, terminal: tables.draw_path(con, p, thin=terminal)
    )
