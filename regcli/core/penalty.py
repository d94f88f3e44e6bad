"""The elastic-net penalty: alpha * (l1_ratio * ||b||_1 + (1 - l1_ratio) / 2 * ||b||_2^2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Floor on l1_ratio in alpha_max, so that ridge still gets a finite grid (glmnet's rule).
L1_RATIO_FLOOR = 1e-3


@dataclass(frozen=True)
class ElasticNet:
    """One point of the penalty family; l1_ratio = 1 is the lasso, 0 is ridge."""

    alpha: float
    l1_ratio: float

    @property
    def lam1(self) -> float:
        """Weight of ||b||_1 in the objective."""
        return self.alpha * self.l1_ratio

    @property
    def lam2(self) -> float:
        """Weight of ||b||_2^2 / 2 in the objective."""
        return self.alpha * (1.0 - self.l1_ratio)

    @property
    def name(self) -> str:
        if self.l1_ratio == 1.0:
            return "l1"
        if self.l1_ratio == 0.0:
            return "l2"
        return "elasticnet"

    def value(self, coef: np.ndarray) -> float:
        return float(self.lam1 * np.abs(coef).sum() + 0.5 * self.lam2 * coef @ coef)

    def kkt_violation(self, grad: np.ndarray, coef: np.ndarray) -> float:
        """Largest violation of the optimality conditions, given grad = c - G b.

        Nonzero b_j need grad_j = lam1 sign(b_j) + lam2 b_j; zero b_j need |grad_j| <= lam1.
        """
        if grad.size == 0:
            return 0.0
        return float(kkt_residuals(grad, coef, self.lam1, self.lam2).max())


def kkt_residuals(grad: np.ndarray, coef: np.ndarray, lam1, lam2) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Each coefficient's violation of the optimality conditions (same shape as ``coef``), given
    grad = c - G b; ``lam1`` and ``lam2`` broadcast against it (one per row of a batch)."""
    return np.where(
        coef != 0,
        np.abs(grad - lam1 * np.sign(coef) - lam2 * coef),
        np.maximum(np.abs(grad) - lam1, 0.0),
    )


#: Share of c_max = max |c| below which ``kkt_scale`` does not let alpha fall.
KKT_SCALE_FLOOR = 1e-6


def kkt_scale(alpha: float, c_max: float) -> float:
    """What a KKT violation is measured against: alpha, floored at 1e-6 of c_max = max |c| (the
    gradient at zero, ``alpha_max(c, 1.0)``), so that alpha = 0 (least squares) or a vanishing
    alpha is judged against the data's own scale instead of a tolerance below rounding."""
    return max(float(alpha), KKT_SCALE_FLOOR * c_max)


def kkt_scales(alphas: np.ndarray, c_max: np.ndarray | float) -> np.ndarray:
    """``kkt_scale`` of a whole grid (or of several problems' grids: the arrays broadcast)."""
    return np.maximum(alphas, KKT_SCALE_FLOOR * c_max)


def alpha_max(c: np.ndarray, l1_ratio: float) -> float:
    """Smallest alpha at which every coefficient is zero: max |c_j| / max(l1_ratio, 1e-3)."""
    if c.size == 0:
        return 0.0
    return float(np.abs(c).max() / max(l1_ratio, L1_RATIO_FLOOR))
