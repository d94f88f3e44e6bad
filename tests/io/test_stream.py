"""--engine stream: the same fits, paths and cv as in memory, from two passes over batches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regcli.io.stream import stream_table
from tests.conftest import SAMPLE


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(1)
    df = pd.read_csv(SAMPLE / "diabetes.csv")
    df["color"] = rng.choice(["red", "green", "blue"], len(df))
    df.loc[400:, "color"] = "violet"  # a level that appears only in the last file
    df["smoker"] = rng.choice(["yes", "no"], len(df))
    df.loc[::17, "bmi"] = np.nan
    df["fold"] = np.arange(len(df)) % 4
    df["w"] = rng.uniform(0.5, 2.0, len(df))
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(5):
        part = df.iloc[i * 90 : (i + 1) * 90]
        if i == 4:
            part.to_csv(folder / f"p{i}.csv", index=False)
        else:
            part.to_parquet(folder / f"p{i}.parquet", index=False)
    return folder


def both(cli, *args):
    local = cli(*args, "-f", "json")
    stream = cli(*args, "--engine", "stream", "-f", "json")
    assert local.exit_code == 0, local.stderr
    assert stream.exit_code == 0, stream.stderr
    return local.json(), stream.json()


def close(a, b, rel=1e-9):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.abs(a - b).max() <= rel * max(np.abs(a).max(), 1e-300)


@pytest.mark.parametrize(
    "options",
    [
        ("--exclude", "fold,w", "--na", "mean"),
        ("--exclude", "fold", "--weights", "w", "--na", "drop"),
    ],
)
def test_fit_and_path_equal_the_in_memory_results(cli, table, options):
    a, b = both(cli, "fit", table, "--alpha", "0.5", "--l1-ratio", "0.7", *options)
    assert list(a["coefficients"]) == list(b["coefficients"])  # same encoding, same order
    close(list(a["coefficients"].values()), list(b["coefficients"].values()))
    assert a["rows"] == b["rows"] and a["imputed"] == b["imputed"]
    assert b["converged"]
    a, b = both(cli, "path", table, *options)
    assert a["alphas"] == pytest.approx(b["alphas"], rel=1e-12)
    for name in a["coefficients"]:
        close(a["coefficients"][name], b["coefficients"][name], rel=1e-8)


def test_cv_equals_the_in_memory_cv(cli, table):
    a, b = both(
        cli, "cv", table, "--folds", "5", "--seed", "3", "--exclude", "fold,w", "--na", "mean"
    )
    close(a["cv_mean"], b["cv_mean"])
    assert a["alpha_min"] == pytest.approx(b["alpha_min"], rel=1e-12)
    a, b = both(cli, "cv", table, "--fold-col", "fold", "--weights", "w", "--na", "drop")
    close(a["cv_mean"], b["cv_mean"])
    close(list(a["model"]["coefficients"].values()), list(b["model"]["coefficients"].values()))
    a, b = both(cli, "fit", table, "--exclude", "fold,w", "--na", "drop")  # alpha by cv
    assert a["alpha"] == pytest.approx(b["alpha"], rel=1e-12)


def test_stream_levels_seen_late_and_memory_is_not_the_rows(table):
    s = stream_table(str(table), exclude=["fold", "w"], na="mean")
    assert "color=violet" in s.dataset.feature_names
    assert s.dataset.X.strides == (0, 0)  # a placeholder: the rows are not kept
    assert s.total.n == s.dataset.n_samples == 442


def test_stream_refusals(cli, table):
    r = cli(
        "fit",
        table,
        "--alpha",
        "1",
        "--engine",
        "stream",
        "--family",
        "binomial",
        "--target",
        "smoker",
        "--exclude",
        "fold,w",
        "--na",
        "drop",
    )
    assert r.exit_code == 2 and "not streamed yet" in r.stderr
    r = cli("cv", table, "--engine", "stream", "--metric", "mae", "--na", "drop")
    assert r.exit_code == 2 and "need the rows" in r.stderr
    r = cli("fit", table, "--alpha", "1", "--engine", "stream")  # missing bmi cells
    assert r.exit_code == 65 and "--na drop" in r.stderr


def test_one_pass_over_a_table_of_numbers(cli, tmp_path):
    """Numbers only, no folds: a single pass (centered at the first batch's means) gives the
    same fit, and still applies the missing-value and target rules."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3000, 6)) * [1, 10, 100, 1e3, 1e-3, 1] + 50
    y = X @ [1, 0.1, 0, 0.001, 100, 0] + rng.standard_normal(3000)
    df = pd.DataFrame(X, columns=list("abcdef")).assign(y=y)
    df.loc[7, "c"] = np.nan
    path = tmp_path / "numbers.parquet"
    df.to_parquet(path, index=False)
    r = cli("fit", path, "--alpha", "0.01", "--engine", "stream")
    assert r.exit_code == 65 and "'c' (1 cell)" in r.stderr
    a, b = both(cli, "fit", path, "--alpha", "0.01", "--na", "drop")
    close(list(a["coefficients"].values()), list(b["coefficients"].values()))
    assert b["rows"] == {"read": 3000, "used": 2999, "dropped": 1}
    flat = tmp_path / "flat.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [5.0, 5.0, 5.0]}).to_csv(flat, index=False)
    r = cli("fit", flat, "--alpha", "0.1", "--engine", "stream")
    assert r.exit_code == 65 and "constant" in r.stderr


def test_compare_equals_the_in_memory_compare(cli, table):
    a, b = both(cli, "compare", table, "--folds", "4", "--exclude", "fold,w", "--na", "drop")
    assert [m["penalty"] for m in a["models"]] == [m["penalty"] for m in b["models"]]
    for ma, mb in zip(a["models"], b["models"]):
        assert mb["cv_mean"] == pytest.approx(ma["cv_mean"], rel=1e-9)
        assert mb["alpha"] == pytest.approx(ma["alpha"], rel=1e-12)
    assert a["verdict"]["recommended"] == b["verdict"]["recommended"]
    r = cli("compare", table, "--engine", "stream", "--test-size", "0.2", "--na", "drop")
    assert r.exit_code == 2 and "need the rows" in r.stderr


def test_predict_stream_writes_the_same_rows_in_order(cli, table, tmp_path):
    model = tmp_path / "m.json"
    r = cli("fit", table, "--alpha", "0.5", "--exclude", "fold,w", "--na", "mean", "--save", model)
    assert r.exit_code == 0, r.stderr
    whole = cli("predict", model, table, "--na", "mean", "--keep", "fold", "-f", "csv")
    streamed = cli("predict", model, table, "--na", "mean", "--keep", "fold", "--stream")
    a = pd.read_csv(pd.io.common.StringIO(whole.stdout))
    b = pd.read_csv(pd.io.common.StringIO(streamed.stdout))
    assert list(a["fold"]) == list(b["fold"]) and len(b) == 442
    np.testing.assert_allclose(a["prediction"], b["prediction"], rtol=1e-12)
    out = tmp_path / "scored.csv"
    assert cli("predict", model, table, "--na", "mean", "--stream", "--output", out).exit_code == 0
    assert len(pd.read_csv(out)) == 442
    r = cli("predict", model, table, "--na", "mean", "--stream", "--output", out)
    assert r.exit_code == 2 and "--force" in r.stderr  # never replaced without being asked
    r = cli("predict", model, table, "--stream", "-f", "json")
    assert r.exit_code == 2
    r = cli("predict", model, table, "--stream")  # missing cells: counted in the batch named
    assert r.exit_code == 65 and "(rows 1-" in r.stderr and "--na" in r.stderr, r.stderr


def test_engine_auto_streams_above_the_memory_limit(cli, table):
    small = cli("fit", table, "--alpha", "1", "--na", "drop", "--engine", "auto", "-f", "json")
    assert small.exit_code == 0 and small.json()["engine"] == "local"
    big = cli(
        "fit",
        table,
        "--alpha",
        "1",
        "--na",
        "drop",
        "--engine",
        "auto",
        "--memory-limit",
        "10K",
        "-f",
        "json",
    )
    assert big.exit_code == 0 and big.json()["engine"] == "stream"
    assert "--engine auto: stream" in big.stderr
    close(list(small.json()["coefficients"].values()), list(big.json()["coefficients"].values()))
    bad = cli("fit", table, "--alpha", "1", "--engine", "auto", "--memory-limit", "lots")
    assert bad.exit_code == 2
    assert cli("fit", table, "--alpha", "1", "--memory-limit", "1G").exit_code == 2


def test_magnitudes_the_streamed_sums_cannot_square_are_refused(cli, write_csv):
    huge = write_csv("a,b,y\n1e300,1,2\n-1e300,2,3\n5e299,3,4\n", "huge.csv")
    r = cli("fit", huge, "--alpha", "0.1", "--engine", "stream")
    assert r.exit_code == 65 and "--engine local" in r.stderr
    assert cli("fit", huge, "--alpha", "0.1").exit_code == 0  # in memory: rescaled


def test_na_mean_refuses_a_column_of_no_values_as_in_memory(cli, write_csv):
    table = write_csv("a,b,y\n,1,2\n,2,3\n,4,5\n", "empty_a.csv")
    for engine in ("local", "stream"):
        r = cli("fit", table, "--alpha", "0.1", "--na", "mean", "--engine", engine)
        assert r.exit_code == 65 and "no values to impute from" in r.stderr, (engine, r.stderr)


def test_infinite_values_and_header_only_files_as_in_memory(cli, write_csv, tmp_path):
    inf = write_csv("a,b,y\n1,inf,3\n2,1,4\n3,5,2\n", "inf.csv")
    for engine in ("local", "stream"):
        r = cli("fit", inf, "--alpha", "0.1", "--engine", engine)
        assert r.exit_code == 65 and "'b' has" in r.stderr and "infinite" in r.stderr, r.stderr
    # a part of a directory with a header alone does not make its columns text
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "p1.csv").write_text("a,b,y\n1,2,3\n2,1,4\n")
    (parts / "p2.csv").write_text("a,b,y\n")
    (parts / "p3.csv").write_text("a,b,y\n3,5,2\n4,4,6\n5,1,1\n")
    fits = [
        cli("fit", str(parts), "--alpha", "0.1", "--engine", e, "-f", "json")
        for e in ("local", "stream")
    ]
    assert all(f.exit_code == 0 for f in fits), [f.stderr for f in fits]
    close(
        list(fits[0].json()["coefficients"].values()), list(fits[1].json()["coefficients"].values())
    )


