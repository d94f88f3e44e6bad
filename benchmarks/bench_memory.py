"""Peak resident memory of whole regcli runs, as a multiple of the float64 size of X.

    python benchmarks/bench_memory.py                 # n = 10^6, p = 50 (X is 400 MB)
    python benchmarks/bench_memory.py --rows 200000   # quicker

Writes one seeded table as CSV and Parquet to a temporary folder, then runs each command
under `/usr/bin/time -v` (os.wait4's ru_maxrss where that is missing) and prints the peak RSS
of the process, the same divided by n x p x 8 bytes, and the wall time. The target is
<= 2.5x for CSV, Parquet and stdin.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_table(folder: Path, n: int, p: int, seed: int = 0) -> tuple[Path, Path]:
    """A CSV and a Parquet file of the same n x p features and a target y."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    columns, names = [], []
    y = np.zeros(n)
    for j in range(p):
        x = rng.standard_normal(n)
        if j < 5:
            y += (j + 1) * x
        columns.append(pa.array(x))
        names.append(f"x{j}")
    columns.append(pa.array(y + rng.standard_normal(n)))
    names.append("y")
    table = pa.table(columns, names=names)
    csv_path, parquet_path = folder / "data.csv", folder / "data.parquet"
    pcsv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path)
    return csv_path, parquet_path


def peak_rss(args: list[str], stdin_path: Path | None = None) -> tuple[int, float]:
    """(peak RSS in bytes, wall seconds) of one run of ``args``."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    t0 = time.perf_counter()
    try:
        if shutil.which("/usr/bin/time"):
            proc = subprocess.run(
                ["/usr/bin/time", "-v", *args],
                stdin=stdin,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr}")
            kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)[1])
            return kb * 1024, wall
        child = subprocess.Popen(args, stdin=stdin, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        if status != 0:
            raise SystemExit(f"{' '.join(args)} failed")
        return usage.ru_maxrss * 1024, wall
    finally:
        if stdin_path:
            stdin.close()  # type: ignore[union-attr]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=50)
    args = ap.parse_args()
    n, p = args.rows, args.cols
    x_bytes = n * p * 8
    regcli = [sys.executable, "-m", "regcli"]
    with tempfile.TemporaryDirectory(prefix="regcli-mem-") as tmp:
        csv_path, parquet_path = write_table(Path(tmp), n, p)
        csv_mib = csv_path.stat().st_size / 2**20
        parquet_mib = parquet_path.stat().st_size / 2**20
        print(
            f"n = {n}, p = {p}: X is {x_bytes / 2**20:.0f} MiB; CSV {csv_mib:.0f} MiB, "
            f"Parquet {parquet_mib:.0f} MiB"
        )
        runs = [
            ("fit --alpha 0.01", "CSV", [str(csv_path), "--alpha", "0.01"], None),
            ("path", "CSV", [str(csv_path)], None),
            ("cv", "CSV", [str(csv_path)], None),
            ("compare", "CSV", [str(csv_path)], None),
            ("fit --alpha 0.01", "Parquet", [str(parquet_path), "--alpha", "0.01"], None),
            ("cv", "Parquet", [str(parquet_path)], None),
            ("fit --alpha 0.01", "stdin (CSV)", ["-", "--alpha", "0.01"], csv_path),
        ]
        print("| command | input | peak RSS | x size of X | wall |")
        print("| --- | --- | --- | --- | --- |")
        for label, source, rest, stdin in runs:
            command = label.split()[0]
            extra = label.split()[1:]
            argv = [*regcli, command, rest[0], *rest[1:], "--target", "y", "--format", "json"]
            del extra
            rss, wall = peak_rss(argv, stdin)
            print(
                f"| {label} | {source} | {rss / 2**20:.0f} MiB | {rss / x_bytes:.2f} | "
                f"{wall:.1f} s |",
                flush=True,
            )


if __name__ == "__main__":
    main()
