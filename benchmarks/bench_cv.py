"""Cross-validation: regcli's cross_validate vs scikit-learn's ElasticNetCV, same folds and grids.

    python benchmarks/bench_cv.py             # n = 10^4, 10^5, 10^6 (p = 100) and a p > n design
    python benchmarks/bench_cv.py --quick     # n = 10^4 and the p > n design
    python benchmarks/bench_cv.py --jobs 2    # both sides on 2 processes (n_jobs=2 for sklearn)
    python benchmarks/bench_cv.py --scaling   # regcli only: --jobs 1 vs 2, alternating rounds
                                              # (on a Gram the batched folds use one process)
    python benchmarks/bench_cv.py --enet      # default elastic-net cv vs cv.glmnet, and
                                              # compare vs the cv of its slowest model

Each design: 4 l1 ratios (0.1, 0.5, 0.9, 1) x 100 alphas x 10 folds.  regcli: one call of
`cross_validate` (every fold's statistics in one pass, then paths in feature space) on the
explicit 100-alpha grid of each ratio; scikit-learn: `ElasticNetCV(l1_ratio=r, alphas=grid_r,
cv=<the same 10 splits>)` for each ratio, times added (tol 1e-4, its default).  Also timed: one
`compute_path` on the same data (the lasso, default grid), the whole `cv` with the 4 ratios
(cv/path) and a default `regcli cv` (the lasso, folds on their own grids: cv1/path) against it,
`regcli compare` against `cv` with the elastic-net ratios, and the agreement of the CV curves (max
relative difference of cv_mean).  regcli's times are the best of 3 runs for n x p <= 10^7 (1
above), scikit-learn's a single run.  With --jobs J, regcli's fold paths run on J processes and
ElasticNetCV gets n_jobs=J (the default 1 compares one core with one core).

`--enet`: on the wide-data issue's designs (rho 0.5), a default 10-fold `regcli cv` at l1 ratios
0.5 and 0.1 (each fold on its own grid, as cv.glmnet) with `--jobs 1` and with the CLI's
default (the idle cores), against `cv.glmnet(x, y, alpha, foldid)` on the same folds; then
`regcli compare` (lasso, ridge, elastic net 0.1/0.5/0.9) against the slowest of those models'
default cvs.  Best of 2 runs each, alternating.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import best_time, fht_design, glmnet_cv, have_glmnet  # noqa: E402
from regcli.core import alpha_grid, compute_path  # noqa: E402
from regcli.core.compare import compare_models  # noqa: E402
from regcli.core.cv import cross_validate, make_folds  # noqa: E402
from regcli.core.penalty import alpha_max  # noqa: E402

RATIOS = [0.1, 0.5, 0.9, 1.0]
DESIGNS = [(10_000, 100), (100_000, 100), (1_000_000, 100), (200, 1000)]
QUICK = [(10_000, 100), (200, 1000)]


def grids(X, y):
    Xs = (X - X.mean(0)) / X.std(0)
    c = Xs.T @ (y - y.mean()) / len(y)
    return {r: alpha_grid(alpha_max(c, r), *X.shape, n_alphas=100) for r in RATIOS}


def run(n: int, p: int, *, sklearn: bool, jobs: int = 1) -> dict:
    X, y = fht_design(n, p, 0.5, seed=7)
    folds = make_folds(n, 10, seed=0)
    g = grids(X, y)
    # best of a few runs where a run is short (single runs here move by +-40%); scikit-learn
    # runs once (tens of seconds and more)
    reps = 3 if n * p <= 10**7 else 1
    t_path, path = best_time(lambda: compute_path(X, y), reps)
    t_cv, res = best_time(lambda: _cv_explicit(X, y, folds, g, jobs), reps)
    t_cv_default, _ = best_time(
        lambda: cross_validate(
            X, y, folds=[folds], l1_ratios=RATIOS, jobs=jobs, fold_grid="common"
        ),
        reps,
    )
    # what `regcli cv data.csv` does by default: the lasso, folds on their own grids
    t_cv_lasso, _ = best_time(
        lambda: cross_validate(X, y, folds=[folds], l1_ratios=[1.0], fold_grid="own", jobs=jobs),
        reps,
    )
    t_compare, _ = best_time(
        lambda: compare_models(X, y, folds=[folds], en_ratios=[0.1, 0.5, 0.9], jobs=jobs), reps
    )
    t_cv_en, _ = best_time(
        lambda: cross_validate(
            X, y, folds=[folds], l1_ratios=[0.1, 0.5, 0.9], jobs=jobs, fold_grid="common"
        ),
        reps,
    )
    row = {
        "n": n,
        "p": p,
        "regcli_cv_s": t_cv,
        "regcli_cv_default_s": t_cv_default,
        "cv_lasso_s": t_cv_lasso,
        "path_s": t_path,
        "path_points": len(path.alphas),
        "compare_s": t_compare,
        "cv_en_s": t_cv_en,
    }
    if sklearn:
        from sklearn.linear_model import ElasticNetCV

        Xs = (X - X.mean(0)) / X.std(0)
        splits = [(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in range(10)]
        t_sk, worst = 0.0, 0.0
        for r, curve in zip(RATIOS, res):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                sk = ElasticNetCV(l1_ratio=r, alphas=g[r], cv=splits, n_jobs=jobs).fit(Xs, y)
                t_sk += time.perf_counter() - t0
            # scikit-learn averages folds without weights; folds here differ by at most one row
            sk_mean = sk.mse_path_.mean(axis=1)
            worst = max(worst, float(np.max(np.abs(sk_mean - curve.cv_mean) / curve.cv_mean)))
        row.update(sklearn_s=t_sk, curve_rel_diff=worst)
    return row


def _cv_explicit(X, y, folds, g, jobs):
    """Every ratio on its explicit grid in one call, as one `regcli cv` call with several ratios
    does (one pass over the rows, every ratio's paths together)."""
    res = cross_validate(
        X,
        y,
        folds=[folds],
        l1_ratios=RATIOS,
        alphas=[g[r] for r in RATIOS],
        jobs=jobs,
        fold_grid="common",
    )
    return res.curves


def scaling(designs, rounds: int = 5) -> None:
    """regcli's cv with jobs = 1 and 2 in alternating rounds (best of each), so that the slow and
    fast phases of a shared machine hit both: a default `cv` (the lasso, own fold grids) and
    the 4 ratios."""
    print(
        f"{'n':>8} {'p':>5} | {'cv1 j1 s':>9} {'cv1 j2 s':>9} {'speedup':>7} | "
        f"{'cv4 j1 s':>9} {'cv4 j2 s':>9} {'speedup':>7}"
    )
    for n, p in designs:
        X, y = fht_design(n, p, 0.5, seed=7)
        folds = [make_folds(n, 10, seed=0)]
        best = {}
        for _ in range(rounds):
            for jobs in (1, 2):
                for name, ratios, grid in (("cv1", [1.0], "own"), ("cv4", RATIOS, "common")):
                    t0 = time.perf_counter()
                    cross_validate(X, y, folds=folds, l1_ratios=ratios, fold_grid=grid, jobs=jobs)
                    t = time.perf_counter() - t0
                    key = (name, jobs)
                    best[key] = min(best.get(key, np.inf), t)
        print(
            f"{n:>8} {p:>5} | {best['cv1', 1]:>9.3f} {best['cv1', 2]:>9.3f} "
            f"{best['cv1', 1] / best['cv1', 2]:>7.2f} | {best['cv4', 1]:>9.3f} "
            f"{best['cv4', 2]:>9.3f} {best['cv4', 1] / best['cv4', 2]:>7.2f}",
            flush=True,
        )


ENET_DESIGNS = [(1000, 5000), (20000, 200), (100, 5000)]
QUICK_ENET = [(20000, 200), (100, 5000)]


def enet_table(designs, use_glmnet: bool) -> None:
    """Default elastic-net cv against cv.glmnet, and compare against its slowest model's cv."""
    print(
        f"{'n':>6} {'p':>5} {'l1':>4} | {'cv j1 s':>8} {'cv s':>7} {'glmnet s':>8} | "
        f"{'j1/glmnet':>9} {'cv/glmnet':>9}"
    )
    compare_rows = [_enet_design(n, p, use_glmnet) for n, p in designs]
    print(f"\n{'n':>6} {'p':>5} | {'compare s':>9} {'slowest model cv s':>18} {'ratio':>6}")
    for n, p, t_cmp, slowest, t_slow in compare_rows:
        print(
            f"{n:>6} {p:>5} | {t_cmp:>9.3f} {t_slow:>12.3f} (l1 {slowest}) {t_cmp / t_slow:>6.2f}"
        )


def _enet_design(n: int, p: int, use_glmnet: bool) -> tuple:
    X, y = fht_design(n, p, 0.5, seed=n + p + 5)
    folds = [make_folds(n, 10, seed=0)]
    model_cv = {}
    for ratio in (0.5, 0.1):
        best = {"j1": np.inf, "j0": np.inf, "glmnet": np.inf}
        for _ in range(2):
            for jobs, key in ((1, "j1"), (0, "j0")):
                t0 = time.perf_counter()
                cross_validate(X, y, folds=folds, l1_ratios=[ratio], jobs=jobs)
                best[key] = min(best[key], time.perf_counter() - t0)
            if use_glmnet:
                best["glmnet"] = min(best["glmnet"], glmnet_cv(X, y, folds[0], alpha=ratio)[0])
        model_cv[ratio] = best["j0"]
        print(
            f"{n:>6} {p:>5} {ratio:>4} | {best['j1']:>8.3f} {best['j0']:>7.3f} "
            f"{best['glmnet']:>8.3f} | {best['j1'] / best['glmnet']:>9.2f} "
            f"{best['j0'] / best['glmnet']:>9.2f}",
            flush=True,
        )
    for ratio in (1.0, 0.0, 0.9):
        model_cv[ratio], _ = best_time(
            lambda r=ratio: cross_validate(X, y, folds=folds, l1_ratios=[r], jobs=0), 2
        )
    t_cmp, _ = best_time(
        lambda: compare_models(X, y, folds=folds, en_ratios=[0.1, 0.5, 0.9], jobs=0), 2
    )
    slowest = max(model_cv, key=lambda r: model_cv[r])
    return n, p, t_cmp, slowest, model_cv[slowest]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-sklearn", action="store_true")
    ap.add_argument("--jobs", type=int, default=1, help="processes for both sides (default 1)")
    ap.add_argument("--scaling", action="store_true", help="regcli --jobs 1 vs 2 only")
    ap.add_argument("--enet", action="store_true", help="elastic-net cv vs cv.glmnet; compare")
    args = ap.parse_args()
    if args.enet:
        ok, why = have_glmnet()
        if not ok:
            print(f"skipping R glmnet: {why}", file=sys.stderr)
        enet_table(QUICK_ENET if args.quick else ENET_DESIGNS, ok)
        return
    if args.scaling:
        scaling(QUICK if args.quick else DESIGNS[:2] + DESIGNS[3:])
        return
    sklearn = not args.no_sklearn
    if sklearn:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            print("skipping scikit-learn: not installed", file=sys.stderr)
            sklearn = False
    rows = []
    for n, p in QUICK if args.quick else DESIGNS:
        rows.append(run(n, p, sklearn=sklearn, jobs=args.jobs))
        print(f"  done n={n} p={p}", file=sys.stderr, flush=True)
    head = (
        f"{'n':>8} {'p':>5} | {'regcli cv s':>11} {'sklearn s':>10} {'ratio':>7} | "
        f"{'path s':>7} {'cv/path':>8} {'cv1/path':>8} | "
        f"{'cv EN s':>8} {'compare s':>9} {'cmp/cvEN':>8} | "
        f"{'curve diff':>10}"
    )
    print(f"jobs = {args.jobs}")
    print(head)
    print("-" * len(head))
    for r in rows:
        sk = r.get("sklearn_s")
        ratio = f"{r['regcli_cv_s'] / sk:.4f}" if sk else "-"
        diff = f"{r['curve_rel_diff']:.1e}" if "curve_rel_diff" in r else "-"
        sk_s = f"{sk:.3f}" if sk else "-"
        print(
            f"{r['n']:>8} {r['p']:>5} | {r['regcli_cv_s']:>11.3f} {sk_s:>10} {ratio:>7} | "
            f"{r['path_s']:>7.3f} {r['regcli_cv_default_s'] / r['path_s']:>8.1f} "
            f"{r['cv_lasso_s'] / r['path_s']:>8.1f} | "
            f"{r['cv_en_s']:>8.3f} {r['compare_s']:>9.3f} {r['compare_s'] / r['cv_en_s']:>8.2f} | "
            f"{diff:>10}"
        )


if __name__ == "__main__":
    main()
