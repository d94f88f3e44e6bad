"""The stream engine: a table's sufficient statistics in two passes over its record batches.

Memory is one batch plus the p x p sums (one set per fold for cv), whatever the number of rows.
The first pass fixes the encoding as the in-memory reader would (target, features, one-hot
levels, booleans, the missing-value rule and the imputed means) and counts the rows; the second
encodes each batch the same way and adds it to ``core.moments.Moments`` accumulators.  The
result is a ``Dataset`` whose X and y are placeholders of the right shape, with the statistics
beside it (``Streamed``): the Gaussian solvers need nothing else.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from regcli.core.moments import Moments
from regcli.core.progress import rows_read
from regcli.core.stats import PRESCALE_HIGH, PRESCALE_LOW
from regcli.core.threads import spare_threads
from regcli.core.tuning import GRAM_MAX_FEATURES
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
    check_role_columns,
    choose_target,
    first_duplicate,
    fold_codes,
    is_boolean_text,
    numeric_column,
    onehot_block,
    refuse_nul_text,
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


#: Values (rows x columns) per Parquet batch while streaming: few enough that the reader, the
#: batches read ahead and the batch's encoded copy stay small (2^21 was ~10% faster but took
#: `cv --engine stream` on a 2 GB table from 22% to 25% of the data in peak memory), enough
#: that the per-column work is amortized.
STREAM_BATCH_VALUES = 1 << 20


#: Batches a reader thread decodes ahead of the one being summed.
READ_AHEAD = 2


def stream_batches(path: str, decimal: str, columns: int) -> Any:
    """The table's record batches, sized for streaming and decoded ahead by a reader thread
    (a context manager, as table_batches)."""
    return _batches(path, decimal, columns)


@contextmanager
def _batches(path: str, decimal: str, columns: int) -> Iterator[Any]:
    rows = int(min(65536, max(4096, STREAM_BATCH_VALUES // max(columns, 1))))
    with table_batches(path, decimal=decimal, digest=False, batch_rows=rows) as source:
        with read_ahead(source.batches, READ_AHEAD) as batches:
            yield replace(source, batches=batches)


@contextmanager
def read_ahead(batches: Iterable[Any], depth: int) -> Iterator[Iterator[Any]]:
    """``batches`` decoded by a reader thread up to ``depth`` ahead of their use: pyarrow
    decodes without holding the GIL, so reading overlaps the sums of the batches before.  An
    error while reading is raised where its batch would have come; leaving the block stops the
    reader."""
    ready: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            for batch in batches:
                if not put((True, batch)):
                    return
        except BaseException as exc:  # handed to the consuming thread
            put((False, exc))
            return
        put((False, None))

    def consume() -> Iterator[Any]:
        while True:
            more, value = ready.get()
            if not more:
                if value is not None:
                    raise value
                return
            yield value

    thread = threading.Thread(target=reader, name="regcli-reader", daemon=True)
    thread.start()
    try:
        yield consume()
    finally:
        stop.set()
        thread.join()


def _schema(path: str, decimal: str) -> tuple[list[str], list[Any]]:
    with table_batches(path, decimal=decimal, digest=False) as source:
        return list(source.names), list(source.types)


@dataclass(frozen=True)
class StreamSpec:
    """What every pass needs to know of the table (picklable: Dask workers get it)."""

    name: str
    target: str
    feature_cols: list[str]
    weights: str | None
    fold_col: str | None
    na: str
    decimal: str
    n_columns: int


@dataclass
class Scan:
    """What a first pass learned of some rows (``merge`` joins two, in row order)."""

    info: dict[str, _Column]
    n_read: int = 0
    n_kept: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    y_binary: bool = True
    y_first: float | None = None
    y_constant: bool = True
    fold_values: list[np.ndarray] = field(default_factory=list)
    sum_w: float = 0.0  # of the kept rows: the weighted mean of y is the center of every piece
    sum_wy: float = 0.0

    def merge(self, other: Scan) -> Scan:
        for col, mine in self.info.items():
            theirs = other.info[col]
            mine.present += theirs.present
            mine.total += theirs.total
            mine.boolean_text = mine.boolean_text and theirs.boolean_text
            for level, count in theirs.level_counts.items():
                mine.level_counts[level] = mine.level_counts.get(level, 0) + count
        self.n_read += other.n_read
        self.n_kept += other.n_kept
        for col, k in other.missing.items():
            self.missing[col] = self.missing.get(col, 0) + k
        self.y_binary &= other.y_binary
        if other.y_first is not None:
            if self.y_first is None:
                self.y_first = other.y_first
            self.y_constant &= other.y_constant and other.y_first == self.y_first
        self.fold_values += other.fold_values
        self.sum_w += other.sum_w
        self.sum_wy += other.sum_wy
        return self


@dataclass(frozen=True)
class Encoding:
    """What the second pass needs: the plans, the feature names, the means (the center and
    --na mean's values; None without a first pass), and the folds."""

    plans: list[ColumnPlan]
    names: list[str]
    means: np.ndarray | None
    K: int
    y_mean: float | None = None  # the weighted mean of the kept y (with a first pass)


def stream_spec(
    path: str,
    *,
    target: str | None,
    features: list[str] | None,
    exclude: list[str] | None,
    weights: str | None,
    na: str,
    decimal: str,
    fold_col: str | None,
) -> tuple[StreamSpec, str, dict[str, _Column]]:
    """The table's roles from its header (as the in-memory reader chooses them), the reason
    the target was chosen, and an empty first-pass record per feature column."""
    name = source_name(path)
    if na not in NA_MODES:
        raise UsageError(f"--na: expected one of {', '.join(NA_MODES)}, got {na!r}")
    columns, types = _schema(path, decimal)
    roles = {c for c in (weights, fold_col) if c is not None}
    target, reason = choose_target(columns, target, name, skip=roles)
    check_role_columns([("--weights", weights), ("--fold-col", fold_col)], columns, name)
    reserved = {target} | roles
    feature_cols = select_features(columns, features, exclude, reserved, name)
    if len(feature_cols) > GRAM_MAX_FEATURES:
        # refused before the pass: the streamed statistics would be a Gram of p^2 entries that
        # no route uses (beyond this many features the solvers keep the rows instead)
        raise UsageError(
            f"{name}: {len(feature_cols)} feature columns are beyond the streamed Gram "
            f"statistics (at most {GRAM_MAX_FEATURES}; the route for more features keeps the "
            "rows in memory); use --engine local"
        )
    position = {c: j for j, c in enumerate(columns)}
    info = {c: _Column(_column_kind(types[position[c]], c, name)) for c in feature_cols}
    spec = StreamSpec(name, target, feature_cols, weights, fold_col, na, decimal, len(columns))
    return spec, reason, info


def needs_first_pass(spec: StreamSpec, info: dict[str, _Column], folds_from: Any) -> bool:
    """Whether the sums need a first pass: for text levels, --na mean's means, or every kept
    row's fold (random folds or --fold-col); a table of numbers is summed in one pass."""
    return (
        any(i.kind == "text" for i in info.values())
        or spec.na == "mean"
        or folds_from is not None
        or spec.fold_col is not None
    )


def scan_batches(spec: StreamSpec, batches: Any, scan: Scan) -> Scan:
    """The first pass over some batches: each column's kind, levels, present cells and sum;
    the missing cells; the rows kept; what the target holds; the fold column's values."""
    name, target, weights = spec.name, spec.target, spec.weights
    for batch in batches:
        rows_read(batch.num_rows)
        scan.n_read += batch.num_rows
        y = numeric_column(batch.column(target), target, name, role="target column")
        lacking = np.isnan(y)
        scan.missing[target] = scan.missing.get(target, 0) + int(lacking.sum())
        if weights is not None:
            w = numeric_column(batch.column(weights), weights, name, role="weights column")
            if (w[~np.isnan(w)] < 0).any():
                raise DataError(f"{name}: weights column {weights!r} has negative values")
            scan.missing[weights] = scan.missing.get(weights, 0) + int(np.isnan(w).sum())
            lacking = lacking | np.isnan(w)
        for col in spec.feature_cols:
            holes = _scan_column(scan.info[col], batch.column(col))
            if holes.any():
                scan.missing[col] = scan.missing.get(col, 0) + int(holes.sum())
                if spec.na == "drop":
                    lacking |= holes
        kept = ~lacking if spec.na != "error" else np.ones(batch.num_rows, dtype=bool)
        scan.n_kept += int(kept.sum())
        _note_target(scan, y[kept & ~np.isnan(y)])
        if not lacking.any() or spec.na != "error":
            wk = np.ones(int(kept.sum())) if weights is None else w[kept]
            scan.sum_w += float(wk.sum())
            scan.sum_wy += float(wk @ y[kept])
        if spec.fold_col is not None:
            values = batch.column(spec.fold_col).to_numpy(zero_copy_only=False)[kept]
            scan.fold_values.append(values)
    return scan


def _note_target(scan: Scan, y: np.ndarray) -> None:
    if y.size:
        scan.y_binary &= bool(np.isin(y, (0.0, 1.0)).all())
        scan.y_first = float(y[0]) if scan.y_first is None else scan.y_first
        scan.y_constant &= bool((y == scan.y_first).all())


def check_scan(spec: StreamSpec, scan: Scan) -> None:
    """The in-memory reader's refusals, from what a pass counted."""
    name = spec.name
    found = {c: k for c, k in scan.missing.items() if k}
    if scan.n_read == 0:
        raise DataError(f"{name}: empty table (a header but no rows)")
    if found and spec.na == "error":
        listed = ", ".join(f"{c!r} ({k} cell{'s' if k > 1 else ''})" for c, k in found.items())
        raise DataError(f"{name}: missing values in {listed}; use --na drop or --na mean")
    if scan.n_kept < 2:
        raise DataError(f"{name}: fewer than 2 usable rows ({scan.n_kept} left of {scan.n_read})")
    if scan.y_constant:
        raise DataError(
            f"{name}: target column {spec.target!r} is constant ({scan.y_first:g}); nothing to fit"
        )


def encoding(spec: StreamSpec, scan: Scan, scanned: bool, K: int) -> Encoding:
    """The plans and names from the first pass (or from the header alone, ``scanned`` False)."""
    plans = [_plan(scan.info[c], c, spec.name) for c in spec.feature_cols]
    names = [f for p in plans for f in p.features]
    dup = first_duplicate(names + [spec.target])
    if dup:
        raise DataError(
            f"{spec.name}: encoded feature name {dup!r} is produced twice; rename a column"
        )
    means = y_mean = None
    if scanned and spec.na == "mean":  # as in memory: a column of no values has no mean
        for c in spec.feature_cols:
            if scan.info[c].present == 0 and scan.missing.get(c, 0):
                raise DataError(
                    f"{spec.name}: column {c!r} has no values to impute from; --exclude it"
                )
    if scanned:
        means = np.concatenate([_means(scan.info[c], p) for c, p in zip(spec.feature_cols, plans)])
        y_mean = scan.sum_wy / scan.sum_w if scan.sum_w > 0 else None
    return Encoding(plans, names, means, K, y_mean)


def accumulate_batches(
    spec: StreamSpec,
    enc: Encoding,
    batches: Any,
    fold_ids: np.ndarray | None,
    counts: Scan | None = None,
) -> list[Moments]:
    """The second pass over some batches: the accumulators (one per fold when ``fold_ids``
    gives these rows' folds, else one), centered at the means, or at the first batch's means
    without a first pass; then ``counts`` (a Scan) also records what a first pass would."""
    name, target, weights = spec.name, spec.target, spec.weights
    p = len(enc.names)
    center = None if enc.means is None else np.nan_to_num(enc.means)
    parts: list[Moments] | None = None
    row = 0
    # the batch as A = [x, y, 1] (``Moments.update_augmented``: one syrk gives every sum),
    # filled and used column by column; one buffer for every batch (a fresh one per batch
    # costs its pages' first-touch faults each time)
    buffer = np.empty((0, p + 2), order="F")
    for batch in batches:
        rows_read(batch.num_rows)
        if buffer.shape[0] < batch.num_rows:
            buffer = np.empty((batch.num_rows, p + 2), order="F")
        A = buffer[: batch.num_rows]
        X = A[:, :p]
        j = 0
        for col, plan in zip(spec.feature_cols, enc.plans):
            width = len(plan.features)
            _fill(plan, X[:, j : j + width], batch.column(col))
            j += width
        y = numeric_column(batch.column(target), target, name, role="target column")
        w = (
            np.ones(batch.num_rows)
            if weights is None
            else numeric_column(batch.column(weights), weights, name, role="weights column")
        )
        top, with_nan = _magnitudes(spec, enc, X, y)
        lacking = np.isnan(y) | np.isnan(w)
        if counts is not None:  # the first pass's bookkeeping, here
            counts.n_read += batch.num_rows
            for pos in np.flatnonzero(with_nan).tolist():
                col = enc.names[pos]
                counts.missing[col] = counts.missing.get(col, 0) + int(np.isnan(X[:, pos]).sum())
            counts.missing[target] = counts.missing.get(target, 0) + int(np.isnan(y).sum())
            if weights is not None:
                counts.missing[weights] = counts.missing.get(weights, 0) + int(np.isnan(w).sum())
                if (w[~np.isnan(w)] < 0).any():
                    raise DataError(f"{name}: weights column {weights!r} has negative values")
        if spec.na == "drop" and with_nan.any():
            lacking |= np.isnan(X[:, with_nan]).any(axis=1)
        if lacking.any():
            keep = ~lacking
            A, y, w = A[keep], y[keep], w[keep]
            X = A[:, :p]
            top = _magnitudes(spec, enc, X, y)[0]  # of the rows kept, as in memory
        if counts is not None:
            counts.n_kept += y.size
            _note_target(counts, y)
        if spec.na == "mean" and with_nan.any():  # the first pass ran and found the means
            assert enc.means is not None
            for pos in np.flatnonzero(with_nan).tolist():
                column = X[:, pos]
                column[np.isnan(column)] = enc.means[pos]
        if y.size == 0:
            continue
        if parts is None:
            if center is None:  # no first pass: center at this batch's means
                center = np.nan_to_num(np.nanmean(X, axis=0)) if p else np.zeros(0)
            y_center = enc.y_mean
            if y_center is None:
                y_center = float(np.average(y, weights=w)) if w.sum() > 0 else float(y[0])
            parts = [Moments(center, y_center) for _ in range(max(enc.K, 1))]
        parts[0].note_top(top)
        X -= parts[0].center  # centered in place
        np.subtract(y, parts[0].y_center, out=A[:, p])
        A[:, p + 1] = 1.0
        if weights is not None:  # every row scaled by sqrt(w): A'A holds the weighted sums
            A *= np.sqrt(w)[:, None]
        with spare_threads():  # the Gram of the batch: every idle core
            if fold_ids is None:
                parts[0].update_augmented(A, y.size)
            else:
                f = fold_ids[row : row + y.size]
                for k in range(enc.K):
                    rows = f == k
                    if rows.any():
                        parts[k].update_augmented(A[rows], int(rows.sum()))
        row += y.size
    if parts is None:  # no row here: empty accumulators (merging ignores them)
        c = np.zeros(p) if center is None else center
        parts = [Moments(c, 0.0) for _ in range(max(enc.K, 1))]
    return parts


def _magnitudes(
    spec: StreamSpec, enc: Encoding, X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The largest |value| of each column of a batch (missing cells ignored) and which columns
    hold missing cells (NaN).  Refuses values beyond 1e100 at once; a column whose largest
    |value| over the whole table is below 1e-100 is refused at the end (``check_tops``)."""
    if X.size:
        high, low = X.max(axis=0), X.min(axis=0)  # NaN where a cell is missing
        with_nan = np.isnan(high)
        for j in np.flatnonzero(with_nan):
            high[j] = np.nanmax(X[:, j], initial=-np.inf)
            low[j] = np.nanmin(X[:, j], initial=np.inf)
        top = np.fmax(np.abs(high), np.abs(low))
        top[np.isinf(high) & np.isinf(low) & (high < low)] = 0.0  # every cell missing
        if np.isinf(top).any():
            raise DataError(
                f"{spec.name}: column {enc.names[int(np.argmax(np.isinf(top)))]!r} has infinite "
                "values (or numbers too large for float64)"
            )
        if (top > PRESCALE_HIGH).any():
            _refuse_column(spec, enc, int(np.argmax(top > PRESCALE_HIGH)))
    else:
        top, with_nan = np.zeros(X.shape[1]), np.zeros(X.shape[1], dtype=bool)
    if y.size and np.abs(y).max() > PRESCALE_HIGH:
        raise DataError(
            f"{spec.name}: target column {spec.target!r} holds values beyond 1e100 in magnitude; "
            "rescale it"
        )
    return top, with_nan


def check_tops(spec: StreamSpec, enc: Encoding, top: np.ndarray) -> None:
    """Refuse columns the in-memory engine would rescale by a power of two (largest |value|
    outside [1e-100, 1e100], ``stats.prescale``): the streamed sums cannot square them."""
    odd = (top > PRESCALE_HIGH) | ((top > 0) & (top < PRESCALE_LOW))
    if odd.any():
        _refuse_column(spec, enc, int(np.argmax(odd)))


def _refuse_column(spec: StreamSpec, enc: Encoding, j: int) -> None:
    raise DataError(
        f"{spec.name}: column {enc.names[j]!r} holds values beyond 1e100 or only values below "
        "1e-100 in magnitude, which the streamed sums cannot square; use --engine local (it "
        "rescales them)"
    )


def merge_parts(a: list[Moments], b: list[Moments]) -> list[Moments]:
    """Two pieces' accumulators joined fold by fold (an empty piece adds nothing)."""
    return [x if y.W == 0 else (y if x.W == 0 else x.merge(y)) for x, y in zip(a, b)]


def finish(
    spec: StreamSpec,
    reason: str,
    enc: Encoding,
    scan: Scan,
    parts: list[Moments],
    fold_ids: np.ndarray | None,
    t0: float,
    engine: str,
) -> Streamed:
    """The Streamed result: the Dataset with placeholder rows and the accumulated sums."""
    by_fold = parts if fold_ids is not None else None
    total = parts[0]
    for m in parts[1:]:
        total = total.merge(m)
    if total.W <= 0:
        raise DataError(f"{spec.name}: weights column {spec.weights!r} has no positive value")
    check_tops(spec, enc, total.top)
    imputed = (
        {c: k for c, k in scan.missing.items() if c in spec.feature_cols}
        if spec.na == "mean"
        else {}
    )
    ds = Dataset(
        X=_placeholder(scan.n_kept, len(enc.names)),
        y=_placeholder(scan.n_kept, 1)[:, 0],
        weights=None,
        feature_names=enc.names,
        target=spec.target,
        target_reason=reason,
        source=spec.name,
        n_rows_read=scan.n_read,
        n_rows_dropped=scan.n_read - scan.n_kept,
        encodings=[
            ColumnEncoding(c, pl.kind, pl.features, pl.levels)
            for c, pl in zip(spec.feature_cols, enc.plans)
        ],
        imputed=imputed,
        extra={},
        load_s=time.perf_counter() - t0,
        engine=engine,
    )
    return Streamed(ds, total, by_fold, fold_ids, scan.y_binary)


def fold_ids_of(spec: StreamSpec, scan: Scan, folds_from: Any) -> np.ndarray | None:
    """Every kept row's fold: the fold column's values numbered in sorted order, or
    ``folds_from(n)`` (seeded folds); None without folds."""
    if spec.fold_col is not None:
        values = np.concatenate(scan.fold_values) if scan.fold_values else np.zeros(0)
        return fold_codes(values)
    if folds_from is not None:
        return np.asarray(folds_from(scan.n_kept))
    return None


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
    fold-id array of the n rows kept (random folds), or the --fold-col column gives them.  The
    first pass runs only where needed: text levels, --na mean's means, every kept row's fold."""
    t0 = time.perf_counter()
    spec, reason, info = stream_spec(
        path,
        target=target,
        features=features,
        exclude=exclude,
        weights=weights,
        na=na,
        decimal=decimal,
        fold_col=fold_col,
    )
    scanned = needs_first_pass(spec, info, folds_from)
    scan = Scan(info)
    if scanned:
        with _batches(path, decimal, spec.n_columns) as source:
            scan_batches(spec, source.batches, scan)
        check_scan(spec, scan)
    fold_ids = fold_ids_of(spec, scan, folds_from)
    K = 0 if fold_ids is None else int(fold_ids.max()) + 1
    enc = encoding(spec, scan, scanned, K)
    with _batches(path, decimal, spec.n_columns) as source:
        parts = accumulate_batches(
            spec, enc, source.batches, fold_ids, counts=None if scanned else scan
        )
    if not scanned:
        check_scan(spec, scan)
    return finish(spec, reason, enc, scan, parts, fold_ids, t0, "stream")


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
    refuse_nul_text(levels, col, name)
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
