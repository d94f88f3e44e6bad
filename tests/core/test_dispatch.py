"""The solver dispatch: every route is reached, serves its problem, and runs certified."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from regcli.core import compute_path, fit
from regcli.core import cv as cv_module
from regcli.core import path as path_module
from regcli.core.cv import cross_validate, make_folds
from regcli.core.dispatch import (
    CAPABILITIES,
    Problem,
    Route,
    choose_route,
    dual_factor_pays,
    serves,
    statistics_source,
)
from regcli.core.family import GAUSSIAN, family_named
from tests.conftest import make_problem

# regcli.core re-exports the function fit under the module's name
fit_module = importlib.import_module("regcli.core.fitting")

CASES = {
    Route.REDUCED: Problem(100, 10, 1.0, "gram", scalar_penalty=False),
    Route.GENERAL_ACTIVE_SET: Problem(100, 10, 1.0, "gram", scalar_penalty=False, alpha=0.1),
    Route.LEAST_SQUARES: Problem(100, 10, 1.0, "gram", alpha=0.0),
    Route.RIDGE: Problem(100, 10, 0.0, "gram", alpha=0.1),
    Route.BATCHED: Problem(100, 10, 0.5, "gram", n_points=100, n_paths=10),
    Route.HOMOTOPY: Problem(50, 500, 1.0, "lazy", n_points=100),
    Route.ACTIVE_SET: Problem(100, 10, 0.5, "gram", alpha=0.1),
}


@pytest.mark.parametrize("route", list(Route))
def test_every_route_is_chosen_for_its_problem(route):
    assert choose_route(CASES[route]) is route
    assert serves(route, CASES[route])


def test_the_chosen_route_always_serves_the_problem():
    for n in (5, 100, 3000):
        for p in (3, 100, 3000):
            for ratio in (0.0, 0.3, 1.0):
                for scalar in (True, False):
                    for alpha in (None, 0.0, 0.5):
                        for paths in (1, 5):
                            problem = Problem(
                                n,
                                p,
                                ratio,
                                statistics_source(n, p),
                                scalar_penalty=scalar,
                                alpha=alpha,
                                n_points=100 if alpha is None else 1,
                                n_paths=paths,
                            )
                            assert serves(choose_route(problem), problem)
    assert set(CAPABILITIES) == set(Route)


def test_sources_and_factor_forms():
    assert statistics_source(100, 100) == "gram"
    assert statistics_source(100, 101) == "lazy"
    assert statistics_source(10**6, 2501) == "lazy"
    assert dual_factor_pays(100, 80) and not dual_factor_pays(100, 79)


def _recording(monkeypatch, module):
    seen = []

    def record(problem):
        route = choose_route(problem)
        seen.append(route)
        return route

    monkeypatch.setattr(module, "choose_route", record)
    return seen


@pytest.mark.parametrize(
    "route, run",
    [
        (Route.GENERAL_ACTIVE_SET, lambda X, y: fit(X, y, alpha=0.1, lower=0.0)),
        (Route.LEAST_SQUARES, lambda X, y: fit(X, y, alpha=0.0)),
        (Route.RIDGE, lambda X, y: fit(X, y, alpha=0.1, l1_ratio=0.0)),
        (Route.ACTIVE_SET, lambda X, y: fit(X, y, alpha=0.1, l1_ratio=0.5)),
    ],
)
def test_fit_runs_each_of_its_routes_certified(monkeypatch, route, run):
    seen = _recording(monkeypatch, fit_module)
    X, y = make_problem(80, 6, seed=1)
    res = run(X, y)
    assert seen == [route] and res.converged


@pytest.mark.parametrize(
    "route, shape, kwargs",
    [
        (Route.REDUCED, (80, 6), {"penalty_factor": np.array([0, 1, 1, 1, 2, 1.0])}),
        (Route.REDUCED, (40, 90), {"penalty_factor": np.r_[0.0, 0.5, np.ones(88)]}),
        (
            Route.REDUCED,
            (80, 6),
            {"penalty_factor": np.array([0, 1, 1, 1, 1, 1.0]), "l1_ratio": 0.5},
        ),
        (
            Route.REDUCED,
            (40, 90),
            {"penalty_factor": np.r_[0.0, 0.5, np.ones(88)], "l1_ratio": 0.5},
        ),
        (
            Route.GENERAL_ACTIVE_SET,
            (40, 90),
            {"penalty_factor": np.r_[0.0, 0.5, np.ones(88)], "l1_ratio": 0.5, "upper": 0.5},
        ),
        (
            Route.REDUCED,
            (40, 90),
            {"penalty_factor": np.r_[0.0, 0.5, np.ones(88)], "l1_ratio": 0.0},
        ),
        (Route.GENERAL_ACTIVE_SET, (80, 6), {"upper": 0.5}),
        (Route.RIDGE, (80, 6), {"l1_ratio": 0.0}),
        (Route.HOMOTOPY, (30, 120), {}),
        (Route.ACTIVE_SET, (80, 6), {"l1_ratio": 0.5}),
    ],
)
def test_path_runs_each_of_its_routes_certified(monkeypatch, route, shape, kwargs):
    seen = _recording(monkeypatch, path_module)
    X, y = make_problem(*shape, seed=2)
    res = compute_path(X, y, n_alphas=40, **kwargs)
    assert seen[0] == route
    assert res.converged.all() and (res.max_kkt_relative <= 1e-6).all()


def test_cv_batches_its_fold_paths(monkeypatch):
    seen = _recording(monkeypatch, cv_module)
    X, y = make_problem(120, 8, seed=3)
    folds = make_folds(120, 5, seed=0)
    res = cross_validate(X, y, folds=[folds], l1_ratios=[0.5, 1.0])
    assert Route.BATCHED in seen and np.isfinite(res.curves[0].cv_mean).all()


def test_families_by_name():
    assert family_named("gaussian") is GAUSSIAN
    assert GAUSSIAN.link_name == "identity"
    with pytest.raises(ValueError, match="unknown family"):
        family_named("gamma")


@pytest.mark.parametrize(
    "shape, ratio",
    [
        ((90, 12), 1.0),
        ((40, 90), 1.0),
        ((90, 12), 0.4),
        ((40, 90), 0.4),
        ((60, 400), 0.1),
        ((90, 12), 0.0),
        ((40, 90), 0.0),
        ((60, 40), 0.0),
    ],
)
def test_the_reduced_penalty_equals_the_general_solver(monkeypatch, shape, ratio):
    X, y = make_problem(*shape, seed=6, rho=0.5)
    p = shape[1]
    f = np.ones(p)
    f[:2] = 0.0
    f[2:5] = [0.25, 3.0, 2.0]
    reduced = compute_path(X, y, penalty_factor=f, n_alphas=30, l1_ratio=ratio)

    def general_only(problem):
        route = choose_route(problem)
        return Route.GENERAL_ACTIVE_SET if route is Route.REDUCED else route

    monkeypatch.setattr(path_module, "choose_route", general_only)
    general = compute_path(X, y, penalty_factor=f, alphas=reduced.alphas, l1_ratio=ratio)
    assert reduced.converged.all() and (reduced.max_kkt_relative <= 1e-6).all()
    scale = np.abs(general.coefs).max()
    np.testing.assert_allclose(reduced.coefs, general.coefs, atol=1e-6 * scale)
    np.testing.assert_allclose(reduced.dev_ratio, general.dev_ratio, atol=1e-9)
