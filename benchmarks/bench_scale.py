"""The stream engine: throughput of its statistics pass against reading the same file with
pyarrow alone, and peak memory as the rows grow, for Parquet and CSV (whole processes).

    python benchmarks/bench_scale.py                 # n = 10^6 and 4 x 10^6, p = 100
    python benchmarks/bench_scale.py --rows 1000000,10000000   # the issue's sizes (disk!)

Each row: `regcli fit --engine stream` and `--engine local` on the file, and a script that
only iterates the file's record batches with pyarrow; wall time and peak RSS (/usr/bin/time's
maximum resident set), and the decoded size of the data (n x (p + 1) x 8 bytes).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

READ_PARQUET = (
    "import sys, pyarrow.parquet as pq\n"
    "f = pq.ParquetFile(sys.argv[1], pre_buffer=False, buffer_size=1 << 20)\n"
    "for b in f.iter_batches(batch_size=16384): pass\n"
)
READ_CSV = "import sys, pyarrow.csv as pc\nfor b in pc.open_csv(sys.argv[1]): pass\n"


def write(path: Path, n: int, p: int, kind: str) -> None:
    """A random table written in pieces (never all in memory): p features, y."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    names = [f"x{j}" for j in range(p)] + ["y"]
    writer = None
    step = 250_000
    for start in range(0, n, step):
        rows = min(step, n - start)
        X = rng.standard_normal((rows, p))
        y = X[:, :10].sum(axis=1) + rng.standard_normal(rows)
        table = pa.table(dict(zip(names, [*X.T, y])))
        if writer is None:
            if kind == "parquet":
                writer = pq.ParquetWriter(path, table.schema)
            else:
                writer = pcsv.CSVWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def measured(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(after, before) / 1024  # ru_maxrss of the largest child so far (KB)


def peak_of(cmd: list[str]) -> tuple[float, float]:
    """Peak RSS of this command alone: run under /usr/bin/time when it exists."""
    try:
        t0 = time.perf_counter()
        out = subprocess.run(
            ["/usr/bin/time", "-f", "%M", *cmd],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        return time.perf_counter() - t0, int(out.stderr.strip().splitlines()[-1]) / 1024
    except (FileNotFoundError, ValueError):  # pragma: no cover
        return measured(cmd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,4000000")
    parser.add_argument("--features", type=int, default=100)
    args = parser.parse_args()
    regcli = str(Path(sys.executable).parent / "regcli")
    p = args.features
    print(
        f"{'file':>8} {'n':>9} {'data MB':>8} | {'pyarrow s':>9} {'stream s':>8} {'ratio':>5} "
        f"| {'stream MB':>9} {'local MB':>8} {'local s':>7}"
    )
    with tempfile.TemporaryDirectory() as d:
        for kind in ("parquet", "csv"):
            for n in (int(v) for v in args.rows.split(",")):
                path = Path(d) / f"t{n}.{kind}"
                write(path, n, p, kind)
                reader = READ_PARQUET if kind == "parquet" else READ_CSV
                fit = [regcli, "fit", str(path), "--alpha", "0.01", "--format", "json", "-q"]
                t_read, _ = peak_of([sys.executable, "-c", reader, str(path)])
                t_stream, m_stream = peak_of([*fit, "--engine", "stream"])
                t_local, m_local = peak_of(fit)
                data = n * (p + 1) * 8 / 2**20
                print(
                    f"{kind:>8} {n:>9} {data:>8.0f} | {t_read:>9.2f} {t_stream:>8.2f} "
                    f"{t_stream / t_read:>5.2f} | {m_stream:>9.0f} {m_local:>8.0f} "
                    f"{t_local:>7.2f}",
                    flush=True,
                )
                path.unlink()


if __name__ == "__main__":
    main()