def test_a_column_without_a_name_streams_under_its_position_name(cli, write_csv):
    rows = "\n".join(f"{i},{i % 3},{i * 0.5 + i % 7}" for i in range(30))
    table = write_csv(",b,y\n" + rows + "\n", "unnamed.csv")  # R's row-name column
    fits = [
        cli("fit", table, "--alpha", "0.1", "--engine", e, "-f", "json")
        for e in ("local", "stream")
    ]
    assert all(f.exit_code == 0 for f in fits), [f.stderr for f in fits]
    assert list(fits[1].json()["coefficients"]) == ["column1", "b"]
    close(
        list(fits[0].json()["coefficients"].values()), list(fits[1].json()["coefficients"].values())
    )


def test_tiny_magnitudes_follow_the_in_memory_rule(cli, write_csv):
    # a column whose largest |value| is below 1e-100 is rescaled in memory: refused here
    tiny = write_csv("a,b,y\n1e-150,1,2\n-2e-150,2,3\n3e-150,4,4\n0,3,1\n", "tiny.csv")
    r = cli("fit", tiny, "--alpha", "0.1", "--engine", "stream")
    assert r.exit_code == 65 and "'a'" in r.stderr and "--engine local" in r.stderr
    # tiny values beside ordinary ones are not rescaled in memory: the same fit streamed
    rows = "\n".join(f"{1e-150 if i % 3 else i},{i % 5},{i % 7 + 0.5 * i}" for i in range(40))
    mixed = write_csv("a,b,y\n" + rows + "\n", "mixed.csv")
    local = cli("fit", mixed, "--alpha", "0.1", "-f", "json")
    streamed = cli("fit", mixed, "--alpha", "0.1", "--engine", "stream", "-f", "json")
    assert local.exit_code == 0 and streamed.exit_code == 0, streamed.stderr
    close(
        list(local.json()["coefficients"].values()),
        list(streamed.json()["coefficients"].values()),
    )


