"""Collinearity diagnostics against brute force: correlated groups on tall and wide designs."""

import numpy as np
import pytest

from regcli.core.diagnostics import CORRELATION_GROUP, collinearity


def brute_groups(X: np.ndarray) -> list[list[int]]:
    C = np.corrcoef(X, rowvar=False)
    p = X.shape[1]
    parent = list(range(p))

    def find(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    for i in range(p):
        for j in range(i + 1, p):
            if abs(C[i, j]) > CORRELATION_GROUP:
                parent[find(i)] = find(j)
    members: dict[int, list[int]] = {}
    for j in range(p):
        members.setdefault(find(j), []).append(j)
    return sorted((g for g in members.values() if len(g) > 1), key=lambda g: g[0])


@pytest.mark.parametrize("n, p", [(200, 30), (40, 700)])
def test_groups_match_brute_force_on_tall_and_wide_designs(n, p):
    rng = np.random.default_rng(p)
    X = rng.standard_normal((n, p))
    X[:, 5] = 3.0 * X[:, 2] + 0.05 * rng.standard_normal(n)  # |corr| ~ 0.9999
    X[:, 9] = -X[:, 5] + 0.1 * rng.standard_normal(n)
    if p > n:  # pairs across and within the column blocks of the wide route (512 columns each)
        X[:, p - 50] = -2.0 * X[:, 3] + 0.05 * rng.standard_normal(n)
        X[:, p - 10] = X[:, p - 30] + 0.05 * rng.standard_normal(n)
    # just below and just above the threshold: decided in double precision
    for target, col in ((CORRELATION_GROUP - 2e-6, 12), (CORRELATION_GROUP + 2e-6, 14)):
        u = X[:, 0] - X[:, 0].mean()
        e = rng.standard_normal(n)
        e -= e.mean() + (e @ u) / (u @ u) * u  # centered, orthogonal to u
        X[:, col] = target * u / np.linalg.norm(u) + np.sqrt(1 - target**2) * e / np.linalg.norm(e)
    result = collinearity(X)
    assert result.groups == brute_groups(X)
    assert [0, 14] in result.groups and not any(12 in g for g in result.groups)
    if p > n:
        assert [3, p - 50] in result.groups and [p - 30, p - 10] in result.groups
    if p > n:
        assert result.condition_number == np.inf and result.max_vif is None
    else:
        assert np.isfinite(result.condition_number) and result.max_vif is not None
