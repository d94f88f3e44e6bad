"""`regcli path` through the real entry point."""

from __future__ import annotations

import csv
import io

import pytest

from regcli.core import compute_path
from regcli.io.dataset import load_dataset
from tests.conftest import SAMPLE, only_notes

DIABETES = str(SAMPLE / "diabetes.csv")
PATH_KEYS = {
    "alphas",
    "n_nonzero",
    "dev_ratio",
    "intercepts",
    "coefficients",
    "entry_alpha",
    "stop_reason",
    "timings",
}


def test_path_json_contract(cli):
    r = cli("path", DIABETES, "-f", "json")
    assert r.exit_code == 0 and only_notes(r.stderr)
    out = r.json()
    assert PATH_KEYS <= out.keys()
    ds = load_dataset(DIABETES)
    ref = compute_path(ds.X, ds.y)
    assert out["alphas"] == ref.alphas.tolist()
    assert out["n_nonzero"] == ref.n_nonzero.tolist()
    assert out["entry_order"][:2] == ["bmi", "s5"] or out["entry_order"][:2] == ["s5", "bmi"]
    assert out["converged"] is True and max(out["max_kkt_violation_relative"]) <= 1e-6
    for name, first in out["entry_alpha"].items():
        nz = [a for a, c in zip(out["alphas"], out["coefficients"][name]) if c != 0]
        assert first == (nz[0] if nz else None)


def test_path_csv_complete(cli):
    r = cli("path", DIABETES, "--n-alphas", "30", "--penalty", "elasticnet")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.exit_code == 0 and 5 <= len(rows) <= 30
    assert set(rows[0]) >= {"alpha", "n_nonzero", "dev_ratio", "intercept", "age", "s6"}


def test_path_options(cli):
    out = cli("path", DIABETES, "--alphas", "0.1,10,1", "-f", "json").json()
    assert out["alphas"] == [10.0, 1.0, 0.1] and out["stop_reason"] == "completed"
    out = cli("path", DIABETES, "--n-alphas", "10", "--eps", "0.1", "-f", "json").json()
    assert (
        out["alphas"][-1] == pytest.approx(0.1 * out["alphas"][0])
        or out["stop_reason"] != "completed"
    )
    out = cli("path", DIABETES, "--penalty", "l2", "--n-alphas", "5", "-f", "json").json()
    assert out["penalty"] == "l2" and all(k == 10 for k in out["n_nonzero"])
    out = cli("path", str(SAMPLE / "sparse_wide.parquet"), "-f", "json").json()
    assert out["n_features"] == 400 and max(out["n_nonzero"]) <= 79


def test_path_terminal_table_thins(cli):
    r = cli("path", str(SAMPLE / "sparse_wide.csv"), "-f", "table")
    assert r.exit_code == 0 and "Entry order" in r.stdout and "%dev" in r.stdout


@pytest.mark.parametrize(
    "args,code,words",
    [
        (["--alphas", "1,x"], 2, "--alphas"),
        (["--alphas", "1,0"], 2, "--alphas"),
        (["--alphas", "1", "--eps", "0.1"], 2, "together"),
        (["--eps", "1"], 2, "--eps"),
        (["--n-alphas", "0"], 2, "--n-alphas"),
        (["--plot", "x.gif"], 2, "--plot"),
    ],
)
def test_path_bad_options(cli, args, code, words):
    r = cli("path", DIABETES, *args)
    assert r.exit_code == code and words in r.stderr and r.stdout == ""


def test_path_plot_written(cli, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "path.png"
    r = cli("path", DIABETES, "--plot", target, "-f", "json")
    assert r.exit_code == 0 and target.read_bytes()[:4] == b"\x89PNG"
    r = cli("path", DIABETES, "--plot", target)
    assert r.exit_code == 2 and "--force" in r.stderr


def test_plot_missing_matplotlib_is_clear(cli, monkeypatch, tmp_path):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    r = cli("path", DIABETES, "--plot", tmp_path / "p.png")
    assert r.exit_code == 2 and "regcli[plot]" in r.stderr


def test_every_command_has_help_and_is_in_readme(cli):
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    from regcli.cli.app import app

    for command in app.registered_commands:
        r = cli(command.name, "--help")
        assert r.exit_code == 0 and len(r.stdout) > 200
        assert f"regcli {command.name}" in readme


def test_a_grid_whose_paths_exceed_the_free_memory_is_refused_up_front(cli, monkeypatch):
    """path and cv hold every alpha's coefficients (and cv the folds' supports): a grid that
    would not fit in the memory available is a usage error naming the option, not a run the
    system kills when memory runs out."""
    import regcli.core.parallel as parallel

    data = SAMPLE / "diabetes.csv"  # 10 features
    monkeypatch.setattr(parallel, "available_memory", lambda: 2.0**20)
    assert cli("path", data, "--n-alphas", "500", "-f", "csv").exit_code == 0  # 0.4 MB
    r = cli("path", data, "--n-alphas", "5000", "-f", "json")
    assert r.exit_code == 2, r.stderr
    assert "--n-alphas: 5000 alphas x 10 features would need about 9.5 MB" in r.stderr
    assert r.stdout == ""
    grid = ",".join(str(10.0 ** (-k / 1000)) for k in range(1, 1001))
    monkeypatch.setattr(parallel, "available_memory", lambda: 2.0**18)  # cv: 0.33 MB
    r = cli("cv", data, "--alphas", grid, "--folds", "10")
    assert r.exit_code == 2 and "--alphas: 1000 alphas x 10 features" in r.stderr
    monkeypatch.setattr(parallel, "available_memory", lambda: None)  # unknown: no refusal
    assert cli("path", data, "--n-alphas", "5000", "-f", "csv").exit_code == 0
