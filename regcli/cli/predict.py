"""`regcli predict MODEL DATA`: score new rows with a saved model file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
    QuietOption,
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
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="Score the table batch by batch and write CSV as it goes (row order kept; "
            "memory independent of the rows): for tables larger than memory.",
        ),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Predict with a saved model: a `prediction` column per kept row (glmnet's type.predict:
    the mean, the linear predictor, or the class)."""
    from regcli.cli import csvout, tables
    from regcli.cli.common import Emitter, check_decimal
    from regcli.cli.messages import set_quiet
    from regcli.errors import UsageError
    from regcli.io.model import design_matrix, load_model
    from regcli.io.table import read_table, source_name

    set_quiet(quiet)
    emitter = Emitter.create(fmt, output, force)
    fitted = load_model(model)
    name = source_name(data)
    keep = keep or []
    if "prediction" in keep:
        raise UsageError("--keep: 'prediction' is the name of the output column")
    if kind is PredictionType.class_ and fitted.classes is None:
        raise UsageError(f"--type class: {model} is a {fitted.family.name} model, not binomial")
    if stream:
        if emitter.fmt.value != "csv":
            raise UsageError("--stream writes CSV: use --format csv (or a .csv --output)")
        _stream_predictions(
            data, fitted, name, keep, kind.value, na.value, unknown.value, decimal, emitter
        )
        return
    df = read_table(data, decimal=check_decimal(decimal))
    for col in keep:
        if col not in df.columns:
            raise UsageError(f"--keep: no column {col!r} in {name}")
    X, rows = design_matrix(df, fitted, name=name, na=na.value, unknown=unknown.value)
    predictions = _predictions(fitted, X, kind.value)
    size = len(predictions)
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


def _predictions(fitted: Any, X: Any, kind: str) -> list[Any]:
    """The predictions of rows X: class names for 'class', else floats (mean or link)."""
    if kind == "class":
        positive = fitted.linear_predictor(X) >= 0.0
        return [fitted.classes[int(v)] for v in positive]
    return [float(v) for v in fitted.predict(X, kind)]


def _stream_predictions(
    data: str,
    fitted: Any,
    name: str,
    keep: list[str],
    kind: str,
    na: str,
    unknown: str,
    decimal: str,
    emitter: Any,
) -> None:
    """--stream: each record batch encoded as in training and scored, its CSV rows written
    before the next batch is read (an --output file appears only when every row is written)."""
    import io

    import pyarrow as pa

    from regcli.cli.common import check_decimal
    from regcli.cli.csvout import CsvWriter, cell
    from regcli.cli.messages import flush_deferred
    from regcli.errors import UsageError
    from regcli.io.files import atomic_writer
    from regcli.io.model import design_matrix
    from regcli.io.table import table_batches

    flush_deferred()
    with table_batches(data, decimal=check_decimal(decimal), digest=False) as source:
        for col in keep:
            if col not in source.names:
                raise UsageError(f"--keep: no column {col!r} in {name}")
        with _sink(emitter, atomic_writer) as out:
            text = io.StringIO()
            writer = CsvWriter(text)
            writer.writerow([*keep, "prediction"])
            start = 0
            for batch in source.batches:
                df = pa.Table.from_batches([batch]).to_pandas()
                where = f"{name} (rows {start + 1}-{start + batch.num_rows})"  # what errors count
                start += batch.num_rows
                X, rows = design_matrix(df, fitted, name=where, na=na, unknown=unknown)
                kept = [[_cell(v) for v in df[col].to_numpy()[rows]] for col in keep]
                for i, value in enumerate(_predictions(fitted, X, kind)):
                    writer.writerow(
                        [k[i] for k in kept] + [value if isinstance(value, str) else cell(value)]
                    )
                out.write(text.getvalue().encode("utf-8"))
                text.seek(0)
                text.truncate()


@contextmanager
def _sink(emitter: Any, atomic_writer: Any) -> Iterator[Any]:
    """Where streamed CSV bytes go: the --output file (atomically), else standard output."""
    if emitter.output is not None:
        with atomic_writer(emitter.output, force=emitter.force) as out:
            yield out
        return
    sys.stdout.flush()  # anything already written as text goes first
    out = getattr(sys.stdout, "buffer", None)
    if out is None:  # pragma: no cover - a text-only stdout
        yield _TextSink()
    else:
        yield out
    sys.stdout.flush()


class _TextSink:
    def write(self, data: bytes) -> None:  # pragma: no cover
        sys.stdout.write(data.decode("utf-8"))


def _cell(v: object) -> str:
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)
