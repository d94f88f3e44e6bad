"""Prediction error of a fitted model on labelled rows (regcli assess)."""

from __future__ import annotations

import numpy as np

from regcli.core.family import GAUSSIAN, Family


def regression_metrics(
    y: np.ndarray,
    pred: np.ndarray,
    weights: np.ndarray | None = None,
    family: Family = GAUSSIAN,
) -> dict[str, float]:
    """Weighted n, R², MSE and MAE of ``pred`` for ``y`` (both (n,)).

    R² = 1 - MSE / (weighted mean squared deviation of these y around their own mean), so a
    model no better than the assessed rows' mean scores 0 or below; it is None (NaN) when
    every y is the same.
    """
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    v = w / w.sum()
    resid = y - pred
    mse = family.deviance(y, pred, w)  # the Gaussian deviance is the MSE
    spread = family.null_deviance(y, w)
    return {
        "n": int(len(y)),
        "r2": 1.0 - mse / spread if spread > 0 else float("nan"),
        "mse": mse,
        "mae": float(v @ np.abs(resid)),
    }
