"""Collinearity diagnostics of the standardized design (for `compare`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Features whose |correlation| exceeds this are grouped.
CORRELATION_GROUP = 0.9
_BLOCK = 512
_SINGLE_MARGIN = 1e-4


@dataclass(frozen=True)
class Collinearity:
    condition_number: float  # of the standardized X (inf when rank deficient, e.g. p >= n)
    groups: list[list[int]]  # connected groups (size >= 2) of |corr| > CORRELATION_GROUP
    max_vif: float | None  # largest variance inflation factor (n > p only)
    max_vif_feature: int | None


def collinearity_from_gram(G: np.ndarray, live: np.ndarray, n: int) -> Collinearity:
    """Diagnostics from the Gram matrix G (m x m) of the kept columns ``live`` (indices into the
    p features) of a design with n rows; G need not be scaled (it is turned into correlations)."""
    d = np.sqrt(np.diagonal(G))
    C = G / np.outer(d, d)
    m = live.size
    eig = np.linalg.eigvalsh(C) if m else np.zeros(0)
    tol = eig.max() * max(n, m) * np.finfo(float).eps if eig.size else 0.0
    cond = float(np.sqrt(eig.max() / eig.min())) if eig.size and eig.min() > tol else float("inf")
    groups = _groups(np.abs(C) > CORRELATION_GROUP, live)
    max_vif = max_vif_feature = None
    if n > m and np.isfinite(cond) and m:
        vif = np.diagonal(np.linalg.inv(C))
        k = int(np.argmax(vif))
        max_vif, max_vif_feature = float(vif[k]), int(live[k])
    return Collinearity(
        condition_number=cond, groups=groups, max_vif=max_vif, max_vif_feature=max_vif_feature
    )


def collinearity(X: np.ndarray, weights: np.ndarray | None = None) -> Collinearity:
    """Condition number, correlated groups and the largest VIF of the non-constant columns.

    With p <= n the Gram of the standardized columns is formed (``collinearity_from_gram``);
    otherwise correlations are computed in column blocks, so no p x p matrix is formed.
    """
    from regcli.core.stats import prescale

    n, p = X.shape
    factor = prescale(X, True)  # correlations do not depend on the columns' scales
    if factor is not None:
        X = X / factor
    v = np.full(n, 1.0 / n) if weights is None else weights / weights.sum()
    mean = v @ X
    Z = X - mean
    Z *= np.sqrt(v)[:, None]
    sd = np.sqrt(np.einsum("ij,ij->j", Z, Z))
    live = np.flatnonzero(sd > 1e-13 * np.maximum(np.abs(mean), 1e-300))
    if live.size < p:
        Z = Z[:, live]
    Z /= sd[live]
    m = live.size
    if m <= n:
        return collinearity_from_gram(Z.T @ Z, live, n)
    # more columns than rows: the centered columns (orthogonal to sqrt(v)) have rank <= n - 1,
    # so the condition number is infinite without a singular value decomposition.
    # Correlations: single precision finds the candidate pairs (its error, ~1e-6, is far
    # below the margin), double precision decides them.
    from regcli.core.threads import all_threads

    Z32 = Z.astype(np.float32)
    edges: list[tuple[int, int]] = []
    for start in range(0, m, _BLOCK):
        # the pairs (i, j >= start) of block rows i in [start, start + b): each pair once,
        # but for those within the block
        with all_threads():  # n m^2 / 2 multiply-adds in all: the spare cores help
            block = Z32[:, start : start + _BLOCK].T @ Z32[:, start:]
        b = block.shape[0]
        block[np.arange(b), np.arange(b)] = 0.0  # i itself (pairs within the block come twice)
        np.abs(block, out=block)
        # the rows with a candidate at all (few), then their candidates
        hot = np.flatnonzero(block.max(axis=1) > CORRELATION_GROUP - _SINGLE_MARGIN)
        if not hot.size:
            continue
        rows, cols = np.nonzero(block[hot] > CORRELATION_GROUP - _SINGLE_MARGIN)
        rows = hot[rows] + start
        cols += start
        exact = np.einsum("ij,ij->j", Z[:, rows], Z[:, cols])
        keep = np.abs(exact) > CORRELATION_GROUP
        edges.extend(zip(rows[keep].tolist(), cols[keep].tolist()))
    return Collinearity(
        condition_number=float("inf"),
        groups=_groups_from_edges(edges, live),
        max_vif=None,
        max_vif_feature=None,
    )


def _groups(adjacent: np.ndarray, live: np.ndarray) -> list[list[int]]:
    rows, cols = np.nonzero(adjacent)
    return _groups_from_edges(list(zip(rows.tolist(), cols.tolist())), live)


def _groups_from_edges(edges: list[tuple[int, int]], live: np.ndarray) -> list[list[int]]:
    """Connected components (size >= 2) of the graph on positions 0..m-1, as feature indices."""
    m = live.size
    parent = list(range(m))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for r, c in edges:
        if r != c:
            ra, rb = find(r), find(c)
            if ra != rb:
                parent[ra] = rb
    members: dict[int, list[int]] = {}
    for j in range(m):
        members.setdefault(find(j), []).append(int(live[j]))
    return sorted((g for g in members.values() if len(g) > 1), key=lambda g: g[0])
