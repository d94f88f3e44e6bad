"""Agreement with R's glmnet (run at thresh = 1e-14 so that its answers are exact enough).

    python benchmarks/check_glmnet.py

For each dataset: lasso and elastic-net fits (coefficients and intercept, maximum relative
difference), the default lasso path (number of points, first alpha, nonzero counts, deviance
explained), and 10-fold CV with the same fold ids (cv_mean, cv_se, lambda.min, lambda.1se; regcli
with fold_grid='own', cv.glmnet's procedure, and with the default common grid).  Skips with a
message when Rscript or glmnet is missing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import have_glmnet  # noqa: E402
from regcli.core.cv import cross_validate, make_folds  # noqa: E402
from regcli.core.fitting import fit  # noqa: E402
from regcli.core.path import compute_path  # noqa: E402
from regcli.core.penalty import PenaltyControls  # noqa: E402
from regcli.io.dataset import load_dataset  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

R_SCRIPT = r"""
args <- commandArgs(TRUE); d <- args[1]
n <- as.integer(args[2]); p <- as.integer(args[3]); a <- as.double(args[4])
suppressMessages(library(glmnet))
x <- matrix(readBin(file.path(d, "x.bin"), "double", n * p), n, p)
y <- readBin(file.path(d, "y.bin"), "double", n)
foldid <- readBin(file.path(d, "fold.bin"), "integer", n)
sdy <- sqrt(mean((y - mean(y))^2))
out <- list()
for (r in c(1, 0.5)) {
  lam <- a * r + a * (1 - r) * sdy
  f <- glmnet(x, y, alpha = a * r / lam, lambda = lam, thresh = 1e-14)
  out[[paste0("fit", r)]] <- as.vector(coef(f))
}
f <- glmnet(x, y, alpha = 1, thresh = 1e-14)
out$path_lambda <- f$lambda; out$path_df <- f$df; out$path_dev <- f$dev.ratio
cv <- cv.glmnet(x, y, foldid = foldid, alpha = 1, thresh = 1e-14)
out$cvm <- cv$cvm; out$cvsd <- cv$cvsd; out$cv_lambda <- cv$lambda
out$cv_sel <- c(cv$lambda.min, cv$lambda.1se)
pf <- readBin(file.path(d, "pf.bin"), "double", p)
box <- readBin(file.path(d, "box.bin"), "double", p)
f <- glmnet(x, y, alpha = 1, lambda = a, penalty.factor = pf, thresh = 1e-14)
out$pf_fit <- as.vector(coef(f))
f <- glmnet(x, y, alpha = 1, lambda = a, lower.limits = 0, thresh = 1e-14)
out$nonneg_fit <- as.vector(coef(f))
for (r in c(1, 0.5)) {
  lam <- a * r + a * (1 - r) * sdy
  f <- glmnet(x, y, alpha = a * r / lam, lambda = lam, lower.limits = -box, upper.limits = box,
              thresh = 1e-14)
  out[[paste0("box_fit", r)]] <- as.vector(coef(f))
}
f <- glmnet(x, y, alpha = 1, lambda = a, relax = TRUE, thresh = 1e-14)
# coef(f, gamma = g) mis-shapes a single-lambda relaxed fit (glmnet 4.1): blend by hand
out$relax0 <- as.vector(coef(f$relaxed))
out$relax05 <- 0.5 * as.vector(coef(f)) + 0.5 * as.vector(coef(f$relaxed))
f <- glmnet(x, y, alpha = 1, penalty.factor = pf, thresh = 1e-14)
out$pf_lambda <- f$lambda; out$pf_df <- f$df; out$pf_dev <- f$dev.ratio
cv <- cv.glmnet(x, y, foldid = foldid, alpha = 1, penalty.factor = pf, thresh = 1e-14)
out$pf_cvm <- cv$cvm; out$pf_cvsd <- cv$cvsd; out$pf_cv_lambda <- cv$lambda
out$pf_cv_sel <- c(cv$lambda.min, cv$lambda.1se)
# paths with limits and with factors on glmnet's own grids; y / sd(y) makes glmnet's (lambda,
# alpha) regcli's (alpha, l1_ratio) for every l1 ratio
ys <- y / sdy; boxs <- box / sdy
f <- glmnet(x, y, alpha = 1, lower.limits = -box, upper.limits = box, thresh = 1e-14)
out$boxpath_lambda <- f$lambda; out$boxpath_beta <- as.vector(as.matrix(f$beta))
for (r in c(0.5, 0)) {
  f <- glmnet(x, ys, alpha = r, lower.limits = -boxs, upper.limits = boxs, thresh = 1e-14)
  out[[paste0("boxpath", r, "_lambda")]] <- f$lambda
  out[[paste0("boxpath", r, "_beta")]] <- as.vector(as.matrix(f$beta))
  f <- glmnet(x, ys, alpha = r, penalty.factor = pf, thresh = 1e-14)
  out[[paste0("pfpath", r, "_lambda")]] <- f$lambda
  out[[paste0("pfpath", r, "_beta")]] <- as.vector(as.matrix(f$beta))
}
for (k in names(out)) writeBin(as.double(out[[k]]), file.path(d, paste0(k, ".out")))
"""


def datasets():
    ds = load_dataset(str(ROOT / "sample_data" / "diabetes.csv"))
    yield "diabetes (442 x 10)", ds.X, ds.y
    rng = np.random.default_rng(11)
    n, p = 300, 40
    X = np.sqrt(0.4) * rng.standard_normal((n, p)) + np.sqrt(0.6) * rng.standard_normal((n, 1))
    X = X * rng.uniform(0.1, 10, p) + rng.uniform(-5, 5, p)
    y = X[:, :6] @ rng.normal(0, 1, 6) + rng.standard_normal(n) * 3
    yield "correlated (300 x 40)", X, y
    ds = load_dataset(str(ROOT / "sample_data" / "sparse_wide.csv"))
    yield "sparse_wide (80 x 400)", ds.X, ds.y


def rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def run_r(X, y, folds, alpha, pf, box):
    n, p = X.shape
    with tempfile.TemporaryDirectory() as d:
        dp = Path(d)
        pf.astype(float).tofile(dp / "pf.bin")
        box.astype(float).tofile(dp / "box.bin")
        np.asfortranarray(X).T.tofile(dp / "x.bin")
        y.astype(float).tofile(dp / "y.bin")
        (folds + 1).astype(np.int32).tofile(dp / "fold.bin")
        (dp / "s.R").write_text(R_SCRIPT)
        subprocess.run(
            ["Rscript", str(dp / "s.R"), d, str(n), str(p), repr(alpha)],
            check=True,
            capture_output=True,
        )
        return {f.stem: np.fromfile(f) for f in dp.glob("*.out")}


def main() -> None:
    ok, why = have_glmnet()
    if not ok:
        print(f"skipping: {why}")
        return
    for name, X, y in datasets():
        n, p = X.shape
        alpha = 0.05 * compute_path(X, y, n_alphas=1).alpha_max
        folds = make_folds(n, 10, seed=0)
        pf = np.ones(p)
        pf[:3] = [0.0, 2.0, 0.5]
        box = 0.5 * np.abs(fit(X, y, alpha=alpha).coef).max() * np.ones(p)
        r = run_r(X, y, folds, alpha, pf, box)
        print(f"== {name}")
        for ratio in (1.0, 0.5):
            res = fit(X, y, alpha=alpha, l1_ratio=ratio, tol=1e-12)
            g = r[f"fit{ratio:g}"]
            print(
                f"  fit l1_ratio={ratio:g}: coefficients rel diff {rel(res.coef, g[1:]):.1e}, "
                f"intercept rel diff {abs(res.intercept - g[0]) / abs(g[0]):.1e}"
            )
        path = compute_path(X, y)
        k = min(len(path.alphas), len(r["path_lambda"]))
        print(
            f"  path: points regcli {len(path.alphas)} / glmnet {len(r['path_lambda'])}; first "
            f"alpha rel diff {abs(path.alphas[0] - r['path_lambda'][0]) / path.alphas[0]:.1e}; "
            f"nonzero counts equal on {np.mean(path.n_nonzero[:k] == r['path_df'][:k]):.0%} of "
            f"points; dev ratio max abs diff "
            f"{np.abs(path.dev_ratio[:k] - r['path_dev'][:k]).max():.1e}"
        )
        for grid in ("own", "common"):
            cv = cross_validate(X, y, folds=[folds], l1_ratios=[1.0], fold_grid=grid).curve
            k = min(len(cv.alphas), len(r["cv_lambda"]))
            same = np.isclose(cv.alpha_min, r["cv_sel"][0], rtol=1e-9) and np.isclose(
                cv.alpha_1se, r["cv_sel"][1], rtol=1e-9
            )
            print(
                f"  cv (fold grid {grid}): "
                f"cv_mean rel diff {rel(cv.cv_mean[:k], r['cvm'][:k]):.1e}, "
                f"cv_se rel diff {rel(cv.cv_se[:k], r['cvsd'][:k]):.1e}, "
                f"same alpha_min and alpha_1se: {same}"
            )
        controls(X, y, folds, alpha, pf, box, r)


def controls(X, y, folds, alpha, pf, box, r) -> None:
    """Penalty factors, limits and relaxed fits against glmnet's."""

    def line(label: str, res, g) -> None:
        print(
            f"  {label}: coefficients rel diff {rel(res.coef, g[1:]):.1e}, "
            f"intercept rel diff {abs(res.intercept - g[0]) / max(abs(g[0]), 1e-300):.1e}"
        )

    line(
        "penalty factors (0, 2, 0.5, 1...)",
        fit(X, y, alpha=alpha, penalty_factor=pf, tol=1e-12),
        r["pf_fit"],
    )
    line("lower limits 0", fit(X, y, alpha=alpha, lower=0.0, tol=1e-12), r["nonneg_fit"])
    for ratio in (1.0, 0.5):
        res = fit(X, y, alpha=alpha, l1_ratio=ratio, lower=-box, upper=box, tol=1e-12)
        line(f"box limits, l1_ratio={ratio:g}", res, r[f"box_fit{ratio:g}"])
    for gamma, key in ((0.0, "relax0"), (0.5, "relax05")):
        line(f"relaxed, gamma {gamma:g}", fit(X, y, alpha=alpha, gamma=gamma, tol=1e-12), r[key])
    path = compute_path(X, y, penalty_factor=pf)
    k = min(len(path.alphas), len(r["pf_lambda"]))
    print(
        f"  penalty-factor path: points regcli {len(path.alphas)} / glmnet {len(r['pf_lambda'])}; "
        f"alpha rel diff {rel(path.alphas[:k], r['pf_lambda'][:k]):.1e}; nonzero counts equal on "
        f"{np.mean(path.n_nonzero[:k] == r['pf_df'][:k]):.0%}; dev ratio max abs diff "
        f"{np.abs(path.dev_ratio[:k] - r['pf_dev'][:k]).max():.1e}"
    )
    sdy = float(np.sqrt(np.mean((y - y.mean()) ** 2)))
    variants = [("box-limited lasso path", 1.0, y, "boxpath", {"lower": -box, "upper": box})]
    for ratio in (0.5, 0.0):
        limits = {"lower": -box / sdy, "upper": box / sdy}
        variants.append(
            (f"box-limited path, l1_ratio={ratio:g}", ratio, y / sdy, f"boxpath{ratio:g}", limits)
        )
        variants.append(
            (
                f"penalty-factor path, l1_ratio={ratio:g}",
                ratio,
                y / sdy,
                f"pfpath{ratio:g}",
                {"penalty_factor": pf},
            )
        )
    for label, ratio, target, key, kw in variants:
        grid = r[f"{key}_lambda"]
        beta = r[f"{key}_beta"].reshape(X.shape[1], grid.size, order="F").T
        res = compute_path(X, target, l1_ratio=ratio, alphas=grid, tol=1e-10, **kw)
        # glmnet's ridge path returns the null model at its first lambda (its alpha_max uses
        # alpha = 0.001): compared from the second point on
        first = 1 if ratio == 0.0 else 0
        print(
            f"  {label} on glmnet's {grid.size} lambdas: coefficients rel diff "
            f"{rel(res.coefs[first:], beta[first:]):.1e}"
            + (" (from its second)" if first else "")
            + f"; every point certified: {bool(res.converged.all())}"
        )
    cv = cross_validate(
        X, y, folds=[folds], l1_ratios=[1.0], controls=PenaltyControls(factors=pf)
    ).curve
    k = min(len(cv.alphas), len(r["pf_cv_lambda"]))
    same = np.allclose([cv.alpha_min, cv.alpha_1se], r["pf_cv_sel"], rtol=1e-9)
    print(
        f"  penalty-factor cv: cv_mean rel diff {rel(cv.cv_mean[:k], r['pf_cvm'][:k]):.1e}, "
        f"cv_se rel diff {rel(cv.cv_se[:k], r['pf_cvsd'][:k]):.1e}, same alpha_min and "
        f"alpha_1se: {same}"
    )


