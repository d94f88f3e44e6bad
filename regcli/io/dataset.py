"""From a table to a Dataset: target choice, feature selection, encoding, missing values.

Every user mistake raises a RegcliError naming the file and column; nothing here prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from regcli.errors import DataError, UsageError
from regcli.io.table import read_table_with_digest, source_name

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

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])


def load_dataset(
    path: str,
    *,
    target: str | None = None,
    features: list[str] | None = None,
    exclude: list[str] | None = None,
    weights: str | None = None,
    na: str = "error",
    extra_columns: dict[str, str] | None = None,
) -> Dataset:
    """Load ``path`` and build the Dataset.

    ``extra_columns`` maps a role (e.g. 'fold') to a column that is carried along as raw values
    and is never a feature.
    """
    t0 = time.perf_counter()
    name = source_name(path)
    df, digest = read_table_with_digest(path)
    if df.shape[1] == 0:
        raise DataError(f"{name}: no columns")
    if df.shape[0] == 0:
        raise DataError(f"{name}: empty table (a header but no rows)")
    if na not in NA_MODES:
        raise UsageError(f"--na: expected one of {', '.join(NA_MODES)}, got {na!r}")
    columns = list(df.columns)
    target, reason = choose_target(columns, target, name)
    extra_columns = dict(extra_columns or {})
    reserved = {target} | set(extra_columns.values()) | ({weights} if weights else set())
    for option, col in [("--weights", weights)] + [
        (f"--{k}-col", v) for k, v in extra_columns.items()
    ]:
        if col is not None and col not in columns:
            raise UsageError(f"{option}: no column {col!r} in {name}{_listing(columns)}")
    feature_cols = select_features(columns, features, exclude, reserved, name)

    n_read = len(df)
    used = feature_cols + [target] + ([weights] if weights else [])
    # the target and weights cannot be imputed: their missing rows are dropped, or an error
    keep = np.ones(n_read, dtype=bool)
    missing = {c: int(df[c].isna().sum()) for c in used}
    missing = {c: k for c, k in missing.items() if k}
    if missing and na == "error":
        listed = ", ".join(f"{c!r} ({k} cell{'s' if k > 1 else ''})" for c, k in missing.items())
        raise DataError(f"{name}: missing values in {listed}; use --na drop or --na mean")
    if na == "drop":
        keep &= ~df[used].isna().any(axis=1).to_numpy()
    else:
        for col in [target] + ([weights] if weights else []):
            keep &= ~df[col].isna().to_numpy()
    if not keep.all():
        df = df.loc[keep]
    if len(df) < 2:
        raise DataError(f"{name}: fewer than 2 usable rows ({len(df)} left of {n_read})")

    y = numeric_column(df[target], target, name, role="target column")
    w = None
    if weights:
        w = numeric_column(df[weights], weights, name, role="weights column")
        if (w < 0).any():
            raise DataError(f"{name}: weights column {weights!r} has negative values")
        if not (w > 0).any():
            raise DataError(f"{name}: weights column {weights!r} has no positive value")
    blocks, encodings, imputed = [], [], {}
    for col in feature_cols:
        block, enc, n_imputed = encode_column(df[col], col, name)
        blocks.append(block)
        encodings.append(enc)
        if n_imputed:
            imputed[col] = n_imputed
    X = np.column_stack(blocks) if blocks else np.zeros((len(df), 0))
    X = np.ascontiguousarray(X, dtype=np.float64)
    names = [f for enc in encodings for f in enc.features]
    dup = _first_duplicate(names + [target])
    if dup:
        raise DataError(f"{name}: encoded feature name {dup!r} is produced twice; rename a column")
    extra = {role: df[col].to_numpy() for role, col in extra_columns.items()}
    if np.ptp(y) == 0:
        raise DataError(f"{name}: target column {target!r} is constant ({y[0]:g}); nothing to fit")
    return Dataset(
        X=X,
        y=y,
        weights=w,
        feature_names=names,
        target=target,
        target_reason=reason,
        source=name,
        n_rows_read=n_read,
        n_rows_dropped=n_read - len(df),
        encodings=encodings,
        imputed=imputed,
        extra=extra,
        load_s=time.perf_counter() - t0,
        sha256=digest,
    )


def _listing(columns: list[str], limit: int = 12) -> str:
    shown = ", ".join(columns[:limit]) + (", ..." if len(columns) > limit else "")
    return f" (columns: {shown})"


def _first_duplicate(names: list[str]) -> str | None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            return n
        seen.add(n)
    return None


def choose_target(columns: list[str], target: str | None, name: str) -> tuple[str, str]:
    """The target column and why it was chosen."""
    if target is not None:
        if target not in columns:
            raise UsageError(f"--target: no column {target!r} in {name}{_listing(columns)}")
        return target, "--target"
    for col in columns:
        if col.lower() in TARGET_NAMES:
            return col, f"column named {col!r}"
    if len(columns) < 2:
        raise DataError(f"{name}: only one column; need a target and at least one feature")
    return columns[-1], "last column (no --target, no column named y or target)"


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


def numeric_column(series: pd.Series, col: str, name: str, *, role: str) -> np.ndarray:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64)
    if not pd.api.types.is_numeric_dtype(series):
        bad = _first_non_numeric(series)
        raise DataError(f"{name}: {role} {col!r} is not numeric (found {bad!r})")
    values = series.to_numpy(dtype=np.float64)
    _check_finite(values, col, name)
    return values


def _first_non_numeric(series: pd.Series) -> str:
    import pandas as pd

    coerced = pd.to_numeric(series, errors="coerce")
    bad = series[coerced.isna() & series.notna()]
    return str(bad.iloc[0]) if len(bad) else str(series.iloc[0])


def _check_finite(values: np.ndarray, col: str, name: str) -> None:
    n_inf = int(np.isinf(values).sum())
    if n_inf:
        raise DataError(
            f"{name}: column {col!r} has {n_inf} infinite value{'s' if n_inf > 1 else ''}"
        )


def encode_column(series: pd.Series, col: str, name: str) -> tuple[np.ndarray, ColumnEncoding, int]:
    """One column as a (n, k) float block, its encoding, and how many cells were mean-imputed."""
    import pandas as pd

    n_missing = int(series.isna().sum())
    if pd.api.types.is_bool_dtype(series) or _is_boolean_object(series):
        values = series.map(_as_bool).to_numpy(dtype=np.float64)
        values = _impute(values)
        return values[:, None], ColumnEncoding(col, "bool", [col]), n_missing
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64)
        _check_finite(values, col, name)
        return _impute(values)[:, None], ColumnEncoding(col, "numeric", [col]), n_missing
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        raise DataError(f"{name}: column {col!r} holds dates or times; --exclude it or encode it")
    # text or category: one indicator per level, every level kept
    if isinstance(series.dtype, pd.CategoricalDtype):
        levels = [str(v) for v in series.cat.categories]
    else:
        levels = sorted({str(v) for v in series.dropna()})
    present = int(series.notna().sum())
    if present >= ID_LIKE_MIN_ROWS and len(levels) >= ID_LIKE_SHARE * present:
        raise DataError(
            f"{name}: text column {col!r} has {len(levels)} distinct values in {present} rows "
            f"(an identifier?); --exclude {col} or convert it to numbers"
        )
    block, _ = onehot_block(series, levels)
    if n_missing:
        block = np.column_stack([_impute(block[:, k]) for k in range(block.shape[1])])
    feats = [f"{col}={lv}" for lv in levels]
    return block, ColumnEncoding(col, "onehot", feats, levels), n_missing


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


def _is_boolean_object(series: pd.Series) -> bool:
    values = series.dropna()
    if values.empty or values.dtype.kind in "iufc":
        return False
    try:
        lowered = {str(v).strip().lower() for v in values.unique()}
    except TypeError:
        return False
    return lowered <= (_TRUE | _FALSE) and bool(lowered)


def _as_bool(v: object) -> float:
    if _isna(v):
        return np.nan
    if isinstance(v, (bool, np.bool_)):
        return float(v)
    return 1.0 if str(v).strip().lower() in _TRUE else 0.0


def _impute(values: np.ndarray) -> np.ndarray:
    """Replace NaN by the mean of the observed values (only reached under --na mean)."""
    nan = np.isnan(values)
    if nan.any():
        values = values.copy()
        values[nan] = values[~nan].mean() if (~nan).any() else 0.0
    return values
