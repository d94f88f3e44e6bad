"""Model files: a fitted model as JSON (no pickle), written atomically, read with validation.

A model file holds everything needed to score new data the way the training data were encoded:
the features in order, each input column's encoding (one-hot levels), the intercept and the
coefficients on the original scale, the training means (for --na mean), and provenance.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from regcli import __version__
from regcli.core.family import Family, family_named
from regcli.errors import DataError, InputError
from regcli.io.dataset import (
    ColumnEncoding,
    as_bool,
    first_duplicate,
    is_boolean_text,
    onehot_block,
)
from regcli.io.files import write_atomic

if TYPE_CHECKING:
    import pandas as pd

    from regcli.core.fitting import FitResult
    from regcli.io.dataset import Dataset

FORMAT = "regcli-model"
#: 2 added ``family`` {name, link}; version-1 files are Gaussian with the identity link.
SCHEMA_VERSION = 2
KINDS = ("numeric", "bool", "onehot")


def model_document(
    res: FitResult,
    ds: Dataset,
    *,
    metrics: dict[str, Any],
    controls: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON document of a fitted model; ``controls`` records penalty factors and limits
    (as the report shows them) when there were any."""
    names = ds.feature_names
    std = res.standardization
    family = family_named(res.family)
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "regcli_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "training_data": {
            "source": ds.source,
            "sha256": ds.sha256,
            "rows": ds.n_samples,
            "rows_read": ds.n_rows_read,
        },
        "target": ds.target,
        "features": names,
        "encoding": [
            {"column": e.column, "kind": e.kind, "features": e.features, "levels": e.levels}
            for e in ds.encodings
        ],
        "standardization": {
            "standardize": std.standardize,
            "fit_intercept": std.fit_intercept,
            "mean": dict(zip(names, map(float, std.mean))),
            "scale": dict(zip(names, map(float, std.scale))),
        },
        "family": {
            "name": family.name,
            "link": family.link_name,
            **({"classes": list(ds.target_levels)} if ds.target_levels is not None else {}),
        },
        "penalty": res.penalty,
        **({"penalty_controls": controls} if controls is not None else {}),
        "alpha": res.alpha,
        "l1_ratio": res.l1_ratio,
        "intercept": res.intercept,
        "coefficients": dict(zip(names, map(float, res.coef))),
        "metrics": metrics,
    }


def save_model(path: str, document: dict[str, Any], *, force: bool) -> None:
    write_atomic(
        path, json.dumps(document, indent=2, allow_nan=False) + "\n", force=force, option="--save"
    )


