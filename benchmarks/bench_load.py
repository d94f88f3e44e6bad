"""Paths on a quiet machine and with every core busy: how much slower regcli gets under load.

    python benchmarks/bench_load.py            # a few of bench_path's designs
    python benchmarks/bench_load.py --rounds 5

It starts one CPU-bound burner process per core itself (and stops them), times each design
quiet and busy in alternating rounds (regcli: best quiet, median and best busy; R's glmnet on
the same grid, timed inside R, best of 3 each time, where it is installed), and prints the
slowdowns.  Targets (the thread-policy issue): regcli busy within 2.5x of quiet, and
regcli/glmnet busy within 1.5x of regcli/glmnet quiet.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import fht_design, glmnet_path, have_glmnet  # noqa: E402
from regcli.core.path import compute_path  # noqa: E402

DESIGNS = [(100, 5000, 0.1), (100, 5000, 1.0), (500, 2000, 1.0), (1000, 500, 0.5), (5000, 100, 1.0)]


def _burn(stop) -> None:  # type: ignore[no-untyped-def]
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def _time(fn, reps: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-glmnet", action="store_true")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0))
    use_glmnet, why = (False, "--no-glmnet") if args.no_glmnet else have_glmnet()
    print(f"{cores} cores; burners: {cores}" + ("" if use_glmnet else f"; glmnet skipped: {why}"))
    rows = []
    for n, p, ratio in DESIGNS:
        X, y = fht_design(n, p, 0.5, seed=n + p)
        grid = compute_path(X, y, l1_ratio=ratio).alphas

        def run(X=X, y=y, ratio=ratio, grid=grid):  # type: ignore[no-untyped-def]
            compute_path(X, y, l1_ratio=ratio, alphas=grid)

        def glmnet(X=X, y=y, ratio=ratio, grid=grid) -> float:  # type: ignore[no-untyped-def]
            return glmnet_path(X, y, grid, alpha=ratio, repeats=3)[0] if use_glmnet else np.nan

        run()
        quiet, busy, g_quiet, g_busy = [], [], [], []
        for _ in range(args.rounds):
            quiet += _time(run, 3)
            g_quiet.append(glmnet())
            stop = multiprocessing.Event()
            burners = [multiprocessing.Process(target=_burn, args=(stop,)) for _ in range(cores)]
            for b in burners:
                b.start()
            time.sleep(0.5)
            try:
                busy += _time(run, 3)
                g_busy.append(glmnet())
            finally:
                stop.set()
                for b in burners:
                    b.join()
            time.sleep(0.2)
        q, b, bb = min(quiet), statistics.median(busy), min(busy)
        gq, gb = min(g_quiet), min(g_busy)
        rows.append((n, p, ratio, q, b))
        line = (
            f"  {n} x {p} l1_ratio {ratio:g}: regcli quiet {q:.3f} s, busy {b:.3f} s ({b / q:.1f}x)"
        )
        if use_glmnet:
            line += (
                f"; best of each: regcli {bb / q:.1f}x, glmnet {gb / gq:.1f}x; "
                f"regcli/glmnet quiet {q / gq:.2f}, busy {bb / gb:.2f}"
            )
        print(line)
    worst = max(b / q for *_, q, b in rows)
    gm = float(np.exp(np.mean([np.log(b / q) for *_, q, b in rows])))
    print(f"regcli's slowdown under load: geometric mean {gm:.2f}x, worst {worst:.2f}x")


if __name__ == "__main__":
    main()
