"""Collinearity diagnostics of the standardized design (for `compare`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Features whose |correlation| exceeds this are grouped.
CORRELATION_GROUP = 0.9
_BLOCK = 512


@dataclass(frozen=True)
class Collinearity:
    condition_number: float  # of the standardized X (inf when rank deficient, e.g. p >= n)
    groups: list[list[int]]  # connected groups (size >= 2) of |corr| > CORRELATION_GROUP
    max_vif: float | None  # largest variance inflation factor (n > p only)
    max_vif_feature: int | None


def collinearity(X: np.ndarray, weights: np.ndarray | None = None) -> Collinearity:
    """Condition number, correlated groups and the largest VIF of the non-constant columns.

    Correlations are computed in column blocks, so no p x p matrix is formed when p is large.
    """
    n, p = X.shape
    v = np.full(n, 1.0 / n) if weights is None else weights / weights.sum()
    mean = v @ X
    Z = (X - mean) * np.sqrt(v)[:, None]
    sd = np.sqrt((Z * Z).sum(axis=0))
    live = np.flatnonzero(sd > 1e-13 * np.maximum(np.abs(mean), 1e-300))
    Z = Z[:, live] / sd[live]
    m = live.size
    s = np.linalg.svd(Z, compute_uv=False) if m else np.zeros(0)
    rank_tol = s.max() * max(n, m) * np.finfo(float).eps if s.size else 0.0
    cond = float(s.max() / s.min()) if s.size and s.min() > rank_tol else float("inf")
    # groups: connected components of the graph |corr_ij| > threshold
    parent = list(range(m))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for start in range(0, m, _BLOCK):
        block = Z[:, start : start + _BLOCK].T @ Z  # (b, m) correlations
        rows, cols = np.nonzero(np.abs(block) > CORRELATION_GROUP)
        for r, c in zip(rows + start, cols):
            if r < c:
                ra, rb = find(int(r)), find(int(c))
                if ra != rb:
                    parent[ra] = rb
    members: dict[int, list[int]] = {}
    for j in range(m):
        members.setdefault(find(j), []).append(int(live[j]))
    groups = sorted((g for g in members.values() if len(g) > 1), key=lambda g: g[0])
    max_vif = max_vif_feature = None
    if n > m and np.isfinite(cond) and m:
        vif = np.diagonal(np.linalg.inv(Z.T @ Z))
        k = int(np.argmax(vif))
        max_vif, max_vif_feature = float(vif[k]), int(live[k])
    return Collinearity(
        condition_number=cond, groups=groups, max_vif=max_vif, max_vif_feature=max_vif_feature
    )
