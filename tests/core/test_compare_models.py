"""compare_models runs every model's cv in one call: each row equals that model's own cv."""

from __future__ import annotations

import numpy as np
import pytest

from regcli.core.compare import compare_models
from regcli.core.cv import cross_validate, make_folds
from tests.conftest import make_problem


@pytest.mark.parametrize(("n", "p"), [(40, 60), (120, 8)])  # wide (lazy), tall (Gram)
def test_each_row_is_its_models_own_cv(n, p):
    X, y = make_problem(n, p, seed=7)
    folds = [make_folds(n, 5, seed=3)]
    res = compare_models(X, y, folds=folds, en_ratios=[0.3, 0.7])
    eps = 1e-4 if n >= p else 1e-2
    l1 = cross_validate(X, y, folds=folds, l1_ratios=[1.0]).curve
    l2 = cross_validate(X, y, folds=folds, l1_ratios=[0.0], eps=eps * 1e-3).curve
    en = cross_validate(X, y, folds=folds, l1_ratios=[0.3, 0.7]).curve
    for name, curve in (("l1", l1), ("l2", l2), ("elasticnet", en)):
        row = res.model(name)
        assert row.l1_ratio == curve.l1_ratio
        np.testing.assert_allclose(row.curve.alphas, curve.alphas, rtol=1e-12)
        np.testing.assert_allclose(row.curve.cv_mean, curve.cv_mean, rtol=1e-9)
        assert row.alpha == pytest.approx(curve.alpha_1se, rel=1e-12)
        assert row.seconds > 0.0


def test_eps_per_ratio_equals_separate_calls():
    X, y = make_problem(30, 50, seed=2)
    folds = [make_folds(30, 3, seed=1)]
    both = cross_validate(X, y, folds=folds, l1_ratios=[1.0, 0.5], eps=[1e-2, 1e-3])
    for curve, ratio, eps in zip(both.curves, (1.0, 0.5), (1e-2, 1e-3)):
        alone = cross_validate(X, y, folds=folds, l1_ratios=[ratio], eps=eps).curve
        np.testing.assert_allclose(curve.alphas, alone.alphas, rtol=1e-12)
        np.testing.assert_allclose(curve.cv_mean, alone.cv_mean, rtol=1e-9)
        # the grid's step (its end may be cut by the early stop): eps over 99 steps
        assert curve.alphas[1] / curve.alphas[0] == pytest.approx(eps ** (1 / 99), rel=1e-9)
    with pytest.raises(ValueError, match="one value per l1 ratio"):
        cross_validate(X, y, folds=folds, l1_ratios=[1.0, 0.5], eps=[1e-2])
