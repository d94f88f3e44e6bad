"""Limits other than at 0 with unit factors (a box, one-sided limits) run the scalar active-set
solver on the features not at a limit (``path._boxed_points``): the same paths as the general
bounded solver, every point certified, the limits exact."""

import numpy as np
import pytest

from regcli.core import compute_path
from regcli.core import path as path_module
from tests.conftest import make_problem


def _limits(kind: str, X: np.ndarray, y: np.ndarray, l1_ratio: float = 1.0) -> dict:
    p = X.shape[1]
    top = np.abs(compute_path(X, y, n_alphas=30, l1_ratio=l1_ratio).coefs[-1]).max()
    return {
        "box": {"lower": -0.4 * top, "upper": 0.4 * top},
        "upper": {"upper": 0.2 * top},
        "mixed": {  # per feature: a box, non-negative below a cap, or free
            "lower": np.where(
                np.arange(p) % 3 == 0, -0.3 * top, np.where(np.arange(p) % 3 == 1, 0.0, -np.inf)
            ),
            "upper": np.where(np.arange(p) % 3 == 2, np.inf, 0.25 * top),
        },
        "pinned": {  # every fourth feature held at 0 from both sides, a box on the others
            "lower": np.where(np.arange(p) % 4 == 0, 0.0, -0.3 * top),
            "upper": np.where(np.arange(p) % 4 == 0, 0.0, 0.3 * top),
        },
    }[kind]


