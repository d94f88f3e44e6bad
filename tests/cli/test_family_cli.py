"""--family binomial|poisson end to end: targets, reports, cv measures, gates, predict."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from regcli.core.family import BINOMIAL
from regcli.core.glm import glm_fit
from tests.conftest import only_notes


@pytest.fixture
def classes_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 160
    X = rng.standard_normal((n, 4))
    eta = 1.2 * X[:, 0] - 0.8 * X[:, 1]
    y = rng.uniform(size=n) < 1 / (1 + np.exp(-eta))
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["outcome"] = np.where(y, "sick", "well")
    df["flag"] = y.astype(int)
    df["count"] = rng.poisson(np.exp(0.3 + 0.5 * X[:, 0]))
    path = tmp_path / "classes.csv"
    df.to_csv(path, index=False)
    return path, df


def test_binomial_fit_reports_deviance_accuracy_auc(cli, classes_csv):
    path, df = classes_csv
    r = cli(
        "fit",
        path,
        "--target",
        "outcome",
        "--exclude",
        "flag,count",
        "--family",
        "binomial",
        "--alpha",
        "0.01",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    p = r.json()
    assert p["family"] == "binomial" and p["classes"] == ["sick", "well"]
    assert p["positive_class"] == "well"  # the second in sorted order, as glmnet's levels
    assert 0 < p["dev_ratio"] == p["r2"] < 1
    assert p["deviance"] < p["null_deviance"]
    assert 0.5 < p["auc"] <= 1 and 0.5 < p["accuracy"] <= 1
    assert p["converged"] and p["max_kkt_violation_relative"] <= 1e-7
    # the same model as the core's on y = 1 for 'well'
    X = df[["a", "b", "c", "d"]].to_numpy()
    ref = glm_fit(X, (df["outcome"] == "well").to_numpy(float), BINOMIAL, alpha=0.01)
    assert p["coefficients"]["a"] == pytest.approx(ref.coef[0], rel=1e-9)
    assert "modelling P(outcome = 'well')" in r.stderr


def test_positive_class_flips_the_model(cli, classes_csv):
    path, _ = classes_csv
    args = (
        "fit",
        path,
        "--target",
        "outcome",
        "--exclude",
        "flag,count",
        "--family",
        "binomial",
        "--alpha",
        "0.01",
        "--format",
        "json",
    )
    well = cli(*args).json()
    sick = cli(*args, "--positive-class", "sick").json()
    assert sick["positive_class"] == "sick"
    assert sick["coefficients"]["a"] == pytest.approx(-well["coefficients"]["a"], rel=1e-7)
    bad = cli(*args, "--positive-class", "ill")
    assert bad.exit_code == 2 and "'ill' is not a class" in bad.stderr


def test_binomial_target_errors(cli, write_csv):
    three = write_csv("x,y\n1,a\n2,b\n3,c\n4,a\n")
    r = cli("fit", three, "--family", "binomial", "--alpha", "0.1")
    assert r.exit_code == 65 and "3 classes ('a', 'b', 'c')" in r.stderr
    numbers = write_csv("x,y\n1,0\n2,1\n3,2\n", "n.csv")
    r = cli("fit", numbers, "--family", "binomial", "--alpha", "0.1")
    assert r.exit_code == 65 and "holds 0, 1, 2" in r.stderr
    one = write_csv("x,y\n1,a\n2,a\n3,a\n", "one.csv")
    r = cli("fit", one, "--family", "binomial", "--alpha", "0.1")
    assert r.exit_code == 65 and "only the class 'a'" in r.stderr
    negative = write_csv("x,y\n1,0\n2,-1\n3,2\n", "neg.csv")
    r = cli("fit", negative, "--family", "poisson", "--alpha", "0.1")
    assert r.exit_code == 65 and "negative values" in r.stderr
    r = cli("fit", numbers, "--alpha", "0.1", "--positive-class", "1")
    assert r.exit_code == 2 and "--positive-class: only with --family binomial" in r.stderr
    for args in (("--relax",), ("--min-auc", "0.7")):
        given = () if args == ("--relax",) else ("--alpha", "0.1")  # cv of gamma: gaussian only
        r = cli("fit", numbers, "--family", "poisson", *given, *args)
        assert r.exit_code == 2, args
    assert "Traceback" not in r.stderr


def test_gaussian_on_a_zero_one_target_suggests_binomial(cli, classes_csv):
    path, _ = classes_csv
    r = cli(
        "fit",
        path,
        "--target",
        "flag",
        "--exclude",
        "outcome,count",
        "--alpha",
        "0.01",
        "--format",
        "json",
    )
    assert r.exit_code == 0 and "--family binomial" in r.stderr


def test_poisson_path_and_cv(cli, classes_csv):
    path, _ = classes_csv
    r = cli(
        "path",
        path,
        "--target",
        "count",
        "--exclude",
        "outcome,flag",
        "--family",
        "poisson",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    p = r.json()
    assert p["family"] == "poisson" and p["null_deviance"] > 0
    assert max(p["max_kkt_violation_relative"]) <= 1e-7
    assert p["n_nonzero"][0] == 0 and p["dev_ratio"][-1] > p["dev_ratio"][1]
    assert len(p["aic"]) == len(p["alphas"])
    r = cli(
        "cv",
        path,
        "--target",
        "count",
        "--exclude",
        "outcome,flag",
        "--family",
        "poisson",
        "--folds",
        "4",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    c = r.json()
    assert c["metric"] == "deviance" and c["model"]["family"] == "poisson"
    r = cli("cv", path, "--target", "count", "--family", "poisson", "--metric", "auc")
    assert r.exit_code == 2 and "not for --family poisson" in r.stderr


def test_binomial_cv_measures_and_gates(cli, classes_csv, tmp_path):
    path, _ = classes_csv
    base = (
        "cv",
        path,
        "--target",
        "flag",
        "--exclude",
        "outcome,count",
        "--family",
        "binomial",
        "--folds",
        "5",
        "--format",
        "json",
    )
    auc = cli(*base, "--metric", "auc", "--min-auc", "0.6")
    assert auc.exit_code == 0, auc.stderr
    p = auc.json()
    assert p["metric"] == "auc" and p["alpha_min"] <= p["alpha_1se"]
    i_min = p["alphas"].index(p["alpha_min"])
    assert p["cv_mean"][i_min] == max(v for v in p["cv_mean"] if v is not None)
    assert p["checks"][0]["passed"] and p["checks"][0]["name"] == "min_auc (cross-validated)"
    failing = cli(*base, "--min-auc", "0.999")
    assert failing.exit_code == 1
    cls = cli(*base, "--metric", "class").json()
    assert all(0 <= v <= 1 for v in cls["cv_mean"])
    gate = cli(
        "fit",
        path,
        "--target",
        "flag",
        "--exclude",
        "outcome,count",
        "--family",
        "binomial",
        "--alpha",
        "0.01",
        "--max-deviance",
        "0.01",
    )
    assert gate.exit_code == 1


def test_auc_refused_when_a_fold_lacks_a_class(cli, write_csv):
    data = write_csv("x,y\n" + "".join(f"{i},{int(i >= 18)}\n" for i in range(20)))
    r = cli("cv", data, "--family", "binomial", "--metric", "auc", "--fold-col", "x")
    assert r.exit_code in (2, 65)
    # every training fold holds both classes, the third held-out fold only class 0
    folds = write_csv(
        "x,f,y\n" + "".join(f"{i},{i % 3},{int(i in (0, 1))}\n" for i in range(21)), "f.csv"
    )
    r = cli("cv", folds, "--family", "binomial", "--metric", "auc", "--fold-col", "f")
    assert r.exit_code == 2 and "holds only one class" in r.stderr


def test_auc_and_weights_of_zero(cli, write_csv):
    """--metric auc counts a fold's rows of positive weight: a fold whose class-1 rows all
    weigh 0 is refused (its AUC would be undefined: null everywhere); a fold of weight 0
    counts for nothing (no NaN, no warning)."""
    rows = [(i, i % 4, (i * 7) % 10 / 10 + (i % 3 == 0), int(i % 3 == 0)) for i in range(40)]
    one_class = write_csv(
        "x,f,w,y\n" + "".join(f"{x},{f},{0 if f == 1 and y else 1},{y}\n" for x, f, _, y in rows),
        "one.csv",
    )
    args = ("--family", "binomial", "--metric", "auc", "--fold-col", "f", "--weights", "w")
    r = cli("cv", one_class, "--target", "y", "--features", "x", *args)
    assert r.exit_code == 2 and "one class of positive weight" in r.stderr, r.stderr
    zero_fold = write_csv(
        "x,z,f,w,y\n" + "".join(f"{x},{z},{f},{0 if f == 1 else 1},{y}\n" for x, f, z, y in rows),
        "zero.csv",
    )
    r = cli("cv", zero_fold, "--target", "y", "--features", "x,z", *args, "-f", "json")
    assert r.exit_code == 0 and only_notes(r.stderr), r.stderr
    assert all(m is not None for m in r.json()["cv_mean"])


def test_training_folds_and_weighted_rows_must_be_fittable(cli, write_csv):
    """A binomial training fold without one of the classes, a Poisson one with counts of 0
    only, and weights that leave one class: exit 65 with one line (they gave NaN warnings or
    fits of nothing)."""
    one_positive = write_csv("x,y\n" + "".join(f"{i % 7},{int(i == 3)}\n" for i in range(30)))
    for command in ("cv", "compare", "fit"):
        r = cli(command, one_positive, "--family", "binomial", "--folds", "5")
        assert r.exit_code == 65, (command, r.stderr)
        assert "training fold" in r.stderr and "only the class '0'" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    counts = write_csv("x,y\n" + "".join(f"{i % 5},{2 * int(i == 4)}\n" for i in range(30)))
    r = cli("cv", counts, "--family", "poisson", "--folds", "5")
    assert r.exit_code == 65 and "counts of 0 only" in r.stderr
    weighted = write_csv(
        "x,w,y\n" + "".join(f"{i % 4},{float(i % 2)},{i % 2}\n" for i in range(20)), "w.csv"
    )
    for command in ("fit", "path", "cv"):
        extra = ["--alpha", "0.01"] if command == "fit" else []
        r = cli(command, weighted, "--family", "binomial", "--weights", "w", *extra)
        assert r.exit_code == 65 and "every row with a positive weight" in r.stderr
    r = cli("fit", weighted, "--weights", "w", "--alpha", "0.01")  # gaussian: y = 1 there
    assert r.exit_code == 65 and "constant (1) on the rows with a positive weight" in r.stderr


def test_saved_binomial_model_predicts_probabilities_links_and_classes(cli, classes_csv, tmp_path):
    path, df = classes_csv
    model = tmp_path / "m.json"
    r = cli(
        "fit",
        path,
        "--target",
        "outcome",
        "--exclude",
        "flag,count",
        "--family",
        "binomial",
        "--alpha",
        "0.02",
        "--save",
        model,
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    doc = json.loads(model.read_text())
    assert doc["family"] == {"name": "binomial", "link": "logit", "classes": ["sick", "well"]}
    fitted = r.json()
    eta = fitted["intercept"] + df[["a", "b", "c", "d"]].to_numpy() @ np.array(
        [fitted["coefficients"][c] for c in "abcd"]
    )
    prob = cli("predict", model, path, "--format", "json").json()
    np.testing.assert_allclose(prob["predictions"], 1 / (1 + np.exp(-eta)), rtol=1e-12)
    link = cli("predict", model, path, "--type", "link", "--format", "json").json()
    np.testing.assert_allclose(link["predictions"], eta, rtol=1e-12, atol=1e-12)
    cls = cli("predict", model, path, "--type", "class", "--format", "csv")
    labels = cls.stdout.splitlines()[1:]
    assert set(labels) <= {"sick", "well"}
    assert labels == ["well" if e >= 0 else "sick" for e in eta]
    gaussian = tmp_path / "g.json"
    cli(
        "fit",
        path,
        "--target",
        "count",
        "--exclude",
        "outcome,flag",
        "--alpha",
        "0.01",
        "--save",
        gaussian,
    )
    r = cli("predict", gaussian, path, "--type", "class")
    assert r.exit_code == 2 and "not binomial" in r.stderr


def test_binomial_compare(cli, classes_csv):
    path, _ = classes_csv
    r = cli(
        "compare",
        path,
        "--target",
        "outcome",
        "--exclude",
        "flag,count",
        "--family",
        "binomial",
        "--folds",
        "4",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    p = r.json()
    names = [m["penalty"] for m in p["models"]]
    assert p["family"] == "binomial" and p["metric"] == "deviance"
    assert names[:3] == ["l1", "l2", "elasticnet"]
    assert "ols" in names or p["ols_absent_reason"]
    assert p["verdict"]["recommended"] in names


def test_breast_cancer_sample_without_alpha(cli):
    from tests.conftest import SAMPLE

    r = cli(
        "fit",
        SAMPLE / "breast_cancer.csv",
        "--target",
        "diagnosis",
        "--family",
        "binomial",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    p = r.json()
    assert p["alpha_selection"]["method"] == "cv" and p["alpha_selection"]["metric"] == "deviance"
    assert p["positive_class"] == "malignant" and p["auc"] > 0.98 and p["converged"]
    assert "Traceback" not in r.stderr and "warning" not in r.stderr


def test_relaxed_binomial_fit_and_path(cli, classes_csv):
    path, _ = classes_csv
    args = ("--target", "outcome", "--exclude", "flag,count", "--family", "binomial")
    r = cli("fit", path, *args, "--alpha", "0.05", "--relax", "--format", "json")
    assert r.exit_code == 0, r.stderr
    p = r.json()
    assert p["relaxed"]["gamma"] == 0.0 and p["relaxed"]["refit"]
    r = cli("path", path, *args, "--relax", "--gamma", "0.5", "--format", "json")
    assert r.exit_code == 0 and r.json()["gamma"] == 0.5
    r = cli("cv", path, *args, "--relax", "--folds", "3")
    assert r.exit_code == 2 and "not available for --family binomial" in r.stderr


def test_assess_scores_binomial_and_poisson_models_by_their_family(cli, classes_csv, tmp_path):
    """assess on a saved binomial model: deviance (probabilities clipped as cv.glmnet), AUC
    and accuracy on its own text classes, the training figures on the training rows, and
    independent formulas on other rows; a Poisson model its Poisson deviance."""
    from sklearn.metrics import log_loss, mean_poisson_deviance, roc_auc_score

    path, df = classes_csv
    model = tmp_path / "m.json"
    fit = cli(
        "fit", path, "--target", "outcome", "--exclude", "flag,count", "--family", "binomial",
        "--alpha", "0.01", "--save", model, "--format", "json",
    ).json()  # fmt: skip
    same = cli("assess", model, path, "--format", "json")
    assert same.exit_code == 0, same.stderr
    p = same.json()
    assert p["family"] == "binomial" and p["positive_class"] == "well"
    for key in ("deviance", "null_deviance", "dev_ratio", "auc", "accuracy"):
        assert p["metrics"][key] == pytest.approx(fit[key], rel=1e-9), key
    # other rows: the model's probabilities scored by scikit-learn
    rng = np.random.default_rng(1)
    new = df.sample(60, random_state=2).copy()
    new[["a", "b", "c", "d"]] += rng.standard_normal((60, 4))
    new_path = tmp_path / "new.csv"
    new.to_csv(new_path, index=False)
    m = cli("assess", model, new_path, "--format", "json").json()["metrics"]
    eta = fit["intercept"] + new[["a", "b", "c", "d"]].to_numpy() @ np.array(
        [fit["coefficients"][c] for c in "abcd"]
    )
    prob = 1 / (1 + np.exp(-eta))
    y = (new["outcome"] == "well").to_numpy(float)
    assert m["deviance"] == pytest.approx(2 * log_loss(y, np.clip(prob, 1e-5, 1 - 1e-5)), rel=1e-9)
    assert m["auc"] == pytest.approx(roc_auc_score(y, prob), rel=1e-12)
    assert m["accuracy"] == pytest.approx(np.mean((prob >= 0.5) == (y == 1)), rel=1e-12)
    assert m["mse"] == pytest.approx(np.mean((y - prob) ** 2), rel=1e-9)
    # gates: AUC and deviance fail with exit 1; a class the model never saw is a data error
    bad = cli("assess", model, new_path, "--min-auc", "0.999", "--max-deviance", "0.01")
    assert bad.exit_code == 1 and bad.stderr.count("check failed") == 2
    odd = new.copy()
    odd.loc[odd.index[0], "outcome"] = "unsure"
    odd.to_csv(tmp_path / "odd.csv", index=False)
    r = cli("assess", model, tmp_path / "odd.csv")
    assert r.exit_code == 65 and "'unsure'" in r.stderr and "'sick', 'well'" in r.stderr
    # Poisson
    counts = tmp_path / "p.json"
    pfit = cli(
        "fit", path, "--target", "count", "--exclude", "flag,outcome", "--family", "poisson",
        "--alpha", "0.01", "--save", counts, "--format", "json",
    ).json()  # fmt: skip
    pm = cli("assess", counts, new_path, "--format", "json").json()
    mu = np.exp(
        pfit["intercept"]
        + new[["a", "b", "c", "d"]].to_numpy() @ np.array([pfit["coefficients"][c] for c in "abcd"])
    )
    assert pm["family"] == "poisson"
    assert pm["metrics"]["deviance"] == pytest.approx(
        mean_poisson_deviance(new["count"], mu), rel=1e-9
    )
    negative = new.copy()
    negative.loc[negative.index[0], "count"] = -1
    negative.to_csv(tmp_path / "neg.csv", index=False)
    assert cli("assess", counts, tmp_path / "neg.csv").exit_code == 65
    # the family's gates only
    gauss = tmp_path / "g.json"
    cli("fit", path, "--target", "count", "--exclude", "outcome", "--alpha", "0.1", "--save", gauss)
    for gate in ("--min-auc", "--max-deviance"):
        r = cli("assess", gauss, path, gate, "0.5")
        assert r.exit_code == 2 and gate in r.stderr
    assert cli("assess", counts, new_path, "--min-auc", "0.5").exit_code == 2


def test_diff_names_the_families_and_warns_where_they_or_the_positive_class_differ(
    cli, classes_csv, tmp_path
):
    path, _ = classes_csv
    base = ["--exclude", "flag,count", "--alpha", "0.01", "--target", "outcome"]
    well, sick, gauss = tmp_path / "well.json", tmp_path / "sick.json", tmp_path / "g.json"
    assert cli("fit", path, *base, "--family", "binomial", "--save", well).exit_code == 0
    flipped = ["--family", "binomial", "--positive-class", "sick", "--save", sick]
    assert cli("fit", path, *base, *flipped).exit_code == 0
    r = cli("diff", well, sick, "--format", "json")
    assert r.exit_code == 0
    p = r.json()
    assert p["family"] == {"old": "binomial", "new": "binomial"}
    assert p["positive_class"] == {"old": "well", "new": "sick"}
    assert "different classes as 1" in r.stderr and len(p["sign_flips"]) >= 2
    ratio = ["--target", "flag", "--exclude", "outcome,count", "--alpha", "0.01"]
    assert cli("fit", path, *ratio, "--save", gauss).exit_code == 0
    mixed = cli("diff", gauss, well, "--format", "json")
    assert mixed.json()["family"] == {"old": "gaussian", "new": "binomial"}
    assert "different families (gaussian, binomial)" in mixed.stderr
    same = cli("diff", well, well)
    assert same.exit_code == 0 and "warning" not in same.stderr
