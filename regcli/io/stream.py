"""The stream engine: a table's sufficient statistics in two passes over its record batches.

Memory is one batch plus the p x p sums (one set per fold for cv), whatever the number of rows.
The first pass fixes the encoding as the in-memory reader would (target, features, one-hot
levels, booleans, the missing-value rule and the imputed means) and counts the rows; the second
encodes each batch the same way and adds it to ``core.moments.Moments`` accumulators.  The
result is a ``Dataset`` whose X and y are placeholders of the right shape, with the statistics
beside it (``Streamed``): the Gaussian solvers need nothing else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from regcli.core.moments import Moments
from regcli.core.threads import spare_threads
from regcli.errors import DataError, UsageError
from regcli.io.dataset import (
    ID_LIKE_MIN_ROWS,
    ID_LIKE_SHARE,
    NA_MODES,
    ColumnEncoding,
    ColumnPlan,
    Dataset,
    arrow_kind,
    as_bool,
    choose_target,
    first_duplicate,
    is_boolean_text,
    numeric_column,
    onehot_block,
    select_features,
    to_float,
)
from regcli.io.table import source_name, table_batches


@dataclass
class _Column:
    """What the first pass learns of one feature column."""

    kind: str  # 'number', 'bool', 'text'
    levels: set[str] = field(default_factory=set)
    boolean_text: bool = True
    present: int = 0
    total: float = 0.0  # sum of the present values (numbers and booleans)
    level_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Streamed:
    """A streamed table: its Dataset (placeholder rows) and its statistics."""

    dataset: Dataset
    total: Moments
    folds: list[Moments] | None  # one accumulator per fold id (cv), else None
    fold_ids: np.ndarray | None
    target_binary: bool  # every target value is 0 or 1


def _placeholder(n: int, p: int) -> np.ndarray:
    """A read-only (n, p) array of zeros that takes no memory: the rows are not kept."""
    return np.broadcast_to(np.zeros(1), (n, p))


#: Values (rows x columns) per Parquet batch while streaming: few enough that the reader and
#: the batch's encoded copy stay small, enough that the per-column work is amortized.
STREAM_BATCH_VALUES = 1 << 21


def _batches(path: str, decimal: str, columns: int) -> Any:
    rows = int(min(65536, max(4096, STREAM_BATCH_VALUES // max(columns, 1))))
    return table_batches(path, decimal=decimal, digest=False, batch_rows=rows)


def _schema(path: str, decimal: str) -> tuple[list[str], list[Any]]:
    with table_batches(path, decimal=decimal, digest=False) as source:
        return list(source.names), list(source.types)


def stream_table(
    path: str,
    *,
    target: str | None = None,
    features: list[str] | None = None,
    exclude: list[str] | None = None,
    weights: str | None = None,
    na: str = "error",
    decimal: str = ".",
    fold_col: str | None = None,
    folds_from: Any = None,
) -> Streamed:
    """Read ``path`` (a file, directory or glob) in two passes; ``folds_from(n)`` returns the
    fold-id array of the n rows kept (random folds), or the --fold-col column gives them."""
    t0 = time.perf_counter()
    name = source_name(path)
    if na not in NA_MODES:
        raise UsageError(f"--na: expected one of {', '.join(NA_MODES)}, got {na!r}")
    columns, types = _schema(path, decimal)
    roles = {c for c in (weights, fold_col) if c is not None}
    target, reason = choose_target(columns, target, name, skip=roles)
    for option, col in (("--weights", weights), ("--fold-col", fold_col)):
        if col is not None and col not in columns:
            raise UsageError(f"{option}: no column {col!r} in {name}")
    reserved = {target} | roles
    feature_cols = select_features(columns, features, exclude, reserved, name)
    info = {c: _Column(_column_kind(types[columns.index(c)], c, name)) for c in feature_cols}

    # pass 1 (only where needed: text levels, --na mean's means, every kept row's fold): the
    # encoding, the missing cells, the rows kept, the means
    scan = (
        any(i.kind == "text" for i in info.values())
        or na == "mean"
        or folds_from is not None
        or fold_col is not None
    )
    n_read = n_kept = 0
    missing: dict[str, int] = {}
    fold_values: list[np.ndarray] = []
    y_binary = True
    y_first = None
    y_constant = True
    with _batches(path, decimal, len(columns)) as source:
        for batch in source.batches if scan else ():
            n_read += batch.num_rows
            lacking = np.zeros(batch.num_rows, dtype=bool)
            y = numeric_column(batch.column(target), target, name, role="target column")
            lacking |= np.isnan(y)
            missing[target] = missing.get(target, 0) + int(np.isnan(y).sum())
            if weights is not None:
                w = numeric_column(batch.column(weights), weights, name, role="weights column")
                if (w[~np.isnan(w)] < 0).any():
                    raise DataError(f"{name}: weights column {weights!r} has negative values")
                missing[weights] = missing.get(weights, 0) + int(np.isnan(w).sum())
                lacking |= np.isnan(w)
            for col in feature_cols:
                holes = _scan_column(info[col], batch.column(col))
                if holes.any():
                    missing[col] = missing.get(col, 0) + int(holes.sum())
                    if na == "drop":
                        lacking |= holes
            kept = ~lacking if na != "error" else np.ones(batch.num_rows, dtype=bool)
            n_kept += int(kept.sum())
            yk = y[kept & ~np.isnan(y)]
            if yk.size:
                y_binary &= bool(np.isin(yk, (0.0, 1.0)).all())
                y_first = float(yk[0]) if y_first is None else y_first
                y_constant &= bool((yk == y_first).all())
            if fold_col is not None:
                fold_values.append(batch.column(fold_col).to_numpy(zero_copy_only=False)[kept])

    def check() -> None:
        found = {c: k for c, k in missing.items() if k}
        if n_read == 0:
            raise DataError(f"{name}: empty table (a header but no rows)")
        if found and na == "error":
            listed = ", ".join(f"{c!r} ({k} cell{'s' if k > 1 else ''})" for c, k in found.items())
            raise DataError(f"{name}: missing values in {listed}; use --na drop or --na mean")
        if n_kept < 2:
            raise DataError(f"{name}: fewer than 2 usable rows ({n_kept} left of {n_read})")
        if y_constant:
            raise DataError(
                f"{name}: target column {target!r} is constant ({y_first:g}); nothing to fit"
            )

    if scan:
        check()
    plans = [_plan(info[c], c, name) for c in feature_cols]
    names = [f for p in plans for f in p.features]
    dup = first_duplicate(names + [target])
    if dup:
        raise DataError(f"{name}: encoded feature name {dup!r} is produced twice; rename a column")
    means = (
        np.concatenate([_means(info[c], p) for c, p in zip(feature_cols, plans)]) if scan else None
    )
    fold_ids = None
    if fold_col is not None and scan:
        values = np.concatenate(fold_values) if fold_values else np.zeros(0)
        fold_ids = _fold_codes(values)
    elif folds_from is not None:
        fold_ids = np.asarray(folds_from(n_kept))
    K = 0 if fold_ids is None else int(fold_ids.max()) + 1

    # pass 2: encode each batch and add it to the accumulators, centered at the means (at the
    # first batch's means when there was no first pass); without a first pass it also counts
    p = len(names)
    total: Moments | None = None if means is None else Moments(np.nan_to_num(means), 0.0)
    by_fold = (
        None
        if fold_ids is None or total is None
        else [Moments(total.center, 0.0) for _ in range(K)]
    )
    row = 0
    y_center = None
    with _batches(path, decimal, len(columns)) as source:
        for batch in source.batches:
            X = np.empty((batch.num_rows, p))
            j = 0
            for col, plan in zip(feature_cols, plans):
                width = len(plan.features)
                _fill(plan, X[:, j : j + width], batch.column(col))
                j += width
            y = numeric_column(batch.column(target), target, name, role="target column")
            w = (
                np.ones(batch.num_rows)
                if weights is None
                else numeric_column(batch.column(weights), weights, name, role="weights column")
            )
            lacking = np.isnan(y) | np.isnan(w)
            if not scan:  # the first pass's bookkeeping, here
                n_read += batch.num_rows
                for col, k in zip(names, np.isnan(X).sum(axis=0)):
                    if k:
                        missing[col] = missing.get(col, 0) + int(k)
                missing[target] = missing.get(target, 0) + int(np.isnan(y).sum())
                if weights is not None:
                    missing[weights] = missing.get(weights, 0) + int(np.isnan(w).sum())
                    if (w[~np.isnan(w)] < 0).any():
                        raise DataError(f"{name}: weights column {weights!r} has negative values")
            if na == "drop":
                lacking |= np.isnan(X).any(axis=1)
            keep = ~lacking
            X, y, w = X[keep], y[keep], w[keep]
            if not scan and y.size:
                n_kept += y.size
                y_binary &= bool(np.isin(y, (0.0, 1.0)).all())
                y_first = float(y[0]) if y_first is None else y_first
                y_constant &= bool((y == y_first).all())
            if na == "mean":  # the first pass ran and found the means
                assert means is not None
                holes = np.isnan(X)
                if holes.any():
                    X[holes] = np.broadcast_to(means, X.shape)[holes]
            if y.size == 0:
                continue
            if total is None:  # no first pass: center at this batch's means
                center = np.nan_to_num(np.nanmean(X, axis=0)) if X.shape[1] else np.zeros(0)
                total = Moments(center, 0.0)
            if y_center is None:
                y_center = float(np.average(y, weights=w)) if w.sum() > 0 else float(y[0])
                total.y_center = y_center
                for m in by_fold or []:
                    m.y_center = y_center
            B = X - total.center
            z = y - total.y_center
            if by_fold is None:
                with spare_threads():  # the Gram of the batch: every idle core
                    total.update_centered(B, z, w)
            else:
                assert fold_ids is not None
                f = fold_ids[row : row + y.size]
                with spare_threads():
                    for k in range(K):
                        rows = f == k
                        if rows.any():
                            by_fold[k].update_centered(B[rows], z[rows], w[rows])
            row += y.size
    if not scan:
        check()
    if by_fold is not None:
        total = by_fold[0]
        for m in by_fold[1:]:
            total = total.merge(m)
    assert total is not None
    if total.W <= 0:
        raise DataError(f"{name}: weights column {weights!r} has no positive value")
    imputed = {c: k for c, k in missing.items() if c in feature_cols} if na == "mean" else {}
    ds = Dataset(
        X=_placeholder(n_kept, p),
        y=_placeholder(n_kept, 1)[:, 0],
        weights=None,
        feature_names=names,
        target=target,
        target_reason=reason,
        source=name,
        n_rows_read=n_read,
        n_rows_dropped=n_read - n_kept,
        encodings=[
            ColumnEncoding(c, pl.kind, pl.features, pl.levels) for c, pl in zip(feature_cols, plans)
        ],
        imputed=imputed,
        extra={},
        load_s=time.perf_counter() - t0,
        engine="stream",
    )
    return Streamed(ds, total, by_fold, fold_ids, y_binary)


def _fold_codes(values: np.ndarray) -> np.ndarray:
    """Fold ids 0..K-1 of fold-column values, numbered in sorted order (``np.unique``)."""
    if values.dtype == object and any(isinstance(v, str) for v in values):
        values = values.astype(str)
    return np.unique(values, return_inverse=True)[1].ravel()


def _column_kind(arrow_type: Any, col: str, name: str) -> str:
    import pyarrow as pa

    kind = arrow_kind(pa.nulls(0, type=arrow_type))
    if kind in ("number", "empty"):
        return "number"
    if kind == "bool":
        return "bool"
    if kind == "text":
        return "text"
    raise DataError(
        f"{name}: column {col!r} holds {arrow_type} values, which the stream engine does not "
        "read (numbers, booleans or text only); --exclude it"
    )


def _scan_column(info: _Column, column: Any) -> np.ndarray:
    """Update the first pass's knowledge of a column with one batch; its missing cells."""
    if info.kind in ("number", "bool"):
        values = to_float(column)
        holes = np.isnan(values)
        info.present += int((~holes).sum())
        info.total += float(values[~holes].sum())
        return holes
    series = column.to_pandas()
    holes = series.isna().to_numpy()
    present = series[~holes]
    info.present += int(present.size)
    if info.boolean_text and len(present):
        info.boolean_text = is_boolean_text(present)
    text = present.astype(str)
    counts = text.value_counts()
    for level, count in counts.items():
        info.level_counts[str(level)] = info.level_counts.get(str(level), 0) + int(count)
    if info.boolean_text and len(present):
        info.total += float(present.map(as_bool).sum())
    return holes


