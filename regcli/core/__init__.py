"""regcli's solver core: NumPy and SciPy only (no pandas, rich or typer)."""

from regcli.core.fit import FitResult, fit
from regcli.core.path import PathResult, alpha_grid, compute_path, solve_path
from regcli.core.penalty import ElasticNet, alpha_max

__all__ = [
    "ElasticNet",
    "FitResult",
    "PathResult",
    "alpha_grid",
    "alpha_max",
    "compute_path",
    "fit",
    "solve_path",
]
