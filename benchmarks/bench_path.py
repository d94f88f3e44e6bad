"""Lasso and elastic-net paths: regcli vs R glmnet (vs scikit-learn) on the designs of Friedman,
Hastie and Tibshirani (2010), in one run.

    python benchmarks/bench_path.py            # the lasso table: every design (a few minutes)
    python benchmarks/bench_path.py --enet     # the elastic-net table (l1 ratios 0.5 and 0.1)
    python benchmarks/bench_path.py --quick    # a subset
    python benchmarks/bench_path.py --memory   # peak memory for n = 10^6, p = 100
    python benchmarks/bench_path.py --designs 500x2000,100x5000   # only these (n x p)
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_path.py ...  # regcli on one core throughout

Times are best-of-R wall times of the solver call alone (data already in memory; R is 3 to 15,
more for shorter runs, 3 rounds of it with regcli and glmnet alternating): regcli's
`compute_path` (standardization and Gram included), scikit-learn's `enet_path` on the
standardized X (standardization not timed), and `glmnet()` timed inside R. Accuracy: the largest
KKT violation over the path relative to alpha, and the largest relative objective gap against a
tight reference (regcli at tol = 1e-12), both on the standardized problem.

The elastic-net table (`--enet`) runs each tool's own default path for the l1 ratio (100 alphas
down to 1e-4 or 1e-2 of alpha_max, glmnet's early stop), regcli's `compute_path(X, y,
l1_ratio=r)` against `glmnet(x, y, alpha = r)`, on the issue's designs (rho 0.5 unless given).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    best_time,
    fht_design,
    geomean,
    glmnet_path,
    have_glmnet,
    path_quality,
    standardized,
)
from regcli.core import alpha_grid, compute_path  # noqa: E402
from regcli.core.penalty import alpha_max  # noqa: E402

DESIGNS = [
    (1000, 100),
    (5000, 100),
    (100000, 100),
    (2000, 500),
    (100, 1000),
    (500, 2000),
    (100, 5000),
]
RHOS = [0.0, 0.5, 0.9]
QUICK = [(1000, 100), (2000, 500), (100, 1000)]
#: (n, p, rho) of the elastic-net table, each at l1 ratios 0.5 and 0.1
ENET_DESIGNS = [
    (1000, 5000, 0.5),
    (100, 5000, 0.5),
    (20000, 200, 0.5),
    (2000, 1000, 0.9),
    (5000, 100, 0.5),
]
ENET_RATIOS = [0.5, 0.1]


def grid_for(X, y) -> np.ndarray:
    Xs, z, _ = standardized(X, y)
    c = Xs.T @ z / len(y)
    return alpha_grid(alpha_max(c, 1.0), *X.shape, n_alphas=100)


def run_design(n: int, p: int, rho: float, *, use_glmnet: bool, use_sklearn: bool) -> dict:
    X, y = fht_design(n, p, rho, seed=n + p + int(10 * rho))
    grid = grid_for(X, y)
    # best of several runs, more where a run is short: a 20 ms path moves by 2x between runs
    # on this shared machine, and the best of 9 still did (1000 x 100: 1.2-2.3 x glmnet over
    # three runs).  Both tools get the same count.
    t_one, _ = best_time(lambda: compute_path(X, y, alphas=grid), 1)
    repeats = int(np.clip(np.ceil(0.3 / max(t_one, 1e-3)), 3, 15)) if n * p <= 2_000_000 else 1
    # regcli and glmnet alternate, best of each: a slow phase of this shared machine (timings
    # move +-40% over seconds) then hits both instead of one
    rounds = repeats if use_glmnet else 1
    t_reg, t_gl = np.inf, np.inf
    for _ in range(rounds):
        t, res = best_time(lambda: compute_path(X, y, alphas=grid), repeats)
        t_reg = min(t_reg, t)
        if use_glmnet:
            t, beta, _ = glmnet_path(X, y, grid, repeats=repeats)
            t_gl = min(t_gl, t)
    ref = compute_path(X, y, alphas=grid, tol=1e-12)
    Xs, z, sd = standardized(X, y)
    ref_obj, _ = path_quality(Xs, z, grid, ref.standardized_coefs, 1.0)
    obj, kkt = path_quality(Xs, z, grid, res.standardized_coefs, 1.0)
    row = {
        "n": n,
        "p": p,
        "rho": rho,
        "regcli_s": t_reg,
        "regcli_kkt": float(kkt.max()),
        "regcli_kkt_reported": float(res.max_kkt_relative.max()),
        "regcli_gap": float(np.max((obj - ref_obj) / ref_obj)),
    }
    if use_sklearn:
        from sklearn.linear_model import enet_path

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")

            def sk():
                return enet_path(Xs, z, l1_ratio=1.0, alphas=grid)

            t_sk, (_, coefs, _) = best_time(sk, 1)
            if t_sk * repeats < 5.0:  # repeat where it is short (seconds per run: once)
                t_sk = min(t_sk, best_time(sk, repeats)[0])
        obj_sk, kkt_sk = path_quality(Xs, z, grid, coefs.T, 1.0)
        row.update(
            sklearn_s=t_sk,
            sklearn_kkt=float(kkt_sk.max()),
            sklearn_gap=float(np.max((obj_sk - ref_obj) / ref_obj)),
        )
    if use_glmnet:
        k = beta.shape[0]
        obj_gl, kkt_gl = path_quality(Xs, z, grid[:k], beta * sd, 1.0)
        row.update(
            glmnet_s=t_gl,
            glmnet_points=k,
            glmnet_kkt=float(kkt_gl.max()),
            glmnet_gap=float(np.max((obj_gl - ref_obj[:k]) / ref_obj[:k])),
        )
    return row


def run_enet_design(n: int, p: int, rho: float, ratio: float, *, use_glmnet: bool) -> dict:
    """Each tool's default elastic-net path at l1 ratio ``ratio``, alternating, best of each."""
    X, y = fht_design(n, p, rho, seed=n + p + int(10 * rho))
    t_one, _ = best_time(lambda: compute_path(X, y, l1_ratio=ratio), 1)
    repeats = int(np.clip(np.ceil(0.3 / max(t_one, 1e-3)), 3, 15))
    rounds = 3 if use_glmnet else 1
    t_reg, t_gl = np.inf, np.inf
    for _ in range(rounds):
        t, res = best_time(lambda: compute_path(X, y, l1_ratio=ratio), repeats)
        t_reg = min(t_reg, t)
        if use_glmnet:
            t, beta, _, lam = glmnet_path(
                X, y, None, alpha=ratio, repeats=repeats, with_lambdas=True
            )
            t_gl = min(t_gl, t)
    Xs, z, sd = standardized(X, y)
    _, kkt = path_quality(Xs, z, res.alphas, res.standardized_coefs, ratio)
    row = {
        "n": n,
        "p": p,
        "rho": rho,
        "l1_ratio": ratio,
        "regcli_s": t_reg,
        "regcli_points": len(res.alphas),
        "regcli_kkt": float(kkt.max()),
    }
    if use_glmnet:
        _, kkt_gl = path_quality(Xs, z, lam, beta * sd, ratio)
        row.update(glmnet_s=t_gl, glmnet_points=len(lam), glmnet_kkt=float(kkt_gl.max()))
        row["ratio_glmnet"] = t_reg / t_gl
    return row


