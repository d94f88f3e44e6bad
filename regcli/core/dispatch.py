"""Which solver runs: the one place that chooses, from the problem's shape and penalty.

``statistics_source`` picks the data's form, ``choose_route`` the solver, ``dual_factor_pays``
the active set's factor at each point.  Thresholds live in ``tuning``.

| route                | when                                                   | source     |
|----------------------|--------------------------------------------------------|------------|
| reduced_penalty      | path with factors, no limits: the scalar solvers on    | gram, lazy |
|                      | profiled, rescaled statistics (``reduction``; the      |            |
|                      | elastic net's l2 term weighted per feature; ridge's    |            |
|                      | closed form)                                           |            |
| general_active_set   | other per-feature factors or bounds (a path with       | gram, lazy |
|                      | limits and unit factors: the scalar solvers or ridge's |            |
|                      | closed form with features held at a limit,             |            |
|                      | ``path._boxed_points`` / ``_boxed_ridge_points``; this |            |
|                      | route is their fallback)                               |            |
| least_squares        | alpha = 0 (min-norm solution)                          | gram, lazy |
| ridge_closed_form    | l1_ratio = 0: Cholesky for one alpha, eigh/SVD a path  | gram, lazy |
| batched_active_set   | several lasso/enet paths on Grams of one size (cv)     | gram       |
| lasso_homotopy       | lasso path, p >= n, n <= 2 x grid points               | lazy       |
| active_set           | everything else (lasso segments along a path)          | gram, lazy |

| source | when                              |
|--------|-----------------------------------|
| gram   | p <= n and p <= 2500              |
| lazy   | otherwise (X~ kept, blocks formed) |

Inside ``active_set`` on the lazy source, the elastic net switches to the n x n dual
(Woodbury) factor once |A| >= n / 2.  Inside ``batched_active_set``, the kernels (batched LU,
per-problem Cholesky, spectral solves at the dense end) are chosen by the ``tuning`` sizes.
Each route declares what it supports (``CAPABILITIES``); ``choose_route`` never returns a route
that cannot serve the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from regcli.core.tuning import DUAL_FACTOR_FROM, GRAM_MAX_FEATURES, HOMOTOPY_SAMPLES_PER_POINT


class Route(str, Enum):
    REDUCED = "reduced_penalty"
    GENERAL_ACTIVE_SET = "general_active_set"
    LEAST_SQUARES = "least_squares"
    RIDGE = "ridge_closed_form"
    BATCHED = "batched_active_set"
    HOMOTOPY = "lasso_homotopy"
    ACTIVE_SET = "active_set"


@dataclass(frozen=True)
class Capabilities:
    """What a route can solve."""

    per_feature_penalty: bool = False  # factors other than 1
    bounds: bool = False
    #: "any", "lasso" (1 only), "ridge" (0 only), "none" (alpha = 0)
    l1_ratios: str = "any"
    sources: tuple[str, ...] = ("gram", "lazy")
    paths: str = "one"  # "one" path or point at a time, or "many" (a batch)


CAPABILITIES: dict[Route, Capabilities] = {
    Route.REDUCED: Capabilities(per_feature_penalty=True),
    Route.GENERAL_ACTIVE_SET: Capabilities(per_feature_penalty=True, bounds=True),
    Route.LEAST_SQUARES: Capabilities(l1_ratios="none"),
    Route.RIDGE: Capabilities(l1_ratios="ridge"),
    Route.BATCHED: Capabilities(sources=("gram",), paths="many"),
    Route.HOMOTOPY: Capabilities(l1_ratios="lasso", sources=("lazy",)),
    Route.ACTIVE_SET: Capabilities(),
}


@dataclass(frozen=True)
class Problem:
    """What the choice depends on.  ``alpha`` is None for a path; ``n_paths`` counts the paths
    solved together (cv folds and l1 ratios of one Gram size)."""

    n_samples: int
    n_features: int
    l1_ratio: float
    source: str  # "gram" or "lazy"
    scalar_penalty: bool = True
    bounded: bool = False  # coefficient limits (with per-feature penalties)
    alpha: float | None = None
    n_points: int = 1
    n_paths: int = 1


def statistics_source(n_samples: int, n_features: int) -> str:
    """'gram' (dense Gram, one pass over the rows) or 'lazy' (X~ kept, Gram blocks on demand)."""
    if n_features <= n_samples and n_features <= GRAM_MAX_FEATURES:
        return "gram"
    return "lazy"


def choose_route(problem: Problem) -> Route:
    """The solver for ``problem`` (see the table in the module docstring)."""
    if not problem.scalar_penalty:
        if not problem.bounded and problem.alpha is None:
            return Route.REDUCED
        return Route.GENERAL_ACTIVE_SET
    if problem.alpha == 0:
        return Route.LEAST_SQUARES
    if problem.l1_ratio == 0.0:
        return Route.RIDGE
    if problem.n_paths > 1 and problem.source == "gram":
        return Route.BATCHED
    if (
        problem.l1_ratio == 1.0
        and problem.alpha is None
        and problem.source == "lazy"
        and problem.n_features >= problem.n_samples
        and problem.n_samples <= HOMOTOPY_SAMPLES_PER_POINT * problem.n_points
    ):
        return Route.HOMOTOPY
    return Route.ACTIVE_SET


def serves(route: Route, problem: Problem) -> bool:
    """Whether ``route``'s capabilities cover ``problem``."""
    cap = CAPABILITIES[route]
    if not problem.scalar_penalty and not cap.per_feature_penalty:
        return False
    if problem.bounded and not cap.bounds:
        return False
    if problem.source not in cap.sources:
        return False
    if cap.l1_ratios == "lasso" and problem.l1_ratio != 1.0:
        return False
    if cap.l1_ratios == "ridge" and problem.l1_ratio != 0.0:
        return False
    if cap.l1_ratios == "none" and problem.alpha != 0:
        return False
    return not (cap.paths == "many" and problem.n_paths < 2)


def dual_factor_pays(n_samples: int, n_active: int) -> bool:
    """Whether the elastic net's active set on lazy data uses the n x n dual factor."""
    return n_active >= DUAL_FACTOR_FROM * n_samples
