"""Loading tables into Datasets: formats, target choice, encoding, missing values, refusals."""

from __future__ import annotations

import gzip
import io
import sys

import numpy as np
import pandas as pd
import pytest

from regcli.errors import DataError, InputError, UsageError
from regcli.io.dataset import load_dataset
from tests.conftest import SAMPLE

CSV = (
    "a,b,color,flag,y\n1,2.5,red,true,1.0\n2,3.5,blue,false,2.0\n"
    "3,1.0,red,true,2.5\n4,0.5,green,false,4.0\n"
)


def test_diabetes_csv_and_parquet_load_identically():
    a = load_dataset(str(SAMPLE / "diabetes.csv"))
    b = load_dataset(str(SAMPLE / "diabetes.parquet"))
    assert a.X.shape == (442, 10) and a.target == "y"
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.feature_names == b.feature_names


def test_tsv_gz_and_semicolon(tmp_path):
    (tmp_path / "d.tsv").write_text(CSV.replace(",", "\t"))
    with gzip.open(tmp_path / "d.csv.gz", "wt") as fh:
        fh.write(CSV)
    (tmp_path / "d.txt").write_text(CSV.replace(",", ";"))
    ref = load_dataset(str(tmp_path / "d.tsv"))
    for name in ("d.csv.gz", "d.txt"):
        other = load_dataset(str(tmp_path / name))
        np.testing.assert_array_equal(ref.X, other.X)


def test_stdin_csv_and_parquet(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CSV.encode())))
    a = load_dataset("-")
    assert a.source == "<stdin>" and a.n_samples == 4
    pd.read_csv(io.StringIO(CSV)).to_parquet(tmp_path / "x.parquet")
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO((tmp_path / "x.parquet").read_bytes()))
    )
    b = load_dataset("-")
    np.testing.assert_array_equal(a.X, b.X)


def test_target_choice_and_reason(write_csv):
    ds = load_dataset(str(write_csv(CSV)))
    assert ds.target == "y" and "named" in ds.target_reason
    ds = load_dataset(str(write_csv("a,b,TARGET,c\n1,2,3,4\n2,3,5,4\n3,1,1,0\n")))
    assert ds.target == "TARGET"
    ds = load_dataset(str(write_csv("a,b,c\n1,2,3\n2,3,5\n3,1,1\n")))
    assert ds.target == "c" and "last column" in ds.target_reason
    ds = load_dataset(str(write_csv(CSV)), target="b")
    assert ds.target == "b" and ds.target_reason == "--target" and "y" in ds.feature_names


def test_onehot_every_level_and_booleans(write_csv):
    ds = load_dataset(str(write_csv(CSV)))
    assert ds.feature_names == ["a", "b", "color=blue", "color=green", "color=red", "flag"]
    np.testing.assert_array_equal(ds.X[:, 2:5].sum(axis=1), 1.0)
    np.testing.assert_array_equal(ds.X[:, 5], [1, 0, 1, 0])
    enc = {e.column: e for e in ds.encodings}
    assert enc["color"].kind == "onehot" and enc["color"].levels == ["blue", "green", "red"]
    assert enc["flag"].kind == "bool"


def test_features_and_exclude(write_csv):
    path = str(write_csv(CSV))
    assert load_dataset(path, features=["b", "a"]).feature_names == ["b", "a"]
    assert load_dataset(path, exclude=["color", "flag"]).feature_names == ["a", "b"]
    with pytest.raises(UsageError, match="--features: no column 'zz'"):
        load_dataset(path, features=["zz"])
    with pytest.raises(UsageError, match="--exclude"):
        load_dataset(path, exclude=["zz"])
    with pytest.raises(UsageError, match="together"):
        load_dataset(path, features=["a"], exclude=["b"])


def test_missing_values_modes(write_csv):
    path = str(write_csv("a,b,y\n1,,1\n2,3,2\n,4,3\n4,5,\n5,6,7\n"))
    with pytest.raises(DataError, match=r"'a' \(1 cell\), 'b' \(1 cell\), 'y' \(1 cell\)"):
        load_dataset(path)
    dropped = load_dataset(path, na="drop")
    assert dropped.n_samples == 2 and dropped.n_rows_dropped == 3
    imputed = load_dataset(path, na="mean")
    assert imputed.n_samples == 4  # the row missing its target is dropped
    assert imputed.imputed == {"a": 1, "b": 1}
    np.testing.assert_allclose(imputed.X[2, 0], np.mean([1, 2, 5]))