def print_enet_table(rows: list[dict]) -> None:
    head = (
        f"{'n':>6} {'p':>5} {'rho':>4} {'l1':>4} | {'regcli s':>9} {'glmnet s':>9} "
        f"{'r/glmnet':>8} | {'points: regcli':>14} {'glmnet':>6} | "
        f"{'KKT/alpha: regcli':>17} {'glmnet':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['n']:>6} {r['p']:>5} {r['rho']:>4} {r['l1_ratio']:>4} | "
            f"{fmt(r['regcli_s']):>9} {fmt(r.get('glmnet_s')):>9} "
            f"{fmt(r.get('ratio_glmnet'), '.2f'):>8} | {r['regcli_points']:>14} "
            f"{r.get('glmnet_points', '-'):>6} | {fmt(r['regcli_kkt'], '.1e'):>17} "
            f"{fmt(r.get('glmnet_kkt'), '.1e'):>8}"
        )
    ratios = [r["ratio_glmnet"] for r in rows if "ratio_glmnet" in r]
    print(
        f"\ngeometric mean regcli/glmnet = {fmt(geomean(ratios), '.3f')}   "
        f"worst = {fmt(max(ratios, default=None), '.2f')}   "
        f"max regcli KKT/alpha = {max(r['regcli_kkt'] for r in rows):.1e}"
    )


