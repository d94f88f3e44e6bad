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


def glm_metrics(
    family: Family, y: np.ndarray, eta: np.ndarray, weights: np.ndarray | None = None
) -> dict[str, float]:
    """Weighted n, mean deviance, the null deviance of these rows (their own weighted mean as
    the prediction), the share of it explained (``r2``, also ``dev_ratio``: NaN where the rows
    hold one class or only zero counts), and the MSE and MAE of the mean, for a binomial or
    Poisson model's linear predictor ``eta`` (n,) on rows y (n,): binomial y in {0, 1},
    probabilities clipped as cv.glmnet's deviance; binomial adds accuracy (class 1 at
    probability >= 0.5) and AUC."""
    from regcli.core.glmcv import PROBABILITY_CLIP, classification_measures, heldout_scores

    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)

    def score(metric: str, linear: np.ndarray) -> float:
        return float(heldout_scores(family, metric, y, linear[None, :], w)[0])

    mean = float(w @ y / w.sum())
    if family.name == "binomial":  # the null model's probability, clipped as the deviance's
        null_mean = min(max(mean, PROBABILITY_CLIP), 1.0 - PROBABILITY_CLIP)
    else:
        null_mean = mean
    null_eta = np.full(len(y), float(family.link(np.array(null_mean))))
    # every count 0: the null model predicts them exactly
    null = score("deviance", null_eta) if null_mean > 0 else 0.0
    # undefined where the rows hold one class (the clipped null deviance is then ~2e-5) or
    # only zero counts
    defined = null > 0 and (family.name != "binomial" or 0.0 < mean < 1.0)
    deviance = score("deviance", eta)
    ratio = 1.0 - deviance / null if defined else float("nan")
    out = {
        "n": int(len(y)),
        "deviance": deviance,
        "null_deviance": null,
        "r2": ratio,
        "dev_ratio": ratio,
        "mse": score("mse", eta),
        "mae": score("mae", eta),
    }
    if family.name == "binomial":
        out.update(classification_measures(y, eta, w))
    return out
