"""regcli's solver core: NumPy and SciPy only (no pandas, rich or typer).

Three axes: ``family`` (the loss), ``penalty`` (per-feature weights and bounds) and the solvers,
of which ``dispatch`` chooses one; ``moments`` accumulates the statistics they work from.  The
names below load on first use, so importing one small module (``regcli.core.family``) does not
load SciPy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ElasticNet": "regcli.core.penalty",
    "Penalty": "regcli.core.penalty",
    "alpha_max": "regcli.core.penalty",
    "FitResult": "regcli.core.fitting",
    "fit": "regcli.core.fitting",
    "PathResult": "regcli.core.path",
    "alpha_grid": "regcli.core.path",
    "compute_path": "regcli.core.path",
    "solve_path": "regcli.core.path",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'regcli.core' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
