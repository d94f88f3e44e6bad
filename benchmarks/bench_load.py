"""bench_path's and bench_cv's designs on a quiet machine and with every core busy: how much
slower regcli gets under load, next to R's glmnet.

    python benchmarks/bench_load.py              # every design (about 15 minutes)
    python benchmarks/bench_load.py --quick      # five paths and one cv
    python benchmarks/bench_load.py --rounds 3

It starts one CPU-bound burner process per core itself (and stops them), and times each design
quiet and busy in alternating rounds.  Both tools are timed the same way, as a CI job meets
them: a fresh process per round (regcli: Python with the design loaded from .npy files, one
untimed warm-up path, then timed samples, each of as many paths as take 50 ms; R: Rscript,
timed calls), only the solver calls timed, inside the process.  Designs: bench_path's lasso
designs (its explicit grid), its elastic-net designs (l1 ratios 0.5 and 0.1) and bench_cv's
default 10-fold cv designs (cv.glmnet on the same fold ids), regcli with its defaults
(``--jobs 0``).  Reported: regcli's median busy time over its best quiet time, and
regcli/glmnet with the best time of each, quiet and busy.

Targets (the thread-policy issue): regcli busy within 2.5x of quiet on every design, and
regcli/glmnet busy within 1.5x of regcli/glmnet quiet.  ``--in-process`` times regcli in this
long-running process instead (which then shares a core with a burner for the whole run while
each fresh R process is placed anew: a comparison of placement more than of the tools).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_cv import ENET_DESIGNS as CV_DESIGNS  # noqa: E402
from benchmarks.bench_path import DESIGNS as PATH_DESIGNS  # noqa: E402
from benchmarks.bench_path import ENET_DESIGNS, ENET_RATIOS, RHOS, grid_for  # noqa: E402
from benchmarks.common import fht_design, geomean, glmnet_cv, glmnet_path, have_glmnet  # noqa: E402
from regcli.core.cv import cross_validate, make_folds  # noqa: E402
from regcli.core.path import compute_path  # noqa: E402

#: The child process that times regcli: argv = kind (path or cv), a folder with X.npy, y.npy,
#: grid.npy (and folds.npy), the l1 ratio, the timed samples, the repository.  Prints one time
#: per sample: the mean of as many calls as take SAMPLE_S (at least one), so that a 10 ms
#: path is not timed by where the scheduler's time slices happen to fall.
CHILD = """
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[5])
from regcli.core.cv import cross_validate
from regcli.core.path import compute_path
kind, d, ratio, reps = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
X, y, grid = (np.load(f"{d}/{k}.npy") for k in ("X", "y", "grid"))
if kind == "cv":
    folds = [np.load(f"{d}/folds.npy")]
    run = lambda: cross_validate(X, y, folds=folds, l1_ratios=[ratio], jobs=0)
else:
    run = lambda: compute_path(X, y, l1_ratio=ratio, alphas=grid)
t = time.perf_counter()
compute_path(X, y, l1_ratio=ratio, alphas=grid)
calls = max(1, round(SAMPLE_S / (time.perf_counter() - t))) if kind == "path" else 1
for _ in range(reps):
    t = time.perf_counter()
    for _ in range(calls):
        run()
    print((time.perf_counter() - t) / calls)
""".replace("SAMPLE_S", "0.05")
ROOT = str(Path(__file__).resolve().parents[1])
QUICK = [
    ("path", 100, 5000, 0.5, 0.1),
    ("path", 100, 5000, 0.5, 1.0),
    ("path", 500, 2000, 0.5, 1.0),
    ("path", 1000, 500, 0.5, 0.5),
    ("path", 5000, 100, 0.5, 1.0),
    ("cv", 100, 5000, 0.5, 0.5),
]


def all_designs() -> list[tuple[str, int, int, float, float]]:
    """(kind, n, p, rho, l1 ratio) of bench_path's and bench_cv's designs."""
    out = [("path", n, p, rho, 1.0) for n, p in PATH_DESIGNS for rho in RHOS]
    out += [("path", n, p, rho, r) for n, p, rho in ENET_DESIGNS for r in ENET_RATIOS]
    out += [("cv", n, p, 0.5, r) for n, p in CV_DESIGNS for r in (0.5, 0.1)]
    return out


def _burn(stop) -> None:  # type: ignore[no-untyped-def]
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


class Burners:
    """One CPU-bound process per core while the block runs."""

    def __init__(self, cores: int):
        self.cores = cores

    def __enter__(self) -> Burners:
        self.stop = multiprocessing.Event()
        self.procs = [
            multiprocessing.Process(target=_burn, args=(self.stop,)) for _ in range(self.cores)
        ]
        for b in self.procs:
            b.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for b in self.procs:
            b.join()
        time.sleep(0.2)


def design_data(kind: str, n: int, p: int, rho: float, ratio: float):  # type: ignore[no-untyped-def]
    """X, y, the grid both tools solve, and the fold ids of a cv design (as bench_path and
    bench_cv make them)."""
    if kind == "cv":
        X, y = fht_design(n, p, 0.5, seed=n + p + 5)
        return X, y, compute_path(X, y, l1_ratio=ratio).alphas, make_folds(n, 10, seed=0)
    X, y = fht_design(n, p, rho, seed=n + p + int(10 * rho))
    grid = grid_for(X, y) if ratio == 1.0 else compute_path(X, y, l1_ratio=ratio).alphas
    return X, y, grid, None


def time_regcli(kind, ratio, folder, reps, in_process, X, y, grid, folds) -> list[float]:  # type: ignore[no-untyped-def]
    """regcli's times of ``reps`` calls: in a fresh process (the CHILD script), or here."""
    if in_process:
        out = []
        for _ in range(reps):
            t = time.perf_counter()
            if kind == "cv":
                cross_validate(X, y, folds=[folds], l1_ratios=[ratio], jobs=0)
            else:
                compute_path(X, y, l1_ratio=ratio, alphas=grid)
            out.append(time.perf_counter() - t)
        return out
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, folder, repr(ratio), str(reps), ROOT],
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(t) for t in done.stdout.split()]


