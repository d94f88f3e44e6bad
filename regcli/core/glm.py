"""Penalized generalized linear models (binomial, Poisson): glmnet's objective and path.

    minimize  v' half_deviance(y, b0 + X~ b) + alpha * sum_j f_j (r |b_j| + (1 - r)/2 b_j^2)

(v the weights scaled to sum 1, X~ standardized with them, as for gaussian).  Each point is
solved by proximal Newton steps: the quadratic model of the loss at the current fit is a
weighted least-squares problem on the working set, solved exactly by the same active-set cores
as gaussian (its Gram formed from the working-set columns), then a step halved until the
objective falls.  A KKT check of the full objective on every column adds violators to the
working set; a point is certified when max KKT violation <= tol x alpha on all of them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from regcli.core.activeset import solve_enet
from regcli.core.family import Family
from regcli.core.fitting import FitResult
from regcli.core.general import solve_general
from regcli.core.lapack import potrf, potrs, trtrs
from regcli.core.path import (
    DEFAULT_TOL,
    DEV_RATIO_MAX,
    MIN_POINTS_BEFORE_STOP,
    STOP_REASONS,
    PathResult,
    path_grid,
)
from regcli.core.penalty import (
    KKT_SCALE_FLOOR,
    KKT_SCALE_MIN,
    ElasticNet,
    Penalty,
    kkt_scale,
    penalty_for,
)
from regcli.core.progress import advance
from regcli.core.stats import (
    GramStats,
    SingleCopy,
    Standardization,
    centered_fortran,
    constant_columns,
    normalized_weights,
    prescale,
    single_product,
    thin_product,
    undecided,
    vanishing_scales,
)
from regcli.core.threads import all_threads, single_blas_thread, threads_on_demand
from regcli.core.tuning import (
    GLM_SCREENED_FROM,
    GRAM_MULTIPLY_ADD_COST,
    GRAM_ROW_COST,
    GRAM_THREADS_FROM,
    IN_PLACE_SHARE,
    SIGN_FIXED_ROUNDS,
    STALE_MODEL_MAX_RATE,
    STEP_OVERHEAD,
    STEP_ROW_COST,
    WORK_SET_EXTRA,
)

#: Working weights are floored at this share of a row's weight (glmnet keeps fitted
#: probabilities off 0 and 1 the same way) times the family's variance unit (1 for binomial,
#: the mean of y for Poisson, whose variance has y's units: an absolute floor made the Newton
#: steps of a y of 1e-12 a hundredth of their length): the Newton model stays positive definite
#: on separated rows, while the gradient, and so the fixed point, is the exact one.
VARIANCE_FLOOR = 1e-10
#: Newton steps per point, and halvings per step, before a point is reported unconverged.
MAX_NEWTON = 100
MAX_HALVINGS = 40


#: glmnet's early stops beyond gaussian's: a binomial path ends where the summed working
#: weights vanish (every fitted probability at 0 or 1, complete separation); a Poisson path
#: where its deviance ratio grew by less than 1e-4 of itself over the last 4 points.
SATURATED = "fitted_probabilities_saturated"
POISSON_FLAT = "dev_ratio_change_below_1e-4_over_4_points"
SATURATION_WEIGHT = 1e-9
POISSON_MIN_CHANGE = 1e-4


def glm_stop(prob: GLMProblem, dev: np.ndarray, i: int, eta: np.ndarray) -> str | None:
    """Why a default-grid path stops after point ``i`` (deviance ratios ``dev``), as glmnet's
    lognet / fishnet decide; None to go on."""
    if prob.family.name == "binomial":
        mu = prob.family.inverse_link(eta)
        if float(prob.v @ (mu * (1.0 - mu))) <= SATURATION_WEIGHT:
            return SATURATED
    if i + 1 < MIN_POINTS_BEFORE_STOP:
        return None
    if prob.family.name == "poisson":
        back = dev[i + 1 - MIN_POINTS_BEFORE_STOP]
        if dev[i] != 0 and (dev[i] - back) / dev[i] < POISSON_MIN_CHANGE:
            return POISSON_FLAT
    elif dev[i] - dev[i - 1] < 1e-5:  # binomial: an absolute change
        return STOP_REASONS[2]
    if dev[i] > DEV_RATIO_MAX:
        return STOP_REASONS[1]
    return None


@dataclass(frozen=True)
class GLMProblem:
    """The standardized problem: X~ (n, m) over the kept columns, y, weights v summing to 1."""

    Xs: np.ndarray
    y: np.ndarray
    v: np.ndarray
    family: Family
    fit_intercept: bool

    @property
    def n_samples(self) -> int:
        return int(self.Xs.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.Xs.shape[1])

    def residual(self, eta: np.ndarray) -> tuple[np.ndarray, float]:
        """v (y - mu) at ``eta`` (n,), and its sum, the intercept's gradient (0 without one)."""
        r = self.v * (self.y - self.family.inverse_link(eta))
        return r, float(r.sum()) if self.fit_intercept else 0.0

    def gradient(self, eta: np.ndarray) -> tuple[np.ndarray, float]:
        """Minus the loss gradient at ``eta``: X~' v (y - mu) (m,), and its intercept part."""
        r, icpt = self.residual(eta)
        return thin_product(self.Xs.T, r), icpt

    @cached_property
    def single(self) -> SingleCopy:
        """X~ in single precision for the certificate's gradient (``certificate_gradient``)."""
        return SingleCopy(self.Xs, GLM_SCREENED_FROM)

    def certificate_gradient(
        self, eta: np.ndarray, lam1: np.ndarray | float, work: np.ndarray, g_work: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """``gradient`` at ``eta``, exact wherever a KKT check against the l1 weights ``lam1``
        could look: on the working set ``work`` (its gradient ``g_work`` given) and wherever
        the bound of a single-precision product cannot place |g_j| at or below lam1_j.  The
        other features, all at 0, keep that product's value, below lam1_j by more than its
        error: the check's decisions and the violation it reports are the exact gradient's."""
        r, icpt = self.residual(eta)
        single = self.single.get() if np.max(lam1) > 0 else None
        approx = None if single is None else single_product(single, r, threads=False)
        if approx is None:
            return thin_product(self.Xs.T, r), icpt
        grad, error = approx
        others = undecided(grad, error, lam1, work)
        if others is None:
            return thin_product(self.Xs.T, r), icpt
        if others.size:
            grad[others] = self.Xs[:, others].T @ r
        grad[work] = g_work
        return grad, icpt

    @cached_property
    def null_mean(self) -> float:
        """The intercept-only model's mean (the weighted mean of y)."""
        return self.family.null_mean(self.y, self.v)

    @cached_property
    def unpenalized_scale(self) -> float:
        """What the KKT violation of an inner unpenalized fit (the null fit's free features, a
        relaxed refit) is measured against: the largest gradient at the intercept-only fit,
        in X~'(y - mu)'s units (an absolute tolerance would be none for y in small units)."""
        grad = self.gradient(null_state(self).eta)[0]
        return max(float(np.abs(grad).max(initial=0.0)), KKT_SCALE_MIN)

    @cached_property
    def intercept_scale(self) -> float:
        """v'|y - mu0|, mu0 the null mean: the scale of the intercept's gradient."""
        return float(self.v @ np.abs(self.y - self.null_mean))

    @cached_property
    def variance_floor(self) -> float:
        """The least working variance of a row (``VARIANCE_FLOOR``)."""
        return VARIANCE_FLOOR * self.family.variance_unit(self.null_mean)

    @cached_property
    def saturated(self) -> float:
        """v' (half deviance - nll): what ``loss`` adds to the solvers' objective."""
        return float(
            self.v
            @ (
                self.family.half_deviance(self.y, 0.0 * self.y)
                - self.family.nll(self.y, 0.0 * self.y)
            )
        )

    def objective_loss(self, eta: np.ndarray) -> float:
        """v' nll(y, eta): the loss up to a constant of the data."""
        with np.errstate(over="ignore", invalid="ignore"):
            return float(self.v @ self.family.nll(self.y, eta))

    def loss(self, eta: np.ndarray) -> float:
        """Half the mean deviance at ``eta``."""
        return self.objective_loss(eta) + self.saturated


def glm_problem(
    X: np.ndarray,
    y: np.ndarray,
    family: Family,
    weights: np.ndarray | None,
    *,
    fit_intercept: bool,
    standardize: bool,
) -> tuple[Standardization, GLMProblem]:
    """Standardize X with the observation weights (1/n standard deviations, glmnet's) and
    keep the informative columns."""
    n, p = X.shape
    v = normalized_weights(n, weights)
    mean_y = float(v @ y)
    if family.name == "binomial" and not 0.0 < mean_y < 1.0:
        raise ValueError("binomial: the rows with positive weight hold one class only")
    if family.name == "poisson" and not mean_y > 0.0:
        raise ValueError("poisson: the rows with positive weight have counts of 0 only")
    factor = prescale(X, standardize, exhaustive=True)
    Xp = X if factor is None else X / factor
    mean = v @ Xp if fit_intercept else np.zeros(p)
    Xc = centered_fortran(Xp, mean)
    var = np.einsum("i,ij,ij->j", v, Xc, Xc)
    constant = constant_columns(var, mean)
    carries = v > 0
    if carries.any():
        rows = Xp if carries.all() else Xp[carries]
        same = rows.max(axis=0) == rows.min(axis=0)
        constant |= same & (rows[0] == 0 if not fit_intercept else True)
    scale = np.ones(p)
    if standardize:
        scale[~constant] = np.sqrt(var[~constant])
        if factor is not None:
            constant |= vanishing_scales(scale, constant, factor)
            scale[constant] = 1.0
    std = Standardization(
        mean=mean,
        scale=scale,
        constant=constant,
        y_mean=0.0,
        fit_intercept=fit_intercept,
        standardize=standardize,
    ).rescaled(factor)
    keep = np.flatnonzero(~constant)
    if keep.size != p:
        Xs = np.asfortranarray(Xc[:, keep] / scale[keep])
    else:
        Xs = Xc  # a fresh array: scaled in place
        Xs /= scale
    return std, GLMProblem(Xs, np.asarray(y, dtype=float), v, family, fit_intercept)


@dataclass
class GLMState:
    """A fit of the standardized problem: intercept, coefficients (m,) and eta = b0 + X~ b;
    ``nll`` is v' nll(y, eta) where it is known (else None)."""

    intercept: float
    coef: np.ndarray
    eta: np.ndarray
    nll: float | None = None

    def objective_loss(self, prob: GLMProblem) -> float:
        """v' nll(y, eta) at this fit: the carried value where known."""
        return prob.objective_loss(self.eta) if self.nll is None else self.nll

    def loss(self, prob: GLMProblem) -> float:
        """Half the mean deviance at this fit."""
        return self.objective_loss(prob) + prob.saturated


@dataclass(frozen=True)
class GLMPoint:
    state: GLMState
    grad: np.ndarray  # (m,) minus the loss gradient
    max_kkt_violation: float
    n_iter: int  # Newton steps
    converged: bool


def null_state(prob: GLMProblem) -> GLMState:
    """The intercept-only fit (b0 = link of the weighted mean of y; 0 without an intercept)."""
    b0 = 0.0
    if prob.fit_intercept:
        mu0 = prob.null_mean
        b0 = float(prob.family.link(np.array([mu0]))[0])
    return GLMState(b0, np.zeros(prob.n_features), np.full(prob.n_samples, b0))


def penalty_value(penalty: Penalty, alpha: float, coef: np.ndarray) -> float:
    """The penalty's value at ``coef``."""
    if penalty.factors is None:
        lam1s, lam2s = alpha * penalty.l1_ratio, alpha * (1.0 - penalty.l1_ratio)
        return lam1s * float(np.abs(coef).sum()) + 0.5 * lam2s * float(coef @ coef)
    lam1 = np.broadcast_to(np.asarray(penalty.lam1(alpha), float), coef.shape)
    lam2 = np.broadcast_to(np.asarray(penalty.lam2(alpha), float), coef.shape)
    return float(lam1 @ np.abs(coef) + 0.5 * (lam2 @ (coef * coef)))


def intercept_weight_for(prob: GLMProblem, scale: float) -> float:
    """What the intercept's KKT violation counts for against a tolerance of tol x ``scale``
    (``kkt_scale``, in the units of X~'(y - mu)): the intercept's gradient 1'v(y - mu) is in
    y's units, so its tolerance is tol x max(scale, 1e-6 x v'|y - mu0|), mu0 the null mean.
    Without it, unstandardized columns of 1e-20 asked the intercept for 1e-29, below the
    rounding of its sum."""
    return scale / max(scale, KKT_SCALE_FLOOR * prob.intercept_scale)


def _violation(
    penalty: Penalty, alpha: float, grad: np.ndarray, coef: np.ndarray, icpt_grad: float
) -> np.ndarray:
    resid = penalty.kkt_residuals(grad, coef, alpha) if grad.size else np.zeros(0)
    return np.append(resid, abs(icpt_grad))


class KernelRidgeModel:
    """The Newton model X_c' U X_c of a ridge step whose working set is wider than the rows,
    held as A = U^{1/2} X_c (n x k) and its kernel A A' (n x n): a product with it and the
    ridge solve cost n k and n^2 k instead of the Gram's n k^2 and k^3.  ``centered``: X_c's
    columns are centered with the weights u, so sqrt(u) is a null vector of A A'."""

    def __init__(self, A: np.ndarray, u: np.ndarray, *, centered: bool):
        self.A = A
        self.K = A @ A.T
        self.root_u = np.sqrt(u)
        self.centered = centered

    def __matmul__(self, v: np.ndarray) -> np.ndarray:
        return self.A.T @ (self.A @ v)

    def ridge_step(self, b: np.ndarray, r: np.ndarray, lam: float) -> np.ndarray:
        """The ridge Newton step's solution (A'A + lam I)^{-1} c for c = A'A b + X_c' r
        (r = v (y - mu)), as A'(A A' + lam I)^{-1} q with q = A b + r / sqrt(u): c lies in
        the row space of A, so this divides by no lam (the Woodbury form
        (c - A'(A A' + lam I)^{-1} A c) / lam loses log10(||A A'|| / lam) digits, all of them
        for a ridge of 1e-10 on a Poisson model).  q's part along the kernel's null vector
        sqrt(u), which A' maps to 0, is dropped."""
        q = self.A @ b
        q += np.divide(r, self.root_u, out=np.zeros_like(r), where=self.root_u > 0)
        if self.centered:
            s = self.root_u / float(np.sqrt(self.root_u @ self.root_u))
            q -= s * float(s @ q)
        M = self.K + lam * np.eye(self.K.shape[0])
        return self.A.T @ np.linalg.solve(M, q)


@dataclass
class SignedFactor:
    """The Cholesky factor of the latest sign-fixed solve (its Gram, active set, l2 term):
    steps of one Newton model share it while their active set stays the same."""

    G: np.ndarray | None = None
    active: np.ndarray | None = None
    lam2: float = 0.0
    L: np.ndarray | None = None

    def factor(self, G: np.ndarray, active: np.ndarray, lam2: float) -> np.ndarray | None:
        """The lower factor of G_AA + lam2 I, A = ``active`` in its order (None where it is
        not positive definite); features appended to the last active set extend its factor
        by one block instead of a new factorization."""
        last = self.active
        if last is active and self.G is G and self.lam2 == lam2 and self.L is not None:
            return self.L  # the same solve's set: its factor as it is
        if (
            last is not None
            and self.L is not None
            and self.G is G
            and self.lam2 == lam2
            and np.array_equal(last, active[: last.size])
        ):
            k = last.size
            if k == active.size:
                return self.L
            L = self._extended(G, active, lam2)
        else:
            GA = G + 0.0 if active.size == G.shape[0] else G.take(active, 0).take(active, 1)
            GA.flat[:: active.size + 1] += lam2
            L, info = potrf(GA)
            L = None if info else L
        self.G, self.active, self.lam2, self.L = G, active, lam2, L
        return L

    def moved(
        self, old: np.ndarray, new: np.ndarray, where: np.ndarray, shared: np.ndarray
    ) -> None:
        """The Gram ``old`` was carried to ``new`` (feature i of ``new`` at ``where[i]`` of
        ``old`` where ``shared``): a factor of ``old`` whose features all came along serves
        ``new`` (the same entries, positions renumbered)."""
        if self.G is not old or self.active is None or self.L is None:
            return
        to_new = np.full(old.shape[0], -1)
        to_new[where[shared]] = np.flatnonzero(shared)
        active = to_new[self.active]
        if (active >= 0).all():
            self.G, self.active = new, active

    def _extended(self, G: np.ndarray, active: np.ndarray, lam2: float) -> np.ndarray | None:
        """The factor for ``active``, the last active set followed by new features."""
        assert self.L is not None and self.active is not None
        k, old, new = self.active.size, self.active, active[self.active.size :]
        cross = G.take(new, 0).take(old, 1)  # (new, old)
        W = trtrs(self.L, cross.T)[0]  # L^{-1} G_AE
        S = G.take(new, 0).take(new, 1) - W.T @ W
        S.flat[:: new.size + 1] += lam2
        L22, info = potrf(S)
        if info:
            return None
        L = np.zeros((active.size, active.size), order="F")
        L[:k, :k] = self.L
        L[k:, :k] = W.T
        L[k:, k:] = L22
        return L


def _sign_fixed_solve(
    G: np.ndarray,
    c: np.ndarray,
    point: ElasticNet,
    warm: np.ndarray,
    tol: float,
    memo: SignedFactor,
) -> np.ndarray | None:
    """The quadratic's solution by sign-fixed Cholesky solves from the warm start's active set
    and signs (the factor shared through ``memo``): a few primal-dual rounds, each checked
    against the quadratic's KKT conditions within ``tol``; None if they do not settle."""
    lam1, lam2 = point.lam1, point.lam2
    active = np.flatnonzero(warm)
    if (
        memo.G is G
        and memo.active is not None
        and memo.active.size == active.size
        and bool((warm[memo.active] != 0).all())
    ):
        active = memo.active  # the same features in the order of their factor
    signs = np.sign(warm[active])
    for _ in range(SIGN_FIXED_ROUNDS):
        b = np.zeros(c.size)
        grad = c
        if active.size:
            L = memo.factor(G, active, lam2)
            if L is None:
                return None
            x = potrs(L, c[active] - lam1 * signs)[0]
            wrong = signs * x <= 0
            if wrong.any():
                active, signs = active[~wrong], signs[~wrong]
                continue
            b[active] = x
            grad = c - (G @ b if 2 * active.size >= c.size else G[:, active] @ x)
        if lam1 == 0:
            return b if active.size == c.size else None
        outside = np.abs(grad) - lam1
        outside[active] = -np.inf
        enter = np.flatnonzero(outside > tol)
        if enter.size == 0:
            return b
        active = np.concatenate([active, enter])  # appended: the factor grows by a block
        signs = np.concatenate([signs, np.sign(grad[enter])])
    return None


def _inner_solve(
    G: np.ndarray,
    c: np.ndarray,
    n: int,
    penalty: Penalty,
    alpha: float,
    warm: np.ndarray,
    tol: float,
    max_iter: int,
    memo: SignedFactor | None = None,
) -> np.ndarray:
    """The penalized quadratic 1/2 b'Gb - c'b + penalty, exactly, by the active-set cores
    (first a sign-fixed solve on the warm start's active set, which is the answer of most
    Newton steps along a path)."""
    if c.size == 0:
        return np.zeros(0)
    if penalty.scalar and penalty.l1_ratio == 0.0:  # ridge: one solve
        A = G + alpha * np.eye(c.size)
        return np.linalg.solve(A, c)
    if penalty.scalar and alpha > 0:
        point = ElasticNet(alpha=alpha, l1_ratio=penalty.l1_ratio)
        if memo is not None:
            quick = _sign_fixed_solve(G, c, point, warm, tol, memo)
            if quick is not None:
                return quick
        stats = GramStats(G, c, 0.0, n_samples=n)
        return solve_enet(stats, point, warm, tol=tol, max_iter=max_iter).coef
    stats = GramStats(G, c, 0.0, n_samples=n)
    return solve_general(stats, penalty, alpha, warm, tol=tol, max_iter=max_iter).coef


@dataclass
class LastModel:
    """The weighted Gram of the latest Newton step (its working set, centered Gram, u-weighted
    column means, summed weights, working weights): the next point of a path takes its first
    step with it (the weights move little between neighbouring alphas), forming no Gram."""

    work: np.ndarray | None = None
    G: np.ndarray | None = None
    xbar: np.ndarray | None = None
    U: float = 0.0
    u: np.ndarray | None = None
    signed: SignedFactor = field(default_factory=SignedFactor)


def _stale_model_pays(
    n: int, k: int, worst: float, before: float, tol: float, *, kernel: bool = False
) -> bool:
    """Whether the next Newton step should reuse the latest model: the steps it would take at
    the last step's rate of decrease cost less than a fresh model and one step (the costs of
    ``tuning``).  A fresh model is a Gram (n k^2 / 2 multiply-adds and a pass over the rows),
    or with ``kernel`` a kernel (n^2 k / 2) and a gather of the columns."""
    rate = worst / before
    if not rate < STALE_MODEL_MAX_RATE or not tol > 0:
        return False
    steps = math.ceil(math.log(tol / worst) / math.log(rate)) if rate > 0 else 1
    step = STEP_OVERHEAD + STEP_ROW_COST * n * k
    if kernel:
        gram = 0.5 * n * n * k + STEP_ROW_COST * n * k
    else:
        threads = 2.0 if n * k * k >= GRAM_THREADS_FROM else 1.0
        gram = GRAM_MULTIPLY_ADD_COST * 0.5 * n * k * k / threads + GRAM_ROW_COST * n * k
    return steps * step <= gram + step


def newton_on(
    prob: GLMProblem,
    penalty: Penalty,
    alpha: float,
    state: GLMState,
    work: np.ndarray,
    tol: float,
    max_iter: int,
    last: LastModel | None = None,
    intercept_weight: float = 1.0,
) -> tuple[GLMState, int, bool, np.ndarray, float, np.ndarray | None]:
    """Proximal Newton steps on the working-set columns ``work`` (indices; the others stay 0)
    until their KKT violation (and the intercept's, times ``intercept_weight``:
    ``intercept_weight_for``) is within ``tol``.  With ``last`` on the
    same columns the first step uses its Gram (a fixed-metric step with the exact gradient,
    line-searched like the others), and ``last`` keeps the Gram of the latest step.  Returns the
    state, the steps taken, whether it converged, the gradient on ``work`` and of the
    intercept there, and the gradient on every column where it came with them (else None)."""
    fam, v, y = prob.family, prob.v, prob.y
    cols = WorkColumns(prob.Xs, work)
    pen = penalty.restricted(work)
    # ridge on more columns than rows: the Newton model in the rows' space
    kernel = pen.scalar and pen.l1_ratio == 0.0 and alpha > 0 and work.size > prob.n_samples
    memo = SignedFactor() if last is None else last.signed
    b0, b, eta = state.intercept, state.coef.copy(), state.eta
    bS = b[work]
    nll = state.objective_loss(prob)
    f_old = nll + penalty_value(pen, alpha, bS)
    steps = 0
    worst_before = np.inf
    mu = fam.inverse_link(eta)
    r = v * (y - mu)
    if last is None:
        previous, gS = None, cols.gradient(r)
    else:
        previous, gS = _carried_model(prob, last, work, cols, r, kernel=kernel)
    while True:
        icpt = float(r.sum()) if prob.fit_intercept else 0.0
        worst = max(pen.kkt_violation(gS, bS, alpha), intercept_weight * abs(icpt))
        if worst <= tol:
            ok = True
            break
        if steps >= MAX_NEWTON:
            ok = False
            break
        steps += 1
        stale = previous is not None and (
            steps == 1
            or _stale_model_pays(prob.n_samples, work.size, worst, worst_before, tol, kernel=kernel)
        )
        worst_before = worst
        # the weighted least-squares model: G = Xc' U Xc and c = Xc' U z, z = eta + (y - mu)/V,
        # Xc the columns centered at their u-weighted means (the intercept profiled out)
        if stale:
            assert previous is not None
            u, G, xbar, U = previous
        else:
            u = v * np.maximum(fam.variance(mu), prob.variance_floor)
            xbar, U = None, 0.0
            if prob.fit_intercept:
                U = float(u.sum())
                xbar = cols.weighted_sums(u) / U
            if kernel:
                Xc = cols.columns(np.arange(work.size))
                if xbar is not None:
                    Xc -= xbar
                G = KernelRidgeModel(Xc * np.sqrt(u)[:, None], u, centered=xbar is not None)
            else:
                G = cols.gram(u, threads=prob.n_samples * work.size**2 >= GRAM_THREADS_FROM)
                if xbar is not None:
                    G -= U * np.outer(xbar, xbar)
            previous = (u, G, xbar, U)  # the model later steps may reuse
            if last is not None:
                last.work, last.G, last.xbar, last.U, last.u = work, G, xbar, U, u
        if prob.fit_intercept:
            assert xbar is not None
            Uz = U * (b0 + float(xbar @ bS)) + icpt  # u' z
        if isinstance(G, KernelRidgeModel):
            new_bS = G.ridge_step(bS, r, alpha)
        else:
            # c = Xc' U z = Xc' (u eta + v (y - mu)); with eta = b0 + X bS and X'u = U xbar
            # this is G bS + X'r - xbar 1'r: no pass over the rows
            c = G @ bS + gS
            if xbar is not None:
                c -= xbar * icpt
            new_bS = _inner_solve(G, c, prob.n_samples, pen, alpha, bS, 0.1 * tol, max_iter, memo)
        new_b0 = (Uz - U * float(xbar @ new_bS)) / U if prob.fit_intercept else 0.0
        d_b = new_bS - bS
        d_eta = (new_b0 - b0) + cols.times(d_b)
        t = 1.0
        for _ in range(MAX_HALVINGS):
            eta_t = eta + t * d_eta
            nll_t = prob.objective_loss(eta_t)
            f_t = nll_t + penalty_value(pen, alpha, bS + t * d_b)
            if np.isfinite(f_t) and f_t <= f_old + 1e-13 * abs(f_old):
                break
            t *= 0.5
        else:
            ok = False  # no step lowers the objective: rounding; report what was reached
            break
        if t < 1.0 and f_t >= f_old:  # no progress at all: the fit is as good as it gets here
            b0, bS, eta, nll = b0 + t * (new_b0 - b0), bS + t * d_b, eta_t, nll_t
            mu = fam.inverse_link(eta)
            r = v * (y - mu)
            icpt = float(r.sum()) if prob.fit_intercept else 0.0
            gS = cols.gradient(r)
            ok = max(pen.kkt_violation(gS, bS, alpha), intercept_weight * abs(icpt)) <= tol
            break
        b0, bS, eta, f_old, nll = b0 + t * (new_b0 - b0), bS + t * d_b, eta_t, f_t, nll_t
        mu = fam.inverse_link(eta)
        r = v * (y - mu)
        gS = cols.gradient(r)
    b[work] = bS
    return GLMState(b0, b, eta, nll), steps, ok, gS, icpt, cols.whole_gradient


class WorkColumns:
    """The working set's columns of X~ as Newton steps use them: gathered into one array where
    they are few, read in place where they are most of the columns (products then run over
    every column, and the last gradient on the working set comes with the whole one).  Large
    products run on the spare cores (``thin_product``)."""

    def __init__(self, Xs: np.ndarray, work: np.ndarray):
        self.Xs, self.work = Xs, work
        p = Xs.shape[1]
        self.in_place = work.size < p and work.size >= IN_PLACE_SHARE * p
        self.XS = Xs if work.size == p or self.in_place else Xs[:, work]
        self.whole_gradient: np.ndarray | None = None  # X~'r of the latest ``gradient``

    def gradient(self, r: np.ndarray) -> np.ndarray:
        """X_S' r."""
        if self.in_place:
            self.whole_gradient = thin_product(self.Xs.T, r)
            return self.whole_gradient[self.work]
        g = thin_product(self.XS.T, r)
        self.whole_gradient = g if self.work.size == self.Xs.shape[1] else None
        return g

    def gradient_with(self, r: np.ndarray, Xu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """X_S' r and Xu' X_S (Xu: a few weighted columns (n, k)) in one pass over X."""
        R = np.column_stack([r, Xu])
        if self.in_place:
            P = thin_product(self.Xs.T, R)
            self.whole_gradient = np.ascontiguousarray(P[:, 0])
            return self.whole_gradient[self.work], P[self.work, 1:].T
        P = thin_product(self.XS.T, R)
        g = np.ascontiguousarray(P[:, 0])
        self.whole_gradient = g if self.work.size == self.Xs.shape[1] else None
        return g, P[:, 1:].T

    def times(self, d: np.ndarray) -> np.ndarray:
        """X_S d."""
        if self.in_place:
            whole = np.zeros(self.Xs.shape[1])
            whole[self.work] = d
            return thin_product(self.Xs, whole)
        return thin_product(self.XS, d)

    def weighted_sums(self, u: np.ndarray) -> np.ndarray:
        """X_S' u (leaves the latest gradient as it is)."""
        if self.in_place:
            return thin_product(self.Xs.T, u)[self.work]
        return thin_product(self.XS.T, u)

    def columns(self, positions: np.ndarray) -> np.ndarray:
        """The columns at these positions of the working set."""
        return self.Xs[:, self.work[positions]]

    def gram(self, u: np.ndarray, *, threads: bool) -> np.ndarray:
        """X_S' diag(u) X_S."""
        if self.in_place:
            return weighted_gram(self.Xs, u, threads=threads, columns=self.work)
        return weighted_gram(self.XS, u, threads=threads)


#: Rows per block when a weighted Gram is summed (the scaled block stays in cache).
GRAM_BLOCK_ROWS = 4096


def weighted_gram(
    XS: np.ndarray, u: np.ndarray, *, threads: bool = False, columns: np.ndarray | None = None
) -> np.ndarray:
    """X' diag(u) X (of X's ``columns`` only, when given), in row blocks so that the scaled
    copy of X never leaves the cache; on every thread for a large one."""
    n = XS.shape[0]

    def block(rows: slice) -> np.ndarray:
        X = XS[rows] if columns is None else XS[rows][:, columns]  # (take: slow on F order)
        return X * np.sqrt(u[rows])[:, None]

    if n <= GRAM_BLOCK_ROWS:
        Xw = block(slice(0, n))
        return Xw.T @ Xw
    k = XS.shape[1] if columns is None else columns.size
    G = np.zeros((k, k))
    with all_threads() if threads else nullcontext():
        for start in range(0, n, GRAM_BLOCK_ROWS):
            Xw = block(slice(start, start + GRAM_BLOCK_ROWS))
            G += Xw.T @ Xw
    return G


def _carried_model(
    prob: GLMProblem,
    last: LastModel,
    work: np.ndarray,
    cols: WorkColumns,
    r: np.ndarray,
    *,
    kernel: bool = False,
) -> tuple[tuple[np.ndarray, Any, np.ndarray | None, float] | None, np.ndarray]:
    """``last``'s model on the columns ``work`` (None without one): its Gram where the columns
    are shared, the blocks of new columns computed with its weights (n x new x |work|) in the
    same pass over X as the gradient X_S' r, which comes with it.  For a ``kernel`` model (ridge
    wider than the rows) only the model of the same columns is carried."""
    if last.work is None or last.G is None or last.u is None or work.size == 0:
        return None, cols.gradient(r)
    where = np.searchsorted(last.work, work)
    where = np.minimum(where, last.work.size - 1)
    shared = last.work[where] == work
    if not shared.any():
        return None, cols.gradient(r)
    u, U = last.u, last.U
    if shared.all() and work.size == last.work.size:  # the same columns: the same model
        return (u, last.G, last.xbar, U), cols.gradient(r)
    if kernel or isinstance(last.G, KernelRidgeModel):  # a kernel model serves its own columns
        return None, cols.gradient(r)
    if shared.all():
        G = last.G.take(where, 0).take(where, 1)
        last.signed.moved(last.G, G, where, shared)
        xbar = None if last.xbar is None else last.xbar[where]
        return (u, G, xbar, U), cols.gradient(r)
    new = np.flatnonzero(~shared)
    Xn = cols.columns(new)
    gS, cross = cols.gradient_with(r, Xn * u[:, None])  # cross: (new, |work|)
    xbar = None
    if prob.fit_intercept:
        assert last.xbar is not None
        xbar = np.empty(work.size)
        xbar[shared] = last.xbar[where[shared]]
        xbar[new] = (u @ Xn) / U
        cross = cross - U * np.outer(xbar[new], xbar)
    G = last.G.take(where, 0).take(where, 1)  # rows and columns of new features: filled next
    G[new, :] = cross
    G[:, new] = cross.T
    last.signed.moved(last.G, G, where, shared)
    return (u, G, xbar, U), gS


def working_set_cap(n: int, m: int, nonzero: int) -> int:
    """Most features a Newton working set takes at once: every feature where n >= m; on wide
    data about n, or twice the nonzero ones and WORK_SET_EXTRA more (a Gram on the working
    set costs n |S|^2, and at most about n features are nonzero)."""
    return max(min(n, m), 2 * nonzero + WORK_SET_EXTRA)


def _largest(candidates: np.ndarray, score: np.ndarray, count: int) -> np.ndarray:
    """The mask of the ``count`` candidates (mask) with the largest ``score``."""
    idx = np.flatnonzero(candidates)
    if idx.size > count:
        idx = idx[np.argpartition(-score[idx], count - 1)[:count]]
    out = np.zeros(candidates.size, dtype=bool)
    out[idx] = True
    return out


def solve_point(
    prob: GLMProblem,
    penalty: Penalty,
    alpha: float,
    state: GLMState,
    strong: np.ndarray,
    *,
    tol: float,
    max_iter: int = 10_000,
    last: LastModel | None = None,
    priority: np.ndarray | None = None,
    intercept_weight: float = 1.0,
) -> GLMPoint:
    """One alpha from the warm start ``state``: Newton on the working set (``strong`` (m,)
    mask, the nonzero and the unpenalized features), then a KKT check on every feature; its
    violators join the working set and the point is solved again.  ``last``: the previous
    point's Newton model (``LastModel``), shared along a path.  The working set holds at most
    ``working_set_cap`` features at once beyond the nonzero and unpenalized ones: the strong
    features with the largest ``priority`` (|gradient| at the previous point), the violators
    with the largest violation.  ``intercept_weight``: what the intercept's violation counts
    for (``intercept_weight_for``)."""
    keep = state.coef != 0
    keep[penalty.unpenalized()] = True
    cap = working_set_cap(prob.n_samples, prob.n_features, int(np.count_nonzero(keep)))
    extra = strong & ~keep
    room = max(cap - int(np.count_nonzero(keep)), 0)
    if priority is not None and np.count_nonzero(extra) > room:
        extra = _largest(extra, priority, room)
    work = keep | extra
    steps = 0
    while True:
        columns = np.flatnonzero(work)
        state, n, ok, g_work, icpt, whole = newton_on(
            prob, penalty, alpha, state, columns, tol, max_iter, last, intercept_weight
        )
        steps += n
        if whole is not None:  # the working set's gradient came with the whole one
            grad = whole
        else:
            grad, icpt = prob.certificate_gradient(state.eta, penalty.lam1(alpha), columns, g_work)
        resid = _violation(penalty, alpha, grad, state.coef, intercept_weight * icpt)
        outside = np.append(~work, False) & (resid > tol)
        if not outside.any() or not ok:
            worst = float(resid.max())
            return GLMPoint(state, grad, worst, steps, ok and worst <= tol)
        room = max(cap - int(np.count_nonzero(work)), WORK_SET_EXTRA)
        work |= _largest(outside[:-1], resid[:-1], room)


def predicted_start(
    prob: GLMProblem,
    penalty: Penalty,
    alpha: float,
    state: GLMState,
    state_alpha: float,
    before: GLMState | None,
    before_alpha: float,
) -> GLMState:
    """The start at ``alpha`` extrapolated from the solutions ``state`` (at ``state_alpha``) and
    ``before`` in log alpha, state + ratio (state - before): coefficients that would change
    sign, or were 0, stay 0.  Kept only where its objective at ``alpha`` is below the current
    fit's, so Newton starts nearer the solution; ``state`` otherwise (and with limits)."""
    if before is None or penalty.bounded or not alpha > 0 or state_alpha == before_alpha:
        return state
    ratio = math.log(alpha / state_alpha) / math.log(state_alpha / before_alpha)
    if not 0.0 < ratio <= 1.0 + 1e-9:  # at most the last step (a geometric grid's ratio 1
        return state  # comes out of the logarithms a few ulps above it)
    linear = state.coef + ratio * (state.coef - before.coef)
    keep = (state.coef != 0) & (np.sign(linear) == np.sign(state.coef))
    coef = np.where(keep, linear, 0.0)
    eta = state.eta + ratio * (state.eta - before.eta)  # b0 + X~ linear, exactly
    cut = np.flatnonzero(~keep & (linear != 0))
    if cut.size:
        eta -= prob.Xs[:, cut] @ linear[cut]
    nll = prob.objective_loss(eta)
    now = state.objective_loss(prob)
    if not nll + penalty_value(penalty, alpha, coef) < now + penalty_value(
        penalty, alpha, state.coef
    ):
        return state
    b0 = state.intercept + ratio * (state.intercept - before.intercept)
    return GLMState(b0, coef, eta, nll)


def null_fit(prob: GLMProblem, penalty: Penalty, tol: float) -> tuple[GLMState, np.ndarray]:
    """The fit with every penalized coefficient 0 (the unpenalized features fitted, certified
    at tol x ``unpenalized_scale``), and the gradient there, from which alpha_max follows."""
    state = null_state(prob)
    free = penalty.unpenalized()
    if free.size:
        state = unpenalized_newton(prob, penalty, state, free, tol)[0]
    return state, prob.gradient(state.eta)[0]


def unpenalized_newton(
    prob: GLMProblem, penalty: Penalty, state: GLMState, work: np.ndarray, tol: float
) -> tuple[GLMState, int, bool, np.ndarray, float, np.ndarray | None]:
    """``newton_on`` at alpha 0 on the columns ``work``, certified at tol x
    ``unpenalized_scale`` (the intercept's violation weighed as at any point)."""
    scale = prob.unpenalized_scale
    weight = intercept_weight_for(prob, scale)
    return newton_on(prob, penalty, 0.0, state, work, tol * scale, 10_000, None, weight)


def warm_points(
    prob: GLMProblem,
    penalty: Penalty,
    alphas: np.ndarray,
    state: GLMState,
    grad: np.ndarray,
    start_alpha: float,
    c_max: float,
    *,
    tol: float,
    max_iter: int,
) -> Iterator[GLMPoint]:
    """Each of ``alphas`` in turn, warm-started from the solution before (``state`` with its
    gradient ``grad`` at ``start_alpha`` for the first): the sequential strong rule, the start
    extrapolated from the last two solutions, the Newton model carried along (``LastModel``);
    every point certified at tol x ``kkt_scale``."""
    last = LastModel()
    prev = start_alpha
    before: GLMState | None = None  # the point before ``state``, at ``before_alpha``
    before_alpha = prev
    for a in alphas:
        a = float(a)
        scale = kkt_scale(a, c_max)
        strong = penalty.strong_screen(grad, a, prev) if a > 0 else np.ones(grad.size, bool)
        start = predicted_start(prob, penalty, a, state, prev, before, before_alpha)
        point = solve_point(
            prob,
            penalty,
            a,
            start,
            strong | (state.coef != 0),
            tol=tol * scale,
            max_iter=max_iter,
            last=last,
            priority=np.abs(grad),
            intercept_weight=intercept_weight_for(prob, scale),
        )
        yield point
        before, before_alpha = state, prev
        state, grad, prev = point.state, point.grad, a


def _start(  # type: ignore[no-untyped-def]
    X, y, family, weights, fit_intercept, standardize, l1_ratio, factors, lower, upper, tol
):
    """What a path and a fit begin with: the standardized problem, its penalty, the null
    deviance, and the null fit (unpenalized features fitted) with its gradient."""
    std, prob = glm_problem(
        X, y, family, weights, fit_intercept=fit_intercept, standardize=standardize
    )
    penalty = penalty_for(
        X.shape[1], l1_ratio, std.keep, std.scale, factors=factors, lower=lower, upper=upper
    )
    null_dev = 2.0 * prob.loss(null_state(prob).eta)
    state, grad = null_fit(prob, penalty, tol)
    return std, prob, penalty, null_dev, state, grad


@threads_on_demand
def glm_path(
    X: np.ndarray,
    y: np.ndarray,
    family: Family,
    *,
    l1_ratio: float = 1.0,
    weights: np.ndarray | None = None,
    alphas: np.ndarray | None = None,
    n_alphas: int = 100,
    eps: float | None = None,
    standardize: bool = True,
    fit_intercept: bool = True,
    tol: float = DEFAULT_TOL,
    max_iter: int = 10_000,
    penalty_factor: np.ndarray | None = None,
    lower: np.ndarray | float | None = None,
    upper: np.ndarray | float | None = None,
    gamma: float | None = None,
) -> PathResult:
    """The path of a binomial or Poisson model on glmnet's grid (or the given ``alphas``),
    with glmnet's early stop on the default grid; ``dev_ratio`` is 1 - deviance / null
    deviance and ``null_deviance`` the intercept-only model's mean deviance.  ``gamma``: the
    relaxed path (glmnet's relax = TRUE; certificates stay those of the penalized points)."""
    t0 = time.perf_counter()
    n, p = X.shape
    std, prob, penalty, null_dev, state, grad = _start(
        X, y, family, weights, fit_intercept, standardize, l1_ratio, penalty_factor, lower,
        upper, tol,
    )  # fmt: skip
    amax = penalty.alpha_max(grad)
    grid, early = path_grid(amax, n, p, alphas=alphas, n_alphas=n_alphas, eps=eps)
    c_max = float(np.abs(grad).max(initial=0.0))
    m = prob.n_features
    k = grid.size
    coefs = np.zeros((k, m))
    b0 = np.zeros(k)
    dev = np.zeros(k)
    kkt = np.zeros(k)
    iters = np.zeros(k, dtype=int)
    conv = np.zeros(k, dtype=bool)
    stop = STOP_REASONS[0]
    done = 0
    first = max(amax, float(grid[0])) if k else amax
    with single_blas_thread():
        points = warm_points(
            prob, penalty, grid, state, grad, first, c_max, tol=tol, max_iter=max_iter
        )
        for i, point in enumerate(points):
            advance()
            state = point.state
            coefs[i], b0[i] = state.coef, state.intercept
            kkt[i], iters[i], conv[i] = point.max_kkt_violation, point.n_iter, point.converged
            dev[i] = 1.0 - 2.0 * state.loss(prob) / null_dev if null_dev > 0 else 0.0
            done = i + 1
            reason = glm_stop(prob, dev, i, state.eta) if early else None
            if reason is not None:
                stop = reason
                break
    coefs, b0, dev = coefs[:done], b0[:done], dev[:done]
    refit_ok = None
    if gamma is not None:
        coefs, b0, refit_ok = relax_path(prob, penalty, coefs, b0, float(gamma), tol)
        for i in range(done):
            eta = b0[i] + prob.Xs @ coefs[i]
            dev[i] = 1.0 - 2.0 * prob.loss(eta) / null_dev if null_dev > 0 else 0.0
    orig, icpt = std.to_original(coefs)
    orig = penalty.hold_limits(orig)
    return PathResult(
        alphas=np.asarray(grid[:done], dtype=float),
        l1_ratio=float(l1_ratio),
        coefs=orig,
        standardized_coefs=std.standardized(coefs),
        intercepts=np.atleast_1d(icpt) + b0,
        n_nonzero=(coefs != 0).sum(axis=1),
        dev_ratio=dev,
        max_kkt_violation=kkt[:done],
        n_iter=iters[:done],
        converged=conv[:done],
        alpha_max=amax,
        stop_reason=stop,
        standardization=std,
        n_samples=n,
        fit_s=time.perf_counter() - t0,
        null_deviance=null_dev,
        family=family.name,
        gamma=None if gamma is None else float(gamma),
        refit_ok=refit_ok,
    )


def relaxed_refit(
    prob: GLMProblem, penalty: Penalty, intercept: float, coef: np.ndarray, tol: float
) -> GLMState | None:
    """The unpenalized model on the support of ``coef`` (m,) within the penalty's limits, from
    the penalized fit (glmnet's relaxed refit), certified at tol x ``unpenalized_scale``; None
    when the support exceeds n - 3 features (glmnet's ``maxp``) or the refit does not converge
    (separable classes)."""
    from regcli.core.relax import max_support

    support = np.flatnonzero(coef)
    if support.size > max_support(prob.n_samples):
        return None
    eta = intercept + prob.Xs[:, support] @ coef[support]
    start = GLMState(intercept, np.array(coef, dtype=float), eta)
    with np.errstate(over="ignore", invalid="ignore"):
        state, _, ok, *_ = unpenalized_newton(prob, penalty, start, support, tol)
    return state if ok and np.isfinite(state.coef).all() else None


def relax_path(
    prob: GLMProblem,
    penalty: Penalty,
    coefs: np.ndarray,
    intercepts: np.ndarray,
    gamma: float,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relaxed coefficients (k, m), intercepts (k,) and which points were refit (k,) of a
    standardized path: gamma x penalized + (1 - gamma) x the refit on each support (computed
    once per distinct support); points that cannot be refit keep the penalized fit."""
    out_c, out_b = np.array(coefs, dtype=float), np.array(intercepts, dtype=float)
    ok = np.ones(len(coefs), dtype=bool)
    cache: dict[bytes, GLMState | None] = {}
    for i, (b0, b) in enumerate(zip(intercepts, coefs)):
        key = np.packbits(b != 0).tobytes()
        if key not in cache:
            cache[key] = relaxed_refit(prob, penalty, float(b0), b, tol)
        refit = cache[key]
        if refit is None:
            ok[i] = False
            continue
        out_c[i] = gamma * b + (1.0 - gamma) * refit.coef
        out_b[i] = gamma * b0 + (1.0 - gamma) * refit.intercept
    return out_c, out_b, ok


#: Points per decade of alpha on the way from alpha_max to a single fit's alpha (warm starts
#: keep every Newton step near its solution, as a path's do).
FIT_POINTS_PER_DECADE = 4


@threads_on_demand
def glm_fit(
    X: np.ndarray,
    y: np.ndarray,
    family: Family,
    *,
    alpha: float,
    l1_ratio: float = 1.0,
    weights: np.ndarray | None = None,
    standardize: bool = True,
    fit_intercept: bool = True,
    tol: float = DEFAULT_TOL,
    max_iter: int = 10_000,
    penalty_factor: np.ndarray | None = None,
    lower: np.ndarray | float | None = None,
    upper: np.ndarray | float | None = None,
    gamma: float | None = None,
) -> FitResult:
    """One binomial or Poisson model at ``alpha``, reached by warm starts down a short
    geometric grid from alpha_max; ``r2`` is the deviance ratio.  ``gamma``: the relaxed fit
    (glmnet's relax = TRUE at that gamma; the certificate stays the penalized fit's)."""
    t0 = time.perf_counter()
    n, p = X.shape
    std, prob, penalty, null_dev, state, grad = _start(
        X, y, family, weights, fit_intercept, standardize, l1_ratio, penalty_factor, lower,
        upper, tol,
    )  # fmt: skip
    amax = penalty.alpha_max(grad)
    c_max = float(np.abs(grad).max(initial=0.0))
    alpha = float(alpha)
    if amax > alpha > 0:
        count = int(np.ceil(np.log10(amax / alpha) * FIT_POINTS_PER_DECADE))
        steps = np.geomspace(amax, alpha, count + 1)[1:]
    elif alpha == 0 and amax > 0:  # the unpenalized model: down to 1e-4 alpha_max first
        steps = np.append(np.geomspace(amax, 1e-4 * amax, 4 * FIT_POINTS_PER_DECADE + 1)[1:], 0.0)
    else:
        steps = np.array([alpha])
    n_iter = 0
    with single_blas_thread():
        for point in warm_points(
            prob, penalty, steps, state, grad, amax, c_max, tol=tol, max_iter=max_iter
        ):
            state = point.state
            n_iter += point.n_iter
    penalized = None
    refit_ok = True
    if gamma is not None:
        p_coef, p_icpt = std.to_original(state.coef)
        penalized = (p_coef, float(p_icpt) + state.intercept)
        refit = relaxed_refit(prob, penalty, state.intercept, state.coef, tol)
        refit_ok = refit is not None
        if refit is not None:
            b = gamma * state.coef + (1.0 - gamma) * refit.coef
            b0 = gamma * state.intercept + (1.0 - gamma) * refit.intercept
            state = GLMState(b0, b, b0 + prob.Xs @ b)
    deviance = 2.0 * prob.loss(state.eta)
    coef, icpt = std.to_original(state.coef)
    coef = penalty.hold_limits(coef)
    return FitResult(
        alpha=alpha,
        l1_ratio=float(l1_ratio),
        intercept=float(icpt) + state.intercept,
        coef=coef,
        standardized_coef=std.standardized(state.coef),
        n_samples=n,
        r2=1.0 - deviance / null_dev if null_dev > 0 else 0.0,
        converged=bool(point.converged),
        n_iter=int(n_iter),
        max_kkt_violation=float(point.max_kkt_violation),
        kkt_tolerance=float(tol * kkt_scale(alpha, c_max)),
        alpha_max=amax,
        standardization=std,
        fit_s=time.perf_counter() - t0,
        family=family.name,
        deviance=deviance,
        null_deviance=null_dev,
        gamma=None if gamma is None else float(gamma),
        refit_ok=refit_ok,
        penalized_coef=None if penalized is None else penalized[0],
        penalized_intercept=None if penalized is None else penalized[1],
    )