@dataclass(frozen=True)
class Model:
    """A validated model file."""

    path: str
    target: str
    features: list[str]
    encodings: list[ColumnEncoding]
    intercept: float
    coef: np.ndarray
    means: np.ndarray
    scales: np.ndarray  # the training standard deviations: coef x scale is standardized
    document: dict[str, Any]
    family: Family
    #: binomial: the target's two classes [negative, positive] as written in the training data
    classes: list[str] | None = None

    def linear_predictor(self, X: np.ndarray) -> np.ndarray:
        """intercept + X coef (the link of the mean)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self.intercept + X @ self.coef

    def predict(self, X: np.ndarray, kind: str = "response") -> np.ndarray:
        """The family's mean at intercept + X coef (the linear predictor itself for gaussian),
        or with ``kind`` 'link' the linear predictor; refuses (65) predictions beyond float64."""
        eta = self.linear_predictor(X)
        with np.errstate(over="ignore", invalid="ignore"):
            pred = eta if kind == "link" else self.family.inverse_link(eta)
        if not np.isfinite(pred).all():
            raise DataError(
                f"{self.path}: predictions overflow float64 (coefficients x data are too large)"
            )
        return pred


def _bad(path: str, what: str) -> DataError:
    return DataError(f"{path}: not a usable regcli model file ({what})")


def load_model(path: str) -> Model:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a model file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _bad(path, "not UTF-8 text") from None
    except RecursionError:
        raise _bad(path, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise _bad(
            path, f"invalid or truncated JSON at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _bad(path, f"'format' is not {FORMAT!r}")
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _bad(path, "'schema_version' is not an integer")
    if version < 1 or version > SCHEMA_VERSION + 1000:  # a damaged file, not a newer regcli
        raise _bad(path, "unknown schema version")
    if version > SCHEMA_VERSION:
        raise DataError(
            f"{path}: written with model schema {version} by regcli "
            f"{doc.get('regcli_version', '?')}; this regcli ({__version__}) reads "
            f"schema {SCHEMA_VERSION} or older: upgrade regcli"
        )
    features = doc.get("features")
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise _bad(path, "'features' is not a list of names")
    repeated = first_duplicate(features)
    if repeated is not None:
        raise _bad(path, f"feature {repeated!r} is listed twice")
    target = doc.get("target")
    if not isinstance(target, str):
        raise _bad(path, "'target' is not a name")
    intercept = _number(doc.get("intercept"), path, "intercept")
    coefs = doc.get("coefficients")
    if not isinstance(coefs, dict) or set(coefs) != set(features):
        raise _bad(path, "'coefficients' do not match 'features'")
    coef = np.array([_number(coefs[f], path, f"coefficients.{f}") for f in features])
    encodings = _encodings(doc.get("encoding"), path)
    if [f for e in encodings for f in e.features] != features:
        raise _bad(path, "'encoding' does not produce 'features' in order")
    std = doc.get("standardization")
    means_doc = std.get("mean") if isinstance(std, dict) else None
    if not isinstance(means_doc, dict) or set(means_doc) != set(features):
        raise _bad(path, "'standardization.mean' does not match 'features'")
    means = np.array([_number(means_doc[f], path, f"standardization.mean.{f}") for f in features])
    scales_doc = std.get("scale") if isinstance(std, dict) else None
    if not isinstance(scales_doc, dict) or set(scales_doc) != set(features):
        raise _bad(path, "'standardization.scale' does not match 'features'")
    scales = np.array(
        [_number(scales_doc[f], path, f"standardization.scale.{f}") for f in features]
    )
    if (scales <= 0).any():
        raise _bad(path, "'standardization.scale' has a value that is not positive")
    family = _family(doc, version, path)
    classes = None
    if family.name == "binomial":
        classes = doc["family"].get("classes", ["0", "1"])
        if (
            not isinstance(classes, list)
            or len(classes) != 2
            or not all(isinstance(c, str) for c in classes)
            or classes[0] == classes[1]
        ):
            raise _bad(path, "'family.classes' is not a list of two different class names")
    return Model(
        path=path,
        target=target,
        features=features,
        encodings=encodings,
        intercept=intercept,
        coef=coef,
        means=means,
        scales=scales,
        document=doc,
        family=family,
        classes=classes,
    )


def _family(doc: dict[str, Any], version: int, path: str) -> Family:
    """The model's family: recorded from schema 2 on, gaussian before."""
    if version < 2:
        return family_named("gaussian")
    spec = doc.get("family")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise _bad(path, "'family' is not {name, link}")
    try:
        family = family_named(spec["name"])
    except ValueError:
        raise DataError(
            f"{path}: family {spec['name']!r} is not known to this regcli ({__version__}): "
            "upgrade regcli"
        ) from None
    if spec.get("link") != family.link_name:
        raise _bad(path, f"'family.link' is not {family.link_name!r} for {family.name}")
    return family


