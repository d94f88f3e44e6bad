"""Regularization paths on a descending alpha grid (glmnet's grid and stopping rules).

``solve_path`` works on sufficient statistics (so cross-validation folds reuse it);
``compute_path`` takes X and y, standardizes, solves and maps back to the original scale.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from regcli.core.activeset import ActiveSet, DualActiveSet, solve_enet
from regcli.core.criteria import information_criteria
from regcli.core.dispatch import Problem, Route, choose_route
from regcli.core.family import deviance_ratios
from regcli.core.general import BlockCache, FreeFactor, problem_alpha_max, solve_general
from regcli.core.homotopy import lasso_homotopy
from regcli.core.lapack import potrf, potrs
from regcli.core.penalty import (
    ElasticNet,
    Penalty,
    alpha_max,
    bounded_kkt_residuals,
    kkt_scale,
    kkt_scales,
    penalty_for,
    sided,
    strong_screen,
)
from regcli.core.progress import advance
from regcli.core.reduction import ReducedLasso, reducible
from regcli.core.relax import relaxed_coefs
from regcli.core.ridge import RidgeSolver
from regcli.core.stats import (
    GramStats,
    LazyStats,
    Standardization,
    Stats,
    prepare,
    thin_product,
)
from regcli.core.threads import single_blas_thread, threads_on_demand
from regcli.core.tuning import (
    BOX_ROUNDS,
    DUAL_ENTRY_MARGIN,
    PREDICTED_ENTERING_MIN,
    PREDICTED_ENTERING_SHARE,
)

#: glmnet's defaults: stop after at least this many points when the fit no longer improves.
MIN_POINTS_BEFORE_STOP = 5
DEV_RATIO_MAX = 0.999
DEV_RATIO_MIN_CHANGE = 1e-5
DEFAULT_TOL = 1e-7
#: Ridge alphas solved together (one matrix product with X~ per block instead of one per alpha):
#: as many as keep the block's coefficients and gradients (2 x features x alphas) within
#: _RIDGE_BLOCK_BYTES, between 16 and 128 (a block is one pass over X~ on wide data).
_RIDGE_BLOCK = (16, 128)
_RIDGE_BLOCK_BYTES = 32 << 20


def early_stop_rule(dev: Any, prev: Any) -> tuple[Any, Any]:
    """glmnet's two early-stop rules at a point with deviance ratio ``dev`` after one of
    ``prev`` (NumPy floats, or arrays over several paths): (explains more than 0.999, grew by less
    than 1e-5 of itself).  They apply from the ``MIN_POINTS_BEFORE_STOP``-th point on."""
    high = dev > DEV_RATIO_MAX
    return high, ~high & (dev - prev < DEV_RATIO_MIN_CHANGE * dev)


#: ``stop_reason`` of a path: its grid ran out, or glmnet's two early-stop rules.
STOP_REASONS = ("completed", "dev_ratio_above_0.999", "dev_ratio_change_below_1e-5")


def early_stop_reason(dev: np.ndarray, i: int) -> str | None:
    """Whether one path on a default grid stops after its point ``i`` (deviance ratios
    ``dev[: i + 1]`` known): the ``STOP_REASONS`` entry of the rule that stops it, or None."""
    if i + 1 < MIN_POINTS_BEFORE_STOP:
        return None
    high, flat = early_stop_rule(dev[i], dev[i - 1])
    return STOP_REASONS[1] if high else STOP_REASONS[2] if flat else None


@dataclass(frozen=True)
class RawPath:
    """A path on the standardized problem over the solver's m columns."""

    alphas: np.ndarray  # (k,)
    coefs: np.ndarray  # (k, m)
    dev_ratio: np.ndarray  # (k,)
    max_kkt_violation: np.ndarray  # (k,) absolute, on the standardized gradient
    n_iter: np.ndarray  # (k,)
    converged: np.ndarray  # (k,) bool
    stop_reason: str


