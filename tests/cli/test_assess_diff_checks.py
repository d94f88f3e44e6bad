"""regcli assess and diff, and --checks files with warn / error severities."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLE

DIABETES = str(SAMPLE / "diabetes.csv")


@pytest.fixture
def split(tmp_path):
    """Diabetes split into training and held-out rows, and a lasso saved on the training."""
    df = pd.read_csv(DIABETES)
    rng = np.random.default_rng(0)
    test = rng.permutation(len(df))[:100]
    train_path, test_path = tmp_path / "train.csv", tmp_path / "test.csv"
    df.drop(index=test).to_csv(train_path, index=False)
    df.iloc[test].to_csv(test_path, index=False)
    return train_path, test_path, df.iloc[test]


def _fit(cli, data, path, alpha="1", *extra):
    r = cli("fit", data, "--alpha", alpha, "--save", path, "-f", "json", *extra)
    assert r.exit_code == 0, r.stderr
    return r.json()


def test_assess_metrics_on_held_out_rows(cli, split, tmp_path):
    train, test, held = split
    fit = _fit(cli, train, tmp_path / "m.json")
    r = cli("assess", tmp_path / "m.json", test, "-f", "json")
    assert r.exit_code == 0, r.stderr
    m = r.json()["metrics"]
    X = held.drop(columns="y")
    pred = fit["intercept"] + X[list(fit["coefficients"])].to_numpy() @ np.array(
        list(fit["coefficients"].values())
    )
    y = held["y"].to_numpy()
    mse = np.mean((y - pred) ** 2)
    assert m["n"] == 100
    assert m["mse"] == pytest.approx(mse, rel=1e-10)
    assert m["mae"] == pytest.approx(np.mean(np.abs(y - pred)), rel=1e-10)
    assert m["r2"] == pytest.approx(1 - mse / np.var(y), rel=1e-10)
    bad = cli("assess", tmp_path / "m.json", test, "--min-r2", "0.99", "--max-mae", "1")
    assert bad.exit_code == 1 and bad.stderr.count("check failed") == 2
    csv_out = cli("assess", tmp_path / "m.json", test)
    assert csv_out.stdout.splitlines()[0] == "metric,value"


def test_assess_refuses_rows_without_the_target(cli, split, tmp_path, write_csv):
    train, _, _ = split
    _fit(cli, train, tmp_path / "m.json")
    df = pd.read_csv(DIABETES).head(10).drop(columns="y")
    path = tmp_path / "nolabel.csv"
    df.to_csv(path, index=False)
    r = cli("assess", tmp_path / "m.json", path)
    assert r.exit_code == 65 and "model's target" in r.stderr


def test_diff_support_removed_and_gates(cli, tmp_path):
    small, large = tmp_path / "a.json", tmp_path / "b.json"
    _fit(cli, DIABETES, small, "0.5")
    _fit(cli, DIABETES, large, "5")
    r = cli("diff", small, large, "-f", "json")
    assert r.exit_code == 0
    out = r.json()
    old = json.loads(small.read_text())["coefficients"]
    new = json.loads(large.read_text())["coefficients"]
    removed = [f for f in old if old[f] != 0 and new[f] == 0]
    assert out["support_removed"] == removed and removed
    assert out["support_added"] == [] and out["same_support"] is False
    gated = cli("diff", small, large, "--same-support")
    assert gated.exit_code == 1 and "same_support" in gated.stderr
    itself = cli(
        "diff",
        small,
        small,
        "--same-support",
        "--no-sign-flip",
        "--max-coef-change",
        "0",
        "-f",
        "json",
    )
    assert itself.exit_code == 0 and itself.json()["max_coef_change"] == 0.0
    doc = json.loads(small.read_text())
    scale = doc["standardization"]["scale"]
    row = next(r for r in out["features"] if r["feature"] == "bmi")
    assert row["old_standardized"] == pytest.approx(old["bmi"] * scale["bmi"], rel=1e-12)


def test_diff_reports_features_of_one_model_only(cli, tmp_path, write_csv):
    a = write_csv("x,z,y\n1,2,3\n2,1,5\n3,3,4\n4,5,9\n5,4,8\n", "a.csv")
    b = write_csv("x,w,y\n1,2,3\n2,1,5\n3,3,4\n4,5,9\n5,4,8\n", "b.csv")
    _fit(cli, a, tmp_path / "a.json", "0.01")
    _fit(cli, b, tmp_path / "b.json", "0.01")
    r = cli("diff", tmp_path / "a.json", tmp_path / "b.json", "-f", "json")
    assert r.exit_code == 0
    where = {row["feature"]: row["in"] for row in r.json()["features"]}
    assert where == {"x": "both", "z": "old", "w": "new"}


def _write(tmp_path, text: str):
    path = tmp_path / "checks.toml"
    path.write_text(text)
    return path


def test_checks_file_warn_exits_0_and_error_exits_1(cli, tmp_path):
    warn = _write(tmp_path, '[[check]]\nmetric = "n_nonzero"\nmax = 1\nseverity = "warn"\n')
    r = cli(
        "fit",
        DIABETES,
        "--alpha",
        "1",
        "--checks",
        warn,
        "-f",
        "json",
        "--junit",
        tmp_path / "j.xml",
    )
    assert r.exit_code == 0
    check = r.json()["checks"][0]
    assert check["severity"] == "warn" and check["passed"] is False
    assert "regcli: warning: check failed: n_nonzero" in r.stderr
    suite = ET.parse(tmp_path / "j.xml").getroot()
    assert suite.get("failures") == "0" and suite.find("testcase/system-out") is not None
    error = _write(tmp_path, '[[check]]\nmetric = "cv_r2"\nmin = 0.99\n')
    r = cli("cv", DIABETES, "--folds", "5", "--checks", error, "-f", "json")
    assert r.exit_code == 1 and r.json()["checks"][0]["severity"] == "error"
    feature = _write(tmp_path, '[[check]]\nmetric = "sign"\nfeature = "bmi"\nsign = "+"\n')
    assert cli("fit", DIABETES, "--alpha", "1", "--checks", feature).exit_code == 0


@pytest.mark.parametrize(
    "text,words",
    [
        ('[[check]]\nmetric = "nope"\nmin = 1\n', "unknown metric 'nope'"),
        ('[[check]]\nmetric = "r2"\nminimum = 1\n', "unknown key(s) minimum"),
        ('[[check]]\nmetric = "r2"\nmin = 1\nseverity = "fatal"\n', "severity"),
        ('[[check]]\nmetric = "r2"\n', "give min, max or equals"),
        ('[[checks]]\nmetric = "r2"\n', "unknown table(s) checks"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_checks_files_are_usage_errors(cli, tmp_path, text, words):
    r = cli("fit", DIABETES, "--alpha", "1", "--checks", _write(tmp_path, text))
    assert r.exit_code == 2 and words in r.stderr and r.stderr.count("\n") == 1


def test_warn_checks_are_github_warnings_and_assess_junit_on_bad_data(
    cli, tmp_path, monkeypatch, write_csv
):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    warn = _write(tmp_path, '[[check]]\nmetric = "n_nonzero"\nmax = 1\nseverity = "warn"\n')
    r = cli("fit", DIABETES, "--alpha", "1", "--checks", warn)
    assert r.exit_code == 0 and "::warning title=regcli fit::" in r.stderr
    model = tmp_path / "m.json"
    _fit(cli, DIABETES, model)
    bad = write_csv("age,sex,y\nx,1,2\n", "bad.csv")
    r = cli("assess", model, bad, "--junit", tmp_path / "a.xml")
    assert r.exit_code == 65
    assert ET.parse(tmp_path / "a.xml").getroot().get("errors") == "1"


@pytest.mark.parametrize("metrics", [[1, 2], 7, None, {"cv": [1], "train_r2": "x"}])
def test_diff_tolerates_odd_recorded_metrics(cli, tmp_path, metrics):
    model = tmp_path / "m.json"
    _fit(cli, DIABETES, model)
    odd = tmp_path / "odd.json"
    doc = json.loads(model.read_text())
    doc["metrics"] = metrics
    odd.write_text(json.dumps(doc))
    r = cli("diff", odd, model, "-f", "json")
    assert r.exit_code == 0 and isinstance(r.json()["metrics"], dict)


def test_diff_metrics_beyond_float_range_are_not_numbers(cli, tmp_path):
    """An edited model file may record a metric as an integer no float holds, or as NaN: diff
    reports it as no number (null) instead of failing or writing NaN."""
    model = tmp_path / "m.json"
    _fit(cli, DIABETES, model)
    odd = tmp_path / "odd.json"
    doc = json.loads(model.read_text())
    recorded = doc["metrics"]["train_r2"]
    huge = "1" + "0" * 400
    text = json.dumps(doc).replace(f'"train_r2": {json.dumps(recorded)}', f'"train_r2": {huge}')
    text = text.replace('"metrics": {', '"metrics": {"odd": NaN, ', 1)
    text = text.replace(f'"alpha": {json.dumps(doc["alpha"])}', f'"alpha": {huge}', 1)
    text = text.replace(f'"l1_ratio": {json.dumps(doc["l1_ratio"])}', '"l1_ratio": NaN', 1)
    odd.write_text(text)
    r = cli("diff", odd, model, "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert "NaN" not in r.stdout
    got = r.json()
    assert got["metrics"]["train_r2"] == {"old": None, "new": recorded, "change": None}
    assert "odd" not in got["metrics"]
    assert got["alpha"] == {"old": None, "new": doc["alpha"], "change": None}
    assert got["l1_ratio"] == {"old": None, "new": doc["l1_ratio"]}
    # a schema number no regcli writes is a damaged file: a short message, not the number
    doc["schema_version"] = int(huge)
    odd.write_text(json.dumps(doc))
    r = cli("predict", odd, DIABETES)
    assert r.exit_code == 65 and "unknown schema version" in r.stderr and huge not in r.stderr


def test_diff_of_a_coefficient_beyond_float64_on_the_standardized_scale(cli, tmp_path):
    """An edited model file whose coefficient times its column's scale passes float64: the
    standardized change is infinite and the gate fails, without an overflow warning."""
    model = tmp_path / "m.json"
    _fit(cli, DIABETES, model)
    odd = tmp_path / "odd.json"
    doc = json.loads(model.read_text())
    name = next(iter(doc["coefficients"]))
    doc["coefficients"][name] = 1e307
    doc["standardization"]["scale"][name] = 1e10
    odd.write_text(json.dumps(doc))
    r = cli("diff", odd, model, "--max-coef-change", "1", "-f", "json")
    assert r.exit_code == 1 and "warning" not in r.stderr, r.stderr
    assert "Infinity" not in r.stdout and "NaN" not in r.stdout
