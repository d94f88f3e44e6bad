"""Reading a table (CSV, TSV, gzip'd either, Parquet, or stdin) into an Arrow table.

Delimited text is parsed by pyarrow (multi-threaded, typed columns, no pandas): LF, CRLF and
CR-only line endings, a UTF-8 byte-order mark, and UTF-16 with a byte-order mark are read. Standard
input is spooled to a temporary file first, so it is read like a file and never held in memory
as text. Parquet decimals become float64; list, struct and map columns are refused. A directory
or a glob pattern names several files with the same columns, read one after another as one
table (``input_files``).
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
#: Bytes of text parsed at a time (larger blocks cost memory and gain no speed)...
BLOCK_BYTES = 1 << 20
#: ... unless a block holds fewer rows than this (a row about as long as the header): every
#: block costs pyarrow and the reader a fixed amount per column, so a wide table is read in
#: blocks of at least this many rows, of at most MAX_BLOCK_BYTES.
BLOCK_MIN_ROWS = 256
MAX_BLOCK_BYTES = 1 << 26
PARQUET_BATCH_ROWS = 1 << 16


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
    """The whole table at ``path`` ('-' for stdin) and the sha256 of its bytes."""
    import pyarrow as pa

    with table_batches(path, decimal=decimal, whole=True) as source:
        batches = list(source.batches)
        schema = pa.schema([pa.field(n, t) for n, t in zip(source.names, source.types)])
        table = pa.Table.from_batches(
            [pa.RecordBatch.from_arrays(b.columns, schema=schema) for b in batches], schema=schema
        )
        return table, source.digest


@dataclass
class Batches:
    """A table being read: its column names (stripped) and types, its record batches (an
    iterator; parse errors surface as DataError while it is consumed), and the sha256 of the
    bytes."""

    names: list[str]
    types: list[Any]
    batches: Iterator[Any]
    digest: str


@contextmanager
def table_batches(
    path: str,
    *,
    decimal: str = ".",
    digest: bool = True,
    batch_rows: int = PARQUET_BATCH_ROWS,
    whole: bool = False,
) -> Iterator[Batches]:
    """Open ``path`` ('-' for stdin) for reading in record batches.

    Raises InputError (66) when it cannot be opened and DataError (65) when it cannot be parsed.
    Standard input is spooled to a temporary file first (removed on leaving). ``digest``: hash
    a file's bytes (a second read; standard input is always hashed while it is spooled).
    ``batch_rows``: rows per Parquet batch (fewer hold less memory while reading).
    ``whole``: the caller holds the whole table in memory anyway, so a wide text table of
    numbers may be parsed at once (``_numbers_at_once``).
    """
    if path != STDIN:
        files = input_files(path)
        if len(files) > 1 or files[0] != path:
            yield _several(path, files, decimal, digest, batch_rows)
            return
        with _open_path(path, path, decimal, batch_rows, whole) as (names, types, batches):
            yield Batches(names, types, batches, file_digest(path) if digest else "")
        return
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
        except BaseException:  # an interrupt while reading: leave no spool file behind
            os.unlink(spool.name)
            raise
    try:
        if os.path.getsize(spool.name) == 0:
            raise DataError(f"{name}: empty input")
        with _open_path(spool.name, name, decimal, batch_rows, whole) as (names, types, batches):
            yield Batches(names, types, batches, h.hexdigest())
    finally:
        os.unlink(spool.name)


def input_files(path: str) -> list[str]:
    """The data files ``path`` names: itself, the files of a directory (sorted; names starting
    with '.' or '_', such as Spark's _SUCCESS, are skipped), or a glob pattern's matches."""
    if path == STDIN or os.path.isfile(path):
        return [path]
    if os.path.isdir(path):
        files = sorted(
            str(f)
            for f in Path(path).iterdir()
            if f.is_file() and not f.name.startswith((".", "_"))
        )
        if not files:
            raise InputError(f"{path}: a directory with no data files")
        return files
    if glob.has_magic(path):
        files = sorted(f for f in glob.glob(path) if os.path.isfile(f))
        if not files:
            raise InputError(f"{path}: no file matches")
        return files
    return [path]


def _common_type(types: list[Any]) -> Any:
    """The type one column takes across files: their own when they agree, float64 for mixed
    numbers (and booleans), text otherwise."""
    import pyarrow as pa

    first = types[0]
    if all(t == first for t in types):
        return first
    if all(
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_boolean(t)
        or pa.types.is_null(t)
        for t in types
    ):
        return pa.float64()
    return pa.string()


def _header_only(path: str) -> bool:
    """A small uncompressed text file whose only non-blank line is its first (the header)."""
    try:
        if os.path.getsize(path) > MAX_HEADER_BYTES + 4096:
            return False
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    if data[:4] == PARQUET_MAGIC or data[:2] == GZIP_MAGIC:
        return False
    return sum(1 for line in data.splitlines() if line.strip(b" \t\r\n\x00")) <= 1


def _several(
    path: str, files: list[str], decimal: str, digest: bool, batch_rows: int = PARQUET_BATCH_ROWS
) -> Batches:
    """The files of a directory or glob as one table: each file's header is read first (the
    columns must be the same, in the same order), the types are made common, then the files
    are read one after another."""
    import pyarrow as pa

    schemas = []
    for file in files:
        with _open_path(file, file, decimal) as (names, types, _):
            schemas.append((names, types))
    names = schemas[0][0]
    for file, (other, _) in zip(files[1:], schemas[1:]):
        if other != names:
            missing = [c for c in names if c not in other] or [c for c in other if c not in names]
            detail = f"column {missing[0]!r} is not in both" if missing else "another order"
            raise DataError(
                f"{file}: its columns differ from those of {files[0]} ({detail}); the files of "
                f"{path} must have the same columns"
            )
    # a text file of a header alone has no values to type its columns by (they read as text)
    typed = [s for file, s in zip(files, schemas) if not _header_only(file)] or schemas
    common = [_common_type([s[1][j] for s in typed]) for j in range(len(names))]

    def batches() -> Iterator[Any]:
        for file in files:
            with _open_path(file, file, decimal, batch_rows) as (_, types, part):
                casts = [j for j, (t, c) in enumerate(zip(types, common)) if t != c]
                for batch in part:
                    if casts:
                        columns = list(batch.columns)
                        for j in casts:
                            columns[j] = columns[j].cast(common[j])
                        batch = pa.RecordBatch.from_arrays(columns, names=names)
                    yield batch

    combined = ""
    if digest:
        h = hashlib.sha256()
        for file in files:
            h.update(file_digest(file).encode())
        combined = h.hexdigest()
    return Batches(names, common, batches(), combined)


@contextmanager
def _open_path(  # type: ignore[no-untyped-def]
    path: str, name: str, decimal: str, batch_rows: int = PARQUET_BATCH_ROWS, whole: bool = False
):
    """(names, types, batch iterator) of a file, opened for the duration of the block
    (``whole``: as ``table_batches``)."""
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
        yield _parquet_batches(path, name, batch_rows)
        return
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
    if whole and not compressed and encoding == "utf8" and decimal == ".":
        at_once = _numbers_at_once(path, name, header, sep, len(first))
        if at_once is not None:
            yield at_once
            return
    with _delimited_batches(path, name, sep, compressed, encoding, len(first), decimal) as opened:
        yield opened


#: A text table of at least this many columns, its cells finite plain numbers but for at most
#: WIDE_OTHER_COLUMNS columns (an id, a label), is parsed at once by NumPy where the caller
#: reads it whole: the block reader costs a fixed amount per column on every open and block,
#: which dominates on wide tables.
WIDE_TEXT_COLUMNS = 2000
WIDE_OTHER_COLUMNS = 16


def _numbers_at_once(path: str, name: str, header: str, sep: str, header_len: int):  # type: ignore[no-untyped-def]
    """(names, types, batches) of a wide text table whose cells are finite plain numbers, in one
    batch: those columns parsed by NumPy in one call (float64, the type the block reader gives
    numbers), the few others (the columns whose first row is not such a number) by the block
    reader alone; None for any other table, which the block reader then reads (and says what
    is wrong with it)."""
    import csv
    import warnings

    import numpy as np
    import pyarrow as pa

    try:
        names = next(csv.reader([header], delimiter=sep), [])
        if len(names) < WIDE_TEXT_COLUMNS:  # (every narrow table: no second look at the file)
            return None
        first_row = _first_row(path, sep)
    except (csv.Error, OSError, UnicodeError):  # (a field beyond the csv module's limit)
        return None
    if first_row is None or len(first_row) != len(names):
        return None
    named = _named(names)
    _check_names(named, name)
    others = [j for j, cell in enumerate(first_row) if not _plain_number(cell)]
    if len(others) > WIDE_OTHER_COLUMNS:
        return None
    other_set = set(others)
    numbers = [j for j in range(len(names)) if j not in other_set]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (loadtxt warns of a file without rows)
            values = np.loadtxt(
                path,
                delimiter=sep,
                skiprows=1,
                usecols=numbers,
                comments=None,
                quotechar='"',
                ndmin=2,
                encoding="utf-8",
                dtype=np.float64,
            )
    except (ValueError, OSError, UnicodeError):
        return None
    n = values.shape[0]
    if not n or values.shape[1] != len(numbers) or not np.isfinite(values).all():
        return None
    columns = np.asfortranarray(values)
    arrays: list[Any] = [None] * len(names)
    types: list[Any] = [pa.float64()] * len(names)
    for j, column in zip(numbers, columns.T):  # each buffer as it is (pa.array loads pandas)
        arrays[j] = pa.Array.from_buffers(pa.float64(), n, [None, pa.py_buffer(column)])
    if others:
        include = [names[j] for j in others]
        try:
            with _delimited_batches(
                path, name, sep, False, "utf8", header_len, ".", include=include
            ) as (_, other_types, batches):
                chunks = list(batches)
        except DataError:
            return None
        if sum(b.num_rows for b in chunks) != n:
            return None
        for i, j in enumerate(others):
            arrays[j] = pa.concat_arrays([b.column(i) for b in chunks])
            types[j] = other_types[i]
    return named, types, iter([pa.RecordBatch.from_arrays(arrays, names=named)])


def _first_row(path: str, sep: str) -> list[str] | None:
    """The cells of a text file's first non-blank line after the header (None if none)."""
    import csv

    with open(path, encoding="utf-8", newline=None) as fh:
        fh.readline()
        for line in fh:
            if line.strip():
                return next(csv.reader([line], delimiter=sep), None)
    return None


