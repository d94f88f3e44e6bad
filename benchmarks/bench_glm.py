"""Binomial and Poisson lasso paths and binomial cv: regcli vs R glmnet (and scikit-learn for
cv), in one run.

    python benchmarks/bench_glm.py            # every design (a few minutes)
    python benchmarks/bench_glm.py --quick    # the two smaller designs
    python benchmarks/bench_glm.py --no-cv    # paths only

Designs: Friedman, Hastie and Tibshirani's (rho = 0.5) with a logistic outcome
(P(y = 1) = 1 / (1 + exp(-signal)), the signal scaled to sd 2) or a Poisson one (mean
exp(0.5 + signal / 2), signal sd 1).  Both tools solve the same 100 alphas (regcli's default
grid, no early stop); times are best-of-3 of the solver call alone, alternating.  Accuracy: max
KKT violation / alpha over the path, measured on the standardized problem by one independent
formula for both (glmnet at its default thresh = 1e-7).  cv: 10 folds on the same fold ids and
the same grid: regcli `cv` (cv.glmnet's procedure), cv.glmnet, and scikit-learn's
LogisticRegressionCV(l1_ratio=1, solver="saga") at its default tolerance.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import fht_design, geomean, have_glmnet  # noqa: E402
from regcli.core.cv import make_folds  # noqa: E402
from regcli.core.family import family_named  # noqa: E402
from regcli.core.glm import glm_path  # noqa: E402
from regcli.core.glmcv import glm_cross_validate  # noqa: E402

BINOMIAL_DESIGNS = [(1000, 100), (5000, 500), (100, 5000), (100000, 50)]
POISSON_DESIGNS = [(1000, 100), (5000, 500)]
QUICK = {(1000, 100), (100, 5000)}
CV_DESIGN = (1000, 100)

R_SCRIPT = r"""
args <- commandArgs(TRUE); d <- args[1]; n <- as.integer(args[2]); p <- as.integer(args[3])
fam <- args[4]; nl <- as.integer(args[5]); mode <- args[6]
suppressMessages(library(glmnet))
x <- matrix(readBin(file.path(d, "x.bin"), "double", n * p), n, p)
y <- readBin(file.path(d, "y.bin"), "double", n)
lam <- readBin(file.path(d, "lam.bin"), "double", nl)
best <- Inf
if (mode == "path") {
  for (r in 1:3) {
    t <- system.time(f <- glmnet(x, y, family = fam, lambda = lam))[["elapsed"]]
    best <- min(best, t)
  }
  writeBin(as.vector(as.matrix(f$beta)), file.path(d, "beta.bin"))
  writeBin(as.vector(f$a0), file.path(d, "a0.bin"))
} else {
  foldid <- readBin(file.path(d, "fold.bin"), "integer", n)
  for (r in 1:3) {
    t <- system.time(cv <- cv.glmnet(x, y, family = fam, lambda = lam,
                                     foldid = foldid))[["elapsed"]]
    best <- min(best, t)
  }
}
cat(best, "\n")
"""


def design(family: str, n: int, p: int, seed: int = 0):
    X, signal = fht_design(n, p, 0.5, seed=seed, snr=1e12)  # y is the signal itself
    rng = np.random.default_rng(seed + 1)
    s = signal / signal.std()
    if family == "binomial":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-2 * s))).astype(float)
    else:
        y = rng.poisson(np.exp(0.5 + 0.5 * s)).astype(float)
    return X, y


def run_r(X, y, family, lam, mode, folds=None):
    n, p = X.shape
    with tempfile.TemporaryDirectory() as d:
        dp = Path(d)
        np.asfortranarray(X).T.tofile(dp / "x.bin")
        y.tofile(dp / "y.bin")
        lam.tofile(dp / "lam.bin")
        if folds is not None:
            (folds + 1).astype(np.int32).tofile(dp / "fold.bin")
        (dp / "s.R").write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(dp / "s.R"), d, str(n), str(p), family, str(len(lam)), mode],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = float(out.stdout.split()[0])
        if mode != "path":
            return seconds, None, None
        k = len(lam)
        return seconds, np.fromfile(dp / "beta.bin").reshape(k, p), np.fromfile(dp / "a0.bin")


def kkt_relative(X, y, family, alphas, coefs, intercepts) -> float:
    """max over the path of the KKT violation / alpha of the lasso GLM on the standardized
    columns (coefficients on the original scale)."""
    fam = family_named(family)
    mean, sd = X.mean(0), X.std(0)
    Xs = (X - mean) / sd
    worst = 0.0
    for a, b, b0 in zip(alphas, coefs, intercepts):
        r = (y - fam.inverse_link(b0 + X @ b)) / len(y)
        g = Xs.T @ r
        bs = b * sd
        viol = np.where(bs != 0, np.abs(g - a * np.sign(bs)), np.maximum(np.abs(g) - a, 0.0))
        worst = max(worst, float(viol.max()) / a, abs(float(r.sum())) / a)
    return worst


def bench_paths(family, designs, glmnet_ok):
    rows = []
    for n, p in designs:
        X, y = design(family, n, p)
        fam = family_named(family)
        grid = glm_path(X, y, fam, n_alphas=1).alpha_max * np.logspace(
            0, np.log10(1e-4 if n >= p else 1e-2), 100
        )
        best = np.inf
        res = None
        t_r = np.nan
        kkt_r = np.nan
        for _ in range(3):  # alternate with glmnet
            t0 = time.perf_counter()
            res = glm_path(X, y, fam, alphas=grid)
            best = min(best, time.perf_counter() - t0)
        if glmnet_ok:
            t_r, beta, a0 = run_r(X, y, family, grid, "path")
            kkt_r = kkt_relative(X, y, family, grid, beta, a0)
        assert res is not None
        kkt = kkt_relative(X, y, family, res.alphas, res.coefs, res.intercepts)
        rows.append((family, n, p, best, t_r, kkt, kkt_r))
        print(
            f"{family:9s} {n:>6} x {p:<5} regcli {best:8.3f} s  glmnet {t_r:8.3f} s  "
            f"ratio {best / t_r:6.2f}  KKT/alpha regcli {kkt:.1e} glmnet {kkt_r:.1e}",
            flush=True,
        )
    return rows


def bench_cv(glmnet_ok):
    n, p = CV_DESIGN
    X, y = design("binomial", n, p)
    fam = family_named("binomial")
    folds = make_folds(n, 10, seed=0)
    grid = glm_path(X, y, fam, n_alphas=1).alpha_max * np.logspace(0, -4, 100)
    t0 = time.perf_counter()
    glm_cross_validate(X, y, fam, folds=[folds], l1_ratios=[1.0], alphas=grid)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()  # the CLI's default --jobs: the idle cores
    glm_cross_validate(X, y, fam, folds=[folds], l1_ratios=[1.0], alphas=grid, jobs=0)
    t_default = time.perf_counter() - t0
    t_r = run_r(X, y, "binomial", grid, "cv", folds)[0] if glmnet_ok else np.nan
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import PredefinedSplit

    Xs = (X - X.mean(0)) / X.std(0)
    n_train = n * 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        LogisticRegressionCV(
            Cs=list(1.0 / (n_train * grid)),
            l1_ratios=[1.0],
            solver="saga",
            cv=PredefinedSplit(folds),
            scoring="neg_log_loss",
        ).fit(Xs, y)
        t_sk = time.perf_counter() - t0
    print(
        f"cv binomial {n} x {p}, 10 folds, 100 alphas: regcli {t_ours:.2f} s (default --jobs: "
        f"{t_default:.2f} s)  cv.glmnet {t_r:.2f} s (ratio {t_ours / t_r:.2f}; default jobs "
        f"{t_default / t_r:.2f})  scikit-learn {t_sk:.2f} s (ratio {t_ours / t_sk:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-cv", action="store_true")
    args = parser.parse_args()
    glmnet_ok, why = have_glmnet()
    if not glmnet_ok:
        print(f"R glmnet missing ({why}): regcli times only")
    pick = (lambda ds: [d for d in ds if d in QUICK]) if args.quick else (lambda ds: ds)
    rows = bench_paths("binomial", pick(BINOMIAL_DESIGNS), glmnet_ok)
    rows += bench_paths("poisson", pick(POISSON_DESIGNS), glmnet_ok)
    if glmnet_ok:
        for family in ("binomial", "poisson"):
            ratios = [r[3] / r[4] for r in rows if r[0] == family]
            print(
                f"{family}: geometric mean regcli/glmnet {geomean(ratios):.2f}, "
                f"worst {max(ratios):.2f}"
            )
    if not args.no_cv:
        bench_cv(glmnet_ok)


if __name__ == "__main__":
    main()
