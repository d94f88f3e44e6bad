"""The penalty axis of the core: elastic net with per-feature weights and coefficient bounds.

    alpha * sum_j f_j * (l1_ratio |b_j| + (1 - l1_ratio) / 2 b_j^2),   lower_j <= b_j <= upper_j

on the standardized problem.  ``Penalty`` carries the l1 ratio, the factors f (glmnet's
penalty.factor: rescaled to sum to the number of features; 0 leaves a feature unpenalized) and
the bounds; it gives the thresholds at an alpha, each coefficient's KKT residual (bounds
included), the sequential strong-rule screen and alpha_max.  ``ElasticNet`` is one point of the
scalar case (every f_j = 1, no bounds), which the fastest solvers are written for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Floor on l1_ratio in alpha_max, so that ridge still gets a finite grid (glmnet's rule).
L1_RATIO_FLOOR = 1e-3
#: Share of c_max = max |c| below which ``kkt_scale`` does not let alpha fall.
KKT_SCALE_FLOOR = 1e-6
#: The least scale ``kkt_scale`` gives: tolerances of tol x scale stay above the subnormal
#: range, where a gradient's rounding alone exceeds them (a fold whose centered target is
#: subnormal would otherwise run every point to max_iter).
KKT_SCALE_MIN = float(np.finfo(float).tiny / np.finfo(float).eps)


@dataclass(frozen=True)
class ElasticNet:
    """One point of the scalar penalty; l1_ratio = 1 is the lasso, 0 is ridge.
    ``l2_weights`` (m,) > 0 weigh the l2 term per feature, lam2 / 2 sum_j w_j b_j^2 (the
    elastic net with penalty factors reduced to a uniform l1 term, ``path._reduced_enet_points``);
    None: all 1."""

    alpha: float
    l1_ratio: float
    l2_weights: np.ndarray | None = field(default=None, compare=False)

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
        return penalty_name(self.l1_ratio)

    @property
    def lam2_each(self) -> np.ndarray | float:
        """Each feature's weight of b_j^2 / 2 (a float without ``l2_weights``)."""
        return self.lam2 if self.l2_weights is None else self.lam2 * self.l2_weights

    def value(self, coef: np.ndarray) -> float:
        return float(self.lam1 * np.abs(coef).sum() + 0.5 * (self.lam2_each * coef) @ coef)

    def kkt_violation(self, grad: np.ndarray, coef: np.ndarray) -> float:
        """Largest violation of the optimality conditions, given grad = c - G b."""
        return max_kkt_violation(grad, coef, self.lam1, self.lam2_each)


def penalty_name(l1_ratio: float) -> str:
    """'l1', 'l2' or 'elasticnet'."""
    if l1_ratio == 1.0:
        return "l1"
    if l1_ratio == 0.0:
        return "l2"
    return "elasticnet"


