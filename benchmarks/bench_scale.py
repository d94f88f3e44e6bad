"""The stream and Dask engines: throughput of their statistics pass against reading the same
files with pyarrow alone, and peak memory as the rows grow, for Parquet and CSV (whole
processes).

    python benchmarks/bench_scale.py                 # n = 10^6 and 4 x 10^6, p = 100
    python benchmarks/bench_scale.py --rows 1000000,10000000   # the issue's sizes (disk!)

Each row: the table written as --files files in a directory (default 4); `regcli fit` with
`--engine stream`, `--engine dask` (a LocalCluster of two worker processes, started by the run
and counted) and `--engine local`, and a script that only iterates the files' record batches
with pyarrow; wall time and peak RSS of the regcli process (/usr/bin/time's maximum resident
set; the Dask workers' memory is not in it), and the decoded size (n x (p + 1) x 8 bytes).
Parquet rows also time Spark MLlib's LinearRegression (elasticNetParam 1, regParam 0.01,
standardization on; local[2], its default solver: normal equations for p <= 4096) on the same
files, where pyspark and Java are installed (skipped with a message otherwise): its fit call
alone, the session start-up beside it.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

READ_PARQUET = (
    "import sys, glob, pyarrow.parquet as pq\n"
    "for name in sorted(glob.glob(sys.argv[1] + '/*')):\n"
    "    f = pq.ParquetFile(name, pre_buffer=False, buffer_size=1 << 20)\n"
    "    for b in f.iter_batches(batch_size=16384): pass\n"
)
READ_CSV = (
    "import sys, glob, pyarrow.csv as pc\n"
    "for name in sorted(glob.glob(sys.argv[1] + '/*')):\n"
    "    for b in pc.open_csv(name): pass\n"
)


SPARK = (
    "import sys, time\n"
    "from pyspark.sql import SparkSession\n"
    "from pyspark.ml.feature import VectorAssembler\n"
    "from pyspark.ml.regression import LinearRegression\n"
    "t0 = time.perf_counter()\n"
    "spark = (SparkSession.builder.master('local[2]').config('spark.driver.memory', '8g')\n"
    "         .config('spark.ui.enabled', 'false').getOrCreate())\n"
    "spark.sparkContext.setLogLevel('ERROR')\n"
    "t1 = time.perf_counter()\n"
    "df = spark.read.parquet(sys.argv[1])\n"
    "cols = [c for c in df.columns if c != 'y']\n"
    "data = VectorAssembler(inputCols=cols, outputCol='features').transform(df)\n"
    "lr = LinearRegression(featuresCol='features', labelCol='y', regParam=0.01,\n"
    "                      elasticNetParam=1.0, standardization=True)\n"
    "t2 = time.perf_counter()\n"
    "lr.fit(data)\n"
    "print(time.perf_counter() - t2, t1 - t0)\n"
    "spark.stop()\n"
)


def spark_missing() -> str | None:
    """Why Spark cannot be timed here, or None."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install pyspark)"
    if shutil.which("java") is None:
        return "no Java runtime for Spark"
    return None


def spark_fit(path: Path) -> tuple[float, float]:
    """(fit seconds, session start-up seconds) of Spark's LinearRegression on the files."""
    out = subprocess.run(
        [sys.executable, "-c", SPARK, str(path)], capture_output=True, text=True, check=True
    )
    fit_s, start_s = out.stdout.split()[-2:]
    return float(fit_s), float(start_s)


def write(folder: Path, n: int, p: int, kind: str, files: int) -> None:
    """A random table written as ``files`` files, in pieces (never all in memory)."""
    folder.mkdir()
    per = -(-n // files)
    for i in range(files):
        write_one(folder / f"part-{i:03d}.{kind}", min(per, n - i * per), p, kind, seed=i)


def write_one(path: Path, n: int, p: int, kind: str, seed: int) -> None:
    """One file of random rows: p features, y."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
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
    parser.add_argument("--files", type=int, default=4)
    args = parser.parse_args()
    regcli = str(Path(sys.executable).parent / "regcli")
    p = args.features
    no_spark = spark_missing()
    if no_spark:
        print(f"Spark skipped: {no_spark}")
    print(
        "file n data_MB | pyarrow_s stream_s ratio dask_s | stream_MB local_MB local_s"
        " | spark_fit_s (start-up s)",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as d:
        for kind in ("parquet", "csv"):
            for n in (int(v) for v in args.rows.split(",")):
                path = Path(d) / f"t{n}-{kind}"
                write(path, n, p, kind, args.files)
                reader = READ_PARQUET if kind == "parquet" else READ_CSV
                fit = [regcli, "fit", str(path), "--alpha", "0.01", "--format", "json", "-q"]
                t_read, _ = peak_of([sys.executable, "-c", reader, str(path)])
                t_stream, m_stream = peak_of([*fit, "--engine", "stream"])
                t_dask, _ = peak_of([*fit, "--engine", "dask"])
                t_local, m_local = peak_of(fit)
                spark = "-"
                if kind == "parquet" and not no_spark:
                    fit_s, start_s = spark_fit(path)
                    spark = f"{fit_s:.2f} ({start_s:.1f})"
                data = n * (p + 1) * 8 / 2**20
                print(
                    f"{kind} {n} {data:.0f} | {t_read:.2f} {t_stream:.2f} "
                    f"{t_stream / t_read:.2f} {t_dask:.2f} | {m_stream:.0f} {m_local:.0f} "
                    f"{t_local:.2f} | {spark}",
                    flush=True,
                )
                shutil.rmtree(path)


if __name__ == "__main__":
    main()
