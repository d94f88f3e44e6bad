"""`regcli fit` through the real entry point: outputs, options, exit codes, one-line errors."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from regcli.core import fit
from regcli.io.dataset import load_dataset
from tests.conftest import SAMPLE, only_notes

DIABETES = str(SAMPLE / "diabetes.csv")
FIT_KEYS = {
    "penalty",
    "alpha",
    "l1_ratio",
    "intercept",
    "coefficients",
    "standardized_coefficients",
    "n_samples",
    "n_features",
    "n_nonzero",
    "r2",
    "converged",
    "n_iter",
    "max_kkt_violation",
    "timings",
}


def test_fit_json_contract_and_values(cli):
    r = cli("fit", DIABETES, "--penalty", "l1", "--alpha", "1", "--format", "json")
    assert r.exit_code == 0 and only_notes(r.stderr)
    out = r.json()
    assert FIT_KEYS <= out.keys()
    assert {"load_s", "fit_s"} <= out["timings"].keys()
    ds = load_dataset(DIABETES)
    ref = fit(ds.X, ds.y, alpha=1.0)
    assert out["coefficients"] == dict(zip(ds.feature_names, ref.coef.tolist()))
    assert out["n_nonzero"] == ref.n_nonzero and out["converged"] is True
    assert out["target"] == "y" and "named" in out["target_source"]
    assert out["sparsity"]["zero_features"] == [
        n for n, c in zip(ds.feature_names, ref.coef) if c == 0
    ]


def test_piped_default_is_csv_with_every_feature(cli):
    r = cli("fit", DIABETES, "--alpha", "5")
    assert r.exit_code == 0 and only_notes(r.stderr)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows[0]["feature"] == "(intercept)"
    assert [row["feature"] for row in rows[1:]] == [
        "age",
        "sex",
        "bmi",
        "bp",
        "s1",
        "s2",
        "s3",
        "s4",
        "s5",
        "s6",
    ]


def test_table_format_off_terminal_is_not_cut(cli, write_csv):
    long = "feature_with_a_really_long_name_" * 4
    text = f"{long},b,y\n" + "\n".join(f"{i},{(i * 7) % 5},{i + (i % 3)}" for i in range(30)) + "\n"
    r = cli("fit", write_csv(text), "--alpha", "0.01", "--format", "table")
    assert r.exit_code == 0
    assert long in r.stdout  # whole name on one line, no wrapping at 80 columns
    assert "Sparsity" in r.stdout and "nonzero" in r.stdout


@pytest.mark.parametrize("penalty,ratio", [("l1", 1.0), ("l2", 0.0), ("elasticnet", 0.5)])
def test_penalties(cli, penalty, ratio):
    out = cli("fit", DIABETES, "--penalty", penalty, "--alpha", "0.5", "-f", "json").json()
    assert out["penalty"] == penalty and out["l1_ratio"] == ratio
    if penalty == "l2":
        assert out["n_nonzero"] == 10 and out["sparsity"]["zero_features"] == []


def test_l1_ratio_alone_means_elasticnet_and_conflicts_are_usage_errors(cli):
    out = cli("fit", DIABETES, "--l1-ratio", "0.3", "--alpha", "0.5", "-f", "json").json()
    assert out["penalty"] == "elasticnet" and out["l1_ratio"] == 0.3
    r = cli("fit", DIABETES, "--penalty", "l1", "--l1-ratio", "0.3", "--alpha", "1")
    assert r.exit_code == 2 and "--l1-ratio" in r.stderr and r.stdout == ""


def test_parquet_stdin_and_options(cli, tmp_path):
    a = cli("fit", str(SAMPLE / "diabetes.parquet"), "--alpha", "1", "-f", "json").json()
    b = cli(
        "fit", "-", "--alpha", "1", "-f", "json", input=(SAMPLE / "diabetes.csv").read_bytes()
    ).json()
    assert a["coefficients"] == b["coefficients"] and b["source"] == "<stdin>"
    c = cli("fit", DIABETES, "--alpha", "1", "--features", "bmi,bp,s5", "-f", "json").json()
    assert list(c["coefficients"]) == ["bmi", "bp", "s5"]
    d = cli("fit", DIABETES, "--alpha", "1", "--exclude", "age,sex", "-f", "json").json()
    assert "age" not in d["coefficients"] and d["n_features"] == 8
    e = cli("fit", DIABETES, "--alpha", "1", "--target", "bmi", "-f", "json").json()
    assert e["target"] == "bmi" and "y" in e["coefficients"]


def test_no_standardize_no_intercept_tol_max_iter(cli):
    a = cli("fit", DIABETES, "--alpha", "1", "--no-standardize", "-f", "json").json()
    assert a["standardize"] is False
    assert a["coefficients"] == a["standardized_coefficients"]
    b = cli("fit", DIABETES, "--alpha", "1", "--no-intercept", "-f", "json").json()
    assert b["intercept"] == 0.0 and b["fit_intercept"] is False
    c = cli("fit", DIABETES, "--alpha", "0.01", "--max-iter", "1", "-f", "json")
    assert c.exit_code == 0 and c.json()["converged"] is False
    assert "did not converge" in c.stderr
    d = cli("fit", DIABETES, "--alpha", "0.01", "--tol", "1e-3", "-f", "json").json()
    assert d["converged"] is True


def test_weights_option(cli, write_csv):
    rows = "\n".join(
        f"{i % 7},{(i * 3) % 5},{1 + i % 2},{i % 7 + 0.1 * (i % 3)}" for i in range(40)
    )
    path = write_csv("a,b,w,y\n" + rows + "\n")
    out = cli("fit", path, "--alpha", "0.01", "--weights", "w", "-f", "json").json()
    assert set(out["coefficients"]) == {"a", "b"}
    ds = load_dataset(str(path), weights="w")
    ref = fit(ds.X, ds.y, alpha=0.01, weights=ds.weights)
    assert out["coefficients"]["a"] == pytest.approx(ref.coef[0], rel=1e-12)


def test_na_option(cli, write_csv):
    path = write_csv("a,b,y\n1,,1\n2,3,2\n3,4,3\n4,5,5\n5,7,6\n")
    r = cli("fit", path, "--alpha", "0.01")
    assert r.exit_code == 65 and "'b' (1 cell)" in r.stderr and "--na" in r.stderr
    assert (
        cli("fit", path, "--alpha", "0.01", "--na", "drop", "-f", "json").json()["n_samples"] == 4
    )
    assert cli("fit", path, "--alpha", "0.01", "--na", "mean", "-f", "json").json()["imputed"] == {
        "b": 1
    }


def test_output_file_is_atomic_and_never_overwritten(cli, tmp_path):
    out = tmp_path / "fit.json"
    r = cli("fit", DIABETES, "--alpha", "1", "-o", out)
    assert r.exit_code == 0 and r.stdout == "" and json.loads(out.read_text())["penalty"] == "l1"
    before = out.read_text()
    r = cli("fit", DIABETES, "--alpha", "2", "-o", out)
    assert r.exit_code == 2 and "--force" in r.stderr and out.read_text() == before
    r = cli("fit", DIABETES, "--alpha", "2", "-o", out, "--force")
    assert r.exit_code == 0 and json.loads(out.read_text())["alpha"] == 2.0
    assert [p.name for p in tmp_path.iterdir()] == ["fit.json"]  # no temporary files left
    r = cli("fit", DIABETES, "--alpha", "1", "-o", tmp_path / "no" / "dir.csv")
    assert r.exit_code == 2 and "does not exist" in r.stderr


BAD_INPUTS = [
    # (file text or None for a missing file, extra args, exit code, words in the message)
    (None, [], 66, "no such file"),
    ("", [], 65, "empty"),
    ("a,y\n", [], 65, "empty table"),
    ("a,y\n1,x\n2,y\n3,z\n", [], 65, "not numeric"),
    ("a,y\n1,1\n2,\n3,4\n", [], 65, "missing values"),
    ("a,y\n1,1\ninf,2\n3,4\n", [], 65, "infinite"),
    ("a,a,y\n1,2,3\n4,5,6\n", [], 65, "duplicate"),
    ("a,y\n1,2\n", [], 65, "fewer than 2"),
    # a coefficient of 1e101 / 1e-249 overflowed float64 (cv warned, fit wrote null)
    ("a,y\n1e-249,1e101\n3e-249,-2e101\n-4e-249,5e100\n", [], 65, "column 'a' varies by"),
    ("a,y\n1,2\n3,2\n4,2\n", [], 65, "constant"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--target", "q"], 2, "--target: no column 'q'"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--features", "a,,b"], 2, "--features"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--weights", "nope"], 2, "--weights"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--penalty", "l3"], 2, "--penalty"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--alpha", "-1"], 2, "--alpha"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--alpha", "abc"], 2, "--alpha"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--alpha", "inf"], 2, "--alpha"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--tol", "0"], 2, "--tol"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--tol", "1e300"], 2, "--tol"),  # tol x alpha overflowed
    ("a,y\n1,2\n3,4\n4,2\n", ["--output", "/proc/no/such"], 2, "--output"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--l1-ratio", "1.5"], 2, "--l1-ratio"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--na", "maybe"], 2, "--na"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--format", "xml"], 2, "--format"),
    ("a,y\n1,2\n3,4\n4,2\n", ["--bogus"], 2, "--bogus"),
    ('a,y\n"1,2\n3,4\n', [], 65, "cannot parse"),
]


@pytest.mark.parametrize("text,args,code,words", BAD_INPUTS)
def test_bad_input_one_line_exit_code_nothing_on_stdout(cli, tmp_path, text, args, code, words):
    path = tmp_path / "data.csv"
    if text is not None:
        path.write_text(text)
    extra = [] if "--alpha" in args else ["--alpha", "0.1"]
    r = cli("fit", path, *extra, *args)
    assert r.exit_code == code, r.stderr
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("regcli: error:")
    assert words in r.stderr
    assert "Traceback" not in r.stderr


def test_fit_without_alpha_chooses_it_by_cv(cli):
    r = cli("fit", DIABETES, "-f", "json")
    assert r.exit_code == 0 and only_notes(r.stderr)
    out = r.json()
    sel = out["alpha_selection"]
    assert sel["method"] == "cv" and sel["select"] == "1se" and sel["n_folds"] == 10
    cv = cli("cv", DIABETES, "-f", "json").json()
    assert out["alpha"] == cv["alpha_1se"] and out["coefficients"] == cv["model"]["coefficients"]
    assert cli("fit", DIABETES, "--alpha", "1", "-f", "json").json()["alpha_selection"] == {
        "method": "--alpha"
    }


def test_internal_error_is_exit_70_one_line(cli, monkeypatch):
    import regcli.core

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(regcli.core, "fit", boom)
    r = cli("fit", DIABETES, "--alpha", "1")
    assert r.exit_code == 70 and r.stderr.count("\n") == 1 and "kaboom" in r.stderr
    with pytest.raises(RuntimeError):
        cli("--debug", "fit", DIABETES, "--alpha", "1")


def test_version_and_help(cli):
    from regcli import __version__

    r = cli("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"regcli {__version__}"
    r = cli("fit", "--help")
    assert r.exit_code == 0 and "--alpha" in r.stdout


def test_constant_column_reported(cli, write_csv):
    rows = "\n".join(f"{i},7,{i * 2 + (i % 3)}" for i in range(20))
    out = cli("fit", write_csv("a,c,y\n" + rows + "\n"), "--alpha", "0.1", "-f", "json").json()
    assert out["coefficients"]["c"] == 0.0
    assert out["sparsity"]["constant_features"] == ["c"]


def test_tiny_count_separates_l1_from_l2(cli):
    ridge = cli(
        "fit", str(SAMPLE / "sparse_wide.csv"), "--penalty", "l2", "--alpha", "50", "-f", "json"
    ).json()
    lasso = cli(
        "fit", str(SAMPLE / "sparse_wide.csv"), "--penalty", "l1", "--alpha", "0.5", "-f", "json"
    ).json()
    # ridge: nothing exactly zero, many tiny; lasso: most exactly zero
    assert ridge["n_nonzero"] == 400 and ridge["sparsity"]["zero_features"] == []
    assert (
        lasso["n_nonzero"] < 40
        and len(lasso["sparsity"]["zero_features"]) == 400 - lasso["n_nonzero"]
    )
    for out in (ridge, lasso):
        std = np.abs(list(out["standardized_coefficients"].values()))
        tiny = int(((std > 0) & (std < 1e-3 * std.max())).sum())
        assert out["sparsity"]["n_tiny_nonzero"] == tiny
    assert np.isclose(
        sum(abs(v) for v in lasso["standardized_coefficients"].values()),
        lasso["sparsity"]["l1_norm"],
    )


def test_csv_output_quotes_a_name_holding_a_carriage_return(cli, tmp_path):
    """A category level "\\r" becomes a feature name that a CSV reader would take as a line end
    unless it is quoted."""
    import csv
    import io

    path = tmp_path / "cr.csv"
    path.write_bytes(b'y,target,x,x1\n1,0,0,0\n0,0,0,0\n0,0,0,"\r"\n0,0,0,0')
    res = cli("fit", path, "--target", "y", "--format", "csv")
    assert res.exit_code == 0, res.stderr
    rows = list(csv.reader(io.StringIO(res.stdout, newline="")))
    assert all(len(row) == 3 for row in rows)
    assert ["x1=\r", "0.0", "0.0"] in rows
