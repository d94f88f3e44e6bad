"""Model files, `regcli predict`, and CI gates (exit codes, checks, JUnit, GitHub)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from regcli.io.dataset import load_dataset
from tests.conftest import SAMPLE, only_notes

DIABETES = str(SAMPLE / "diabetes.csv")


def predictions(stdout: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(stdout)))


@pytest.fixture
def mixed(tmp_path):
    """A table with numeric, boolean and category features, an id, and a target."""
    rng = np.random.default_rng(0)
    n = 120
    df = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "x": rng.normal(size=n),
            "flag": rng.integers(0, 2, n).astype(bool),
            "color": rng.choice(["red", "green", "blue"], n),
        }
    )
    df["y"] = 2 * df["x"] + 1.5 * df["flag"] + (df["color"] == "red") * 3 + rng.normal(size=n) * 0.1
    path = tmp_path / "mixed.csv"
    df.to_csv(path, index=False)
    return path, df


def test_fit_save_predict_round_trip(cli, tmp_path, mixed):
    path, df = mixed
    model = tmp_path / "m.json"
    r = cli("fit", path, "--alpha", "0.01", "--exclude", "id", "--save", model, "-f", "json")
    assert r.exit_code == 0 and only_notes(r.stderr)
    out = r.json()
    doc = json.loads(model.read_text())
    assert doc["schema_version"] == 2 and doc["features"] == list(out["coefficients"])
    assert doc["family"] == {"name": "gaussian", "link": "identity"}
    assert doc["training_data"]["rows"] == 120 and len(doc["training_data"]["sha256"]) == 64
    assert doc["encoding"][2] == {
        "column": "color",
        "kind": "onehot",
        "features": ["color=blue", "color=green", "color=red"],
        "levels": ["blue", "green", "red"],
    }
    r = cli("predict", model, path, "--keep", "id")
    assert r.exit_code == 0 and only_notes(r.stderr)
    rows = predictions(r.stdout)
    assert [row["id"] for row in rows] == df["id"].tolist()
    ds = load_dataset(str(path), exclude=["id"])
    coef = np.array([out["coefficients"][f] for f in ds.feature_names])
    expected = out["intercept"] + ds.X @ coef
    assert [float(row["prediction"]) for row in rows] == expected.tolist()  # exactly


def test_cv_save_and_compare_predict_keeps_order(cli, tmp_path):
    model = tmp_path / "cv.json"
    r = cli("cv", DIABETES, "--folds", "5", "--save", model, "-f", "json")
    assert r.exit_code == 0
    doc = json.loads(model.read_text())
    assert doc["metrics"]["cv"]["select"] == "1se" and doc["alpha"] == r.json()["alpha_1se"]
    rows = predictions(cli("predict", model, DIABETES).stdout)
    assert len(rows) == 442 and list(rows[0]) == ["prediction"]


def test_save_never_overwrites_without_force(cli, tmp_path):
    model = tmp_path / "m.json"
    assert cli("fit", DIABETES, "--alpha", "1", "--save", model, "-f", "json").exit_code == 0
    before = model.read_text()
    r = cli("fit", DIABETES, "--alpha", "2", "--save", model, "-f", "json")
    assert r.exit_code == 2 and "--save" in r.stderr and model.read_text() == before
    assert (
        cli("fit", DIABETES, "--alpha", "2", "--save", model, "--force", "-f", "json").exit_code
        == 0
    )
    assert json.loads(model.read_text())["alpha"] == 2.0


def test_predict_data_problems(cli, tmp_path, mixed):
    path, df = mixed
    model = tmp_path / "m.json"
    cli("fit", path, "--alpha", "0.01", "--exclude", "id", "--save", model, "-f", "json")
    lacking = tmp_path / "lacking.csv"
    df.drop(columns=["color"]).to_csv(lacking, index=False)
    r = cli("predict", model, lacking)
    assert r.exit_code == 65 and "'color'" in r.stderr and r.stdout == ""
    unseen = tmp_path / "unseen.csv"
    df.assign(color=["purple"] + df["color"].tolist()[1:]).to_csv(unseen, index=False)
    r = cli("predict", model, unseen)
    assert r.exit_code == 65 and "'purple'" in r.stderr and "--unknown zero" in r.stderr
    r = cli("predict", model, unseen, "--unknown", "zero")
    assert r.exit_code == 0 and len(predictions(r.stdout)) == 120
    extra = tmp_path / "extra.csv"
    df.assign(other=1.0).drop(columns=["y"]).to_csv(extra, index=False)
    assert cli("predict", model, extra).exit_code == 0  # extra columns ignored, no target needed
    holes = tmp_path / "holes.csv"
    df.assign(x=[np.nan] + df["x"].tolist()[1:]).to_csv(holes, index=False)
    r = cli("predict", model, holes)
    assert r.exit_code == 65 and "'x' (1 cell)" in r.stderr
    assert (
        len(predictions(cli("predict", model, holes, "--na", "drop", "--keep", "id").stdout)) == 119
    )
    filled = predictions(cli("predict", model, holes, "--na", "mean").stdout)
    assert len(filled) == 120
    r = cli("predict", model, path, "--keep", "nope")
    assert r.exit_code == 2 and "--keep" in r.stderr


@pytest.mark.parametrize(
    "content,words",
    [
        ('{"format": "regcli-model", "schema_version": 1, "features": [', "truncated JSON"),
        ("[1, 2, 3]", "format"),
        ('{"format": "regcli-model", "schema_version": "1"}', "schema_version"),
        ('{"format": "regcli-model", "schema_version": 99, "regcli_version": "9.0"}', "upgrade"),
        (
            '{"format": "regcli-model", "schema_version": 1, "features": ["a"], "target": "y",'
            ' "intercept": "zero", "coefficients": {"a": 1}}',
            "intercept",
        ),
        (
            '{"format": "regcli-model", "schema_version": 1, "features": ["a"], "target": "y",'
            ' "intercept": 1, "coefficients": {"b": 1}}',
            "coefficients",
        ),
        (
            '{"format": "regcli-model", "schema_version": 1, "features": ["a"], "target": "y",'
            ' "intercept": 1, "coefficients": {"a": 1},'
            ' "encoding": [{"column": "a", "kind": "text", "features": ["a"]}]}',
            "kind",
        ),
    ],
)
def test_malformed_model_files(cli, tmp_path, content, words):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    r = cli("predict", bad, DIABETES)
    assert r.exit_code == 65 and words in r.stderr and r.stdout == ""
    assert r.stderr.count("\n") == 1


def test_schema_1_files_load_as_gaussian_and_unknown_families_are_refused(cli, tmp_path):
    model = tmp_path / "m.json"
    assert cli("fit", DIABETES, "--alpha", "1", "--save", model, "-f", "json").exit_code == 0
    doc = json.loads(model.read_text())
    want = cli("predict", model, DIABETES).stdout
    old = {k: v for k, v in doc.items() if k != "family"} | {"schema_version": 1}
    model.write_text(json.dumps(old))
    r = cli("predict", model, DIABETES)
    assert r.exit_code == 0 and r.stdout == want
    for family, words in [
        ({"name": "gamma", "link": "log"}, "upgrade regcli"),
        ({"name": "gaussian", "link": "log"}, "family.link"),
        ("gaussian", "'family'"),
    ]:
        model.write_text(json.dumps(doc | {"family": family}))
        r = cli("predict", model, DIABETES)
        assert r.exit_code == 65 and words in r.stderr and r.stderr.count("\n") == 1


def test_missing_model_file_is_66(cli, tmp_path):
    r = cli("predict", tmp_path / "none.json", DIABETES)
    assert r.exit_code == 66 and "no such model file" in r.stderr


def test_passing_and_failing_gates(cli, tmp_path):
    ok = cli(
        "fit",
        DIABETES,
        "--alpha",
        "1",
        "--min-r2",
        "0.4",
        "--max-nonzero",
        "8",
        "--require-feature",
        "bmi",
        "--sign",
        "bmi:+",
        "--sign",
        "sex:-",
        "-f",
        "json",
    )
    assert ok.exit_code == 0 and only_notes(ok.stderr)
    checks = ok.json()["checks"]
    assert len(checks) == 5 and all(c["passed"] for c in checks)
    assert {"name", "observed", "threshold", "passed"} <= checks[0].keys()
    bad = cli(
        "fit",
        DIABETES,
        "--alpha",
        "1",
        "--min-r2",
        "0.9",
        "--require-feature",
        "age",
        "--sign",
        "bmi:-",
        "-f",
        "json",
        "--junit",
        tmp_path / "j.xml",
    )
    assert bad.exit_code == 1
    assert [c["passed"] for c in bad.json()["checks"]] == [False, False, False]
    assert bad.stderr.count("check failed") == 3
    suite = ET.parse(tmp_path / "j.xml").getroot()
    assert suite.get("tests") == "3" and suite.get("failures") == "3"


def test_cv_gate_uses_cv_r2(cli):
    r = cli("cv", DIABETES, "--folds", "5", "--min-r2", "0.3", "-f", "json")
    out = r.json()
    assert r.exit_code == 0 and out["checks"][0]["name"] == "min_r2 (cross-validated)"
    assert out["checks"][0]["observed"] == out["cv_r2_selected"] < out["model"]["r2"]
    r = cli("cv", DIABETES, "--folds", "5", "--max-nonzero", "1", "-f", "json")
    assert r.exit_code == 1 and not r.json()["checks"][0]["passed"]


def test_github_annotations_and_step_summary(cli, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = cli("fit", DIABETES, "--alpha", "1", "--require-feature", "age", "-f", "json")
    assert r.exit_code == 1 and "::error title=regcli fit::" in r.stderr
    assert "| require_feature age |" in summary.read_text() and "**FAIL**" in summary.read_text()


@pytest.mark.parametrize(
    "args,words",
    [
        (["--require-feature", "nope"], "--require-feature"),
        (["--sign", "bmi"], "--sign"),
        (["--sign", "nope:+"], "--sign"),
        (["--max-nonzero", "-1"], "--max-nonzero"),
    ],
)
def test_gate_usage_errors(cli, args, words):
    r = cli("fit", DIABETES, "--alpha", "1", *args)
    assert r.exit_code == 2 and words in r.stderr
