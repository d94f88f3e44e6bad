"""Penalty factors, limits, the relaxed lasso and information criteria, end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from regcli.core.cv import make_folds, select_relaxed
from regcli.core.fitting import fit
from regcli.core.path import compute_path
from regcli.core.penalty import PenaltyControls
from regcli.core.usecases import cv_then_refit
from regcli.io.dataset import load_dataset
from tests.conftest import SAMPLE, make_problem

DIABETES = str(SAMPLE / "diabetes.csv")
WIDE = str(SAMPLE / "sparse_wide.csv")


@pytest.fixture(scope="module")
def diabetes():
    return load_dataset(DIABETES)


@pytest.fixture
def with_category(tmp_path):
    X, y = make_problem(150, 4, seed=5)
    rng = np.random.default_rng(0)
    color = rng.choice(["blue", "green", "red"], 150)
    y = y + np.select([color == "blue", color == "green"], [3.0, -2.0], 0.0)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(color=color, y=y)
    path = tmp_path / "cat.csv"
    df.to_csv(path, index=False)
    return path


def test_factors_and_limits_match_the_core(cli, diabetes):
    r = cli(
        "fit",
        DIABETES,
        "--alpha",
        "1",
        "--penalty-factor",
        "bmi=0.5,s5=2",
        "--unpenalized",
        "sex",
        "--lower",
        "-0.5",
        "--upper",
        "bmi=5",
        "-f",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    out = r.json()
    f = np.ones(10)
    names = diabetes.feature_names
    f[names.index("bmi")], f[names.index("s5")], f[names.index("sex")] = 0.5, 2.0, 0.0
    upper = np.full(10, np.inf)
    upper[names.index("bmi")] = 5.0
    want = fit(diabetes.X, diabetes.y, alpha=1, penalty_factor=f, lower=-0.5, upper=upper)
    assert [out["coefficients"][n] for n in names] == pytest.approx(want.coef.tolist(), abs=1e-9)
    controls = out["penalty_controls"]
    assert controls["unpenalized"] == ["sex"]
    assert controls["penalty_factors"]["bmi"] == pytest.approx(0.5 * 10 / f.sum())
    assert controls["upper"] == {"bmi": 5.0} and controls["lower"]["age"] == -0.5
    assert (
        set(controls["at_limit"])
        == {n for n in names if math.isclose(out["coefficients"][n], -0.5) or n == "bmi"}
        and "bmi" in controls["at_limit"]
    )
    assert out["converged"] and out["coefficients"]["bmi"] == pytest.approx(5.0, abs=1e-12)


def test_a_one_hot_column_name_applies_to_all_its_levels(cli, with_category):
    r = cli("fit", with_category, "--alpha", "5", "--unpenalized", "color", "-f", "json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    levels = [n for n in out["coefficients"] if n.startswith("color=")]
    assert len(levels) == 3 and out["penalty_controls"]["unpenalized"] == levels
    assert all(out["coefficients"][n] != 0 for n in levels)  # never penalized, always in


@pytest.mark.parametrize(
    "args, words",
    [
        (["--penalty-factor", "nope=2"], "no feature or column 'nope'"),
        (["--penalty-factor", "bmi"], "NAME=VALUE"),
        (["--penalty-factor", "bmi=-1"], ">= 0"),
        (["--unpenalized", "bmi,,s5"], "empty name"),
        (["--lower", "1"], "excludes 0"),
        (["--upper", "bmi=-2"], "excludes 0"),
        (["--lower", "x"], "not a number"),
        (["--positive", "--lower", "-1"], "--positive"),
        (["--gamma", "0.5"], "only with --relax"),
    ],
)
def test_bad_controls_are_usage_errors(cli, args, words):
    r = cli("fit", DIABETES, "--alpha", "1", *args, "-f", "json")
    assert r.exit_code == 2 and words in r.stderr and r.stderr.count("\n") == 1
    assert r.stdout == ""


def test_every_feature_unpenalized_is_least_squares(cli, diabetes):
    everything = ",".join(diabetes.feature_names)
    r = cli("fit", DIABETES, "--alpha", "50", "--unpenalized", everything, "-f", "json")
    assert r.exit_code == 0, r.stderr
    A = np.c_[np.ones(diabetes.n_samples), diabetes.X]
    ols = np.linalg.lstsq(A, diabetes.y, rcond=None)[0]
    got = [r.json()["coefficients"][n] for n in diabetes.feature_names]
    np.testing.assert_allclose(got, ols[1:], rtol=1e-8)
    for command in ("path", "cv", "compare"):
        r = cli(command, DIABETES, "--unpenalized", everything, "-f", "json")
        assert r.exit_code == 2 and "least squares" in r.stderr


def test_positive_on_every_command_and_in_the_model_file(cli, tmp_path):
    model = tmp_path / "m.json"
    r = cli("cv", DIABETES, "--positive", "--folds", "5", "--save", model, "-f", "json")
    assert r.exit_code == 0, r.stderr
    coefs = r.json()["model"]["coefficients"]
    assert min(coefs.values()) >= 0 and r.json()["model"]["penalty_controls"]["lower"]["sex"] == 0
    doc = json.loads(model.read_text())
    assert doc["penalty_controls"]["lower"]["age"] == 0.0
    assert cli("predict", model, DIABETES).exit_code == 0
    r = cli("path", DIABETES, "--positive", "-f", "json")
    assert r.exit_code == 0 and all(min(v) >= 0 for v in r.json()["coefficients"].values())
    r = cli("compare", DIABETES, "--positive", "--folds", "5", "-f", "json")
    out = r.json()
    assert r.exit_code == 0 and "limits" in out["ols_absent_reason"]
    assert all(min(m["coefficients"].values()) >= 0 for m in out["models"])


def test_cv_with_factors_is_the_same_on_both_statistics_sources():
    X, y = make_problem(120, 30, seed=8)
    folds = [make_folds(120, 5, seed=2)]
    f = np.ones(30)
    f[:2] = 0.0
    f[5:9] = 3.0
    controls = PenaltyControls(factors=f, upper=0.8)
    from regcli.core.cv import cross_validate

    for ratio, grid, ctl in (
        (0.7, "common", controls),
        (1.0, "common", PenaltyControls(factors=f)),  # reduced and batched on the Gram
        (1.0, "own", PenaltyControls(factors=f)),
    ):
        kw = dict(folds=folds, l1_ratios=[ratio], controls=ctl, fold_grid=grid)
        gram = cross_validate(X, y, **kw).curve
        lazy = cross_validate(X, y, gram=False, **kw).curve
        np.testing.assert_allclose(gram.cv_mean, lazy.cv_mean, rtol=1e-7)
        assert gram.index_min == lazy.index_min and gram.index_1se == lazy.index_1se


def test_cv_with_factors_where_a_fold_has_fewer_columns():
    """Columns constant in one training fold (the unpenalized one among them) leave that
    fold's lasso, the only batched path of its size on the Gram, alone: it is solved on its
    own, not lost (was an AssertionError, exit 70, in compare with a penalty factor; fuzzer
    seed 32)."""
    X, y = make_problem(60, 6, seed=4)
    folds = np.repeat(np.arange(3), 20)
    # x0 and x2 vary only in fold 0's rows: constant where fold 0 is held out
    X[folds != 0, 0] = 1.0
    X[folds != 0, 2] = 2.0
    f = np.ones(6)
    f[0] = 0.0
    from regcli.core.cv import cross_validate

    kw = dict(folds=[folds], l1_ratios=[1.0, 0.0, 0.5], controls=PenaltyControls(factors=f))
    gram = cross_validate(X, y, **kw)
    lazy = cross_validate(X, y, gram=False, **kw)
    for a, b in zip(gram.curves, lazy.curves):
        np.testing.assert_allclose(a.cv_mean, b.cv_mean, rtol=1e-7)


def test_relaxed_fit_is_the_blend_of_the_fit_and_least_squares_on_its_support(cli, diabetes):
    base = cli("fit", DIABETES, "--alpha", "3", "-f", "json").json()
    for gamma in ("0", "0.25", "1"):
        r = cli("fit", DIABETES, "--alpha", "3", "--relax", "--gamma", gamma, "-f", "json")
        assert r.exit_code == 0, r.stderr
        out = r.json()
        support = [n for n, v in base["coefficients"].items() if v != 0]
        idx = [diabetes.feature_names.index(n) for n in support]
        A = np.c_[np.ones(diabetes.n_samples), diabetes.X[:, idx]]
        ols = np.linalg.lstsq(A, diabetes.y, rcond=None)[0]
        g = float(gamma)
        for j, name in enumerate(support):
            want = g * base["coefficients"][name] + (1 - g) * ols[j + 1]
            assert out["coefficients"][name] == pytest.approx(want, rel=1e-7, abs=1e-9)
        assert out["intercept"] == pytest.approx(g * base["intercept"] + (1 - g) * ols[0])
        assert out["relaxed"]["gamma"] == g and out["relaxed"]["refit"]
        assert out["relaxed"]["penalized_coefficients"] == pytest.approx(base["coefficients"])


def test_relaxed_support_too_large_falls_back_with_a_note(cli):
    r = cli("fit", WIDE, "--alpha", "0.0001", "--relax", "-f", "json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert not out["relaxed"]["refit"] and "n - 3" in r.stderr
    assert out["coefficients"] == out["relaxed"]["penalized_coefficients"]


def test_relaxed_cv_chooses_as_cv_glmnet():
    X, y = make_problem(150, 30, seed=3, k=5)
    folds = [make_folds(150, 5, seed=1)]
    run = cv_then_refit(X, y, folds=folds, l1_ratios=[1.0], gammas=[0.0, 0.5, 1.0])
    rel = run.cv.relaxed
    np.testing.assert_allclose(rel.cv_mean[-1], run.cv.curve.cv_mean)  # gamma 1: penalized
    # cv.glmnet: the minimum over every (gamma, lambda), ties to the largest lambda then gamma
    cvm, alphas = rel.cv_mean, run.cv.curve.alphas
    cands = [(alphas[a], rel.gammas[g], g, a) for g, a in np.argwhere(cvm <= cvm.min())]
    gi, ai = max(cands)[2:]
    assert rel.index_min == (gi, ai)
    bound = cvm[gi, ai] + rel.cv_se[gi, ai]
    cands = [(alphas[a], rel.gammas[g], g, a) for g, a in np.argwhere(cvm <= bound)]
    assert rel.index_1se == tuple(max(cands)[2:])
    g1, a1 = rel.index_1se
    assert run.model.gamma == rel.gammas[g1] and run.model.alpha == alphas[a1]
    # a tie in cv_mean goes to the larger alpha, then the larger gamma
    tie = np.array([[1.0, 2.0], [1.0, 2.0]])
    assert select_relaxed(tie, np.zeros((2, 2)), np.array([5.0, 1.0]), np.array([0.0, 1.0]))[0] == (
        1,
        0,
    )


def test_cv_relax_on_the_command_line(cli):
    r = cli("cv", DIABETES, "--relax", "--gamma", "0,1", "--folds", "5", "-f", "json")
    assert r.exit_code == 0, r.stderr
    rel = r.json()["relaxed"]
    assert rel["gammas"] == [0.0, 1.0] and len(rel["cv_mean"]) == 2
    assert r.json()["model"]["relaxed"]["gamma"] == rel["gamma_1se"]
    r = cli("cv", DIABETES, "--relax", "--l1-ratio", "0.5,1")
    assert r.exit_code == 2 and "one --l1-ratio" in r.stderr


def test_information_criteria_from_the_rows(cli, diabetes):
    r = cli("path", DIABETES, "--select", "bic", "-f", "json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    n, p = diabetes.X.shape
    names = diabetes.feature_names
    for i in (0, 10, len(out["alphas"]) - 1):
        coef = np.array([out["coefficients"][f][i] for f in names])
        rss = np.mean((diabetes.y - out["intercepts"][i] - diabetes.X @ coef) ** 2)
        k = int(np.count_nonzero(coef))
        m2ll = n * (np.log(2 * np.pi * rss) + 1)
        assert out["aic"][i] == pytest.approx(m2ll + 2 * (k + 1), rel=1e-9)
        assert out["bic"][i] == pytest.approx(m2ll + np.log(n) * (k + 1), rel=1e-9)
        log_binom = math.lgamma(p + 1) - math.lgamma(k + 1) - math.lgamma(p - k + 1)
        assert out["ebic"][i] == pytest.approx(out["bic"][i] + log_binom, rel=1e-9)
    sel = out["selected"]
    assert sel["index"] == int(np.argmin(out["bic"])) and sel["criterion"] == "bic"
    assert sel["coefficients"]["bmi"] == out["coefficients"]["bmi"][sel["index"]]


def test_relaxed_path(cli):
    res = compute_path(*make_problem(80, 8, seed=4), gamma=0.0, n_alphas=20)
    assert res.gamma == 0.0 and res.refit_ok.all()
    r = cli("path", DIABETES, "--relax", "--gamma", "0.5", "-f", "json")
    assert r.exit_code == 0 and r.json()["gamma"] == 0.5


#: A wide-ish table in mixed units (fuzzer seed 64): with limits of 1e-300 the homotopy's event
#: ratios divided by a room within rounding of 0 and overflowed (a raw NumPy warning).
MIXED_UNITS = """\
x0,x1,x2,x3,x4,x5,x6,x7,x8,x9,y
-0.00985257,-2.98897e-07,-1.29365e-09,1.99471e+06,-1.95412e+09,8.80488e-06,1.2282e+10,-2.07241e-08,-13912.2,-1.22499e+11,2
0.00250944,4.50301e-07,-1.63981e-09,1.76191e+06,-1.53948e+08,1.15002e-05,-9.10554e+08,-1.00799e-07,4237.22,6.92731e+10,0
-0.000790552,3.0538e-07,2.53269e-10,1.31807e+06,-4.69909e+08,-2.1462e-06,-4.05797e+09,1.31295e-07,8546.77,2.21897e+11,0
0.00749959,2.28986e-08,2.0486e-10,-1.11777e+06,7.2852e+08,3.56999e-06,6.13591e+09,-7.0527e-08,2622.42,1.03845e+11,2
0.00419541,-7.4637e-07,9.89104e-10,-670580,2.68117e+08,-1.38502e-05,-1.09596e+10,-3.93471e-08,15263.4,-5.26559e+10,1
0.00188991,-4.44165e-07,1.4918e-10,-586363,-4.80976e+08,1.53361e-05,-9.68267e+09,8.77682e-09,5380.75,-1.65914e+10,1
0.00248083,1.08116e-06,1.49328e-09,-138510,-5.04173e+08,-1.36525e-05,-2.17409e+09,-7.66493e-08,4194.5,1.37763e+11,0
-0.00314121,-2.04072e-06,1.9075e-10,319837,-1.02759e+09,-8.0951e-06,3.36424e+08,5.26904e-08,-3035.36,-3.86658e+10,1
0.00238726,-1.1185e-06,-5.21497e-10,-701682,9.72157e+08,-4.38761e-07,2.17242e+08,-2.12861e-08,12986.7,1.12669e+11,3
"""


def test_limits_within_rounding_of_zero_give_no_floating_point_warning(cli, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(MIXED_UNITS)
    for args in (
        ("fit", "--alpha", "0.01"),
        ("compare", "--folds", "3", "--fold-grid", "common"),
    ):
        r = cli(*args, path, "--upper", "1e-300", "--positive", "-f", "csv", "-q")
        assert r.exit_code == 0, (args, r.stderr)
        assert r.stderr == "", (args, r.stderr)