def time_glmnet(kind, ratio, use_glmnet, X, y, grid, folds) -> float:  # type: ignore[no-untyped-def]
    """glmnet's best time in a fresh R process (NaN without R)."""
    if not use_glmnet:
        return float("nan")
    if kind == "cv":
        return float(glmnet_cv(X, y, folds, alpha=ratio, repeats=2)[0])
    return float(glmnet_path(X, y, grid, alpha=ratio, repeats=3)[0])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="five paths and one cv")
    ap.add_argument("--no-glmnet", action="store_true")
    ap.add_argument("--in-process", action="store_true", help="time regcli in this process")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0))
    use_glmnet, why = (False, "--no-glmnet") if args.no_glmnet else have_glmnet()
    print(f"{cores} cores; burners: {cores}" + ("" if use_glmnet else f"; glmnet skipped: {why}"))
    print(
        f"{'design':<30} {'quiet s':>8} {'busy s':>8} {'slowdown':>8} | "
        f"{'glmnet slowdown':>15} {'regcli/glmnet quiet':>19} {'busy':>6} {'change':>6}"
    )
    rows = []
    for kind, n, p, rho, ratio in QUICK if args.quick else all_designs():
        X, y, grid, folds = design_data(kind, n, p, rho, ratio)
        reps = 2 if kind == "cv" else 3
        folder = tempfile.TemporaryDirectory()
        for key, value in (("X", X), ("y", y), ("grid", grid), ("folds", folds)):
            if value is not None:
                np.save(f"{folder.name}/{key}.npy", value)

        if args.in_process:
            compute_path(X, y, l1_ratio=ratio, alphas=grid)
        quiet: list[float] = []
        busy: list[float] = []
        g_quiet, g_busy = [], []
        for _ in range(args.rounds):
            quiet += time_regcli(kind, ratio, folder.name, reps, args.in_process, X, y, grid, folds)
            g_quiet.append(time_glmnet(kind, ratio, use_glmnet, X, y, grid, folds))
            with Burners(cores):
                busy += time_regcli(
                    kind, ratio, folder.name, reps, args.in_process, X, y, grid, folds
                )
                g_busy.append(time_glmnet(kind, ratio, use_glmnet, X, y, grid, folds))
        folder.cleanup()
        q, b, bb = min(quiet), statistics.median(busy), min(busy)
        gq, gb = min(g_quiet), min(g_busy)
        change = (bb / gb) / (q / gq)
        rows.append((q, b, change))
        name = f"{kind} {n} x {p} rho {rho:g} l1 {ratio:g}"
        print(
            f"{name:<30} {q:>8.3f} {b:>8.3f} {b / q:>7.2f}x | {gb / gq:>14.2f}x "
            f"{q / gq:>19.2f} {bb / gb:>6.2f} {change:>5.2f}x",
            flush=True,
        )
    slow = [b / q for q, b, _ in rows]
    print(
        f"regcli busy / quiet: geometric mean {geomean(slow):.2f}x, worst {max(slow):.2f}x, "
        f"{sum(s > 2.5 for s in slow)} of {len(slow)} above 2.5x"
    )
    if use_glmnet:
        changes = [c for *_, c in rows]
        print(
            f"regcli/glmnet busy over quiet: geometric mean {geomean(changes):.2f}x, worst "
            f"{max(changes):.2f}x, {sum(c > 1.5 for c in changes)} of {len(changes)} above 1.5x"
        )


if __name__ == "__main__":
    main()