R_FAMILY_SCRIPT = r"""
args <- commandArgs(TRUE); d <- args[1]; fam <- args[4]
n <- as.integer(args[2]); p <- as.integer(args[3]); a <- as.double(args[5])
suppressMessages(library(glmnet))
x <- matrix(readBin(file.path(d, "x.bin"), "double", n * p), n, p)
y <- readBin(file.path(d, "y.bin"), "double", n)
w <- readBin(file.path(d, "w.bin"), "double", n)
pf <- readBin(file.path(d, "pf.bin"), "double", p)
foldid <- readBin(file.path(d, "fold.bin"), "integer", n)
out <- list()
for (r in c(1, 0.5)) {
  f <- glmnet(x, y, family = fam, alpha = r, lambda = a, thresh = 1e-14)
  out[[paste0("fit", r)]] <- as.vector(coef(f))
}
f <- glmnet(x, y, family = fam, alpha = 1, lambda = a, weights = w, penalty.factor = pf,
            lower.limits = -1, upper.limits = 1, thresh = 1e-14)
out$controls_fit <- as.vector(coef(f))
f <- glmnet(x, y, family = fam, alpha = 1, lambda = a, relax = TRUE, thresh = 1e-14)
out$relax0 <- as.vector(coef(f$relaxed))
f <- glmnet(x, y, family = fam, alpha = 1, thresh = 1e-14)
out$path_lambda <- f$lambda; out$path_df <- f$df; out$path_dev <- f$dev.ratio
out$path_coef <- as.vector(as.matrix(coef(f)))
f <- glmnet(x, y, family = fam, alpha = 0.5, weights = w, thresh = 1e-14)
out$wpath_lambda <- f$lambda; out$wpath_dev <- f$dev.ratio
cv <- cv.glmnet(x, y, family = fam, foldid = foldid, alpha = 1, thresh = 1e-14)
out$cvm <- cv$cvm; out$cvsd <- cv$cvsd; out$cv_lambda <- cv$lambda
out$cv_sel <- c(cv$lambda.min, cv$lambda.1se)
if (fam == "binomial") {
  cv <- cv.glmnet(x, y, family = fam, foldid = foldid, alpha = 1, type.measure = "auc",
                  thresh = 1e-14)
  out$auc <- cv$cvm; out$auc_sel <- c(cv$lambda.min, cv$lambda.1se)
}
for (k in names(out)) writeBin(as.double(out[[k]]), file.path(d, paste0(k, ".out")))
"""


