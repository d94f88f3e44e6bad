"""Per-feature penalty options (--penalty-factor, --unpenalized, --lower, --upper, --positive)
parsed against a dataset's features, and how they are reported."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from regcli.errors import UsageError

if TYPE_CHECKING:
    from regcli.core.penalty import PenaltyControls
    from regcli.io.dataset import Dataset


def _columns(ds: Dataset) -> dict[str, list[int]]:
    """Feature indices by name: every feature, and every input column (a one-hot column's
    base name stands for all its levels)."""
    index = {name: j for j, name in enumerate(ds.feature_names)}
    out = {name: [j] for name, j in index.items()}
    for e in ds.encodings:
        out.setdefault(e.column, [index[f] for f in e.features])
    return out


def _resolve(name: str, columns: dict[str, list[int]], option: str) -> list[int]:
    if name in columns:
        return columns[name]
    known = ", ".join(list(columns)[:20]) + (", ..." if len(columns) > 20 else "")
    raise UsageError(f"{option}: no feature or column {name!r} (columns: {known})")


def _number(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{option}: {text.strip()!r} is not a number") from None
    if math.isnan(value):
        raise UsageError(f"{option}: NaN is not a value")
    return value


def _assignments(values: list[str], option: str) -> list[tuple[str, str]]:
    """'a=1,b=2' (repeatable) -> [('a', '1'), ('b', '2')]."""
    out = []
    for value in values:
        for item in value.split(","):
            name, sep, number = item.strip().rpartition("=")
            if not sep or not name.strip() or not number.strip():
                raise UsageError(f"{option}: {item.strip()!r} is not NAME=VALUE")
            out.append((name.strip(), number.strip()))
    return out


def _limits(
    value: str | None, p: int, columns: dict[str, list[int]], option: str, side: str
) -> np.ndarray | None:
    """--lower / --upper: one value for every feature, or NAME=V,... (others unbounded)."""
    if value is None:
        return None
    unbounded = -np.inf if side == "lower" else np.inf
    out = np.full(p, unbounded)
    if "=" not in value:
        out[:] = _number(value, option)
    else:
        for name, number in _assignments([value], option):
            out[_resolve(name, columns, option)] = _number(number, option)
    bad = out > 0 if side == "lower" else out < 0
    if bad.any():
        which = "above" if side == "lower" else "below"
        raise UsageError(
            f"{option}: a limit {which} 0 excludes 0, which glmnet does not allow either "
            f"(a {side} limit must be {'<=' if side == 'lower' else '>='} 0)"
        )
    return out


def penalty_controls(
    ds: Dataset,
    *,
    factors: list[str] | None,
    unpenalized: list[str] | None,
    lower: str | None,
    upper: str | None,
    positive: bool,
) -> PenaltyControls:
    """The options as core penalty controls over ``ds``'s features (usage errors exit 2)."""
    from regcli.core.penalty import NO_CONTROLS, PenaltyControls

    p = ds.n_features
    columns = _columns(ds)
    f = None
    if factors or unpenalized:
        f = np.ones(p)
        for name, number in _assignments(factors or [], "--penalty-factor"):
            value = _number(number, "--penalty-factor")
            if not 0 <= value < math.inf:
                raise UsageError(f"--penalty-factor: {name}={number} must be finite and >= 0")
            f[_resolve(name, columns, "--penalty-factor")] = value
        for item in unpenalized or []:
            for name in item.split(","):
                if not name.strip():
                    raise UsageError(f"--unpenalized: empty name in {item!r}")
                f[_resolve(name.strip(), columns, "--unpenalized")] = 0.0
    if positive and lower is not None:
        raise UsageError("--positive sets --lower 0: give one of them")
    lo = np.zeros(p) if positive else _limits(lower, p, columns, "--lower", "lower")
    hi = _limits(upper, p, columns, "--upper", "upper")
    if f is None and lo is None and hi is None:
        return NO_CONTROLS
    return PenaltyControls(factors=f, lower=lo, upper=hi)


def require_some_penalty(controls: PenaltyControls, command: str) -> None:
    """path, cv and compare need at least one penalized feature to have a path."""
    if controls.factors is not None and not (controls.factors > 0).any():
        raise UsageError(
            f"--penalty-factor/--unpenalized: every feature is unpenalized, so {command} has no "
            "path (that is least squares: `regcli fit --alpha 0`)"
        )


def controls_report(
    controls: PenaltyControls, names: list[str], coef: np.ndarray
) -> dict[str, Any] | None:
    """What the report says about the controls: unpenalized features, factors other than 1
    (rescaled to sum to p, as applied), the limits, and the coefficients at a limit."""
    if controls.none:
        return None
    p = len(names)
    out: dict[str, Any] = {"unpenalized": [], "penalty_factors": {}, "lower": {}, "upper": {}}
    if controls.factors is not None:
        f = controls.factors
        scaled = f * (p / f.sum()) if f.sum() > 0 else f
        out["unpenalized"] = [names[j] for j in np.flatnonzero(f == 0)]
        out["penalty_factors"] = {
            names[j]: float(scaled[j]) for j in range(p) if f[j] > 0 and scaled[j] != 1.0
        }
    at_limit = []
    for side in ("lower", "upper"):
        limits = getattr(controls, side)
        if limits is None:
            continue
        limits = np.broadcast_to(np.asarray(limits, dtype=float), (p,))
        for j in np.flatnonzero(np.isfinite(limits)):
            out[side][names[j]] = float(limits[j])
            # a zero limit holding a coefficient at 0 is not told apart from the l1 kink
            if limits[j] != 0 and abs(coef[j] - limits[j]) <= 1e-12 * abs(limits[j]):
                at_limit.append(names[j])
    out["at_limit"] = at_limit
    return out