def kkt_residuals(grad: np.ndarray, coef: np.ndarray, lam1, lam2) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Each coefficient's violation of the optimality conditions (same shape as ``coef``), given
    grad = c - G b: nonzero b_j need grad_j = lam1 sign(b_j) + lam2 b_j, zero b_j need
    |grad_j| <= lam1.  ``lam1`` and ``lam2`` broadcast against ``coef`` (one per row of a batch,
    or one per feature)."""
    return np.where(
        coef != 0,
        np.abs(grad - lam1 * np.sign(coef) - lam2 * coef),
        np.maximum(np.abs(grad) - lam1, 0.0),
    )


def max_kkt_violation(grad: np.ndarray, coef: np.ndarray, lam1, lam2) -> float:  # type: ignore[no-untyped-def]
    """The largest of ``kkt_residuals`` (0 for no features): |grad| - lam1 over all features
    and the stationarity residual on the nonzero ones alone, a few passes over the features
    instead of one per term.  ``lam1`` and ``lam2``: scalars or one per feature."""
    if grad.size == 0:
        return 0.0
    viol = np.abs(grad)
    viol -= lam1
    A = np.flatnonzero(coef)
    if A.size:
        l1 = lam1 if np.isscalar(lam1) else lam1[A]
        l2 = lam2 if np.isscalar(lam2) else lam2[A]
        b = coef[A]
        viol[A] = np.abs(grad[A] - l1 * np.sign(b) - l2 * b)
    return max(float(viol.max()), 0.0)


def bounded_kkt_residuals(
    grad: np.ndarray,
    coef: np.ndarray,
    lam1: np.ndarray | float,
    lam2: np.ndarray | float,
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray:
    """``kkt_residuals`` with bounds lower <= b <= upper (lower <= 0 <= upper): at a bound only
    a gradient that pushes outward is allowed, so only its inward part counts, and at 0 with a
    bound of 0 only the side that is open."""
    r = grad - lam2 * coef  # what the l1 subgradient and the bounds must absorb
    free = np.abs(r - lam1 * np.sign(coef))
    at_zero_open = np.maximum(np.abs(grad) - lam1, 0.0)
    # at zero with a closed side: only a push into the open side counts
    at_zero = np.where(
        lower == 0,
        np.where(upper == 0, 0.0, np.maximum(grad - lam1, 0.0)),
        np.where(upper == 0, np.maximum(-grad - lam1, 0.0), at_zero_open),
    )
    at_upper = np.maximum(-(r - lam1), 0.0)  # b = upper > 0: needs r >= lam1
    at_lower = np.maximum(r + lam1, 0.0)  # b = lower < 0: needs r <= -lam1
    return np.where(
        coef == 0,
        at_zero,
        np.where(
            (coef >= upper) & (coef > 0),
            at_upper,
            np.where((coef <= lower) & (coef < 0), at_lower, free),
        ),
    )


def sided(grad: np.ndarray, signs: np.ndarray | None) -> np.ndarray:
    """|g_j| where feature j may take either sign, s_j g_j where only sign s_j is allowed: the
    gradient's push against a coefficient at 0 (a new array)."""
    if signs is None:
        return np.abs(grad)
    return np.where(signs == 0, np.abs(grad), signs * grad)


def kkt_scale(alpha: float, c_max: float) -> float:
    """What a KKT violation is measured against: alpha, floored at 1e-6 of c_max = max |c| (the
    gradient at zero), so that alpha = 0 (least squares) or a vanishing alpha is judged against
    the data's own scale instead of a tolerance below rounding; and at ``KKT_SCALE_MIN``."""
    return max(float(alpha), KKT_SCALE_FLOOR * c_max, KKT_SCALE_MIN)


def kkt_scales(alphas: np.ndarray, c_max: np.ndarray | float) -> np.ndarray:
    """``kkt_scale`` of a whole grid (or of several problems' grids: the arrays broadcast)."""
    return np.maximum(np.maximum(alphas, KKT_SCALE_FLOOR * c_max), KKT_SCALE_MIN)


def alpha_max(c: np.ndarray, l1_ratio: float) -> float:
    """Smallest alpha at which every coefficient is zero (scalar penalty): max |c_j| /
    max(l1_ratio, 1e-3)."""
    if c.size == 0:
        return 0.0
    return float(np.abs(c).max() / max(l1_ratio, L1_RATIO_FLOOR))


def strong_screen(grad: np.ndarray, l1_ratio: float, alpha: float, prev_alpha: float) -> np.ndarray:
    """The sequential strong rule (scalar penalty): features likely nonzero at ``alpha`` given
    the gradient at the previous grid point: |g_j| >= l1_ratio (2 alpha - prev_alpha)."""
    return np.abs(grad) >= l1_ratio * (2.0 * alpha - prev_alpha)