def family_data(family: str):
    """A simulated design (n = 400, p = 30, correlated columns on mixed scales) with a
    logistic or Poisson outcome, weights and penalty factors."""
    rng = np.random.default_rng(7 if family == "binomial" else 8)
    n, p = 400, 30
    X = np.sqrt(0.5) * rng.standard_normal((n, p)) + np.sqrt(0.5) * rng.standard_normal((n, 1))
    X = X * rng.uniform(0.2, 5, p) + rng.uniform(-3, 3, p)
    Xs = (X - X.mean(0)) / X.std(0)
    eta = Xs[:, :5] @ np.array([1.0, -0.8, 0.6, 0.4, -0.3])
    if family == "binomial":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.5 + 0.5 * eta)).astype(float)
    w = rng.uniform(0.5, 2.0, n)
    pf = np.ones(p)
    pf[:3] = [0.0, 2.0, 0.5]
    return X, y, w, pf


def check_families() -> None:
    """Binomial and Poisson fits, paths and cv.glmnet curves against glmnet's."""
    from regcli.core.family import family_named
    from regcli.core.glm import glm_fit, glm_path
    from regcli.core.glmcv import glm_cross_validate

    for family in ("binomial", "poisson"):
        fam = family_named(family)
        X, y, w, pf = family_data(family)
        n, p = X.shape
        folds = make_folds(n, 10, seed=0)
        alpha = 0.05 * glm_path(X, y, fam, n_alphas=1).alpha_max
        with tempfile.TemporaryDirectory() as d:
            dp = Path(d)
            np.asfortranarray(X).T.tofile(dp / "x.bin")
            y.tofile(dp / "y.bin")
            w.tofile(dp / "w.bin")
            pf.tofile(dp / "pf.bin")
            (folds + 1).astype(np.int32).tofile(dp / "fold.bin")
            (dp / "s.R").write_text(R_FAMILY_SCRIPT)
            subprocess.run(
                ["Rscript", str(dp / "s.R"), d, str(n), str(p), family, repr(alpha)],
                check=True,
                capture_output=True,
            )
            r = {f.stem: np.fromfile(f) for f in dp.glob("*.out")}
        print(f"== {family} (400 x 30, simulated)")
        for ratio in (1.0, 0.5):
            res = glm_fit(X, y, fam, alpha=alpha, l1_ratio=ratio, tol=1e-12)
            g = r[f"fit{ratio:g}"]
            print(
                f"  fit l1_ratio={ratio:g}: coefficients rel diff {rel(res.coef, g[1:]):.1e}, "
                f"intercept abs diff {abs(res.intercept - g[0]):.1e}"
            )
        res = glm_fit(
            X,
            y,
            fam,
            alpha=alpha,
            weights=w,
            penalty_factor=pf,
            lower=-1.0,
            upper=1.0,
            tol=1e-12,
        )
        g = r["controls_fit"]
        print(
            f"  fit with weights, penalty factors, limits [-1, 1]: coefficients rel diff "
            f"{rel(res.coef, g[1:]):.1e}"
        )
        res = glm_fit(X, y, fam, alpha=alpha, gamma=0.0, tol=1e-12)
        g = r["relax0"]
        print(f"  relaxed fit (gamma 0): coefficients rel diff {rel(res.coef, g[1:]):.1e}")
        path = glm_path(X, y, fam, tol=1e-12)
        k = min(len(path.alphas), len(r["path_lambda"]))
        coef = r["path_coef"].reshape(len(r["path_lambda"]), p + 1)
        print(
            f"  path: points regcli {len(path.alphas)} / glmnet {len(r['path_lambda'])}; alpha "
            f"rel diff {rel(path.alphas[:k], r['path_lambda'][:k]):.1e}; nonzero counts equal on "
            f"{np.mean(path.n_nonzero[:k] == r['path_df'][:k]):.0%}; dev ratio max abs diff "
            f"{np.abs(path.dev_ratio[:k] - r['path_dev'][:k]).max():.1e}; coefficients rel diff "
            f"{rel(path.coefs[:k], coef[:k, 1:]):.1e}"
        )
        wpath = glm_path(X, y, fam, l1_ratio=0.5, weights=w, tol=1e-12)
        k = min(len(wpath.alphas), len(r["wpath_lambda"]))
        print(
            f"  weighted elastic-net path: points regcli {len(wpath.alphas)} / glmnet "
            f"{len(r['wpath_lambda'])}; dev ratio max abs diff "
            f"{np.abs(wpath.dev_ratio[:k] - r['wpath_dev'][:k]).max():.1e}"
        )
        measures = [("deviance", "cvm", "cv_sel")]
        if family == "binomial":
            measures.append(("auc", "auc", "auc_sel"))
        for metric, key, sel in measures:
            cv = glm_cross_validate(
                X, y, fam, folds=[folds], l1_ratios=[1.0], metric=metric, tol=1e-12
            ).curve
            k = min(len(cv.alphas), len(r[key]))
            same = np.allclose([cv.alpha_min, cv.alpha_1se], r[sel], rtol=1e-9)
            extra = (
                f", cv_se rel diff {rel(cv.cv_se[:k], r['cvsd'][:k]):.1e}"
                if metric == "deviance"
                else ""
            )
            print(
                f"  cv.glmnet {metric}: cv_mean rel diff {rel(cv.cv_mean[:k], r[key][:k]):.1e}"
                f"{extra}, same alpha_min and alpha_1se: {same}"
            )