def test_read_ahead_keeps_order_raises_read_errors_and_stops_its_reader():
    import threading

    from regcli.errors import DataError
    from regcli.io.stream import read_ahead

    with read_ahead(iter(range(50)), 2) as ahead:
        assert list(ahead) == list(range(50))

    def failing():
        yield 1
        yield 2
        raise DataError("t.parquet: cannot read as Parquet (broken page)")

    with read_ahead(failing(), 2) as ahead:
        assert next(ahead) == 1 and next(ahead) == 2
        with pytest.raises(DataError, match="broken page"):
            next(ahead)

    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    with read_ahead(endless(), 2) as ahead:
        assert next(ahead) == 0
    # leaving the block stopped the reader: it read at most the few batches ahead
    assert not any(t.name == "regcli-reader" for t in threading.enumerate())
    assert len(produced) <= 5


def test_progress_counts_the_rows_of_every_pass(cli, write_csv):
    rows = "\n".join(f"{i},{i % 3},{i * 0.5 + i % 7}" for i in range(30))
    table = write_csv("a,b,y\n" + rows + "\n", "progress.csv")
    r = cli("fit", table, "--alpha", "0.1", "--engine", "stream", "--progress")
    assert r.exit_code == 0 and "streaming: 30 rows read (1 batch)" in r.stderr, r.stderr
    quiet = cli("fit", table, "--alpha", "0.1", "--engine", "stream", "--progress", "--quiet")
    assert "rows read" not in quiet.stderr
    # folds need a first pass: both passes count
    r = cli("cv", table, "--engine", "stream", "--folds", "3", "--progress")
    assert r.exit_code == 0 and "60 rows read (2 batches)" in r.stderr, r.stderr


def test_more_features_than_the_gram_holds_are_refused_before_any_pass(cli, tmp_path, monkeypatch):
    """Beyond GRAM_MAX_FEATURES feature columns no route takes streamed statistics: refused from
    the header, before a pass would accumulate a p x p Gram that nothing uses."""
    import regcli.io.stream as stream

    monkeypatch.setattr(stream, "GRAM_MAX_FEATURES", 3)
    path = tmp_path / "wide.csv"
    path.write_text("a,b,c,d,y\n" + "\n".join(f"{i},{i % 3},{i % 5},{i % 7},{i}" for i in range(9)))
    assert cli("path", path, "--engine", "stream", "--exclude", "d").exit_code == 0
    accumulated = []
    monkeypatch.setattr(stream, "accumulate_batches", lambda *a, **k: accumulated.append(1))
    r = cli("path", path, "--engine", "stream")
    assert r.exit_code == 2, r.stderr
    assert "4 feature columns are beyond the streamed Gram statistics" in r.stderr
    assert "--engine local" in r.stderr and not accumulated