@pytest.mark.parametrize(
    "text,match",
    [
        ("a,y\n1,x\n2,y\n3,z\n", "target column 'y' is not numeric"),
        ("a,y\n1,1\ninf,2\n3,4\n", "infinite"),
        ("a,a,y\n1,2,3\n4,5,6\n", "duplicate column"),
        ("a,y\n", "empty table"),
        ("a,y\n1,2\n", "fewer than 2 usable rows"),
        ("a,y\n1,2\n3,2\n", "constant"),
    ],
)
def test_bad_data_is_refused(write_csv, text, match):
    with pytest.raises(DataError, match=match):
        load_dataset(str(write_csv(text)))


def test_empty_file_and_missing_file(write_csv, tmp_path):
    with pytest.raises(DataError, match="empty"):
        load_dataset(str(write_csv("")))
    with pytest.raises(InputError, match="no such file"):
        load_dataset(str(tmp_path / "nope.csv"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="directory with no data files"):
        load_dataset(str(empty))


def test_identifier_like_text_column_is_refused(write_csv):
    rows = "\n".join(f"id{i},{i},{i * 2.0}" for i in range(30))
    with pytest.raises(DataError, match=r"--exclude name"):
        load_dataset(str(write_csv("name,a,y\n" + rows + "\n")))
    ds = load_dataset(str(write_csv("name,a,y\n" + rows + "\n")), exclude=["name"])
    assert ds.feature_names == ["a"]


def test_weights_column(write_csv):
    path = str(write_csv("a,w,y\n1,1,1\n2,2,3\n3,0.5,2\n"))
    ds = load_dataset(path, weights="w")
    assert ds.feature_names == ["a"] and ds.weights.tolist() == [1, 2, 0.5]
    with pytest.raises(DataError, match="negative"):
        load_dataset(str(write_csv("a,w,y\n1,-1,1\n2,2,3\n3,1,2\n")), weights="w")
    with pytest.raises(UsageError, match="--weights: no column 'q'"):
        load_dataset(path, weights="q")


def test_bad_parquet_is_data_error(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="Parquet"):
        load_dataset(str(bad))


def test_a_wide_text_table_is_read_in_blocks_of_many_rows(tmp_path):
    """Each block costs a fixed amount per column, so a wide table's blocks hold at least
    BLOCK_MIN_ROWS rows, and the rows arrive whole and in order."""
    from regcli.io.table import BLOCK_BYTES, BLOCK_MIN_ROWS, table_batches

    p, n = 1000, 400
    rng = np.random.default_rng(0)
    values = np.round(rng.standard_normal((n, p)), 4)
    header = ",".join(f"column_{j:05d}" for j in range(p))
    path = tmp_path / "wide.csv"
    path.write_text(header + "\n" + "\n".join(",".join(map(str, row)) for row in values) + "\n")
    assert path.stat().st_size > 2 * BLOCK_BYTES  # two or more blocks at the plain size
    with table_batches(str(path), digest=False) as source:
        batches = list(source.batches)
    assert batches[0].num_rows >= BLOCK_MIN_ROWS
    assert sum(b.num_rows for b in batches) == n
    got = np.vstack([np.column_stack([c.to_numpy() for c in b.columns]) for b in batches])
    np.testing.assert_array_equal(got, values)


WIDE_VARIANTS = {  # read at once: numbers by NumPy, the columns whose first cell is not one
    # by the block reader alone
    "plain": "a,b,c,y\n1.5,2,3,4\n-2,0.25,1e-3,5\n3,4,5,6.5\n",
    "crlf": "a,b,c,y\r\n1.5,2,3,4\r\n-2,0.25,1e-3,5\r\n3,4,5,6.5\r\n",
    "cr": "a,b,c,y\r1.5,2,3,4\r-2,0.25,1e-3,5\r3,4,5,6.5",
    "quoted": '"a","b,x",c,y\n"1.5",2,3,4\n-2,"0.25",1e-3,5\n3,4,5,6.5\n',
    "blank line": "a,b,c,y\n1.5,2,3,4\n\n-2,0.25,1e-3,5\n3,4,5,6.5",
    "spaces": " a ,b,,y\n 1.5,2 ,3,4\n-2,0.25,1e-3,5\n3,4,5,6.5\n",
    "semicolons": "a;b;c;y\n1.5;2;3;4\n-2;0.25;1e-3;5\n3;4;5;6.5\n",
    "id column": "id,a,b,y\ns1,1.5,2,4\ns2,-2,0.25,5\ns3,3,4,6.5\n",
    "text column": "a,b,c,y\n1.5,u,3,4\n-2,v,1e-3,5\n3,u,5,6.5\n",
    "missing first": "a,b,c,y\n1.5,,3,4\n-2,0.25,1e-3,5\n3,4,5,6.5\n",
    "na first": "a,b,c,y\n1.5,NA,3,4\n-2,0.25,1e-3,5\n3,4,5,6.5\n",
    "inf first": "a,b,c,y\n1.5,inf,3,4\n-2,0.25,1e-3,5\n3,4,5,6.5\n",
    "booleans": "a,b,c,y\n1.5,true,3,4\n-2,false,1e-3,5\n3,true,5,6.5\n",
    "text target": "a,b,c,y\n1.5,2,3,yes\n-2,0.25,1e-3,no\n3,4,5,yes\n",
}
WIDE_OTHERS = {  # left to the block reader: its answer, whatever it is
    "missing later": "a,b,c,y\n1.5,2,3,4\n-2,,1e-3,5\n3,4,5,6.5\n",
    "text later": "a,b,c,y\n1.5,2,3,4\n-2,u,1e-3,5\n3,4,5,6.5\n",
    "inf later": "a,b,c,y\n1.5,2,3,4\n-2,inf,1e-3,5\n3,4,5,6.5\n",
    "ragged": "a,b,c,y\n1.5,2,3,4\n-2,0.25,5\n3,4,5,6.5\n",
    "ragged first": "a,b,c,y\n1.5,2,3\n-2,0.25,1e-3,5\n3,4,5,6.5\n",
    "header only": "a,b,c,y\n",
    "duplicate names": "a,a,c,y\n1.5,2,3,4\n-2,0.25,1e-3,5\n3,4,5,6.5\n",
    "many others": "a,b,c,y\nu,v,w,4\nu,v,w,5\nu,w,w,6.5\n",
}


def _load_both(path, monkeypatch):
    """load_dataset with the wide path on (every table counts as wide) and off: (result or
    error text, whether NumPy read it at once) for each."""
    from regcli.io import table

    taken = []
    at_once = table._numbers_at_once
    monkeypatch.setattr(
        table, "_numbers_at_once", lambda *a: taken.append(at_once(*a)) or taken[-1]
    )
    out = []
    for columns in (1, 10**9):
        monkeypatch.setattr(table, "WIDE_TEXT_COLUMNS", columns)
        taken.clear()
        try:
            ds = load_dataset(str(path), na="error")
            got = (ds.X.tolist(), ds.y.tolist(), ds.feature_names)
        except (DataError, InputError, UsageError) as exc:
            got = (type(exc).__name__, str(exc))
        out.append((got, bool(taken) and taken[-1] is not None))
    return out


@pytest.mark.parametrize("variant", sorted(WIDE_VARIANTS))
def test_a_wide_table_of_numbers_read_at_once_equals_the_block_reader(
    tmp_path, monkeypatch, variant
):
    """Where the cells are finite plain numbers NumPy parses the table in one call (wide
    tables, when the whole table is read), the columns whose first cell is not such a number
    read by the block reader alone: the same columns, types, values and names as the block
    reader, for each line ending, quoting, blank line and separator, and an id, text,
    missing, boolean or infinite first cell."""
    path = tmp_path / "t.csv"
    path.write_bytes(WIDE_VARIANTS[variant].encode())
    (fast, at_once), (blocks, _) = _load_both(path, monkeypatch)
    assert at_once
    assert fast == blocks


@pytest.mark.parametrize("variant", sorted(WIDE_OTHERS))
def test_any_other_wide_table_is_left_to_the_block_reader(tmp_path, monkeypatch, variant):
    from regcli.io import table

    monkeypatch.setattr(table, "WIDE_OTHER_COLUMNS", 2)
    path = tmp_path / "t.csv"
    path.write_bytes(WIDE_OTHERS[variant].encode())
    (fast, at_once), (blocks, _) = _load_both(path, monkeypatch)
    assert not at_once
    assert fast == blocks
