"""compare's verdict: paired per-fold differences at each model's alpha_min."""

from __future__ import annotations

import numpy as np

from regcli.core.compare import ModelRow, judge, paired_difference
from regcli.core.diagnostics import Collinearity


def row(name: str, errors: list[float], n_nonzero: int, p: int = 9) -> ModelRow:
    coef = np.zeros(p)
    coef[:n_nonzero] = 1.0
    e = np.asarray(errors, dtype=float)
    return ModelRow(
        name=name,
        l1_ratio=None,
        alpha=None,
        cv_mean=float(e.mean()),
        cv_se=0.0,
        cv_r2=0.0,
        coef=coef,
        standardized_coef=coef,
        intercept=0.0,
        selection_frequency=None,
        curve=None,
        fit=None,
        seconds=0.0,
        cv_mean_min=float(e.mean()),
        fold_errors_min=e,
    )


NO_GROUPS = Collinearity(condition_number=1.0, groups=[], max_vif=1.0, max_vif_feature=None)


def test_paired_difference_is_cv_glmnets_se_of_the_differences():
    a, b = np.array([3.0, 5.0, 4.0, 6.0]), np.array([2.0, 4.5, 3.0, 5.5])
    w = [np.array([10.0, 10.0, 10.0, 10.0])]
    d = paired_difference(a, b, w)
    diff = a - b
    assert d.mean == diff.mean()
    assert np.isclose(d.se, np.sqrt(((diff - diff.mean()) ** 2).mean() / 3))


def test_folds_where_both_errors_are_infinite_leave_the_difference_undefined_quietly():
    # inf - inf warned (a fold whose held-out predictions overflowed in every model)
    a, b = np.array([np.inf, 5.0, 4.0]), np.array([np.inf, 4.5, 3.0])
    d = paired_difference(a, b, [np.ones(3)])
    assert np.isnan(d.mean)


def test_a_consistent_small_lead_is_not_noise_when_paired():
    # folds differ a lot from each other (unpaired se is large), but least squares beats the
    # sparse lasso on every fold: the paired comparison sees it
    folds = np.array([10.0, 30.0, 20.0, 40.0, 25.0])
    ols = row("ols", list(folds), 9)
    l1 = row("l1", list(folds + 1.0 + 0.01 * np.arange(5)), 1)
    l2 = row("l2", list(folds + 0.5 + 0.01 * np.arange(5)), 9)
    w = [np.full(5, 100.0)]
    v = judge([l1, l2, ols], NO_GROUPS, w)
    assert v.best == "ols"
    assert v.within_one_se == ["ols"]
    assert v.recommended == "l2"  # the penalized model closest to the best, not the sparsest
    unpaired_se = folds.std(ddof=1) / np.sqrt(5)
    assert l1.cv_mean_min - ols.cv_mean_min < unpaired_se  # an unpaired test calls it noise


def test_the_sparsest_model_within_noise_is_recommended():
    base = 20 + np.arange(10.0)
    l2 = row("l2", list(base), 9)
    l1 = row("l1", list(base + 0.1 + 0.5 * (-1.0) ** np.arange(10)), 3)  # +0.1 +- 0.17
    v = judge([l1, l2], NO_GROUPS, [np.full(10, 1.0)])
    assert set(v.within_one_se) == {"l1", "l2"}
    assert v.recommended == "l1" and v.sparsest_within_one_se == "l1"
