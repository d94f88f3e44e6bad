"""`regcli fit`: one penalized model at one alpha."""

from __future__ import annotations

from regcli.cli.options import (
    AlphaOption,
    DataArgument,
    ExcludeOption,
    FeaturesOption,
    ForceOption,
    FormatOption,
    InterceptOption,
    L1RatioOption,
    MaxIterOption,
    NaMode,
    NaOption,
    OutputOption,
    PenaltyOption,
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
) -> None:
    """Fit one lasso, ridge or elastic-net model and report its coefficients and sparsity."""
    from regcli.cli import common, render
    from regcli.core import fit
    from regcli.errors import UsageError

    ratio = common.resolve_l1_ratio(penalty, l1_ratio)
    if alpha is None:
        raise UsageError("--alpha is required (regcli cv chooses it by cross-validation)")
    emitter = common.Emitter.create(fmt, output, force)
    ds = common.DataOptions(data, target, features, exclude, weights, na.value).load()
    res = fit(
        ds.X, ds.y, alpha=alpha, l1_ratio=ratio, weights=ds.weights, standardize=standardize,
        fit_intercept=intercept, tol=tol, max_iter=max_iter,
    )
    if not res.converged:
        common.warn(f"solver did not converge: max KKT violation {res.max_kkt_violation:.3g} "
                    f"> tol x alpha = {tol * alpha:.3g}; raise --max-iter or --tol")
    payload = render.fit_payload(res, ds)
    if emitter.fmt.value == "json":
        emitter.emit(common.json_text(payload))
    elif emitter.fmt.value == "csv":
        emitter.emit(render.fit_csv(payload))
    else:
        text = render.render_text(lambda con: render.draw_fit(con, payload),
                                  terminal=emitter.to_terminal)
        if text is not None:
            emitter.emit(text)
