"""`regcli compare`: rows equal fits, verdicts follow the numbers, wide and collinear data."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from regcli.core import fit
from regcli.io.dataset import load_dataset
from tests.conftest import SAMPLE, only_notes

DIABETES = str(SAMPLE / "diabetes.csv")
MODEL_KEYS = {
    "penalty",
    "alpha",
    "l1_ratio",
    "cv_mean",
    "cv_se",
    "n_nonzero",
    "coefficients",
    "selection_frequency",
}


def write(tmp_path, X, y, name="d.csv"):
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    df["y"] = y
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def test_compare_contract_rows_equal_fit(cli):
    r = cli("compare", DIABETES, "--folds", "5", "-f", "json")
    assert r.exit_code == 0 and only_notes(r.stderr)
    out = r.json()
    names = [m["penalty"] for m in out["models"]]
    assert names == ["l1", "l2", "elasticnet", "ols"]
    ds = load_dataset(DIABETES)
    for m in out["models"]:
        assert MODEL_KEYS <= m.keys()
        if m["penalty"] == "ols":
            ref = np.linalg.lstsq(np.column_stack([np.ones(442), ds.X]), ds.y, rcond=None)[0]
            np.testing.assert_allclose(list(m["coefficients"].values()), ref[1:], rtol=1e-8)
            continue
        ref = fit(ds.X, ds.y, alpha=m["alpha"], l1_ratio=m["l1_ratio"])
        # the same model as fit's, up to rounding: compare takes the all-row statistics from the
        # fold sums' totals instead of a second pass over the rows
        assert list(m["coefficients"]) == ds.feature_names
        np.testing.assert_allclose(
            list(m["coefficients"].values()), ref.coef, rtol=1e-10, atol=1e-12
        )
        if m["selection_frequency"] is not None:
            assert all(0 <= f <= 1 for f in m["selection_frequency"].values())
    l2 = out["models"][1]
    assert l2["n_nonzero"] == 10 and l2["selection_frequency"] is None
    v = out["verdict"]
    best = min(out["models"], key=lambda m: m["cv_mean_min"])
    assert v["best"] == best["penalty"] and v["compared_at"] == "alpha_min"
    diffs = v["differences"]
    assert diffs[best["penalty"]] == {"mean": 0.0, "se": 0.0}
    assert set(v["within_one_se"]) == {k for k, d in diffs.items() if d["mean"] <= d["se"]}
    assert v["sentences"] and "alpha_min on the same folds" in v["sentences"][0]
    assert any("refit at alpha_1se" in sentence for sentence in v["sentences"])


def test_l2_wins_on_many_small_correlated_effects(cli, tmp_path):
    # every feature matters a little and they are strongly correlated: ridge's home ground
    rng = np.random.default_rng(1)
    n, p = 120, 60
    X = np.sqrt(0.3) * rng.standard_normal((n, p)) + np.sqrt(0.7) * rng.standard_normal((n, 1))
    y = X @ rng.normal(0.3, 0.3, p) + 2.0 * rng.standard_normal(n)
    out = cli(
        "compare", write(tmp_path, X, y), "--folds", "5", "--select", "min", "-f", "json"
    ).json()
    models = {m["penalty"]: m for m in out["models"]}
    assert models["l2"]["cv_mean"] < models["l1"]["cv_mean"]
    assert out["verdict"]["best"] in ("l2", "elasticnet")


def test_l1_wins_on_few_strong_effects_and_is_sparsest(cli, tmp_path):
    rng = np.random.default_rng(2)
    n, p = 100, 200
    X = rng.standard_normal((n, p))
    y = 4 * X[:, 0] - 3 * X[:, 1] + 2 * X[:, 2] + 0.5 * rng.standard_normal(n)
    out = cli("compare", write(tmp_path, X, y), "--folds", "5", "-f", "json").json()
    models = {m["penalty"]: m for m in out["models"]}
    assert "ols" not in models and "p >= n" in out["ols_absent_reason"]
    assert models["l1"]["cv_mean"] < models["l2"]["cv_mean"]
    assert out["verdict"]["sparsest_within_one_se"] in ("l1", "elasticnet")
    assert models["l2"]["n_nonzero"] == 200
    for j in range(3):
        assert models["l1"]["selection_frequency"][f"x{j}"] == 1.0


def test_near_collinear_group_contrast(cli, tmp_path):
    rng = np.random.default_rng(3)
    n = 200
    z = rng.standard_normal(n)
    X = np.column_stack(
        [z + 0.05 * rng.standard_normal(n) for _ in range(3)] + [rng.standard_normal((n, 3))]
    )
    y = X[:, :3].sum(axis=1) + X[:, 3] + rng.standard_normal(n)
    out = cli("compare", write(tmp_path, X, y), "--folds", "5", "-f", "json").json()
    col = out["collinearity"]
    assert ["x0", "x1", "x2"] in col["groups"] and col["max_vif"] > 10
    assert col["condition_number"] > 10
    models = {m["penalty"]: m for m in out["models"]}
    assert all(models["l2"]["coefficients"][f"x{j}"] != 0 for j in range(3))
    l1_kept = [j for j in range(3) if models["l1"]["coefficients"][f"x{j}"] != 0]
    if 0 < len(l1_kept) < 3:
        groups = out["verdict"]["correlated_groups"]
        assert groups and groups[0]["members"] == ["x0", "x1", "x2"]
        assert any("Correlated group" in s for s in out["verdict"]["sentences"])


def test_test_size_csv_table_plot_save(cli, tmp_path):
    out = cli("compare", DIABETES, "--folds", "5", "--test-size", "0.25", "-f", "json").json()
    assert all(m["test_mse"] is not None and m["test_r2"] is not None for m in out["models"])
    assert out["n_samples"] == 442 - round(0.25 * 442)
    r = cli("compare", DIABETES, "--folds", "5")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows[0]["feature"] == "(intercept)" and rows[1]["feature"] == out["entry_order"][0]
    r = cli("compare", DIABETES, "--folds", "5", "-f", "table")
    assert "Verdict" in r.stdout and "Collinearity" in r.stdout
    model = tmp_path / "m.json"
    r = cli("compare", DIABETES, "--folds", "5", "--save", model, "-f", "json")
    doc = json.loads(model.read_text())
    assert doc["metrics"]["cv"]["recommended"] == r.json()["verdict"]["recommended"]
    pytest.importorskip("matplotlib")
    r = cli("compare", DIABETES, "--folds", "5", "--plot", tmp_path / "c.png", "-f", "json")
    assert r.exit_code == 0 and (tmp_path / "c.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "args,code,words",
    [
        (["--test-size", "0.95"], 2, "--test-size"),
        (["--l1-ratio", "x"], 2, "--l1-ratio"),
        (["--folds", "1"], 2, "--folds"),
    ],
)
def test_compare_bad_options(cli, args, code, words):
    r = cli("compare", DIABETES, *args)
    assert r.exit_code == code and words in r.stderr and r.stdout == ""


def test_compare_jobs_change_nothing_but_time(cli, monkeypatch):
    from regcli.core import cv

    monkeypatch.setattr(cv, "PARALLEL_MIN_SECONDS", 0.0)  # fork even for these small data

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not k.endswith("_s")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    one = cli("compare", DIABETES, "--folds", "5", "-f", "json")
    two = cli("compare", DIABETES, "--folds", "5", "--jobs", "2", "-f", "json")
    assert one.exit_code == two.exit_code == 0
    assert strip(one.json()) == strip(two.json())


def test_a_model_whose_fold_error_is_infinite_is_behind_in_the_verdict(cli, write_csv):
    """A value of -1.2e238 in a held-out row makes a Poisson ridge fold's deviance infinite:
    that model's CV error is not finite, so it is never within one standard error of the best,
    and the verdict says why instead of printing empty numbers (fuzzer seed 35)."""
    path = write_csv(
        "x0,x1,x2,x3,x4,t\r91.022,8.0,-71.167,c,0.75,2\r-0.333,-18.709,-71.368,b,-93.085,2\r"
        "8.0,-66.189,-63.427,b,32.337,3\r-20.529,0.0,93.37,b,57.724,2\r-11.744,1.1,0.9,a,0.1,0\r"
        "-0.3,0.0,-100.0,c,-1.2165930378903656e+238,1\r-0.0,-83.939,-2.0,b,-0.0,0\r"
    )
    r = cli("compare", path, "--family", "poisson", "--folds", "3", "-f", "json", "-q")
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    out = r.json()
    ridge = next(m for m in out["models"] if m["penalty"] == "l2")
    assert ridge["cv_mean"] is None and "l2" not in out["verdict"]["within_one_se"]
    assert any("l2 (its CV error is not finite)" in s for s in out["verdict"]["sentences"])


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_a_test_row_far_outside_the_training_range_scores_as_an_infinite_error(
    cli, write_csv, family
):
    """--test-size holding out the one row where x0 is 1e300 (the others ~1e-100): its
    predictions overflow; the test error is infinite (null in JSON), never NaN, and no raw
    floating-point warning leaks."""
    rows = [f"{i * 1e-100},{i % 3},{i % 4}" for i in range(30)] + ["1e300,1,2"]
    path = write_csv("x0,x1,y\n" + "\n".join(rows) + "\n")
    for seed in range(1, 9):  # a seed whose test rows take the far one
        r = cli(
            "compare", path, "--family", family, "--folds", "5", "--test-size", "0.2",
            "--seed", str(seed), "-f", "json",
        )  # fmt: skip
        assert r.exit_code == 0 and only_notes(r.stderr), r.stderr
        assert "NaN" not in r.stdout
        if any(m["test_mse"] is None for m in r.json()["models"]):
            break
    else:
        pytest.fail("no seed put the far row in the test set")
