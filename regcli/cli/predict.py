"""`regcli predict MODEL DATA`: score new rows with a saved model file."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer

from regcli.cli.options import (
    DataArgument,
    DecimalOption,
    ForceOption,
    FormatOption,
    NaMode,
    NaOption,
    OutputOption,
)


class Unknown(str, Enum):
    error = "error"
    zero = "zero"


class PredictionType(str, Enum):
    response = "response"
    link = "link"
    class_ = "class"


def predict_command(
    model: Annotated[
        str,
        typer.Argument(metavar="MODEL", help="A model file written by --save.", show_default=False),
    ],
    data: DataArgument,
    keep: Annotated[
        Optional[list[str]],
        typer.Option(
            "--keep",
            metavar="COLUMN",
            help="Carry this input column into the output (repeatable), e.g. an id.",
            show_default=False,
        ),
    ] = None,
    unknown: Annotated[
        Unknown,
        typer.Option(
            help="A category level not seen in training: error, or zero (no indicator set)."
        ),
    ] = Unknown.error,
    na: NaOption = NaMode.error,
    decimal: DecimalOption = ".",
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    kind: Annotated[
        PredictionType,
        typer.Option(
            "--type",
            help="response: the mean (binomial: probability of the positive class; poisson: "
            "expected count); link: intercept + X . coef; class: binomial's predicted class "
            "(probability >= 0.5), written as the target's own class names.",
            case_sensitive=False,
        ),
    ] = PredictionType.response,
) -> None:
    """Predict with a saved model: a `prediction` column per kept row (glmnet's type.predict:
    the mean, the linear predictor, or the class)."""
    from regcli.cli import csvout, tables
    from regcli.cli.common import Emitter, check_decimal
    from regcli.errors import UsageError
    from regcli.io.model import design_matrix, load_model
    from regcli.io.table import read_table, source_name

    emitter = Emitter.create(fmt, output, force)
    fitted = load_model(model)
    df = read_table(data, decimal=check_decimal(decimal))
    name = source_name(data)
    keep = keep or []
    for col in keep:
        if col not in df.columns:
            raise UsageError(f"--keep: no column {col!r} in {name}")
    if "prediction" in keep:
        raise UsageError("--keep: 'prediction' is the name of the output column")
    if kind is PredictionType.class_ and fitted.classes is None:
        raise UsageError(f"--type class: {model} is a {fitted.family.name} model, not binomial")
    X, rows = design_matrix(df, fitted, name=name, na=na.value, unknown=unknown.value)
    if kind is PredictionType.class_:
        assert fitted.classes is not None
        positive = fitted.linear_predictor(X) >= 0.0
        predictions: list[Any] = [fitted.classes[int(v)] for v in positive]
        size = len(predictions)
    else:
        pred = fitted.predict(X, kind.value)
        predictions = [float(v) for v in pred]
        size = pred.size
    payload = {
        "command": "predict",
        "model": model,
        "source": name,
        "target": fitted.target,
        "n_rows": int(len(df)),
        "family": fitted.family.name,
        "type": kind.value,
        "n_predictions": int(size),
        "rows_dropped": int(len(df) - size),
        "kept": {col: [_cell(v) for v in df[col].to_numpy()[rows]] for col in keep},
        "predictions": predictions,
    }
    emitter.result(payload, csvout.predict_csv, lambda con, p, _t: tables.draw_predict(con, p))


def _cell(v: object) -> str:
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)
