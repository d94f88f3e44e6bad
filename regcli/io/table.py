"""Reading a table (CSV, TSV, gzip'd either, Parquet, or stdin) into an Arrow table.

Delimited text is parsed by pyarrow (multi-threaded, typed columns, no pandas): LF, CRLF and
CR-only line endings, a UTF-8 byte-order mark, and UTF-16 with a byte-order mark are read. Standard
input is spooled to a temporary file first, so it is read like a file and never held in memory
as text. Parquet decimals become float64; list, struct and map columns are refused.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from regcli.errors import DataError, InputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
STDIN = "-"
#: A header line may be this long at most (bytes); the parser's blocks are sized to fit it.
MAX_HEADER_BYTES = 1 << 28
MIN_BLOCK_BYTES = 1 << 22


def source_name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def file_digest(path: str) -> str:
    """sha256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_table(path: str, *, decimal: str = ".") -> pd.DataFrame:
    """Read ``path`` ('-' for stdin) as a pandas DataFrame (for scoring with a saved model)."""
    table, _ = read_arrow(path, decimal=decimal)
    return table.to_pandas()


def read_arrow(path: str, *, decimal: str = ".") -> tuple[pa.Table, str]:
    """The table at ``path`` ('-' for stdin) and the sha256 of its bytes.

    Raises InputError (66) when it cannot be opened and DataError (65) when it cannot be parsed.
    """
    if path != STDIN:
        return _read_path(path, path, decimal), file_digest(path)
    name = source_name(STDIN)
    h = hashlib.sha256()
    with tempfile.NamedTemporaryFile(prefix="regcli-stdin-", delete=False) as spool:
        try:
            for block in iter(lambda: sys.stdin.buffer.read(1 << 20), b""):
                h.update(block)
                spool.write(block)
        except OSError as exc:
            os.unlink(spool.name)
            raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    try:
        if os.path.getsize(spool.name) == 0:
            raise DataError(f"{name}: empty input")
        return _read_path(spool.name, name, decimal), h.hexdigest()
    finally:
        os.unlink(spool.name)


def _read_path(path: str, name: str, decimal: str) -> pa.Table:
    file = Path(path)
    if not file.exists():
        raise InputError(f"{name}: no such file")
    if file.is_dir():
        raise InputError(f"{name}: is a directory, not a data file")
    try:
        with open(file, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    suffixes = [s.lower() for s in file.suffixes]
    if head == PARQUET_MAGIC or (suffixes and suffixes[-1] in (".parquet", ".pq")):
        return _read_parquet(path, name)
    compressed = head[:2] == GZIP_MAGIC
    kind = [s for s in suffixes if s != ".gz"][-1:] or [""]
    first = _first_line(path, name, compressed)
    if not first.strip(b" \t\r\n\x00"):
        raise DataError(f"{name}: empty file")
    encoding = "utf8"
    if first[:2] in UTF16_BOMS:
        encoding = "utf-16"
        first = first.decode("utf-16", "replace").encode("utf-8")
    try:
        header = first.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{name}: the header line is not UTF-8 text (byte {first[exc.start]:#04x} at "
            f"offset {exc.start}); is it a data table? Convert text with iconv -t utf-8"
        ) from None
    sep = "\t" if kind[0] in (".tsv", ".tab") else sniff_separator(header)
    return _read_delimited(path, name, sep, compressed, encoding, len(first), decimal)


def _first_line(path: str, name: str, compressed: bool) -> bytes:
    """The bytes of the first line (up to its LF, CR or end), read in growing blocks."""
    opener = gzip.open if compressed else open
    out = b""
    try:
        with opener(path, "rb") as fh:
            while len(out) < MAX_HEADER_BYTES:
                block = fh.read(1 << 16)
                if not block:
                    break
                out += block
                cut = min((i for i in (out.find(b"\n"), out.find(b"\r")) if i >= 0), default=-1)
                if cut >= 0:
                    return out[:cut]
    except (OSError, EOFError) as exc:
        raise DataError(f"{name}: cannot read ({exc})") from None
    if len(out) >= MAX_HEADER_BYTES:
        raise DataError(f"{name}: the first line is longer than {MAX_HEADER_BYTES >> 20} MiB")
    return out


def sniff_separator(first_line: str) -> str:
    """Comma unless the header line has tabs (or semicolons) and no commas."""
    if "," in first_line:
        return ","
    if "\t" in first_line:
        return "\t"
    if ";" in first_line:
        return ";"
    return ","


def _check_names(names: list[str], name: str) -> None:
    seen: set[str] = set()
    dups = []
    for col in names:
        if col in seen and col not in dups:
            dups.append(col)
        seen.add(col)
    if dups:
        listed = ", ".join(repr(d) for d in dups)
        raise DataError(f"{name}: duplicate column name(s) {listed}")


def _first_message(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:200] + "..."


def _read_delimited(  # type: ignore[no-untyped-def]
    path: str, name: str, sep: str, compressed: bool, encoding: str, header_len: int, decimal: str
):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    block = max(MIN_BLOCK_BYTES, 4 * header_len)
    read = pcsv.ReadOptions(block_size=block, encoding=encoding)
    parse = pcsv.ParseOptions(delimiter=sep)
    convert = pcsv.ConvertOptions(strings_can_be_null=True, decimal_point=decimal)
    try:
        with pa.input_stream(path, compression="gzip" if compressed else None) as src:
            table = pcsv.read_csv(
                src, read_options=read, parse_options=parse, convert_options=convert
            )
    except pa.ArrowInvalid as exc:
        message = _first_message(exc)
        if "UTF8" in message or "UTF-8" in message:
            raise DataError(
                f"{name}: not UTF-8 text ({message}); convert it, e.g. iconv -f latin1 -t utf-8"
            ) from None
        if "Empty CSV file" in message:
            raise DataError(f"{name}: empty file") from None
        raise DataError(f"{name}: cannot parse as delimited text ({message})") from None
    except (pa.ArrowException, UnicodeError, ValueError) as exc:
        raise DataError(f"{name}: cannot parse as delimited text ({_first_message(exc)})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{name}: cannot read ({_first_message(exc)})") from None
    try:
        names = [str(c).strip() for c in table.column_names]
    except UnicodeDecodeError:
        raise DataError(f"{name}: a column name is not UTF-8 text") from None
    _check_names(names, name)
    return table.rename_columns(names)


def _read_parquet(src: str, name: str):  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(src)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{name}: cannot read as Parquet ({_first_message(exc)})") from None
    _check_names(list(table.column_names), name)
    columns = []
    for field, column in zip(table.schema, table.columns):
        kind = field.type
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_nested(kind):
            raise DataError(
                f"{name}: column {field.name!r} holds {kind} values; regcli needs numbers, "
                "booleans or text in each cell (--exclude it)"
            )
        columns.append(column)
    return pa.table(columns, names=table.column_names)