@dataclass(frozen=True, eq=False)
class Penalty:
    """The penalty of one problem over the solver's m columns (see the module docstring).

    ``factors`` (m,) are the rescaled penalty factors (None: all 1); ``lower`` and ``upper``
    (m,) bound the standardized coefficients (None: unbounded).  Build it with ``make``.
    """

    l1_ratio: float
    factors: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    #: the limits on the original scale of all p features (``penalty_for``): a coefficient at
    #: its limit reads as exactly that limit after the mapping back (``hold_limits``)
    original_limits: tuple[np.ndarray, np.ndarray] | None = None

    def hold_limits(self, coef: np.ndarray) -> np.ndarray:
        """Original-scale coefficients (..., p) with the rounding of the mapping back taken
        off at the limits (a coefficient held at a limit comes back from the standardized
        scale within a rounding of it, on either side)."""
        if self.original_limits is None:
            return coef
        return np.clip(coef, *self.original_limits)

    @classmethod
    def make(
        cls,
        m: int,
        l1_ratio: float,
        *,
        factors: np.ndarray | None = None,
        lower: np.ndarray | float | None = None,
        upper: np.ndarray | float | None = None,
    ) -> Penalty:
        """Validate and normalize: factors non-negative, rescaled to sum to m (glmnet), and
        the bounds broadcast to (m,) with lower <= 0 <= upper."""
        if not 0.0 <= l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must lie in [0, 1], not {l1_ratio}")
        f = None
        if factors is not None:
            f = np.asarray(factors, dtype=float).reshape(-1)
            if f.size != m:
                raise ValueError(f"penalty factors: {f.size} given for {m} features")
            if not np.isfinite(f).all() or (f < 0).any():
                raise ValueError("penalty factors must be finite and non-negative")
            if m and f.sum() > 0:  # all zero: every feature unpenalized (least squares)
                f = f * (m / f.sum())
            if np.all(f == 1.0):
                f = None
        lo = None if lower is None else np.broadcast_to(np.asarray(lower, float), (m,)).copy()
        hi = None if upper is None else np.broadcast_to(np.asarray(upper, float), (m,)).copy()
        if lo is not None:
            if np.isnan(lo).any() or (lo > 0).any():
                raise ValueError("lower limits must be <= 0 (a limit may not exclude 0)")
            if np.all(lo == -np.inf):
                lo = None
        if hi is not None:
            if np.isnan(hi).any() or (hi < 0).any():
                raise ValueError("upper limits must be >= 0 (a limit may not exclude 0)")
            if np.all(hi == np.inf):
                hi = None
        return cls(l1_ratio=float(l1_ratio), factors=f, lower=lo, upper=hi)

    @property
    def scalar(self) -> bool:
        """Every factor 1 and no bounds: the case the scalar solvers serve."""
        return self.factors is None and self.lower is None and self.upper is None

    @property
    def bounded(self) -> bool:
        return self.lower is not None or self.upper is not None

    def sign_limits(self) -> np.ndarray | None:
        """Where the only controls are limits at 0 (unit factors; lower 0: non-negative, upper
        0: non-positive): each feature's allowed sign, +1, -1 or 0 (either); None otherwise,
        or where a feature is held at 0 from both sides."""
        if self.factors is not None or not self.bounded:
            return None
        m = (self.lower if self.lower is not None else self.upper).size  # type: ignore[union-attr]
        lo, hi = self.bounds(m)
        if not (np.all((lo == 0) | (lo == -np.inf)) and np.all((hi == 0) | (hi == np.inf))):
            return None
        if np.any((lo == 0) & (hi == 0)):
            return None
        return np.where(lo == 0, 1, np.where(hi == 0, -1, 0)).astype(np.int8)

    @property
    def name(self) -> str:
        return penalty_name(self.l1_ratio)

    def lam1(self, alpha: float) -> np.ndarray | float:
        """Per-feature weight of |b_j| at alpha (a float in the scalar case)."""
        base = alpha * self.l1_ratio
        return base if self.factors is None else base * self.factors

    def lam2(self, alpha: float) -> np.ndarray | float:
        """Per-feature weight of b_j^2 / 2 at alpha (a float in the scalar case)."""
        base = alpha * (1.0 - self.l1_ratio)
        return base if self.factors is None else base * self.factors

    def bounds(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) as arrays, infinite where unbounded."""
        lo = np.full(m, -np.inf) if self.lower is None else self.lower
        hi = np.full(m, np.inf) if self.upper is None else self.upper
        return lo, hi

    def kkt_residuals(self, grad: np.ndarray, coef: np.ndarray, alpha: float) -> np.ndarray:
        """Each coefficient's violation of the optimality conditions at alpha (grad = c - G b)."""
        lam1, lam2 = self.lam1(alpha), self.lam2(alpha)
        if not self.bounded:
            return kkt_residuals(grad, coef, lam1, lam2)
        lo, hi = self.bounds(coef.size)
        return bounded_kkt_residuals(grad, coef, lam1, lam2, lo, hi)

    def kkt_violation(self, grad: np.ndarray, coef: np.ndarray, alpha: float) -> float:
        """The largest of ``kkt_residuals`` (``max_kkt_violation`` without limits)."""
        if grad.size == 0:
            return 0.0
        if self.bounded:
            return float(self.kkt_residuals(grad, coef, alpha).max())
        return max_kkt_violation(grad, coef, self.lam1(alpha), self.lam2(alpha))

    def strong_screen(self, grad: np.ndarray, alpha: float, prev_alpha: float) -> np.ndarray:
        """Sequential strong rule per feature: |g_j| >= l1_ratio f_j (2 alpha - prev_alpha);
        unpenalized features always pass."""
        f = 1.0 if self.factors is None else self.factors
        return np.abs(grad) >= self.l1_ratio * f * (2.0 * alpha - prev_alpha)

    def alpha_max(self, grad_at_null: np.ndarray) -> float:
        """Smallest alpha at which every penalized coefficient is zero, from the gradient at
        the null fit (the unpenalized features fitted alone, ``unpenalized``):
        max over penalized j of |g_j| / (f_j max(l1_ratio, 1e-3)); 0 when none is penalized.
        A bound of 0 on one side blocks the gradient pushing that way; where the bounds block
        every feature, the grid is the unbounded problem's (its every point the null fit)."""
        f = np.ones(grad_at_null.size) if self.factors is None else self.factors
        pen = f > 0
        if not pen.any():
            return 0.0
        floor = max(self.l1_ratio, L1_RATIO_FLOOR)
        g = grad_at_null
        if self.lower is not None:
            g = np.where((self.lower == 0) & (g < 0), 0.0, g)
        if self.upper is not None:
            g = np.where((self.upper == 0) & (g > 0), 0.0, g)
        limited = float(np.max(np.abs(g[pen]) / f[pen]) / floor)
        if limited > 0.0:
            return limited
        return float(np.max(np.abs(grad_at_null[pen]) / f[pen]) / floor)

    def unpenalized(self) -> np.ndarray:
        """Indices of the features with factor 0."""
        if self.factors is None:
            return np.zeros(0, dtype=np.intp)
        return np.flatnonzero(self.factors == 0)

    def restricted(self, keep: np.ndarray) -> Penalty:
        """The penalty over the columns ``keep`` of these (factors are not rescaled again)."""
        return Penalty(
            l1_ratio=self.l1_ratio,
            factors=None if self.factors is None else self.factors[keep],
            lower=None if self.lower is None else self.lower[keep],
            upper=None if self.upper is None else self.upper[keep],
        )


