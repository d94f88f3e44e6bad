"""`regcli fit`: one penalized model at one alpha."""

from __future__ import annotations

from regcli.cli.options import (
    AlphaOption,
    DataArgument,
    DecimalOption,
    ExcludeOption,
    FeaturesOption,
    ForceOption,
    FormatOption,
    InterceptOption,
    JobsOption,
    JunitOption,
    L1RatioOption,
    MaxIterOption,
    MaxNonzeroOption,
    MinR2Option,
    NaMode,
    NaOption,
    OutputOption,
    PenaltyOption,
    RequireFeatureOption,
    SaveOption,
    SignOption,
    StandardizeOption,
    TargetOption,
    TolOption,
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
    jobs: JobsOption = 1,
) -> None:
    """Fit one lasso, ridge or elastic-net model and report its coefficients and sparsity.

    Without --alpha, alpha is chosen as `regcli cv` would (10 folds, seed 0, alpha_1se).
    """
    from regcli.cli import common, render
    from regcli.cli.checks import Gates, evaluate, report
    from regcli.core import fit
    from regcli.io.model import model_document, save_model

    ratio = common.resolve_l1_ratio(penalty, l1_ratio)
    common.distinct_outputs(output=output, save=save, junit=junit)
    emitter = common.Emitter.create(fmt, output, force)
    gates = Gates(min_r2, max_nonzero, require_feature or [], sign or [], junit)
    common.check_save(save, force)
    ds = common.DataOptions(data, target, features, exclude, weights, na.value, decimal).load()
    gates.validate(ds.feature_names, force=force)
    selection = None
    if alpha is None:
        # chosen as `regcli cv` would with its defaults: 10 folds, seed 0, alpha_1se
        from regcli.cli.cv import run_cv
        from regcli.errors import UsageError

        if ds.n_samples < 3:
            raise UsageError(
                f"--alpha is needed: {ds.n_samples} rows are too few to choose it "
                "by cross-validation"
            )

        folds = common.build_folds(
            ds, n_folds=min(10, ds.n_samples), seed=0, repeats=1, fold_col=None, group_col=None
        )
        cv_res, res = run_cv(
            ds,
            l1_ratios=[ratio],
            folds=folds,
            select="1se",
            metric="mse",
            standardize=standardize,
            intercept=intercept,
            tol=tol,
            max_iter=max_iter,
            jobs=jobs,
        )
        curve = cv_res.curve
        selection = {
            "method": "cv",
            "n_folds": cv_res.n_folds,
            "seed": 0,
            "select": "1se",
            "alpha_min": curve.alpha_min,
            "alpha_1se": curve.alpha_1se,
            "cv_mean": float(curve.cv_mean[curve.index_1se]),
            "cv_s": cv_res.fit_s,
        }
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
        )
    if alpha is not None:
        common.above_alpha_max(alpha, res.alpha_max, res.l1_ratio)
    if not res.converged:
        common.warn(
            f"solver did not converge: max KKT violation {res.max_kkt_violation:.3g} "
            f"> its tolerance {res.kkt_tolerance:.3g} (tol x alpha, alpha floored at 1e-6 x "
            "alpha_max); raise --max-iter or --tol"
        )
    payload = render.fit_payload(res, ds)
    payload["alpha_selection"] = selection or {"method": "--alpha"}
    payload["checks"] = evaluate(
        gates,
        r2=res.r2,
        r2_label="training",
        n_nonzero=res.n_nonzero,
        coefficients=payload["coefficients"],
    )
    if save is not None:
        save_model(
            save,
            model_document(res, ds, metrics={"train_r2": res.r2, "cv": selection}),
            force=force,
        )
    emitter.result(payload, render.fit_csv, lambda con, p, _terminal: render.draw_fit(con, p))
    report(payload["checks"], gates, command="fit", force=force)
