"""A directory or a glob of files read as one table, for every command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLE


@pytest.fixture
def parts(tmp_path):
    df = pd.read_csv(SAMPLE / "diabetes.csv")
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(4):
        piece = df.iloc[i * 111 : (i + 1) * 111]
        if i == 3:
            piece.to_csv(folder / f"part-{i}.csv", index=False)  # formats may mix
        else:
            piece.to_parquet(folder / f"part-{i}.parquet", index=False)
    (folder / "_SUCCESS").write_text("")  # written by Spark; skipped
    return folder, df


def test_directory_and_glob_equal_the_single_file(cli, parts):
    folder, df = parts
    one = cli("fit", SAMPLE / "diabetes.csv", "--alpha", "1", "-f", "json").json()
    many = cli("fit", folder, "--alpha", "1", "-f", "json").json()
    pattern = cli("fit", f"{folder}/part-[012].parquet", "--alpha", "1", "-f", "json").json()
    assert many["rows"]["read"] == len(df) and pattern["rows"]["read"] == 333
    for name, value in one["coefficients"].items():
        assert many["coefficients"][name] == pytest.approx(value, rel=1e-12, abs=1e-12)
    cv_one = cli("cv", SAMPLE / "diabetes.csv", "--folds", "5", "-f", "json").json()
    cv_many = cli("cv", folder, "--folds", "5", "-f", "json").json()
    np.testing.assert_allclose(cv_many["cv_mean"], cv_one["cv_mean"], rtol=1e-12)


def test_files_must_share_their_columns(cli, parts, tmp_path):
    folder, df = parts
    df.drop(columns=["s6"]).iloc[:5].to_parquet(folder / "part-9.parquet", index=False)
    r = cli("fit", folder, "--alpha", "1")
    assert r.exit_code == 65 and "'s6' is not in both" in r.stderr
    assert cli("fit", tmp_path / "none-*.csv", "--alpha", "1").exit_code == 66
    empty = tmp_path / "empty"
    empty.mkdir()
    r = cli("fit", empty, "--alpha", "1")
    assert r.exit_code == 66 and "no data files" in r.stderr


def test_a_column_typed_differently_across_files_is_read_as_numbers(cli, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    rng = np.random.default_rng(0)
    a = pd.DataFrame({"x": rng.integers(0, 9, 50), "y": rng.standard_normal(50)})
    b = pd.DataFrame({"x": rng.standard_normal(50), "y": rng.standard_normal(50)})
    a.to_parquet(folder / "a.parquet", index=False)  # x int64 here, double there
    b.to_parquet(folder / "b.parquet", index=False)
    r = cli("fit", folder, "--alpha", "0.01", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["rows"]["read"] == 100