def _number(value: Any, path: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(path, f"{key!r} is not a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise _bad(path, f"{key!r} is not a finite float64 number")
    return number


def _encodings(value: Any, path: str) -> list[ColumnEncoding]:
    if not isinstance(value, list):
        raise _bad(path, "'encoding' is not a list")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _bad(path, f"'encoding[{i}]' is not an object")
        column, kind = item.get("column"), item.get("kind")
        feats, levels = item.get("features"), item.get("levels", [])
        if not isinstance(column, str) or kind not in KINDS:
            raise _bad(path, f"'encoding[{i}]' needs a column name and a kind in {KINDS}")
        if not isinstance(feats, list) or not all(isinstance(f, str) for f in feats):
            raise _bad(path, f"'encoding[{i}].features' is not a list of names")
        if not isinstance(levels, list) or not all(isinstance(lv, str) for lv in levels):
            raise _bad(path, f"'encoding[{i}].levels' is not a list of strings")
        if first_duplicate(levels) is not None:
            raise _bad(path, f"'encoding[{i}]' lists level {first_duplicate(levels)!r} twice")
        if kind == "onehot" and len(levels) != len(feats):
            raise _bad(path, f"'encoding[{i}]' has {len(levels)} levels for {len(feats)} features")
        if kind != "onehot" and len(feats) != 1:
            raise _bad(path, f"'encoding[{i}]' of kind {kind} must give one feature")
        out.append(ColumnEncoding(column, kind, feats, levels))
    column = first_duplicate([e.column for e in out])
    if column is not None:
        raise _bad(path, f"column {column!r} is encoded twice")
    return out


def column_numbers(series: pd.Series, col: str, name: str, role: str = "column") -> np.ndarray:
    """A pandas column as float64 (NaN where missing); text or infinity is a data error."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64)
    else:
        coerced = pd.to_numeric(series, errors="coerce")
        bad = series[coerced.isna() & series.notna()]
        if len(bad):
            raise DataError(f"{name}: {role} {col!r} is not numeric (found {str(bad.iloc[0])!r})")
        values = coerced.to_numpy(dtype=np.float64)
    if np.isinf(values).any():
        raise DataError(f"{name}: {role} {col!r} has infinite values")
    return values


def class_codes(series: pd.Series, col: str, name: str, classes: list[str]) -> np.ndarray:
    """A binomial model's target column as 0/1 (1 for ``classes[1]``, NaN where missing):
    its values as the training table wrote them (numbers 0/1, true/false, or text); any other
    value is a data error naming the model's classes."""
    import pandas as pd

    def label(value: Any) -> str:
        if isinstance(value, (bool, np.bool_)):
            return "true" if value else "false"
        if isinstance(value, (int, float, np.integer, np.floating)):
            number = float(value)
            return str(int(number)) if number.is_integer() and abs(number) < 1e16 else repr(number)
        return str(value)

    codes = np.full(len(series), np.nan)
    present = series.notna().to_numpy()
    if pd.api.types.is_bool_dtype(series):
        labels = ["true" if v else "false" for v in series[present]]
    else:
        labels = [label(v) for v in series[present]]
    index = {classes[0]: 0.0, classes[1]: 1.0}
    found = np.array([index.get(v, np.nan) for v in labels], dtype=float)
    if np.isnan(found).any():
        other = labels[int(np.flatnonzero(np.isnan(found))[0])]
        raise DataError(
            f"{name}: target column {col!r} holds {other!r}, not one of the model's classes "
            f"({classes[0]!r}, {classes[1]!r})"
        )
    codes[present] = found
    return codes


def design_matrix(
    df: pd.DataFrame, model: Model, *, name: str, na: str, unknown: str
) -> tuple[np.ndarray, np.ndarray]:
    """X (rows kept, p) encoded as in training, and the boolean mask of input rows kept."""
    import pandas as pd

    missing_cols = [e.column for e in model.encodings if e.column not in df.columns]
    if missing_cols:
        listed = ", ".join(repr(c) for c in missing_cols)
        raise DataError(f"{name}: missing feature column(s) {listed} needed by the model")
    blocks = []
    for enc in model.encodings:
        s = df[enc.column]
        if enc.kind == "numeric":
            blocks.append(column_numbers(s, enc.column, name)[:, None])
        elif enc.kind == "bool":
            if not (
                pd.api.types.is_bool_dtype(s)
                or is_boolean_text(s)
                or s.dropna().empty
                or set(pd.unique(s.dropna())) <= {0, 1}
            ):
                raise DataError(f"{name}: column {enc.column!r} is not boolean")
            blocks.append(s.map(as_bool).to_numpy(dtype=np.float64)[:, None])
        else:
            block, unseen = onehot_block(s, enc.levels)
            if unseen.any() and unknown != "zero":
                level = str(s[unseen].iloc[0])
                raise DataError(
                    f"{name}: column {enc.column!r} has level {level!r} not seen in "
                    "training; use --unknown zero to score it with no indicator set"
                )
            blocks.append(block)
    X = np.column_stack(blocks) if blocks else np.zeros((len(df), 0))
    nan = np.isnan(X)
    keep = np.ones(len(df), dtype=bool)
    if nan.any():
        if na == "error":
            counts = {}
            for enc in model.encodings:
                cells = int(df[enc.column].isna().sum())
                if cells:
                    counts[enc.column] = cells
            listed = ", ".join(f"{c!r} ({k} cell{'s' if k > 1 else ''})" for c, k in counts.items())
            raise DataError(f"{name}: missing values in {listed}; use --na drop or --na mean")
        if na == "drop":
            keep = np.asarray(~nan.any(axis=1), dtype=bool)
            X = X[keep]
        else:  # mean: the training means (level frequencies for one-hot columns)
            X = np.where(nan, model.means[None, :], X)
    return np.ascontiguousarray(X), keep
