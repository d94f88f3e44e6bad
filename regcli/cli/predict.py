"""`regcli predict MODEL DATA`: score new rows with a saved model file."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

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
) -> None:
    """Predict with a saved model: a `prediction` column (intercept + X . coef) per kept row."""
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
    X, rows = design_matrix(df, fitted, name=name, na=na.value, unknown=unknown.value)
    pred = fitted.predict(X)
    payload = {
        "command": "predict",
        "model": model,
        "source": name,
        "target": fitted.target,
        "n_rows": int(len(df)),
        "n_predictions": int(pred.size),
        "rows_dropped": int(len(df) - pred.size),
        "kept": {col: [_cell(v) for v in df[col].to_numpy()[rows]] for col in keep},
        "predictions": [float(v) for v in pred],
    }
    emitter.result(payload, csvout.predict_csv, lambda con, p, _t: tables.draw_predict(con, p))


def _cell(v: object) -> str:
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)