R_WIDE_SCRIPT = r"""
args <- commandArgs(TRUE); d <- args[1]; n <- as.integer(args[2]); p <- as.integer(args[3])
fam <- args[4]; a1 <- as.numeric(args[5]); a0 <- as.numeric(args[6])
suppressMessages(library(glmnet))
x <- matrix(readBin(file.path(d, "x.bin"), "double", n * p), n, p)
y <- readBin(file.path(d, "y.bin"), "double", n)
down <- function(a) exp(seq(log(100 * a), log(a), length.out = 40))  # warm starts, as advised
f1 <- glmnet(x, y, family = fam, lambda = down(a1), alpha = 1, thresh = 1e-14, maxit = 1e6)
f0 <- glmnet(x, y, family = fam, lambda = down(a0), alpha = 0, thresh = 1e-14, maxit = 1e6)
last <- function(f) {  # its last point (Poisson paths may stop early)
  k <- length(f$lambda); c(f$lambda[k], f$a0[k], as.vector(as.matrix(f$beta[, k])))
}
writeBin(last(f1), file.path(d, "lasso.out"))
writeBin(last(f0), file.path(d, "ridge.out"))
"""


def check_wide_families() -> None:
    """Binomial and Poisson fits on wide data (p = 600 > n = 80): a lasso at a small alpha
    (warm starts through large strong sets) and ridge (Newton steps in the rows' space)."""
    from regcli.core.family import family_named
    from regcli.core.glm import glm_fit, glm_path

    for family in ("binomial", "poisson"):
        fam = family_named(family)
        rng = np.random.default_rng(11)
        n, p = 80, 600
        X = np.sqrt(0.5) * rng.standard_normal((n, p)) + np.sqrt(0.5) * rng.standard_normal((n, 1))
        eta = (X[:, :4] - X[:, :4].mean(0)) @ np.array([1.0, -0.8, 0.6, 0.4])
        if family == "binomial":
            y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
        else:
            y = rng.poisson(np.exp(0.3 + 0.4 * eta)).astype(float)
        amax = glm_path(X, y, fam, n_alphas=1).alpha_max
        a1, a0 = 0.05 * amax, 0.05
        with tempfile.TemporaryDirectory() as d:
            dp = Path(d)
            np.asfortranarray(X).T.tofile(dp / "x.bin")
            y.tofile(dp / "y.bin")
            (dp / "s.R").write_text(R_WIDE_SCRIPT)
            subprocess.run(
                ["Rscript", str(dp / "s.R"), d, str(n), str(p), family, repr(a1), repr(a0)],
                check=True,
                capture_output=True,
            )
            r = {f.stem: np.fromfile(f) for f in dp.glob("*.out")}
        print(f"== {family}, wide (80 x 600, simulated)")
        for name, ratio in (("lasso", 1.0), ("ridge", 0.0)):
            alpha, g = float(r[name][0]), r[name][1:]  # glmnet's last point and its lambda
            res = glm_fit(X, y, fam, alpha=alpha, l1_ratio=ratio, tol=1e-12)
            oracle = ""
            if ratio == 0.0:  # a third opinion on ridge: scikit-learn, on the same objective
                sk = _sklearn_ridge_glm(X, y, family, alpha)
                oracle = f"; scikit-learn rel diff {rel(res.standardized_coef, sk):.1e}"
            print(
                f"  {name} fit at {alpha:.3g}: coefficients rel diff {rel(res.coef, g[1:]):.1e}, "
                f"intercept abs diff {abs(res.intercept - g[0]):.1e}{oracle}"
            )


def _sklearn_ridge_glm(X: np.ndarray, y: np.ndarray, family: str, alpha: float) -> np.ndarray:
    """scikit-learn's ridge logistic / Poisson coefficients on the 1/n-standardized columns."""
    import warnings

    from sklearn.linear_model import LogisticRegression, PoissonRegressor

    Xs = (X - X.mean(0)) / X.std(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "binomial":
            C = 1.0 / (len(y) * alpha)
            model = LogisticRegression(C=C, tol=1e-12, max_iter=100_000).fit(Xs, y)
            return model.coef_[0]
        return PoissonRegressor(alpha=alpha, tol=1e-14, max_iter=100_000).fit(Xs, y).coef_


if __name__ == "__main__":
    main()
    check_families()
    check_wide_families()