def _spy_general(monkeypatch) -> list:
    calls: list = []
    real = path_module._general_points
    monkeypatch.setattr(
        path_module, "_general_points", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    return calls


@pytest.mark.parametrize(
    ("n", "p", "l1_ratio"),
    [(40, 300, 1.0), (40, 300, 0.5), (320, 900, 0.3), (200, 12, 1.0), (200, 12, 0.5)],
)
@pytest.mark.parametrize("kind", ["box", "upper", "mixed", "pinned"])
def test_box_paths_equal_the_general_solver(n, p, l1_ratio, kind, monkeypatch):
    X, y = make_problem(n, p, seed=n + p, k=min(8, p), rho=0.3)
    kw = _limits(kind, X, y)
    general_calls = _spy_general(monkeypatch)
    fast = compute_path(X, y, l1_ratio=l1_ratio, n_alphas=40, **kw)
    assert not general_calls  # the box route served it
    assert fast.converged.all() and (fast.max_kkt_relative <= 1e-6).all()
    lower = np.broadcast_to(kw.get("lower", -np.inf), (p,))
    upper = np.broadcast_to(kw.get("upper", np.inf), (p,))
    coefs = fast.coefs
    assert (coefs >= lower).all() and (coefs <= upper).all()  # exactly, on the original scale
    assert (coefs[:, (lower == 0) & (upper == 0)] == 0).all()
    assert np.isclose(coefs, upper, rtol=1e-12).any()  # a limit binds somewhere
    monkeypatch.setattr(path_module, "_boxed_serves", lambda penalty: False)
    general = compute_path(X, y, l1_ratio=l1_ratio, alphas=fast.alphas, **kw)
    assert general_calls
    scale = max(np.abs(general.coefs).max(), 1e-12)
    assert np.abs(fast.coefs - general.coefs).max() <= 1e-6 * scale


@pytest.mark.parametrize(("n", "p", "l1_ratio"), [(40, 300, 0.5), (200, 12, 1.0)])
def test_an_alpha_whose_rounds_do_not_settle_goes_to_the_general_solver(
    n, p, l1_ratio, monkeypatch
):
    X, y = make_problem(n, p, seed=3, k=min(8, p), rho=0.3)
    kw = dict(_limits("box", X, y), l1_ratio=l1_ratio)
    reference = compute_path(X, y, n_alphas=30, **kw)
    solves = []
    real = path_module.solve_general
    monkeypatch.setattr(
        path_module, "solve_general", lambda *a, **k: solves.append(1) or real(*a, **k)
    )
    monkeypatch.setattr(path_module, "BOX_ROUNDS", 1)  # one round: no time to hold a feature
    res = compute_path(X, y, n_alphas=30, **kw)
    assert solves  # some alphas needed the general solver
    assert res.converged.all() and (res.max_kkt_relative <= 1e-6).all()
    scale = np.abs(reference.coefs).max()
    assert np.abs(res.coefs - reference.coefs).max() <= 1e-6 * scale


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_a_coefficient_at_its_limit_is_the_limit_exactly_on_the_original_scale(l1_ratio):
    from regcli.core import fit

    X, y = make_problem(200, 12, seed=212, k=8, rho=0.3)  # scales 0.5-5: the mapping rounds
    top = np.abs(compute_path(X, y, n_alphas=30).coefs[-1]).max()
    upper = np.full(12, 0.3 * top)
    upper[1] = 0.21 * top
    res = fit(X, y, alpha=1e-3, l1_ratio=l1_ratio, lower=-0.3 * top, upper=upper)
    assert res.converged and (res.coef <= upper).all() and (res.coef >= -0.3 * top).all()
    assert (res.coef == upper).sum() >= 2  # held at the limit: equal, not within a rounding
    path = compute_path(X, y, l1_ratio=l1_ratio, n_alphas=30, lower=-0.3 * top, upper=upper)
    assert (path.coefs <= upper).all() and (path.coefs == upper).any()


def test_the_small_wide_lasso_box_follows_the_homotopy_through_its_limits(monkeypatch):
    from regcli.core import homotopy

    X, y = make_problem(40, 300, seed=5, k=8, rho=0.3)
    kw = _limits("box", X, y)
    handovers, released = [], []
    real = path_module.lasso_homotopy
    append = homotopy._Path.append

    def counting(self, j, sign, norm, start=0.0):
        if start != 0.0:  # a held feature going free from its limit
            released.append(j)
        return append(self, j, sign, norm, start)

    monkeypatch.setattr(homotopy._Path, "append", counting)

    def spy(*args, **kwargs):
        handover = yield from real(*args, **kwargs)
        handovers.append(handover)
        return handover

    monkeypatch.setattr(path_module, "lasso_homotopy", spy)
    grid = compute_path(X, y, n_alphas=60).alphas  # explicit: no early stop
    res = compute_path(X, y, alphas=grid, **kw)
    assert handovers == [None]  # every point from the homotopy: limits reached and released
    assert released
    held = np.isclose(np.abs(res.coefs), kw["upper"], rtol=0, atol=0)
    assert held.any(axis=1).sum() >= 10  # held at a limit over many points
    assert res.converged.all() and (res.max_kkt_relative <= 1e-6).all()
    monkeypatch.setattr(path_module, "_boxed_serves", lambda penalty: False)
    general = compute_path(X, y, alphas=res.alphas, **kw)
    assert np.abs(res.coefs - general.coefs).max() <= 1e-6 * np.abs(general.coefs).max()


@pytest.mark.parametrize(("n", "p"), [(20, 94), (30, 12)])
def test_a_tight_box_that_holds_every_active_feature(n, p, monkeypatch):
    X, y = make_problem(n, p, seed=44, k=min(5, p), rho=0.5)
    top = np.abs(compute_path(X, y, n_alphas=20).coefs[-1]).max()
    kw = {"lower": -0.01 * top, "upper": 0.01 * top}
    res = compute_path(X, y, n_alphas=40, **kw)
    assert res.converged.all() and (res.max_kkt_relative <= 1e-6).all()
    assert (np.abs(res.coefs[-1]) == 0.01 * top).sum() >= 2  # held, none free in between
    monkeypatch.setattr(path_module, "_boxed_serves", lambda penalty: False)
    general = compute_path(X, y, alphas=res.alphas, **kw)
    assert np.abs(res.coefs - general.coefs).max() <= 1e-6 * 0.01 * top


@pytest.mark.parametrize(("n", "p"), [(40, 300), (200, 12)])  # the kernel, the Gram
@pytest.mark.parametrize("kind", ["box", "upper", "mixed", "pinned", "positive"])
def test_ridge_with_limits_equals_the_general_solver(n, p, kind, monkeypatch):
    X, y = make_problem(n, p, seed=n + p, k=min(8, p), rho=0.3)
    kw = {"lower": 0.0} if kind == "positive" else _limits(kind, X, y, l1_ratio=0.0)
    general_calls = _spy_general(monkeypatch)
    solves = []
    real = path_module.solve_general
    monkeypatch.setattr(
        path_module, "solve_general", lambda *a, **k: solves.append(1) or real(*a, **k)
    )
    fast = compute_path(X, y, l1_ratio=0.0, n_alphas=30, **kw)
    assert not general_calls and not solves  # the bounded ridge route settled every alpha
    assert fast.converged.all() and (fast.max_kkt_relative <= 1e-6).all()
    lower = np.broadcast_to(kw.get("lower", -np.inf), (p,))
    upper = np.broadcast_to(kw.get("upper", np.inf), (p,))
    assert (fast.coefs >= lower).all() and (fast.coefs <= upper).all()
    assert (np.isclose(fast.coefs, upper, rtol=1e-12) | (fast.coefs == lower)).any()
    monkeypatch.setattr(path_module, "_boxed_ridge_serves", lambda penalty, alphas: False)
    general = compute_path(X, y, l1_ratio=0.0, alphas=fast.alphas, **kw)
    scale = max(np.abs(general.coefs).max(), 1e-12)
    assert np.abs(fast.coefs - general.coefs).max() <= 1e-6 * scale