def fmt(x, spec=".3f") -> str:
    return "-" if x is None or not np.isfinite(x) else format(x, spec)


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'n':>7} {'p':>5} {'rho':>4} | {'regcli s':>9} {'glmnet s':>9} {'sklearn s':>9} | "
        f"{'r/glmnet':>8} {'r/sklearn':>9} | {'KKT/alpha: regcli':>17} {'glmnet':>8} "
        f"{'sklearn':>8} | {'obj gap: regcli':>15} {'glmnet':>8} {'sklearn':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        rg = r["regcli_s"] / r["glmnet_s"] if "glmnet_s" in r else None
        rs = r["regcli_s"] / r["sklearn_s"] if "sklearn_s" in r else None
        r["ratio_glmnet"], r["ratio_sklearn"] = rg, rs
        print(
            f"{r['n']:>7} {r['p']:>5} {r['rho']:>4} | {fmt(r['regcli_s']):>9} "
            f"{fmt(r.get('glmnet_s')):>9} {fmt(r.get('sklearn_s')):>9} | {fmt(rg, '.2f'):>8} "
            f"{fmt(rs, '.3f'):>9} | {fmt(r['regcli_kkt'], '.1e'):>17} "
            f"{fmt(r.get('glmnet_kkt'), '.1e'):>8} {fmt(r.get('sklearn_kkt'), '.1e'):>8} | "
            f"{fmt(r['regcli_gap'], '.1e'):>15} {fmt(r.get('glmnet_gap'), '.1e'):>8} "
            f"{fmt(r.get('sklearn_gap'), '.1e'):>8}"
        )
    gr = geomean([r["ratio_glmnet"] for r in rows if r["ratio_glmnet"] is not None])
    sr = geomean([r["ratio_sklearn"] for r in rows if r["ratio_sklearn"] is not None])
    worst = max((r["ratio_glmnet"] for r in rows if r["ratio_glmnet"] is not None), default=None)
    print(
        f"\ngeometric mean regcli/glmnet = {fmt(gr, '.3f')}   regcli/sklearn = {fmt(sr, '.3f')}   "
        f"worst regcli/glmnet = {fmt(worst, '.2f')}   "
        f"max regcli KKT/alpha = {max(r['regcli_kkt'] for r in rows):.1e}"
    )


def memory_check(n: int = 1_000_000, p: int = 100) -> None:
    """Peak resident memory of a default path on n x p, in units of the size of X."""
    import resource
    import subprocess

    code = f"""
import resource, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from benchmarks.common import fht_design
from regcli.core import compute_path
import numpy as np
X, y = fht_design({n}, {p}, 0.5)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import time; t = time.perf_counter()
res = compute_path(X, y)
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(base, peak, X.nbytes, dt, len(res.alphas))
"""
    # ru_maxrss before the path already includes X (and generation temporaries); measure the
    # process's own peak against a baseline process that only imports
    base_code = (
        "import resource, numpy, scipy.linalg; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    empty = int(
        subprocess.run(
            [sys.executable, "-c", base_code], capture_output=True, text=True, check=True
        ).stdout
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, peak, nbytes, dt, k = out.stdout.split()
    peak_kb, before_kb, nbytes = int(peak), int(before), int(nbytes)
    extra = (peak_kb - empty) * 1024
    print(f"n={n} p={p}: X is {nbytes / 2**20:.0f} MiB; path ({k} points) took {float(dt):.2f} s")
    print(
        f"peak RSS above an import-only process: {extra / 2**20:.0f} MiB = "
        f"{extra / nbytes:.2f} x X "
        f"(before the path: {(before_kb - empty) * 1024 / nbytes:.2f} x X)"
    )
    del resource


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="a subset of designs")
    ap.add_argument("--no-sklearn", action="store_true")
    ap.add_argument("--no-glmnet", action="store_true")
    ap.add_argument("--memory", action="store_true", help="only the n = 10^6 memory check")
    ap.add_argument(
        "--enet", action="store_true", help="the elastic-net table (l1 ratios 0.5 and 0.1)"
    )
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument(
        "--designs", help="only these (n x p) designs, e.g. 500x2000,100x5000 (all three rhos)"
    )
    args = ap.parse_args()
    if args.memory:
        memory_check()
        return
    use_glmnet = not args.no_glmnet
    if use_glmnet:
        ok, why = have_glmnet()
        if not ok:
            print(f"skipping R glmnet: {why}", file=sys.stderr)
            use_glmnet = False
    if args.enet:
        enet_rows = []
        wanted = ENET_DESIGNS
        if args.designs:
            chosen = {tuple(int(v) for v in d.split("x")) for d in args.designs.split(",")}
            wanted = [d for d in ENET_DESIGNS if d[:2] in chosen]
        for n, p, rho in wanted:
            for ratio in ENET_RATIOS:
                enet_rows.append(run_enet_design(n, p, rho, ratio, use_glmnet=use_glmnet))
                print(f"  done n={n} p={p} l1_ratio={ratio}", file=sys.stderr, flush=True)
        print_enet_table(enet_rows)
        if args.json:
            Path(args.json).write_text(json.dumps(enet_rows, indent=2))
        return
    use_sklearn = not args.no_sklearn
    if use_sklearn:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            print(
                "skipping scikit-learn: not installed (pip install scikit-learn)", file=sys.stderr
            )
            use_sklearn = False
    designs = QUICK if args.quick else DESIGNS
    if args.designs:
        designs = [tuple(int(v) for v in d.split("x")) for d in args.designs.split(",")]
    rows = []
    for n, p in designs:
        for rho in RHOS:
            rows.append(run_design(n, p, rho, use_glmnet=use_glmnet, use_sklearn=use_sklearn))
            print(f"  done n={n} p={p} rho={rho}", file=sys.stderr, flush=True)
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