@dataclass(frozen=True)
class PathResult:
    """A regularization path on the original scale of the features.

    ``coefs`` and ``standardized_coefs`` are (k, p); ``intercepts``, ``n_nonzero``, ``dev_ratio``,
    ``max_kkt_violation`` (absolute, standardized problem), ``n_iter`` and ``converged`` are (k,).
    """

    alphas: np.ndarray
    l1_ratio: float
    coefs: np.ndarray
    standardized_coefs: np.ndarray
    intercepts: np.ndarray
    n_nonzero: np.ndarray
    dev_ratio: np.ndarray
    max_kkt_violation: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    alpha_max: float
    stop_reason: str
    standardization: Standardization
    n_samples: int
    fit_s: float
    null_deviance: float = 0.0  # weighted mean squared deviation of y (about its mean)
    gamma: float | None = None  # a relaxed path (``relax``): its gamma
    refit_ok: np.ndarray | None = None  # (k,) relaxed: which points' supports were refit
    #: the family; for binomial and Poisson ``null_deviance`` is the intercept-only model's
    #: mean deviance and ``mse`` the mean deviance of each point
    family: str = "gaussian"

    @property
    def mse(self) -> np.ndarray:
        """(k,) weighted mean squared residual of each point on the rows it was fitted on."""
        return (1.0 - self.dev_ratio) * self.null_deviance

    def criteria(self) -> dict[str, np.ndarray]:
        """{aic, bic, ebic} of every point (``criteria.information_criteria``)."""
        return information_criteria(
            self.mse,
            self.n_nonzero,
            n_samples=self.n_samples,
            n_features=self.coefs.shape[1],
            fit_intercept=self.standardization.fit_intercept,
            minus_2ll=None if self.family == "gaussian" else self.n_samples * self.mse,
        )

    @property
    def entry_alpha(self) -> np.ndarray:
        """(p,) the first (largest) alpha at which each feature is nonzero; NaN if never."""
        nz = self.coefs != 0
        first = np.argmax(nz, axis=0)
        return np.where(nz.any(axis=0), self.alphas[first], np.nan)

    @property
    def max_kkt_relative(self) -> np.ndarray:
        """KKT violation at each point divided by its alpha."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.alphas > 0, self.max_kkt_violation / self.alphas, np.inf)


def alpha_grid(
    alpha_max_value: float,
    n_samples: int,
    n_features: int,
    *,
    n_alphas: int = 100,
    eps: float | None = None,
) -> np.ndarray:
    """glmnet's grid: n_alphas log-spaced from alpha_max down to eps * alpha_max."""
    if eps is None:
        eps = 1e-4 if n_samples >= n_features else 1e-2
    if n_alphas == 1:
        return np.array([alpha_max_value])
    return alpha_max_value * np.logspace(0.0, np.log10(eps), n_alphas)


def path_grid(
    alpha_max_value: float,
    n_samples: int,
    n_features: int,
    *,
    alphas: np.ndarray | None,
    n_alphas: int,
    eps: float | None,
) -> tuple[np.ndarray, bool]:
    """The alphas a path solves, descending, and whether it may stop early: glmnet's default
    grid (early stop as glmnet's), or the given ``alphas`` in any order (every point solved)."""
    if alphas is None:
        return alpha_grid(alpha_max_value, n_samples, n_features, n_alphas=n_alphas, eps=eps), True
    return np.sort(np.asarray(alphas, dtype=float))[::-1], False


def solve_path(
    stats: Stats,
    alphas: np.ndarray,
    l1_ratio: float,
    *,
    tol: float = DEFAULT_TOL,
    max_iter: int = 10_000,
    early_stop: bool = False,
    penalty: Penalty | None = None,
) -> RawPath:
    """Solve every alpha of the descending grid.

    ``tol`` is relative: a point converges when its max KKT violation <= tol * alpha (alpha
    floored at 1e-6 max |c|: ``penalty.kkt_scale``).
    Ridge uses its closed form; the lasso and elastic net warm-started active-set solves,
    except the lasso on small wide data (p >= n, n <= 2 x the grid's points), which follows
    the exact path from kink to kink (``homotopy``) and hands over to the active-set solves
    where it cannot go on.
    """
    m = stats.n_features
    k = len(alphas)
    coefs = np.zeros((k, m))
    dev = np.zeros(k)
    kkt = np.zeros(k)
    iters = np.zeros(k, dtype=int)
    conv = np.zeros(k, dtype=bool)
    route = choose_route(
        Problem(
            n_samples=stats.n_samples,
            n_features=m,
            l1_ratio=l1_ratio,
            source="gram" if isinstance(stats, GramStats) else "lazy",
            scalar_penalty=penalty is None or penalty.scalar,
            bounded=penalty is not None and penalty.bounded,
            n_points=k,
        )
    )
    if route is Route.REDUCED and not reducible(penalty, lasso_only=False):  # none penalized
        route = Route.GENERAL_ACTIVE_SET
    signs = None
    if route is Route.GENERAL_ACTIVE_SET and l1_ratio > 0.0:
        assert penalty is not None
        signs = penalty.sign_limits()  # limits at 0 only: the scalar routes, sign-aware
    if signs is not None:
        assert penalty is not None
        points = _signed_points(stats, alphas, penalty, signs, tol, max_iter)
    elif route is Route.GENERAL_ACTIVE_SET and _boxed_serves(penalty):
        assert penalty is not None
        points = _boxed_points(stats, alphas, penalty, tol, max_iter)
    elif route is Route.GENERAL_ACTIVE_SET and _boxed_ridge_serves(penalty, alphas):
        assert penalty is not None
        points = _boxed_ridge_points(stats, alphas, penalty, tol, max_iter)
    elif route is Route.REDUCED:
        assert penalty is not None
        if penalty.l1_ratio == 1.0:
            points = _reduced_points(stats, alphas, penalty, tol, max_iter)
        elif penalty.l1_ratio == 0.0:
            points = _reduced_ridge_points(stats, alphas, penalty, tol, max_iter)
        else:
            points = _reduced_enet_points(stats, alphas, penalty, tol, max_iter)
    elif route is Route.GENERAL_ACTIVE_SET:
        assert penalty is not None
        points = _general_points(stats, alphas, penalty, tol, max_iter)
    elif route is Route.RIDGE:
        points = _ridge_points(stats, alphas, tol)
    else:
        points = _activeset_points(
            stats, alphas, l1_ratio, tol, max_iter, homotopy=route is Route.HOMOTOPY
        )
    stop_reason = STOP_REASONS[0]
    done = 0
    # c'b + b'grad per point, for the deviance ratio (all at once when nothing stops early)
    fit_term = np.zeros(k)
    for i, (coef, grad, n_iter, violation, converged) in enumerate(points):
        advance()
        coefs[i] = coef
        fit_term[i] = coef @ (stats.c + grad)
        kkt[i], iters[i], conv[i] = violation, n_iter, converged
        done = i + 1
        if not early_stop:
            continue
        dev[i] = deviance_ratios(stats.yy, fit_term[i], stats.null_yy)
        reason = early_stop_reason(dev, i)
        if reason is not None:
            stop_reason = reason
            break
    if not early_stop:
        dev = deviance_ratios(stats.yy, fit_term, stats.null_yy)
    return RawPath(
        alphas=np.asarray(alphas[:done], dtype=float),
        coefs=coefs[:done],
        dev_ratio=dev[:done],
        max_kkt_violation=kkt[:done],
        n_iter=iters[:done],
        converged=conv[:done],
        stop_reason=stop_reason,
    )