def penalty_for(
    p: int,
    l1_ratio: float,
    keep: np.ndarray,
    scale: np.ndarray,
    *,
    factors: np.ndarray | None = None,
    lower: np.ndarray | float | None = None,
    upper: np.ndarray | float | None = None,
) -> Penalty:
    """The solver's penalty over the kept columns ``keep`` (of p) from the user's factors
    (rescaled over all p features, as glmnet does) and bounds on the original scale (a
    standardized coefficient is the original one times the column's ``scale``)."""
    pen = Penalty.make(p, l1_ratio, factors=factors, lower=lower, upper=upper)
    if pen.scalar:
        return pen
    out = pen.restricted(keep)
    s = scale[keep]
    # a limit beyond float64 on the standardized scale (1e300 x a large scale) is no limit
    with np.errstate(invalid="ignore", over="ignore"):
        lo = None if out.lower is None else np.where(out.lower == 0, 0.0, out.lower * s)
        hi = None if out.upper is None else np.where(out.upper == 0, 0.0, out.upper * s)
    limits = None
    if pen.bounded:
        limits = pen.bounds(p)
    return Penalty(
        l1_ratio=out.l1_ratio, factors=out.factors, lower=lo, upper=hi, original_limits=limits
    )


@dataclass(frozen=True, eq=False)
class PenaltyControls:
    """What a user sets on the penalty, on the original scale of all p features: penalty
    factors (glmnet's penalty.factor) and lower / upper limits (scalars or (p,))."""

    factors: np.ndarray | None = None
    lower: np.ndarray | float | None = None
    upper: np.ndarray | float | None = None

    @property
    def none(self) -> bool:
        return self.factors is None and self.lower is None and self.upper is None

    def for_problem(self, p: int, l1_ratio: float, keep: np.ndarray, scale: np.ndarray) -> Penalty:
        """The solver's penalty over the kept columns of one standardized problem."""
        return penalty_for(
            p, l1_ratio, keep, scale, factors=self.factors, lower=self.lower, upper=self.upper
        )


NO_CONTROLS = PenaltyControls()
