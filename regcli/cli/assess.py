"""`regcli assess MODEL DATA`: a saved model's error on labelled rows, with CI gates (for binomial
and Poisson models their deviance, and AUC and accuracy for binomial)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from regcli.cli.options import (
    AssessMinR2Option,
    ChecksOption,
    DataArgument,
    DecimalOption,
    ForceOption,
    FormatOption,
    JunitOption,
    MaxDevianceOption,
    MaxMaeOption,
    MaxMseOption,
    MinAucOption,
    ModelArgument,
    NaMode,
    NaOption,
    OutputOption,
    QuietOption,
    WeightsOption,
)
from regcli.cli.predict import Unknown


def assess_command(
    model: ModelArgument,
    data: DataArgument,
    target: Annotated[
        Optional[str],
        typer.Option(
            "--target",
            "-t",
            help="Column of the true values (default: the model's own target).",
            show_default=False,
        ),
    ] = None,
    weights: WeightsOption = None,
    na: NaOption = NaMode.error,
    unknown: Annotated[
        Unknown,
        typer.Option(help="A category level not seen in training: error, or zero."),
    ] = Unknown.error,
    decimal: DecimalOption = ".",
    min_r2: AssessMinR2Option = None,
    max_mse: MaxMseOption = None,
    max_mae: MaxMaeOption = None,
    min_auc: MinAucOption = None,
    max_deviance: MaxDevianceOption = None,
    checks_file: ChecksOption = None,
    junit: JunitOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
) -> None:
    """Score labelled rows with a saved model: n, R², MSE and MAE (binomial and Poisson models:
    deviance, its null and the share explained; binomial adds accuracy and AUC), checked by
    gates."""
    import time

    import numpy as np

    from regcli.cli import common, csvout, tables
    from regcli.cli.checks import arm, report
    from regcli.cli.messages import set_quiet
    from regcli.core.metrics import glm_metrics, regression_metrics
    from regcli.errors import DataError, UsageError
    from regcli.io.model import class_codes, column_numbers, design_matrix, load_model
    from regcli.io.table import read_table, source_name

    set_quiet(quiet)
    common.distinct_outputs(output=output, junit=junit)
    emitter = common.Emitter.create(fmt, output, force)
    arm(junit, command="assess", force=force)
    t0 = time.perf_counter()
    fitted = load_model(model)
    family = fitted.family.name
    if min_auc is not None and family != "binomial":
        raise UsageError(f"--min-auc: only for a binomial model ({model} is {family})")
    if max_deviance is not None and family == "gaussian":
        raise UsageError(
            f"--max-deviance: only for a binomial or Poisson model ({model} is gaussian; "
            "--max-mse or --min-r2 gate it)"
        )
    df = read_table(data, decimal=common.check_decimal(decimal))
    name = source_name(data)
    n_read = len(df)
    column = target or fitted.target
    for option, col in (("--target", column), ("--weights", weights)):
        if col is not None and col not in df.columns:
            if option == "--target" and target is None:
                raise DataError(
                    f"{name}: no column {col!r} (the model's target); --target names another"
                )
            raise UsageError(f"{option}: no column {col!r} in {name}")
    if family == "binomial":
        assert fitted.classes is not None
        y = class_codes(df[column], column, name, fitted.classes)
    else:
        y = column_numbers(df[column], column, name, "target column")
        if family == "poisson" and (y[~np.isnan(y)] < 0).any():
            raise DataError(
                f"{name}: target column {column!r} has negative values; a Poisson model "
                "predicts counts or rates >= 0"
            )
    w = None if weights is None else column_numbers(df[weights], weights, name, "weights column")
    lacking = np.isnan(y) | (np.isnan(w) if w is not None else False)
    if lacking.any():
        if na.value == "error":
            raise DataError(
                f"{name}: {int(lacking.sum())} rows lack the target (or weight); "
                "use --na drop or --na mean"
            )
        keep = ~lacking
        df, y = df.loc[keep], y[keep]
        w = w[keep] if w is not None else None
    if w is not None and ((w < 0).any() or not (w > 0).any()):
        raise DataError(f"{name}: weights column {weights!r} has negative or no positive values")
    X, rows = design_matrix(df, fitted, name=name, na=na.value, unknown=unknown.value)
    y = y[rows]
    w = w[rows] if w is not None else None
    if len(y) == 0:
        raise DataError(f"{name}: no rows to assess")
    if family == "gaussian":
        metrics = regression_metrics(y, fitted.predict(X), w)
    else:
        fitted.predict(X)  # refuses predictions beyond float64
        metrics = glm_metrics(fitted.family, y, fitted.linear_predictor(X), w)
    checks = common.check_set(
        "assess",
        junit=junit,
        checks_file=checks_file,
        features=fitted.features,
        columns={e.column: e.features for e in fitted.encodings},
        r2_metric="r2",
        r2_label="assessed",
        min_r2=min_r2,
        bounds=[
            ("max_mse", "mse", None, max_mse),
            ("max_mae", "mae", None, max_mae),
            ("min_auc", "auc", min_auc, None),
            ("max_deviance", "deviance", None, max_deviance),
        ],
    )
    coefficients = dict(zip(fitted.features, map(float, fitted.coef)))
    payload = {
        "command": "assess",
        "model": model,
        "source": name,
        "target": column,
        "family": family,
        **(
            {"classes": fitted.classes, "positive_class": fitted.classes[1]}
            if fitted.classes is not None
            else {}
        ),
        "metrics": metrics,
        "rows": {"read": n_read, "used": int(len(y)), "dropped": n_read - int(len(y))},
        "checks": checks.evaluate(metrics, coefficients),
        "timings": {"assess_s": time.perf_counter() - t0},
    }
    emitter.result(payload, csvout.assess_csv, lambda con, p, _t: tables.draw_assess(con, p))
    report(payload["checks"], checks, command="assess", force=force)