def _ridge_points(stats: Stats, alphas: np.ndarray, tol: float):  # type: ignore[no-untyped-def]
    """Closed-form ridge solutions from one factorization, a block of alphas at a time
    (``_RIDGE_BLOCK``)."""
    ridge = RidgeSolver(stats)
    c_max = alpha_max(stats.c, 1.0)
    values = np.asarray(alphas, dtype=float)
    fewest, most = _RIDGE_BLOCK
    size = int(min(most, max(fewest, _RIDGE_BLOCK_BYTES // (16 * max(stats.n_features, 1)))))
    for start in range(0, values.size, size):
        block = values[start : start + size]
        coefs, grads = ridge.solve(block)
        # ridge's optimality conditions, every point of the block at once: grad = lam2 b
        # (lam2 = alpha; the same residual at zero coefficients, where it is |grad|)
        residual = coefs * block
        np.subtract(grads, residual, out=residual)
        np.abs(residual, out=residual)
        violations = residual.max(axis=0, initial=0.0).tolist()
        for t, (a, violation) in enumerate(zip(block.tolist(), violations)):
            yield coefs[:, t], grads[:, t], 1, violation, violation <= tol * kkt_scale(a, c_max)


def _reduced_points(stats: Stats, alphas: np.ndarray, penalty: Penalty, tol: float, max_iter: int):  # type: ignore[no-untyped-def]
    """The lasso with factors solved as a scalar lasso (``reduction``), each point mapped back
    and certified on the original problem (re-solved by the general solver if it misses)."""
    reduced = ReducedLasso(stats, penalty)
    inner = reduced.reduced
    scalar = _activeset_points(
        inner,
        alphas,
        1.0,
        tol / reduced.max_factor,
        max_iter,
        homotopy=_homotopy_serves(inner, 1.0, len(alphas)),
    )
    yield from _mapped_back(stats, penalty, alphas, tol, max_iter, reduced, scalar)


def _reduced_ridge_points(
    stats: Stats, alphas: np.ndarray, penalty: Penalty, tol: float, max_iter: int
):  # type: ignore[no-untyped-def]
    """Ridge with factors: the closed-form path of plain ridge on statistics rescaled by
    sqrt(f_j) (``reduction``), each point mapped back and certified on the original problem
    (re-solved by the general solver if it misses)."""
    reduced = ReducedLasso(stats, penalty, power=0.5)
    scalar = _ridge_points(reduced.reduced, alphas, tol / reduced.max_factor)
    yield from _mapped_back(stats, penalty, alphas, tol, max_iter, reduced, scalar)


def _homotopy_serves(stats: Stats, l1_ratio: float, n_points: int) -> bool:
    """Whether ``dispatch.choose_route`` gives a scalar path on ``stats`` to the homotopy."""
    problem = Problem(
        n_samples=stats.n_samples,
        n_features=stats.n_features,
        l1_ratio=l1_ratio,
        source="gram" if isinstance(stats, GramStats) else "lazy",
        n_points=n_points,
    )
    return choose_route(problem) is Route.HOMOTOPY


def _mapped_back(  # type: ignore[no-untyped-def]
    stats: Stats, penalty: Penalty, alphas, tol: float, max_iter: int, reduced, scalar
):
    """The points of a scalar route on ``reduced`` statistics (``ReducedLasso``) mapped back to
    the original problem and certified there (``_certified``)."""
    mapped = (
        (reduced.coef(u), reduced.gradient(reduced_grad), n_iter)
        for u, reduced_grad, n_iter, _, _ in scalar
    )
    yield from _certified(stats, penalty, alphas, tol, max_iter, mapped)


def _certified(  # type: ignore[no-untyped-def]
    stats: Stats, penalty: Penalty, alphas: np.ndarray, tol: float, max_iter: int, points
):
    """``points`` ((coef, gradient, solves) per alpha of a route that solved a stand-in of
    the problem) certified on the problem itself; a point that misses is re-solved by the
    general solver."""
    c_max = alpha_max(stats.c, 1.0)
    for a, (coef, grad, n_iter) in zip(np.asarray(alphas, dtype=float).tolist(), points):
        bound = tol * kkt_scale(a, c_max)
        violation = penalty.kkt_violation(grad, coef, a)
        if violation > bound:
            sol = solve_general(stats, penalty, a, coef, tol=bound, max_iter=max_iter)
            coef, grad, violation = sol.coef, sol.grad, sol.max_kkt_violation
            n_iter += sol.n_iter
        yield coef, grad, n_iter, violation, violation <= bound


def _reduced_enet_points(
    stats: Stats, alphas: np.ndarray, penalty: Penalty, tol: float, max_iter: int
):  # type: ignore[no-untyped-def]
    """The elastic net with factors: on the reduced statistics (``reduction``) the l1 term is
    uniform and the l2 term weighs u_j^2 by 1 / f_j.  On a Gram the weights' excess over the
    smallest joins the Gram's diagonal at each alpha, leaving a scalar elastic net; on the lazy
    source the active-set solver takes the weights (``ElasticNet.l2_weights``).  Each point is
    mapped back and certified on the original problem (re-solved by the general solver if it
    misses)."""
    reduced = ReducedLasso(stats, penalty)
    inner = reduced.reduced
    if isinstance(inner, LazyStats):
        if not (np.asarray(alphas) > 0).all():  # alpha 0 (no gradient left): the general solver
            yield from _general_points(stats, alphas, penalty, tol, max_iter)
            return
        scalar = _activeset_points(
            inner,
            alphas,
            penalty.l1_ratio,
            tol / reduced.max_factor,
            max_iter,
            homotopy=False,
            l2_weights=reduced.scale,
        )
        yield from _mapped_back(stats, penalty, alphas, tol, max_iter, reduced, scalar)
        return
    m = inner.n_features
    excess = reduced.scale - reduced.scale.min()  # 1 / f_j above the smallest
    r = penalty.l1_ratio
    c_max = alpha_max(stats.c, 1.0)
    u = np.zeros(m)
    true_grad = inner.c.copy()  # the reduced gradient without the diagonal
    prev = None
    for a in np.asarray(alphas, dtype=float).tolist():
        lam1, lam2 = a * r, a * (1.0 - r)
        delta = lam2 * excess
        ridge = lam2 * float(reduced.scale.min())
        bound = tol * kkt_scale(a, c_max)
        if lam1 + ridge > 0.0:
            gram = inner.gram.copy()
            gram.flat[:: m + 1] += delta
            shifted = GramStats(gram, inner.c, inner.yy, inner.n_samples)
            point = ElasticNet(alpha=lam1 + ridge, l1_ratio=lam1 / (lam1 + ridge))
            screen = None if prev is None else strong_screen(true_grad, r, a, prev)
            sol = solve_enet(
                shifted, point, u, tol=bound / reduced.max_factor, max_iter=max_iter, screen=screen
            )
            u, prev = sol.coef, a
            true_grad = sol.grad + delta * u
            coef = reduced.coef(u)
            grad = reduced.gradient(true_grad)
            violation = penalty.kkt_violation(grad, coef, a)
            n_iter = sol.n_iter
        else:  # alpha 0 (a fold whose unpenalized fit leaves no gradient): the general solver
            coef, grad, violation, n_iter = reduced.coef(u), None, np.inf, 0
        if violation > bound:
            general = solve_general(stats, penalty, a, coef, tol=bound, max_iter=max_iter)
            coef, grad, violation = general.coef, general.grad, general.max_kkt_violation
            n_iter += general.n_iter
        yield coef, grad, n_iter, violation, violation <= bound


def _signed_points(  # type: ignore[no-untyped-def]
    stats: Stats,
    alphas: np.ndarray,
    penalty: Penalty,
    signs: np.ndarray,
    tol: float,
    max_iter: int,
):
    """Limits at 0 only (non-negative or non-positive coefficients, ``Penalty.sign_limits``)
    with unit factors: the scalar path routes, each feature entering with its allowed sign
    only; every point is certified on the limited problem (re-solved by the general solver if
    it misses)."""
    scalar = _activeset_points(
        stats,
        alphas,
        penalty.l1_ratio,
        tol,
        max_iter,
        homotopy=_homotopy_serves(stats, penalty.l1_ratio, len(alphas)),
        signs=signs,
    )
    mapped = ((coef, grad, n_iter) for coef, grad, n_iter, _, _ in scalar)
    yield from _certified(stats, penalty, alphas, tol, max_iter, mapped)


def _boxed_serves(penalty: Penalty | None) -> bool:
    """Whether the box route takes this penalty: limits (not only at 0) with unit factors and
    some l1 penalty."""
    return (
        penalty is not None
        and penalty.bounded
        and penalty.factors is None
        and penalty.l1_ratio > 0.0
    )


def _boxed_ridge_serves(penalty: Penalty | None, alphas: np.ndarray) -> bool:
    """Whether the bounded ridge route takes this path: ridge with limits, unit factors and
    every alpha positive."""
    return (
        penalty is not None
        and penalty.bounded
        and penalty.factors is None
        and penalty.l1_ratio == 0.0
        and bool((np.asarray(alphas) > 0).all())
    )


class _FreeRidge:
    """Ridge on the features not held at a limit, the held ones at fixed values: b_F solves
    (G_FF + lam2 I) b_F = c_F - G_FB b_B.  On a Gram by a Cholesky factorization of the free
    block; on the lazy source (p > n) from one eigendecomposition of the kernel K = X~X~' for the
    whole path: b_F = X~_F' u with (K - X~_B X~_B' + lam2 I) u = z - X~_B b_B, the held columns'
    part a Woodbury correction of order |B|."""

    def __init__(self, stats: Stats):
        self.stats = stats
        self.kernel = isinstance(stats, LazyStats) and stats.n_features > stats.n_samples
        if self.kernel:
            assert isinstance(stats, LazyStats)
            d, U = np.linalg.eigh(thin_product(stats.Xs, stats.Xs.T))
            self.d, self.U = np.maximum(d, 0.0), U

    def gradient(self, coef: np.ndarray) -> np.ndarray:
        """c - G b for a dense b (no gather of its nonzero columns)."""
        stats = self.stats
        if isinstance(stats, GramStats):
            return stats.c - stats.gram @ coef
        return stats.c - thin_product(stats.Xs.T, thin_product(stats.Xs, coef))

    def solve(self, lam2: float, held: np.ndarray, value: np.ndarray) -> np.ndarray | None:
        """The coefficients (m,), held features at ``value``; None where a system is singular."""
        stats = self.stats
        B = np.flatnonzero(held)
        F = np.flatnonzero(~held)
        coef = np.where(held, value, 0.0)
        if F.size == 0:
            return coef
        if self.kernel:
            assert isinstance(stats, LazyStats)
            Xs, U = stats.Xs, self.U
            inv = 1.0 / (self.d + lam2)

            def a_inv(M: np.ndarray) -> np.ndarray:  # (K + lam2 I)^{-1} M
                return U @ ((inv if M.ndim == 1 else inv[:, None]) * (U.T @ M))

            rhs = stats.zs - Xs[:, B] @ value[B] if B.size else stats.zs
            u = a_inv(rhs)
            if B.size:  # (A - V V')^{-1} = A^-1 + A^-1 V (I - V' A^-1 V)^-1 V' A^-1
                V = Xs[:, B]
                AV = a_inv(V)
                cap = np.eye(B.size) - V.T @ AV
                L, info = potrf(cap)
                if info != 0:
                    return None
                w, info = potrs(L, V.T @ u)
                if info != 0:
                    return None
                u = u + AV @ w
            coef[F] = thin_product(Xs.T, u)[F]
            return coef
        M = stats.block(F, F)
        M.flat[:: F.size + 1] += lam2
        rhs = stats.c[F] - (stats.block(F, B) @ value[B] if B.size else 0.0)
        L, info = potrf(M)
        if info != 0:
            return None
        x, info = potrs(L, rhs)
        if info != 0:
            return None
        coef[F] = x
        return coef


def _boxed_ridge_points(
    stats: Stats, alphas: np.ndarray, penalty: Penalty, tol: float, max_iter: int
):  # type: ignore[no-untyped-def]
    """Ridge with limits (unit factors): each alpha's ridge on the features not held at a
    limit (``_FreeRidge``); a free coefficient beyond its limit is held there, a held one whose
    gradient no longer pushes it against its limit goes free, until nothing changes (at most
    ``tuning.BOX_ROUNDS`` rounds, then the general solver takes that alpha).  Every point is
    certified on the bounded problem from its own gradient."""
    m = stats.n_features
    lower, upper = penalty.bounds(m)
    c_max = alpha_max(stats.c, 1.0)
    free = _FreeRidge(stats)
    held = (lower == 0) & (upper == 0)  # both limits 0: held at 0 throughout
    value = np.zeros(m)
    side = np.zeros(m)  # +1 held at its upper limit, -1 at its lower
    coef = np.zeros(m)
    for a in np.asarray(alphas, dtype=float).tolist():
        bound = tol * kkt_scale(a, c_max)
        settled = False
        grad = stats.c
        kkt = np.inf
        for _ in range(BOX_ROUNDS):
            solved = free.solve(a, held, value)
            if solved is None:
                break
            coef = solved
            grad = free.gradient(coef)
            over = ~held & (coef > upper)
            under = ~held & (coef < lower)
            # held at the upper limit the gradient (less the ridge part) must push up, at the
            # lower down; one that pulls back inside goes free
            r = grad - a * coef
            release = held & (side != 0) & (-side * r > bound)
            if not (over.any() or under.any() or release.any()):
                kkt = float(
                    bounded_kkt_residuals(grad, coef, 0.0, a, lower, upper).max(initial=0.0)
                )
                settled = kkt <= bound
                break
            held[over], value[over], side[over] = True, upper[over], 1.0
            held[under], value[under], side[under] = True, lower[under], -1.0
            held[release], value[release], side[release] = False, 0.0, 0.0
        n_iter = 1
        if not settled:
            general = solve_general(
                stats, penalty, a, np.clip(coef, lower, upper), tol=bound, max_iter=max_iter
            )
            coef, grad, kkt = general.coef, general.grad, general.max_kkt_violation
            n_iter += general.n_iter
            settled = general.converged
            at_upper = (coef >= upper) & (upper != np.inf)
            at_lower = (coef <= lower) & (lower != -np.inf) & ~at_upper
            held = at_upper | at_lower | ((lower == 0) & (upper == 0))
            value = np.where(held, coef, 0.0)
            side = np.where(at_upper, 1.0, np.where(at_lower, -1.0, 0.0))
        yield coef, grad, n_iter, kkt, settled


def _held_statistics(stats: Stats, held: np.ndarray, value: np.ndarray) -> Stats:
    """The statistics of the features not held, with the held ones at ``value``: c - G_:B b_B
    (on the lazy source, the held columns' fitted values come off z)."""
    B = np.flatnonzero(held & (value != 0))
    if B.size == 0:
        return stats
    if isinstance(stats, GramStats):
        return GramStats(stats.gram, stats.c - value[B] @ stats.gram[B], stats.yy, stats.n_samples)
    return LazyStats(stats.Xs, stats.zs - stats.Xs[:, B] @ value[B])


def _boxed_points(stats: Stats, alphas: np.ndarray, penalty: Penalty, tol: float, max_iter: int):  # type: ignore[no-untyped-def]
    """Limits other than at 0 with unit factors: the scalar active-set solver on the features
    not at a limit, with the held ones' part taken out of its statistics (c - G_:B b_B).  A
    feature whose solution crosses its limit is held there; a held one whose gradient pulls it
    back inside goes free again (starting at its limit).  Every point is certified on the
    bounded problem; an alpha whose rounds do not settle (``tuning.BOX_ROUNDS``) goes to the
    general solver."""
    m = stats.n_features
    lower, upper = penalty.bounds(m)
    l1_ratio = penalty.l1_ratio
    allowed = np.where(lower == 0, 1, np.where(upper == 0, -1, 0)).astype(np.int8)
    signed = allowed if allowed.any() else None
    c_max = alpha_max(stats.c, 1.0)
    # a feature both of whose limits are 0 is held at 0 throughout, with nothing to certify
    pinned = (lower == 0) & (upper == 0)
    held = pinned.copy()
    B = np.flatnonzero(held)  # the held features
    value = np.zeros(m)  # the held features' coefficients (at a limit), 0 elsewhere
    free_stats = stats
    coef = np.zeros(m)  # the other features' coefficients
    grad = stats.c.copy()
    grad_before = None  # the gradient one point earlier: the next one's extrapolation
    active_set: ActiveSet | DualActiveSet | None = None
    prev_alpha = None
    cache, factor = BlockCache(stats), FreeFactor()
    lazy = isinstance(stats, LazyStats)
    grid = np.asarray(alphas, dtype=float)
    values = grid.tolist()
    tols = tol * kkt_scales(grid, c_max)
    i, K = 0, len(values)

    def split(full: np.ndarray):  # type: ignore[no-untyped-def]
        """(held, their indices, their values, the free coefficients, the free features'
        statistics) of a solution found elsewhere (the homotopy, the general solver)."""
        held = ((full >= upper) & (full > 0)) | ((full <= lower) & (full < 0)) | pinned
        value = np.where(held, full, 0.0)
        coef = np.where(held, 0.0, full)
        return held, np.flatnonzero(held), value, coef, _held_statistics(stats, held, value)

    if l1_ratio == 1.0 and _homotopy_serves(stats, 1.0, K):
        assert isinstance(stats, LazyStats)
        handover = yield from lasso_homotopy(
            stats, values, tols, max_iter, signs=signed, limits=(lower, upper)
        )
        if handover is None:
            return
        i, grad, prev_alpha = handover.next_index, handover.grad, handover.alpha
        held, B, value, coef, free_stats = split(handover.coef)
    while i < K:
        a = values[i]
        lam1, lam2 = a * l1_ratio, a * (1.0 - l1_ratio)
        point = ElasticNet(alpha=a, l1_ratio=l1_ratio)
        bound = float(tols[i])
        screen = enter = None
        if prev_alpha is not None:
            push = grad if signed is None else np.maximum(sided(grad, signed), 0.0)
            screen = strong_screen(push, l1_ratio, a, prev_alpha)
            screen[B] = False
            if grad_before is not None and lazy:  # as ``_activeset_points``
                enter = predicted_entering(
                    grad, grad_before, signed, lam1, (coef != 0) | held, stats.n_samples
                )
        grad_before = grad
        n_iter = 0
        settled = False
        kkt = np.inf
        for _ in range(BOX_ROUNDS):
            sol = solve_enet(
                free_stats,
                point,
                coef,
                tol=bound,
                max_iter=max_iter,
                screen=screen,
                active_set=active_set,
                enter=enter,
                allowed=signed,
                frozen=held if B.size else None,
            )
            enter = None
            n_iter += sol.n_iter
            coef, grad, active_set = sol.coef, sol.grad, sol.active_set
            A = active_set.idx  # the nonzero coefficients
            over, under = A[coef[A] > upper[A]], A[coef[A] < lower[A]]
            # a held feature's gradient (less its ridge part) must push it outward by lam1
            r = grad[B] - lam2 * value[B]
            pull = np.where(value[B] > 0, lam1 - r, r + lam1)  # > 0: pulled back inside
            pull[pinned[B]] = 0.0
            release = B[pull > bound]
            if not (over.size or under.size or release.size):
                # the solve certified the features not held; the held ones by their pull
                kkt = max(sol.max_kkt_violation, float(pull.max(initial=0.0)))
                settled = sol.converged
                break
            value[over], value[under] = upper[over], lower[under]
            held[over] = held[under] = True
            coef[over] = coef[under] = 0.0
            coef[release], value[release] = value[release], 0.0
            held[release] = False
            B = np.flatnonzero(held)
            free_stats = _held_statistics(stats, held, value)
            active_set = None  # its statistics changed
        full = coef + value
        if not (settled and kkt <= bound):
            general = solve_general(
                stats,
                penalty,
                a,
                np.clip(full, lower, upper),
                tol=bound,
                max_iter=max_iter,
                cache=cache,
                factor=factor,
            )
            n_iter += general.n_iter
            full, grad, kkt = general.coef, general.grad, general.max_kkt_violation
            held, B, value, coef, free_stats = split(full)
            active_set = None
            settled = general.converged
        prev_alpha = a
        i += 1
        yield full, grad, n_iter, kkt, settled


def _general_points(stats: Stats, alphas: np.ndarray, penalty: Penalty, tol: float, max_iter: int):  # type: ignore[no-untyped-def]
    """Warm-started general active-set solves, one per alpha, with the strong rule
    of the per-feature penalty."""
    c_max = alpha_max(stats.c, 1.0)
    coef = np.zeros(stats.n_features)
    grad = stats.c
    prev_alpha = None
    cache = BlockCache(stats)
    factor = FreeFactor()
    for a in np.asarray(alphas, dtype=float).tolist():
        screen = None if prev_alpha is None else penalty.strong_screen(grad, a, prev_alpha)
        sol = solve_general(
            stats,
            penalty,
            a,
            coef,
            tol=tol * kkt_scale(a, c_max),
            max_iter=max_iter,
            screen=screen,
            cache=cache,
            grad0=grad,
            factor=factor,
        )
        coef, grad, prev_alpha = sol.coef, sol.grad, a
        yield coef, grad, sol.n_iter, sol.max_kkt_violation, sol.converged


def predicted_entering(
    grad: np.ndarray,
    grad_before: np.ndarray,
    signs: np.ndarray | None,
    lam1: float,
    taken: np.ndarray,
    n_samples: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The features (and their signs) that the gradient, extrapolated linearly from the two
    points before, predicts to enter at lam1: those whose push passes lam1, outside ``taken``
    (bool), the strongest ``PREDICTED_ENTERING_SHARE`` x n_samples of them (at least
    ``PREDICTED_ENTERING_MIN``): on very few rows the extrapolation can pass lam1 for
    hundreds of thousands of features at once."""
    predicted = 2.0 * grad - grad_before
    push = sided(predicted, signs)
    new = np.flatnonzero((push > lam1) & ~taken)
    limit = max(PREDICTED_ENTERING_MIN, int(PREDICTED_ENTERING_SHARE * n_samples))
    if new.size > limit:
        new = np.sort(new[np.argpartition(-push[new], limit - 1)[:limit]])
    return new, np.sign(predicted[new])


def _activeset_points(  # type: ignore[no-untyped-def]
    stats: Stats,
    alphas: np.ndarray,
    l1_ratio: float,
    tol: float,
    max_iter: int,
    *,
    homotopy: bool,
    signs: np.ndarray | None = None,
    l2_weights: np.ndarray | None = None,
):
    """Warm-started active-set solves, one per alpha, with the sequential strong rule (after
    the homotopy, where ``dispatch.choose_route`` picks it); ``l2_weights``: the l2 term's
    per-feature weights (``ElasticNet.l2_weights``).

    For the lasso, after each solve the following grid points are tried on the same active set
    at once (``ActiveSet.segment``): where no feature enters or leaves between them they need no
    solve of their own.
    """
    m = stats.n_features
    coef = np.zeros(m)
    grad = stats.c.copy()
    prev_alpha = None
    active_set: ActiveSet | DualActiveSet | None = None
    c_max = alpha_max(stats.c, 1.0)
    lasso = l1_ratio == 1.0
    grid = np.asarray(alphas, dtype=float)
    values = grid.tolist()  # Python floats: cheaper scalar arithmetic than NumPy's, per point
    tols = tol * kkt_scales(grid, c_max)  # every point's absolute tolerance, sliced for segments
    i, k = 0, len(values)
    # on the lazy source a segment's gradient direction is a pass over X~, which near the dense
    # end of a path rarely yields a point
    lazy = isinstance(stats, LazyStats)
    misses = skip = 0
    grad_before = None  # the gradient one point earlier: the next one's extrapolation
    if homotopy:
        assert isinstance(stats, LazyStats)
        handover = yield from lasso_homotopy(stats, values, tols, max_iter, signs=signs)
        if handover is None:
            return
        i, coef, grad = handover.next_index, handover.coef, handover.grad
        prev_alpha, active_set = handover.alpha, handover.active_set
    while i < k:
        a = values[i]
        penalty = ElasticNet(alpha=a, l1_ratio=l1_ratio, l2_weights=l2_weights)
        # sequential strong rule: features likely to enter at this alpha are tried first
        screen = None
        enter = None
        if prev_alpha is not None:
            # (with sign limits, a gradient pushing a feature the blocked way is no push)
            push = grad if signs is None else np.maximum(sided(grad, signs), 0.0)
            screen = strong_screen(push, l1_ratio, a, prev_alpha)
            if grad_before is not None and lazy:
                threshold = a * l1_ratio
                if isinstance(active_set, DualActiveSet):
                    threshold *= 1.0 - DUAL_ENTRY_MARGIN  # a feature that leaves is cheap there
                enter = predicted_entering(
                    grad, grad_before, signs, threshold, coef != 0, stats.n_samples
                )
        grad_before = grad
        sol = solve_enet(
            stats,
            penalty,
            coef,
            tol=float(tols[i]),
            max_iter=max_iter,
            screen=screen,
            active_set=active_set,
            enter=enter,
            allowed=signs,
        )
        coef, grad, active_set = sol.coef, sol.grad, sol.active_set
        prev_alpha = a
        i += 1
        yield coef, grad, sol.n_iter, sol.max_kkt_violation, sol.converged
        if not (lasso and signs is None and sol.converged and isinstance(active_set, ActiveSet)):
            continue  # (a segment's check knows no sign limits)
        if skip:
            skip -= 1
            continue
        # the following points on the same active set, up to its next kink
        while i < k:
            block = grid[i : i + 32]
            formed = active_set.direction_formed
            count, B, grads, kkts = active_set.segment(block, tols[i : i + 32])
            if lazy and not formed and active_set.direction_formed:
                # that try cost a pass over X~: after two in a row without a point, the next
                # tries are spaced out (as many skipped as missed in a row, less one)
                misses = 0 if count else misses + 1
                skip = misses - 1 if misses >= 2 else 0
            for t in range(count):
                coef = np.zeros(m)
                coef[active_set.idx] = B[:, t]
                grad_before, grad = grad, grads[:, t]
                yield coef, grad, 1, float(kkts[t]), True
            if count:
                prev_alpha = values[i + count - 1]
            i += count
            if count < block.size:
                break


@threads_on_demand
def compute_path(
    X: np.ndarray,
    y: np.ndarray,
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
    gram: bool | None = None,
    penalty_factor: np.ndarray | None = None,
    lower: np.ndarray | float | None = None,
    upper: np.ndarray | float | None = None,
    gamma: float | None = None,
    prepared: tuple[Standardization, Stats] | None = None,
) -> PathResult:
    """Elastic-net path for X (n x p, float64), y (n,).

    Without ``alphas`` the grid is glmnet's (``n_alphas`` points from alpha_max down to
    ``eps`` * alpha_max) and the path may stop early as glmnet's does; given ``alphas`` (any
    order; solved in descending order) every point is solved.  ``penalty_factor`` (p,) and the
    bounds ``lower`` / ``upper`` (original scale, scalars or (p,)) follow glmnet's
    penalty.factor, lower.limits and upper.limits; ``gamma`` makes it the relaxed path at
    that gamma (glmnet's relax = TRUE; the certificates stay those of the penalized points).
    ``prepared``: the (standardization, statistics) of these rows, computed elsewhere (the
    stream engine); X and y then only give the shape.
    """
    t0 = time.perf_counter()
    n, p = X.shape
    if prepared is not None:
        std, stats = prepared
    else:
        std, stats = prepare(
            X, y, weights, fit_intercept=fit_intercept, standardize=standardize, gram=gram
        )
    penalty = penalty_for(
        p, l1_ratio, std.keep, std.scale, factors=penalty_factor, lower=lower, upper=upper
    )
    amax = problem_alpha_max(stats, penalty)
    grid, early = path_grid(amax, n, p, alphas=alphas, n_alphas=n_alphas, eps=eps)
    with single_blas_thread():
        raw = solve_path(
            stats, grid, l1_ratio, tol=tol, max_iter=max_iter, early_stop=early, penalty=penalty
        )
    refit_ok = None
    if gamma is not None:
        relaxed, refit_ok = relaxed_coefs(stats, raw.coefs, np.array([gamma]), penalty)
        coefs = relaxed[0]
        fit_term = np.array(
            [b @ (stats.c + stats.grad(np.flatnonzero(b), b[b != 0])) for b in coefs]
        )
        raw = replace(raw, coefs=coefs, dev_ratio=deviance_ratios(stats.yy, fit_term))
    res = path_result(
        raw, std, l1_ratio=l1_ratio, alpha_max=amax, n_samples=n, t0=t0, null_deviance=stats.yy
    )
    if penalty.original_limits is not None:
        res = replace(res, coefs=penalty.hold_limits(res.coefs))
    return res if gamma is None else replace(res, gamma=float(gamma), refit_ok=refit_ok)


def path_result(
    raw: RawPath,
    std: Standardization,
    *,
    l1_ratio: float,
    alpha_max: float,
    n_samples: int,
    t0: float,
    null_deviance: float = 0.0,
) -> PathResult:
    """Map a standardized path back to the original feature scale."""
    coefs, intercepts = std.to_original(raw.coefs)
    return PathResult(
        alphas=raw.alphas,
        l1_ratio=l1_ratio,
        coefs=coefs,
        standardized_coefs=std.standardized(raw.coefs),
        intercepts=np.atleast_1d(intercepts),
        n_nonzero=(raw.coefs != 0).sum(axis=1),
        dev_ratio=raw.dev_ratio,
        max_kkt_violation=raw.max_kkt_violation,
        n_iter=raw.n_iter,
        converged=raw.converged,
        alpha_max=alpha_max,
        stop_reason=raw.stop_reason,
        standardization=std,
        n_samples=n_samples,
        fit_s=time.perf_counter() - t0,
        null_deviance=float(null_deviance),
    )
