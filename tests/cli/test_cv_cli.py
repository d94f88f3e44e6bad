"""`regcli cv` through the real entry point."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from regcli.core import fit
from regcli.io.dataset import load_dataset
from tests.conftest import SAMPLE, only_notes

DIABETES = str(SAMPLE / "diabetes.csv")
CV_KEYS = {
    "alphas",
    "cv_mean",
    "cv_se",
    "n_nonzero",
    "alpha_min",
    "alpha_1se",
    "l1_ratio",
    "select",
    "model",
    "checks",
    "timings",
}


def test_cv_json_contract_and_refit(cli):
    r = cli("cv", DIABETES, "--l1-ratio", "0.5,1", "--folds", "5", "-f", "json")
    assert r.exit_code == 0 and only_notes(r.stderr)
    out = r.json()
    assert CV_KEYS <= out.keys() and out["select"] == "1se"
    assert [c["l1_ratio"] for c in out["l1_ratios"]] == [0.5, 1.0]
    assert out["model"]["alpha"] == out["alpha_1se"] and out["model"]["l1_ratio"] == out["l1_ratio"]
    ds = load_dataset(DIABETES)
    ref = fit(ds.X, ds.y, alpha=out["alpha_1se"], l1_ratio=out["l1_ratio"])
    # equal up to rounding: cv's all-row statistics come from the fold sums' totals
    assert list(out["model"]["coefficients"]) == ds.feature_names
    np.testing.assert_allclose(
        list(out["model"]["coefficients"].values()), ref.coef, rtol=1e-10, atol=1e-12
    )
    assert out["alpha_min"] <= out["alpha_1se"]


def test_cv_is_deterministic_and_seed_changes_folds(cli):
    a = cli("cv", DIABETES, "--folds", "5", "-f", "json").json()
    b = cli("cv", DIABETES, "--folds", "5", "-f", "json").json()
    c = cli("cv", DIABETES, "--folds", "5", "--seed", "3", "-f", "json").json()
    assert a["cv_mean"] == b["cv_mean"] and a["cv_mean"] != c["cv_mean"]


def test_fold_col_group_col_repeats_select_metric(cli, tmp_path):
    import pandas as pd

    df = pd.read_csv(DIABETES)
    df["fold"] = np.arange(len(df)) % 4
    df["grp"] = np.arange(len(df)) // 7
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    out = cli("cv", path, "--fold-col", "fold", "--exclude", "grp", "-f", "json").json()
    assert out["n_folds"] == 4 and "fold" not in out["model"]["coefficients"]
    out = cli(
        "cv", path, "--group-col", "grp", "--exclude", "fold", "--folds", "5", "-f", "json"
    ).json()
    assert out["group_col"] == "grp" and "grp" not in out["model"]["coefficients"]
    out = cli(
        "cv", DIABETES, "--repeats", "3", "--folds", "5", "--select", "min", "-f", "json"
    ).json()
    assert out["repeats"] == 3 and out["model"]["alpha"] == out["alpha_min"]
    out = cli("cv", DIABETES, "--metric", "r2", "--folds", "5", "-f", "json").json()
    assert out["metric"] == "r2" and max(out["cv_mean"]) == out["cv_min"]


def test_cv_csv_and_table(cli):
    r = cli("cv", DIABETES, "--l1-ratio", "0.5,1", "--folds", "5")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.exit_code == 0 and {row["l1_ratio"] for row in rows} == {"0.5", "1.0"}
    assert sum(int(row["chosen"]) for row in rows) == 1
    r = cli("cv", DIABETES, "--l1-ratio", "0.5,1", "--folds", "5", "-f", "table")
    assert "Per l1 ratio" in r.stdout and "1se" in r.stdout and "Sparsity" in r.stdout


def test_cv_plot(cli, tmp_path):
    pytest.importorskip("matplotlib")
    r = cli("cv", DIABETES, "--folds", "5", "--plot", tmp_path / "cv.svg", "-f", "json")
    assert r.exit_code == 0 and (tmp_path / "cv.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    "args,code,words",
    [
        (["--folds", "1"], 2, "--folds"),
        (["--folds", "1000"], 2, "--folds"),
        (["--fold-col", "nope"], 2, "--fold-col"),
        (["--group-col", "sex"], 2, "groups"),
        (["--l1-ratio", "0.5,2"], 2, "--l1-ratio"),
        (["--penalty", "l1", "--l1-ratio", "0.5"], 2, "--l1-ratio"),
        (["--select", "best"], 2, "--select"),
        (["--metric", "auc"], 2, "--metric"),
        (["--repeats", "0"], 2, "--repeats"),
    ],
)
def test_cv_bad_options(cli, args, code, words):
    r = cli("cv", DIABETES, *args)
    assert r.exit_code == code and words in r.stderr and r.stdout == ""


def test_tiny_folds(cli, write_csv):
    two = write_csv("a,b,y\n1,2,3\n2,1,5\n", "two.csv")
    r = cli("cv", two, "--folds", "2")
    assert r.exit_code == 2 and "training fold" in r.stderr
    r = cli("fit", two)
    assert r.exit_code == 2 and "--alpha is needed" in r.stderr
    four = write_csv("a,b,y\n1,x,2\n2,y,3\n3,x,5\n4,y,4\n", "four.csv")
    r = cli("cv", four, "--folds", "4", "-f", "json")  # single-row held-out folds: pooled R²
    assert r.exit_code == 0 and np.isfinite(r.json()["cv_r2_selected"])
    for metric in ("r2", "mse", "mae"):  # leave-one-out: every held-out y is "constant"
        r = cli("cv", four, "--folds", "4", "--metric", metric, "-f", "json")
        assert r.exit_code == 0, r.stderr


def test_jobs_change_nothing_but_time(cli, monkeypatch):
    from regcli.core import cv

    monkeypatch.setattr(cv, "PARALLEL_MIN_SECONDS", 0.0)  # fork even for these small data

    def strip(out):
        out.pop("timings")
        out["model"].pop("timings", None)
        return out

    one = cli("cv", DIABETES, "--l1-ratio", "0.5,1", "--folds", "5", "-f", "json")
    two = cli("cv", DIABETES, "--l1-ratio", "0.5,1", "--folds", "5", "-j", "2", "-f", "json")
    assert one.exit_code == two.exit_code == 0 and only_notes(two.stderr)
    assert strip(one.json()) == strip(two.json())
    bad = cli("cv", DIABETES, "--jobs", "-1")
    assert bad.exit_code == 2 and "--jobs" in bad.stderr


@pytest.mark.parametrize("command", ["cv", "fit"])
def test_infinite_heldout_errors_are_said_and_shown_as_null(cli, tmp_path, command):
    """A column with 1e300 in one row and ~1e-100 elsewhere (CRLF, a category column): the
    fold that leaves that row out predicts it with an overflow.  No floating-point warning
    leaks; one regcli warning says how many alphas have an infinite cv error, and the JSON
    shows those means as null (never NaN)."""
    path = tmp_path / "far.csv"
    path.write_bytes(
        b"x0,x1,x2,x3,y\r\n2e-100,71.021,0.0,c,1e-08\r\n1e-100,0.0,-4.0294e-249,b,0.0\r\n"
        b"1e+300,32.627,-0.0,c,0.0\r\n2e-100,59.132,7.5e-251,a,-0.0\r\n0.0,1.0,0,c,-0.0\r\n"
    )
    extra = ["--folds", "5"] if command == "cv" else []
    r = cli(command, path, "--penalty", "l2", *extra, "-f", "json")
    assert r.exit_code == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if line.startswith("regcli: warning")]
    assert len(warnings) == 1 and "infinite at every alpha" in warnings[0], r.stderr
    assert "NaN" not in r.stdout and "Infinity" not in r.stdout
    if command == "cv":
        assert all(m is None for m in r.json()["cv_mean"])


@pytest.mark.parametrize(
    "command, roles",
    [
        ("cv", ["--weights", "x1", "--fold-col", "x1"]),
        ("compare", ["--weights", "x1", "--group-col", "x1", "--folds", "3"]),
        ("cv", ["--fold-col", "x2", "--group-col", "x2"]),
        ("cv", ["--weights", "x1", "--fold-col", "x1", "--engine", "stream"]),
    ],
)
def test_one_column_for_two_roles_is_refused(cli, write_csv, command, roles):
    """--weights, --fold-col and --group-col naming the same column: exit 2 naming both
    options (the weights were taken out of the table before the fold column was looked up:
    an internal KeyError, found by the fuzzer, seed 59)."""
    rows = "".join(f"{i},{i % 3 + 1},{i % 2},{(i * 7) % 5}\n" for i in range(12))
    path = write_csv("x0,x1,x2,y\n" + rows)
    r = cli(command, path, *roles)
    assert r.exit_code == 2, r.stderr
    assert "both name column" in r.stderr and len(r.stderr.strip().splitlines()) == 1
