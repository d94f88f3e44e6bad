"""Reading a table (CSV, TSV, gzip'd either, Parquet, or stdin) into a pandas DataFrame."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from regcli.errors import DataError, InputError

if TYPE_CHECKING:
    import pandas as pd

PARQUET_MAGIC = b"PAR1"
STDIN = "-"


def source_name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def read_table(path: str) -> pd.DataFrame:
    """Read ``path`` ('-' for stdin).  Raises InputError (66) or DataError (65)."""
    return read_table_with_digest(path)[0]


def file_digest(path: str) -> str:
    """sha256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_table_with_digest(path: str) -> tuple[pd.DataFrame, str]:
    """The table and the sha256 of the bytes it was read from."""
    if path == STDIN:
        raw = sys.stdin.buffer.read()
        return _read_stdin(raw), hashlib.sha256(raw).hexdigest()
    df = _read_path(path)
    return df, file_digest(path)


def _read_stdin(raw: bytes) -> pd.DataFrame:
    name = source_name(STDIN)
    if not raw.strip():
        raise DataError(f"{name}: empty input")
    if raw[:4] == PARQUET_MAGIC:
        return _read_parquet(io.BytesIO(raw), name)
    sep = _sniff_sep(raw.split(b"\n", 1)[0].decode("utf-8", "replace"))
    return _read_delimited(io.BytesIO(raw), name, sep, header_bytes=raw)


def _read_path(path: str) -> pd.DataFrame:
    name = path
    file = Path(path)
    if not file.exists():
        raise InputError(f"{path}: no such file")
    if file.is_dir():
        raise InputError(f"{path}: is a directory, not a data file")
    suffixes = [s.lower() for s in file.suffixes]
    try:
        with open(file, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if head == PARQUET_MAGIC or (suffixes and suffixes[-1] in (".parquet", ".pq")):
        return _read_parquet(file, name)
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    kind = suffixes[-2] if compressed and len(suffixes) >= 2 else (suffixes[-1] if suffixes else "")
    try:
        opener = gzip.open if compressed else open
        with opener(file, "rb") as fh:
            header = fh.readline()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if not header.strip():
        raise DataError(f"{path}: empty file")
    sep = "\t" if kind in (".tsv", ".tab") else _sniff_sep(header.decode("utf-8", "replace"))
    return _read_delimited(file, name, sep, header_bytes=header)


def _sniff_sep(first_line: str) -> str:
    """Comma unless the header line has tabs (or semicolons) and no commas."""
    if "," in first_line:
        return ","
    if "\t" in first_line:
        return "\t"
    if ";" in first_line:
        return ";"
    return ","


def _header_names(header_bytes: bytes, sep: str) -> list[str]:
    line = header_bytes.split(b"\n", 1)[0].decode("utf-8-sig", "replace").rstrip("\r")
    return next(csv.reader([line], delimiter=sep), [])


def _check_duplicates(names: list[str], name: str) -> None:
    seen: set[str] = set()
    dups = []
    for col in names:
        if col in seen and col not in dups:
            dups.append(col)
        seen.add(col)
    if dups:
        listed = ", ".join(repr(d) for d in dups)
        raise DataError(f"{name}: duplicate column name(s) {listed}")


def _read_delimited(src, name: str, sep: str, *, header_bytes: bytes) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    import pandas as pd

    _check_duplicates([c.strip() for c in _header_names(header_bytes, sep)], name)
    try:
        df = pd.read_csv(src, sep=sep, skipinitialspace=True, compression="infer")
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: empty file") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{name}: cannot parse as delimited text ({first})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{name}: cannot read ({exc})") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _read_parquet(src, name: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(src)
    except (pa.ArrowException, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{name}: cannot read as Parquet ({first})") from None
    _check_duplicates(list(table.column_names), name)
    return table.to_pandas()