def _plan(info: _Column, col: str, name: str) -> ColumnPlan:
    """The column's encoding, as ``dataset.plan_column`` decides it on the whole column."""
    if info.kind == "number":
        return ColumnPlan("numeric", [col])
    if info.kind == "bool":
        return ColumnPlan("bool", [col])
    if not info.level_counts:
        return ColumnPlan("numeric", [col])
    if info.boolean_text:
        return ColumnPlan("bool", [col], source="bool_text")
    levels = sorted(info.level_counts)
    if info.present >= ID_LIKE_MIN_ROWS and len(levels) >= ID_LIKE_SHARE * info.present:
        raise DataError(
            f"{name}: text column {col!r} has {len(levels)} distinct values in {info.present} "
            f"rows (an identifier?); --exclude {col} or convert it to numbers"
        )
    return ColumnPlan("onehot", [f"{col}={lv}" for lv in levels], levels, source="levels")


def _means(info: _Column, plan: ColumnPlan) -> np.ndarray:
    """The column's mean over its present cells (level shares for one-hot): --na mean."""
    if plan.kind == "onehot":
        return np.array([info.level_counts[lv] / max(info.present, 1) for lv in plan.levels])
    if not info.level_counts and info.kind == "text":
        return np.array([np.nan])
    return np.array([info.total / info.present if info.present else np.nan])


def _fill(plan: ColumnPlan, out: np.ndarray, column: Any) -> None:
    if plan.source == "levels":
        out[:] = onehot_block(column.to_pandas(), plan.levels)[0]
    elif plan.source == "bool_text":
        out[:, 0] = column.to_pandas().map(as_bool).to_numpy(dtype=np.float64)
    elif plan.kind == "numeric" and arrow_kind(column) == "text":  # a column of no values
        out[:, 0] = np.nan
    else:
        out[:, 0] = to_float(column)
