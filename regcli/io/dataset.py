"""From a table to a Dataset: target choice, feature selection, encoding, missing values.

Every user mistake raises a RegcliError naming the file and column; nothing here prints.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from regcli.errors import DataError, UsageError
from regcli.io.table import Batches, source_name, table_batches

if TYPE_CHECKING:
    import pandas as pd

NA_MODES = ("error", "drop", "mean")
TARGET_NAMES = ("y", "target")
#: A text column is refused as an identifier when this share of its cells are distinct.
ID_LIKE_SHARE = 0.9
ID_LIKE_MIN_ROWS = 20


@dataclass(frozen=True)
class ColumnEncoding:
    """How one input column became one or more features.

    kind: 'numeric', 'bool' (0/1) or 'onehot' (one indicator per level, every level kept).
    """

    column: str
    kind: str
    features: list[str]
    levels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"column": self.column, "kind": self.kind, "features": self.features}
        if self.kind == "onehot":
            out["levels"] = self.levels
        return out


@dataclass(frozen=True)
class Dataset:
    """A design matrix ready for the core: X (n, p) float64, y (n,), optional weights (n,)."""

    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray | None
    feature_names: list[str]
    target: str
    target_reason: str
    source: str
    n_rows_read: int
    n_rows_dropped: int
    encodings: list[ColumnEncoding]
    imputed: dict[str, int]
    extra: dict[str, np.ndarray]
    load_s: float
    sha256: str = ""
    #: binomial targets: the two classes as written in the table, [negative, positive]
    #: (y holds 1 for the positive one); None for numeric targets
    target_levels: list[str] | None = None
    #: how the rows were read: 'local' (in memory) or 'stream' (X and y are placeholders)
    engine: str = "local"

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def rows(self, mask: np.ndarray) -> Dataset:
        """The dataset restricted to the rows where ``mask`` is true."""
        return replace(
            self,
            X=self.X[mask],
            y=self.y[mask],
            weights=None if self.weights is None else self.weights[mask],
            extra={k: v[mask] for k, v in self.extra.items()},
        )


def check_role_columns(named: list[tuple[str, str | None]], columns: list[str], name: str) -> None:
    """Each column named for a role (``named``: (option, column or None), e.g. --weights,
    --fold-col) exists in ``columns`` and takes no other role (exit 2 otherwise)."""
    role_of: dict[str, str] = {}
    for option, col in named:
        if col is None:
            continue
        if col not in columns:
            raise UsageError(f"{option}: no column {col!r} in {name}{_listing(columns)}")
        if col in role_of:
            raise UsageError(
                f"{role_of[col]} and {option} both name column {col!r} in {name}; "
                "a column takes one role"
            )
        role_of[col] = option


def load_dataset(
    path: str,
    *,
    target: str | None = None,
    features: list[str] | None = None,
    exclude: list[str] | None = None,
    weights: str | None = None,
    na: str = "error",
    extra_columns: dict[str, str] | None = None,
    decimal: str = ".",
    digest: bool = True,
    standardize: bool = True,
    family: str = "gaussian",
    positive_class: str | None = None,
) -> Dataset:
    """Load ``path`` and build the Dataset.

    The table is read once, in record batches: number and boolean features go straight into
    one float64 X, text columns are kept as Arrow chunks and encoded afterwards (through pandas,
    one at a time). ``extra_columns`` maps a role (e.g. 'fold') to a column that
    is carried along as raw values and is never a feature. ``digest``: record the sha256 of
    the file (for model files; a second read of a file). ``standardize``: the features will
    be standardized, so a column of any finite magnitude can be used (the core rescales it);
    without it a column whose squares leave float64 is refused.  ``family``: a binomial target
    is read as two classes (``class_target``); a Poisson target must not be negative.
    """
    t0 = time.perf_counter()
    name = source_name(path)
    if na not in NA_MODES:
        raise UsageError(f"--na: expected one of {', '.join(NA_MODES)}, got {na!r}")
    extra_columns = dict(extra_columns or {})
    with table_batches(path, decimal=decimal, digest=digest, whole=True) as source:
        columns = source.names
        if not columns:
            raise DataError(f"{name}: no columns")
        roles = {c for c in (weights, *extra_columns.values()) if c is not None}
        target, reason = choose_target(columns, target, name, skip=roles)
        reserved = {target} | set(extra_columns.values()) | ({weights} if weights else set())
        check_role_columns(
            [("--weights", weights)] + [(f"--{k}-col", v) for k, v in extra_columns.items()],
            columns,
            name,
        )
        feature_cols = select_features(columns, features, exclude, reserved, name)
        read = _read_columns(source, feature_cols, [target, weights, *extra_columns.values()])
    X_num, data, sha256 = read.numbers, read.others, source.digest
    n_read = read.n_rows
    if n_read == 0:
        raise DataError(f"{name}: empty table (a header but no rows)")
    wanted = list(dict.fromkeys(feature_cols + [target, *extra_columns.values()]))
    if weights:
        wanted.append(weights)

    levels = None
    if family == "binomial":
        y, levels = class_target(data.pop(target), target, name, positive_class)
    else:
        y = numeric_column(data.pop(target), target, name, role="target column")
        if family == "poisson" and (y < 0).any():
            bad = float(y[y < 0][0])
            raise DataError(
                f"{name}: target column {target!r} has negative values ({bad:g}); "
                "--family poisson needs counts or rates >= 0"
            )
    w = None
    if weights:
        w = numeric_column(data.pop(weights), weights, name, role="weights column")
    # the target and weights cannot be imputed: their missing rows are dropped, or an error
    lacking = np.isnan(y) if w is None else np.isnan(y) | np.isnan(w)
    missing: dict[str, int] = {}
    if lacking.any():
        if na == "error":
            missing = {target: int(np.isnan(y).sum())}
            if weights is not None and w is not None:
                missing[weights] = int(np.isnan(w).sum())
            missing = {c: k for c, k in missing.items() if k}
        else:
            keep = ~lacking
            y = y[keep]
            w = w[keep] if w is not None else None
            X_num = X_num[keep]
            data = {c: v.filter(keep) for c, v in data.items()}
    if w is not None:
        if (w < 0).any():
            raise DataError(f"{name}: weights column {weights!r} has negative values")
        if not (w > 0).any():
            raise DataError(f"{name}: weights column {weights!r} has no positive value")
        top = float(w.max())
        n_eff = float(np.sum(w / top)) ** 2 / float(np.sum((w / top) ** 2))
        if n_eff < 2:
            raise DataError(
                f"{name}: weights column {weights!r} puts nearly all weight on one row "
                f"(effective sample size {n_eff:.3g}); nothing to fit"
            )

    plans = [
        plan_column(data[c], c, name, decimal=decimal)
        if c in data
        else ColumnPlan(read.number_kinds[c], [c])
        for c in feature_cols
    ]
    n = len(y)
    if all(c not in data for c in feature_cols):
        X = X_num  # every feature was read as numbers, straight into X
    else:  # text columns among them: X is assembled from the numbers and the encoded text
        X = np.empty((n, sum(len(p.features) for p in plans)), dtype=np.float64)
        j = k = 0
        for col, plan in zip(feature_cols, plans):
            width = len(plan.features)
            if col in data:
                plan.fill(X[:, j : j + width], data.pop(col))
            else:
                X[:, j] = X_num[:, k]
                k += 1
            j += width
        del X_num
    starts = np.cumsum([0] + [len(p.features) for p in plans])[:-1]
    # two reductions over X find the infinite and the missing: max and min carry NaN and inf
    hi, lo = (X.max(axis=0), X.min(axis=0)) if n else (np.zeros(X.shape[1]),) * 2
    for col, plan, s in zip(feature_cols, plans, starts):
        if plan.kind == "numeric" and (np.isinf(hi[s]) or np.isinf(lo[s])):
            _check_finite(X[:, s], col, name)
    counts = np.array(
        [np.count_nonzero(np.isnan(X[:, s])) if np.isnan(hi[s]) else 0 for s in starts],
        dtype=np.intp,
    )
    missing.update({c: int(k) for c, k in zip(feature_cols, counts) if k})
    missing = {c: missing[c] for c in wanted if c in missing}
    if missing and na == "error":
        listed = ", ".join(f"{c!r} ({k} cell{'s' if k > 1 else ''})" for c, k in missing.items())
        raise DataError(f"{name}: missing values in {listed}; use --na drop or --na mean")
    imputed: dict[str, int] = {}
    if counts.any() and na == "drop":
        keep = np.ones(n, dtype=bool)
        for s, k in zip(starts, counts):
            if k:
                keep &= ~np.isnan(X[:, s])
        X, y = X[keep], y[keep]
        w = w[keep] if w is not None else None
        data = {c: v.filter(keep) for c, v in data.items()}
    elif counts.any():  # mean: each column's mean over its observed rows
        for col, plan, start, k in zip(feature_cols, plans, starts, counts):
            if k == 0:
                continue
            if k == n:
                raise DataError(
                    f"{name}: column {col!r} has no values to impute from; --exclude it"
                )
            block = X[:, start : start + len(plan.features)]
            hole = np.isnan(block)
            block[hole] = np.broadcast_to(np.nanmean(block, axis=0), block.shape)[hole]
            imputed[col] = int(k)
    if len(y) < 2:
        raise DataError(f"{name}: fewer than 2 usable rows ({len(y)} left of {n_read})")
    # the extremes found above serve unless rows were dropped or cells imputed since
    unchanged = len(y) == n and not imputed
    check_magnitude(y, target, name, "target column")
    check_magnitudes(
        X,
        feature_cols,
        plans,
        name,
        limits=not standardize,
        extremes=(hi, lo) if unchanged else None,
        # a gaussian coefficient is in the target's units per the column's, a binomial or
        # Poisson one in the linear predictor's (of order 1) per the column's
        target_spread=float(np.ptp(y)) if family == "gaussian" else None,
    )
    if w is not None and not np.isfinite(w.sum()):
        raise DataError(f"{name}: weights column {weights!r} sums to more than float64 holds")
    encodings = [
        ColumnEncoding(c, p.kind, p.features, p.levels) for c, p in zip(feature_cols, plans)
    ]
    names = [f for enc in encodings for f in enc.features]
    dup = first_duplicate(names + [target])
    if dup:
        raise DataError(f"{name}: encoded feature name {dup!r} is produced twice; rename a column")
    extra = {role: data[col].to_numpy() for role, col in extra_columns.items()}
    if np.ptp(y) == 0:
        if levels is not None:
            raise DataError(
                f"{name}: target column {target!r} holds only the class "
                f"{levels[int(y[0])]!r}; binomial needs both classes"
            )
        raise DataError(f"{name}: target column {target!r} is constant ({y[0]:g}); nothing to fit")
    if w is not None and np.ptp(y[w > 0]) == 0:  # the rows that count hold one value
        held = y[w > 0][0]
        if levels is not None:
            raise DataError(
                f"{name}: every row with a positive weight in {weights!r} is of the class "
                f"{levels[int(held)]!r}; binomial needs both classes"
            )
        raise DataError(
            f"{name}: target column {target!r} is constant ({held:g}) on the rows with a "
            f"positive weight in {weights!r}; nothing to fit"
        )
    return Dataset(
        X=X,
        y=np.ascontiguousarray(y),
        weights=w,
        feature_names=names,
        target=target,
        target_reason=reason,
        source=name,
        n_rows_read=n_read,
        n_rows_dropped=n_read - len(y),
        encodings=encodings,
        imputed=imputed,
        extra=extra,
        load_s=time.perf_counter() - t0,
        sha256=sha256,
        target_levels=levels,
    )


def _listing(columns: list[str], limit: int = 12) -> str:
    shown = ", ".join(columns[:limit]) + (", ..." if len(columns) > limit else "")
    return f" (columns: {shown})"


def fold_codes(values: np.ndarray) -> np.ndarray:
    """Fold ids 0..K-1 of a fold column's values, numbered in sorted order (an object column
    compared as text): the same ids whether the column was read whole or in batches."""
    return np.unique(values.astype(str) if values.dtype == object else values, return_inverse=True)[
        1
    ].ravel()


def first_duplicate(names: list[str]) -> str | None:
    """The first name that appears twice, or None."""
    seen: set[str] = set()
    for n in names:
        if n in seen:
            return n
        seen.add(n)
    return None


def choose_target(
    columns: list[str], target: str | None, name: str, skip: set[str] | None = None
) -> tuple[str, str]:
    """The target column and why it was chosen (never one of ``skip``: weights, folds)."""
    if target is not None:
        if target not in columns:
            raise UsageError(f"--target: no column {target!r} in {name}{_listing(columns)}")
        if target in (skip or set()):
            raise UsageError(f"--target: {target!r} is also the weights or fold column")
        return target, "--target"
    candidates = [c for c in columns if c not in (skip or set())]
    for col in candidates:
        if col.lower() in TARGET_NAMES:
            return col, f"column named {col!r}"
    if len(candidates) < 2:
        raise DataError(f"{name}: too few columns; need a target and at least one feature")
    return candidates[-1], "last column (no --target, no column named y or target)"


def select_features(
    columns: list[str],
    features: list[str] | None,
    exclude: list[str] | None,
    reserved: set[str],
    name: str,
) -> list[str]:
    if features and exclude:
        raise UsageError("--features and --exclude cannot be used together")
    for option, listed in (("--features", features), ("--exclude", exclude)):
        for col in listed or []:
            if col not in columns:
                raise UsageError(f"{option}: no column {col!r} in {name}{_listing(columns)}")
    if features:
        bad = [c for c in features if c in reserved]
        if bad:
            raise UsageError(f"--features: {bad[0]!r} is the target, weights or fold column")
        chosen = list(dict.fromkeys(features))
    else:
        skip = set(exclude or []) | reserved
        chosen = [c for c in columns if c not in skip]
    if not chosen:
        raise DataError(f"{name}: no feature columns left")
    return chosen


def arrow_kind(column: Any) -> str:
    """'number', 'bool', 'text', 'empty', 'temporal', 'binary' or 'other' for an Arrow
    column."""
    return _type_kind(column.type)


def _type_kind(t: Any) -> str:
    """``arrow_kind`` of an Arrow type."""
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_null(t):
        return "empty"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    if pa.types.is_temporal(t):
        return "temporal"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "binary"
    return "other"


#: Arrow integer types read straight from their buffers (no pyarrow.compute: its import costs
#: more than a small table takes to read).
_NATIVE = {
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
}


def to_float(column: Any) -> np.ndarray:
    """An Arrow numeric or boolean column (array or chunked) as float64, missing cells as NaN.

    Read from the Arrow buffers directly: pyarrow's own to_numpy imports pandas, which a
    table of numbers does not need.
    """
    import pyarrow as pa

    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = []
    for arr in chunks:
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        native = _NATIVE.get(str(arr.type))  # integers read as they are, then converted
        if arr.type != pa.float64() and native is None:
            import pyarrow.compute as pc

            arr = pc.cast(arr, pa.float64(), memory_pool=pa.system_memory_pool())
        n, offset = len(arr), arr.offset
        validity, data = arr.buffers()[:2]
        if data is None or not n:  # an all-null column carries no data buffer
            values = np.full(n, np.nan)
        elif native is not None:
            values = np.frombuffer(data, dtype=native, count=offset + n)[offset:].astype(float)
        else:
            values = np.frombuffer(data, dtype=np.float64, count=offset + n)[offset:]
        if arr.null_count:
            bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
            values = np.where(bits[offset : offset + n].astype(bool), values, np.nan)
        parts.append(values)
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0)


def class_target(
    column: Any, col: str, name: str, positive: str | None
) -> tuple[np.ndarray, list[str]]:
    """A binomial target: 0/1 numbers, booleans, or text with exactly two values, as y in
    {0, 1} (NaN where missing) and the two classes [negative, positive].  The positive class is
    the second in sorted order (glmnet's factor levels: 1, true, yes) unless ``positive``
    (--positive-class) names one."""
    kind = arrow_kind(column)
    if kind == "binary":
        raise DataError(f"{name}: target column {col!r} holds text that is not UTF-8")
    if kind == "empty":
        return np.full(len(column), np.nan), ["0", "1"]
    if kind in ("number", "bool"):
        values = np.array(to_float(column), dtype=np.float64)
        seen = np.unique(values[~np.isnan(values)])
        if kind == "number" and not set(seen.tolist()) <= {0.0, 1.0}:
            shown = ", ".join(f"{v:g}" for v in seen[:6]) + (", ..." if seen.size > 6 else "")
            raise DataError(
                f"{name}: target column {col!r} holds {shown}; --family binomial needs two "
                "classes: 0/1, true/false, or text with two values"
            )
        levels = ["false", "true"] if kind == "bool" else ["0", "1"]
        codes = values
    else:
        series = column.to_pandas()
        text = series.map(lambda v: None if _isna(v) else str(v))
        found = sorted(set(text.dropna()))
        refuse_nul_text(found, col, name, role="target column")
        if len(found) > 2:
            listed = ", ".join(repr(v) for v in found[:8]) + (", ..." if len(found) > 8 else "")
            raise DataError(
                f"{name}: target column {col!r} has {len(found)} classes ({listed}); "
                "--family binomial needs exactly two"
            )
        levels = found if len(found) == 2 else (found + ["(none)", "(none)"])[:2]
        codes = text.map({levels[0]: 0.0, levels[1]: 1.0}).to_numpy(dtype=float, na_value=np.nan)
    if positive is not None:
        if positive not in levels:
            raise UsageError(
                f"--positive-class: {positive!r} is not a class of {col!r} "
                f"(classes: {', '.join(repr(v) for v in levels)})"
            )
        if positive == levels[0]:
            levels = [levels[1], levels[0]]
            codes = 1.0 - codes
    return codes, levels


def numeric_column(column: Any, col: str, name: str, *, role: str) -> np.ndarray:
    """A target or weights column as float64 (NaN where missing); text is refused."""
    kind = arrow_kind(column)
    if kind == "empty":
        return np.full(len(column), np.nan)
    if kind == "binary":
        raise DataError(f"{name}: {role} {col!r} holds text that is not UTF-8")
    if kind not in ("number", "bool"):
        series = column.to_pandas()
        bad = series.dropna()
        found = str(bad.iloc[0]) if len(bad) else str(column.type)
        hint = ""
        if _decimal_comma_example(series) is not None:
            hint = "; it looks like decimal commas: add --decimal ,"
        raise DataError(f"{name}: {role} {col!r} is not numeric (found {found!r}){hint}")
    values = np.array(to_float(column), dtype=np.float64)  # its own, writable copy
    _check_finite(values, col, name)
    return values


#: Largest |value| x sqrt(n) whose squares and cross products still sum within float64.
MAGNITUDE_LIMIT = 1e150
#: A column whose every |value| is below this (but not all zero) would square to subnormals.
TINY_LIMIT = 1e-150
#: Largest spread of the target (1 for binomial and Poisson) over a column's spread: about the
#: size of that column's coefficient, which, times a margin for correlated columns, must stay
#: within float64 (1.8e308).
COEFFICIENT_RANGE = 1e305


def check_magnitude(values: np.ndarray, col: str, name: str, role: str = "column") -> None:
    """Refuse (65) a column whose squares overflow or underflow float64 in the statistics."""
    if not values.size:
        return
    top = max(abs(float(np.nanmax(values))), abs(float(np.nanmin(values))))
    _refuse_magnitude(top, values.size, col, name, role)


def _refuse_magnitude(top: float, n: int, col: str, name: str, role: str) -> None:
    """``check_magnitude`` from a column's largest |value| ``top`` over ``n`` rows."""
    if top > MAGNITUDE_LIMIT / math.sqrt(n):  # (top * sqrt(n) may itself overflow)
        raise DataError(
            f"{name}: {role} {col!r} holds values up to {top:.3g}, too large to square in "
            "float64; rescale it (divide it by a power of ten)"
        )
    if 0 < top < TINY_LIMIT:
        raise DataError(
            f"{name}: {role} {col!r} holds values no larger than {top:.3g}, too small to "
            "square in float64; rescale it (multiply it by a power of ten)"
        )


def check_magnitudes(
    X: np.ndarray,
    columns: list[str],
    plans: list[Any],
    name: str,
    *,
    limits: bool = True,
    extremes: tuple[np.ndarray, np.ndarray] | None = None,
    target_spread: float | None = None,
) -> None:
    """Refuse a table whose every feature is constant or a numeric column whose values lie
    below float64's normal range or vary so little against ``target_spread`` (None: a linear
    predictor's, of order 1) that its coefficient would not fit float64 (``COEFFICIENT_RANGE``),
    and (``limits``: the features
    will not be standardized) ``check_magnitude`` every numeric feature column (no n x p
    temporaries).  ``extremes``: X's column maxima and minima when the caller has them."""
    if not X.size:
        return
    hi, lo = extremes if extremes is not None else (X.max(axis=0), X.min(axis=0))
    if (hi == lo).all():
        raise DataError(f"{name}: every feature is constant; nothing to fit")
    top = np.maximum(np.abs(hi), np.abs(lo))
    with np.errstate(over="ignore"):
        spread = hi - lo
    starts = np.cumsum([0] + [len(p.features) for p in plans])[:-1]
    for col, plan, s in zip(columns, plans, starts):
        if plan.kind != "numeric":
            continue
        # below float64's normal range values keep a few digits only, and a coefficient on
        # their scale (1 / their spread) overflows: refused even where the column is rescaled
        if 0 < top[s] < np.finfo(float).tiny:
            raise DataError(
                f"{name}: column {col!r} holds values no larger than {top[s]:.3g}, below "
                "float64's normal range; rescale it (multiply it by a power of ten)"
            )
        if 0 < spread[s] < (1.0 if target_spread is None else target_spread) / COEFFICIENT_RANGE:
            against = (
                "the linear predictor's scale"
                if target_spread is None
                else f"the target's spread of {target_spread:.3g}"
            )
            raise DataError(
                f"{name}: column {col!r} varies by {spread[s]:.3g} only, against {against}: "
                "its coefficient would exceed float64; rescale it (multiply it by a power of ten)"
            )
    if not limits:
        return
    for col, plan, s in zip(columns, plans, starts):
        if plan.kind == "numeric" and np.isfinite(top[s]):
            _refuse_magnitude(float(top[s]), X.shape[0], col, name, "column")


def _check_finite(values: np.ndarray, col: str, name: str) -> None:
    n_inf = int(np.isinf(values).sum())
    if n_inf:
        raise DataError(
            f"{name}: column {col!r} has {n_inf} infinite value{'s' if n_inf > 1 else ''} "
            "(or numbers too large for float64)"
        )


_DECIMAL_COMMA = r"^\s*[-+]?\d*,\d+(?:[eE][-+]?\d+)?\s*$"


def _decimal_comma_example(series: pd.Series) -> str | None:
    """A cell like '1,5' when every present cell of a text column looks like that."""
    values = series.dropna().astype(str)
    if values.empty:
        return None
    looks = values.str.match(_DECIMAL_COMMA)
    return str(values.iloc[0]) if bool(looks.all()) else None


#: A text column is read as numbers with a stray cell when this share of its cells are numbers.
NUMERIC_SHARE = 0.8


def _stray_text(series: pd.Series) -> str | None:
    """The first cell that is not a number, in a text column whose other cells (at least 80%,
    and at least three distinct values) are numbers; else None."""
    import pandas as pd

    values = series.dropna().astype(str)
    if len(values) < 3:
        return None
    numbers = pd.to_numeric(values.str.strip(), errors="coerce")
    ok = numbers.notna()
    if ok.all() or ok.mean() < NUMERIC_SHARE or numbers[ok].nunique() < 3:
        return None
    return str(values[~ok].iloc[0])


def refuse_nul_text(levels: list[str], col: str, name: str, role: str = "column") -> None:
    """Refuse a text column one of whose values holds a NUL byte: such a value would become a
    feature or class name that no terminal or CSV reader shows as written."""
    bad = next((lv for lv in levels if "\x00" in lv), None)
    if bad is not None:
        raise DataError(
            f"{name}: {role} {col!r} holds a NUL byte in a cell ({bad!r}): binary data, or a "
            "damaged file?"
        )


@dataclass(frozen=True)
class ColumnPlan:
    """How one input column is written into X: its kind, feature names and one-hot levels.

    ``source`` says how its cells are read: 'arrow' (numbers or booleans, converted chunk by
    chunk), 'bool_text' (true/false, yes/no), 'number_text' (numbers read as text) or 'levels'.
    """

    kind: str  # 'numeric', 'bool' or 'onehot'
    features: list[str]
    levels: list[str] = field(default_factory=list)
    source: str = "arrow"

    def fill(self, out: np.ndarray, column: Any) -> None:
        """Write the column's values (NaN where missing) into ``out`` (n, len(features))."""
        if self.source == "levels":
            out[:] = onehot_block(column.to_pandas(), self.levels)[0]
        elif self.source == "bool_text":
            out[:, 0] = column.to_pandas().map(as_bool).to_numpy(dtype=np.float64)
        elif self.source == "number_text":
            out[:, 0] = _text_numbers(column.to_pandas()).to_numpy(dtype=np.float64)
        else:  # chunk by chunk: no temporary of the whole column
            start = 0
            for chunk in getattr(column, "chunks", [column]):
                stop = start + len(chunk)
                out[start:stop, 0] = to_float(chunk)
                start = stop


def _text_numbers(series: pd.Series) -> pd.Series:
    """Text cells as numbers (NaN where missing or not a number)."""
    import pandas as pd

    return pd.to_numeric(series.astype("string").str.strip(), errors="coerce")


@dataclass
class ReadColumns:
    """What one pass over the batches gathered: the features stored as Arrow numbers or
    booleans, in float64 rows (n, q) in their order; every other wanted column as a chunked
    Arrow array by name; and the number of rows."""

    numbers: np.ndarray
    number_kinds: dict[str, str]  # 'numeric' or 'bool', for the columns in ``numbers``
    others: dict[str, Any]
    n_rows: int


def _read_columns(source: Batches, features: list[str], others: list[str | None]) -> ReadColumns:
    """Read the batches once: number and boolean features straight into a growing float64
    array (grown by reallocation, so no second copy is held), the rest kept as Arrow chunks."""
    import pyarrow as pa

    position = {c: i for i, c in enumerate(source.names)}
    as_numbers = [
        c for c in features if _type_kind(source.types[position[c]]) in ("number", "bool")
    ]
    numeric = set(as_numbers)
    kept = [c for c in dict.fromkeys([*features, *others]) if c is not None and c not in numeric]
    X = np.empty((1024, len(as_numbers)), dtype=np.float64)
    chunks: dict[str, list[Any]] = {c: [] for c in kept}
    n = 0
    for batch in source.batches:
        rows = batch.num_rows
        if n + rows > X.shape[0]:
            X.resize((max(2 * X.shape[0], n + rows), len(as_numbers)), refcheck=False)
        if as_numbers:
            block = X[n : n + rows]
            for k, col in enumerate(as_numbers):
                block[:, k] = to_float(batch.column(position[col]))
        for col in kept:
            chunks[col].append(batch.column(position[col]))
        n += rows
    X.resize((n, len(as_numbers)), refcheck=False)
    return ReadColumns(
        numbers=X,
        number_kinds={
            c: "bool" if _type_kind(source.types[position[c]]) == "bool" else "numeric"
            for c in as_numbers
        },
        others={
            c: pa.chunked_array(parts, type=source.types[position[c]])
            for c, parts in chunks.items()
        },
        n_rows=n,
    )


def plan_column(column: Any, col: str, name: str, *, decimal: str = ".") -> ColumnPlan:
    """Decide how an input column becomes features, refusing what cannot be encoded."""
    import pandas as pd

    kind = arrow_kind(column)
    if kind == "number":
        return ColumnPlan("numeric", [col])
    if kind == "bool":
        return ColumnPlan("bool", [col])
    if kind == "empty":
        return ColumnPlan("numeric", [col])
    if kind == "temporal":
        raise DataError(f"{name}: column {col!r} holds dates or times; --exclude it or encode it")
    if kind == "binary":
        raise DataError(f"{name}: column {col!r} holds text that is not UTF-8; --exclude it")
    if kind == "other":
        raise DataError(
            f"{name}: column {col!r} holds {column.type} values; regcli needs numbers, "
            "booleans or text (--exclude it)"
        )
    series = column.to_pandas()
    if is_boolean_text(series):
        return ColumnPlan("bool", [col], source="bool_text")
    present = series.dropna()
    if len(present) and _text_numbers(present).notna().all():
        return ColumnPlan("numeric", [col], source="number_text")
    example = _decimal_comma_example(series) if decimal != "," else None
    if example is not None:
        raise DataError(
            f"{name}: column {col!r} holds numbers with decimal commas ({example!r}); "
            "add --decimal ,"
        )
    stray = _stray_text(series)
    if stray is not None:
        raise DataError(
            f"{name}: column {col!r} holds numbers but also {stray!r}; fix that cell, or "
            "make it empty and use --na drop or --na mean"
        )
    if isinstance(series.dtype, pd.CategoricalDtype):
        levels = [str(v) for v in series.cat.categories]
    else:
        levels = sorted({str(v) for v in series.dropna()})
    present = int(series.notna().sum())
    if not levels:
        return ColumnPlan("numeric", [col])  # every cell missing
    refuse_nul_text(levels, col, name)
    if present >= ID_LIKE_MIN_ROWS and len(levels) >= ID_LIKE_SHARE * present:
        raise DataError(
            f"{name}: text column {col!r} has {len(levels)} distinct values in {present} rows "
            f"(an identifier?); --exclude {col} or convert it to numbers"
        )
    return ColumnPlan("onehot", [f"{col}={lv}" for lv in levels], levels, source="levels")


def onehot_block(series: pd.Series, levels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(n, len(levels)) indicators of each cell's level (as text), NaN rows for missing cells,
    and the boolean mask of present cells whose level is not in ``levels``."""
    import pandas as pd

    missing = series.isna().to_numpy()
    codes = pd.Index(levels).get_indexer(series.astype("object").astype(str))
    codes[missing] = -1
    block = np.zeros((len(series), len(levels)))
    seen = codes >= 0
    block[np.flatnonzero(seen), codes[seen]] = 1.0
    block[missing] = np.nan
    return block, ~missing & ~seen


def _isna(v: object) -> bool:
    import pandas as pd

    return bool(pd.isna(v))


_TRUE = {"true", "t", "yes"}
_FALSE = {"false", "f", "no"}


def is_boolean_text(series: pd.Series) -> bool:
    values = series.dropna()
    if values.empty or values.dtype.kind in "iufc":
        return False
    try:
        lowered = {str(v).strip().lower() for v in values.unique()}
    except TypeError:
        return False
    return lowered <= (_TRUE | _FALSE) and bool(lowered)


def as_bool(v: object) -> float:
    if _isna(v):
        return np.nan
    if isinstance(v, (bool, np.bool_)):
        return float(v)
    return 1.0 if str(v).strip().lower() in _TRUE else 0.0
