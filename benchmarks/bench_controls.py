"""Paths with penalty factors or limits against the same path without them.

    python benchmarks/bench_controls.py            # bench_path's designs at rho 0.5
    python benchmarks/bench_controls.py --quick    # a subset

For each design and l1 ratio (1 and 0.5) it times `compute_path` (best of 9 alternating
rounds, 3 on the largest designs; glmnet's default grid of the plain path for every variant)
without controls, with penalty factors (two features unpenalized, others 0.5, 1 or 2), with
`lower = 0`, and with a box |b_j| <= half the largest unconstrained coefficient, and prints
each variant's time relative to the plain path and its largest KKT violation relative to
alpha.  The target: within 1.5x, KKT / alpha <= 1e-6.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_path import DESIGNS, QUICK  # noqa: E402
from benchmarks.common import best_time, fht_design, geomean  # noqa: E402
from regcli.core.path import compute_path  # noqa: E402


def variants(X: np.ndarray, y: np.ndarray, grid: np.ndarray) -> dict[str, dict]:
    p = X.shape[1]
    f = np.array([0.5, 1.0, 2.0])[np.arange(p) % 3]
    f[:2] = 0.0
    plain = compute_path(X, y, alphas=grid[-1:])
    box = 0.5 * np.abs(plain.coefs[-1]).max()
    return {
        "factors": {"penalty_factor": f},
        "lower 0": {"lower": 0.0},
        "box": {"lower": -box, "upper": box},
    }


def run(n: int, p: int, ratio: float) -> dict:
    X, y = fht_design(n, p, 0.5, seed=n + p + 5)
    plain = compute_path(X, y, l1_ratio=ratio)
    grid = plain.alphas
    # paths of a few ms move by tens of percent between runs: many alternating rounds
    rounds = 9 if n * p <= 2_000_000 else 3
    kinds = {"plain": {}, **variants(X, y, grid)}
    best = dict.fromkeys(kinds, np.inf)
    kkt = {}
    for _ in range(rounds):  # plain and every variant in turn, the best of each
        for name, kw in kinds.items():
            t, res = best_time(
                lambda kw=kw: compute_path(X, y, l1_ratio=ratio, alphas=grid, **kw), 1
            )
            best[name] = min(best[name], t)
            kkt[name] = float(np.max(res.max_kkt_relative))
    row = {"n": n, "p": p, "ratio": ratio, "plain": best["plain"]}
    for name in kinds:
        if name != "plain":
            row[name] = best[name] / best["plain"]
            row[name + " kkt"] = kkt[name]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rows = []
    for n, p in QUICK if args.quick else DESIGNS:
        for ratio in (1.0, 0.5):
            rows.append(run(n, p, ratio))
            print(f"  done n={n} p={p} l1_ratio={ratio:g}", file=sys.stderr, flush=True)
    names = ("factors", "lower 0", "box")
    print(
        f"{'n':>7} {'p':>5} {'ratio':>5} | {'plain s':>8} | "
        + " | ".join(f"{k:>16}" for k in names)
    )
    for r in rows:
        cells = " | ".join(f"{r[k]:6.2f}x {r[k + ' kkt']:8.1e}" for k in names)
        print(f"{r['n']:>7} {r['p']:>5} {r['ratio']:>5g} | {r['plain']:8.3f} | {cells}")
    print(
        "geometric mean vs plain: "
        + ", ".join(f"{k} {geomean([r[k] for r in rows]):.2f}x" for k in names)
        + "; worst: "
        + ", ".join(f"{k} {max(r[k] for r in rows):.2f}x" for k in names)
    )


if __name__ == "__main__":
    main()