def _plain_number(cell: str) -> bool:
    """Whether a cell is a finite number as NumPy's text parser reads one."""
    try:
        return math.isfinite(float(cell)) and "_" not in cell
    except ValueError:
        return False


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
    for position, col in enumerate(names, 1):
        if "\x00" in col:
            raise DataError(
                f"{name}: the name of column {position} ({col!r}) holds a NUL byte: binary data, "
                "or UTF-16 text without a byte-order mark? Convert text with iconv -t utf-8"
            )
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


@contextmanager
def _delimited_batches(  # type: ignore[no-untyped-def]
    path: str,
    name: str,
    sep: str,
    compressed: bool,
    encoding: str,
    header_len: int,
    decimal: str,
    include: list[str] | None = None,
):
    """Stream the file in blocks (memory: one block at a time).

    The types are inferred from the first block, then fixed for the rest: numbers as float64
    (an integer column may hold a decimal further down), text as text; a later cell that does
    not fit its column's type is a data error naming the column and the cell.  ``include``:
    read only these columns (by their names in the header).
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    pool = pa.system_memory_pool()  # freed blocks go back to malloc
    # the types are inferred from a block of the usual size, the rows read in larger ones
    first_block = max(BLOCK_BYTES, 4 * header_len)
    block = max(first_block, min(BLOCK_MIN_ROWS * header_len, MAX_BLOCK_BYTES))
    parse = pcsv.ParseOptions(delimiter=sep)

    def stream(convert, block_size):  # type: ignore[no-untyped-def]
        src = pa.input_stream(path, compression="gzip" if compressed else None)
        try:
            return src, pcsv.open_csv(
                src,
                read_options=pcsv.ReadOptions(block_size=block_size, encoding=encoding),
                parse_options=parse,
                convert_options=convert,
                memory_pool=pool,
            )
        except BaseException:
            src.close()
            raise

    base: dict[str, Any] = {"strings_can_be_null": True, "decimal_point": decimal}
    if include is not None:  # only these columns (the others are parsed, not converted)
        base["include_columns"] = include
    names: list[str] = []
    try:
        src, reader = stream(pcsv.ConvertOptions(**base), first_block)
        with src:
            schema = reader.schema
        try:
            names = [str(c) for c in schema.names]
        except UnicodeDecodeError:
            raise DataError(f"{name}: a column name is not UTF-8 text") from None
        named = _named(names)
        _check_names(named, name)
        types = {field.name: _fixed_type(field.type) for field in schema}
        src, reader = stream(pcsv.ConvertOptions(**base, column_types=types), block)
    except pa.ArrowInvalid as exc:
        raise _parse_error(exc, name, names) from None
    except (pa.ArrowException, UnicodeError, ValueError) as exc:
        raise DataError(f"{name}: cannot parse as delimited text ({_first_message(exc)})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{name}: cannot read ({_first_message(exc)})") from None

    def batches() -> Iterator[Any]:
        try:
            if named == names:
                yield from reader
            else:  # the batches carry the names the table is known by (stripped, numbered)
                for batch in reader:
                    yield pa.RecordBatch.from_arrays(batch.columns, names=named)
        except pa.ArrowInvalid as exc:
            raise _parse_error(exc, name, names) from None
        except (pa.ArrowException, UnicodeError, ValueError) as exc:
            message = _first_message(exc)
            raise DataError(f"{name}: cannot parse as delimited text ({message})") from None
        except (OSError, EOFError) as exc:
            raise DataError(f"{name}: cannot read ({_first_message(exc)})") from None

    with src:
        yield named, list(reader.schema.types), batches()


def _named(names: list[str]) -> list[str]:
    """Header names stripped of spaces; an empty one is named by its position (column3), as a
    row-name column written by R has no name."""
    return [n.strip() or f"column{i + 1}" for i, n in enumerate(names)]


def _fixed_type(inferred):  # type: ignore[no-untyped-def]
    """The type a column keeps after its first block: float64 for numbers, text for text,
    empty columns and booleans (read as text, so a later cell cannot contradict them); dates
    and times as inferred."""
    import pyarrow as pa

    if pa.types.is_integer(inferred) or pa.types.is_floating(inferred):
        return pa.float64()
    if pa.types.is_temporal(inferred):
        return inferred
    return pa.string()


_CONVERSION = re.compile(
    r"In CSV column #(\d+): (?:Row #(\d+): )?CSV conversion error to (\w+): invalid value '(.*)'"
)


def _parse_error(exc: BaseException, name: str, names: list[str]) -> DataError:
    """A one-line DataError for pyarrow's CSV errors, naming the column and cell if it can."""
    message = _first_message(exc)
    found = _CONVERSION.search(str(exc))
    if found and names and int(found[1]) < len(names):
        col = names[int(found[1])].strip()
        row = f" (row {found[2]})" if found[2] else ""
        return DataError(
            f"{name}: column {col!r} holds {found[3]} values but also {found[4]!r}{row}; fix "
            "that cell, or make it empty and use --na drop or --na mean"
        )
    if "UTF8" in message or "UTF-8" in message:
        return DataError(
            f"{name}: not UTF-8 text ({message}); convert it, e.g. iconv -f latin1 -t utf-8"
        )
    if "Empty CSV file" in message:
        return DataError(f"{name}: empty file")
    return DataError(f"{name}: cannot parse as delimited text ({message})")


def _parquet_batches(path: str, name: str, batch_rows: int = PARQUET_BATCH_ROWS):  # type: ignore[no-untyped-def]
    """(names, types, batch iterator) of a Parquet file: decimals read as float64, nested
    columns refused."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # read the column chunks in 1 MiB pieces as batches are decoded, instead of whole
        # row groups at once (a row group may be the whole file)
        file = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
        schema = file.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{name}: cannot read as Parquet ({_first_message(exc)})") from None
    _check_names(list(schema.names), name)
    types = []
    for field in schema:
        if pa.types.is_nested(field.type):
            raise DataError(
                f"{name}: column {field.name!r} holds {field.type} values; regcli needs "
                "numbers, booleans or text in each cell (--exclude it)"
            )
        types.append(pa.float64() if pa.types.is_decimal(field.type) else field.type)

    def batches() -> Iterator[Any]:
        try:
            for batch in file.iter_batches(batch_size=batch_rows):
                yield pa.RecordBatch.from_arrays(
                    [c.cast(t) if c.type != t else c for c, t in zip(batch.columns, types)],
                    names=schema.names,
                )
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise DataError(f"{name}: cannot read as Parquet ({_first_message(exc)})") from None

    return list(schema.names), types, batches()
