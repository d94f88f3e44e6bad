"""--engine dask on a LocalCluster of two worker processes on 127.0.0.1: the stream engine's
results, computed on the workers; an unreachable scheduler ends with exit 69."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLE

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    """A scheduler and two worker processes on 127.0.0.1, as `dask scheduler` / `dask worker`
    would run them."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    yield cluster.scheduler_address
    cluster.close()


@pytest.fixture
def parts(tmp_path):
    rng = np.random.default_rng(3)
    df = pd.read_csv(SAMPLE / "diabetes.csv")
    df["color"] = rng.choice(["red", "green", "blue"], len(df))
    df.loc[::13, "s1"] = np.nan
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(6):
        df.iloc[i * 74 : (i + 1) * 74].to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder


def close(a, b, rel=1e-9):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.abs(a - b).max() <= rel * np.abs(a).max()


def test_dask_equals_local(cli, parts, scheduler):
    common = ("--na", "mean")
    for args in (("fit", parts, "--alpha", "0.5"), ("cv", parts, "--folds", "5", "--seed", "2")):
        local = cli(*args, *common, "-f", "json")
        dask = cli(*args, *common, "--engine", "dask", "--scheduler", scheduler, "-f", "json")
        assert dask.exit_code == 0, dask.stderr
        a, b = local.json(), dask.json()
        assert b["engine"] == "dask"
        if args[0] == "cv":
            close(a["cv_mean"], b["cv_mean"])
            assert a["alphas"].index(a["alpha_1se"]) == b["alphas"].index(b["alpha_1se"])
        else:
            close(list(a["coefficients"].values()), list(b["coefficients"].values()))


def test_unreachable_scheduler_is_exit_69(cli, parts):
    t0 = time.perf_counter()
    r = cli(
        "fit",
        parts,
        "--alpha",
        "1",
        "--na",
        "drop",
        "--engine",
        "dask",
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--timeout",
        "1",
    )
    assert r.exit_code == 69 and "cannot reach the Dask scheduler" in r.stderr
    assert time.perf_counter() - t0 < 30


def test_without_the_dask_extra_the_engine_says_how_to_install_it(cli, parts, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    r = cli("fit", parts, "--alpha", "1", "--na", "drop", "--engine", "dask")
    assert r.exit_code == 2 and 'pip install "regcli[dask]"' in r.stderr


def test_a_table_of_numbers_is_summed_in_one_pass_on_the_workers(cli, tmp_path, scheduler):
    """No text, no --na mean, no folds: each file is read once (its sums about its own first
    batch's means, merged re-centered) and equals the in-memory fit, rows dropped included."""
    df = pd.read_csv(SAMPLE / "diabetes.csv")
    df.loc[::29, "bmi"] = np.nan
    df["age"] += 1e4  # far from 0: the per-file centers matter
    folder = tmp_path / "numbers"
    folder.mkdir()
    for i in range(5):
        df.iloc[i * 90 : (i + 1) * 90].to_parquet(folder / f"part-{i}.parquet", index=False)
    for args in (("fit", folder, "--alpha", "0.3"), ("path", folder, "--n-alphas", "20")):
        local = cli(*args, "--na", "drop", "-f", "json")
        dask = cli(
            *args, "--na", "drop", "--engine", "dask", "--scheduler", scheduler, "-f", "json",
            "--progress",
        )  # fmt: skip
        assert dask.exit_code == 0, dask.stderr
        assert "file passes done (5 files)" in dask.stderr
        a, b = local.json(), dask.json()
        assert b["engine"] == "dask" and b["n_samples"] == a["n_samples"] == len(df) - 16
        if args[0] == "fit":
            close(list(a["coefficients"].values()), list(b["coefficients"].values()))
            close([a["intercept"]], [b["intercept"]])
        else:
            close(a["alphas"], b["alphas"])
