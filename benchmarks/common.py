"""Shared pieces of the benchmarks: glmnet's simulated designs, R glmnet via Rscript, accuracy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _as_the_command_runs() -> None:
    """Time regcli with OpenBLAS set up as the ``regcli`` command has it: the package sets
    OpenBLAS's thread spin time before NumPy loads (``regcli/__init__.py``); a benchmark that
    loaded NumPy first is started again with that setting in its environment."""
    was_set = "OPENBLAS_THREAD_TIMEOUT" in os.environ
    import regcli  # noqa: F401 - sets it

    if not was_set and "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, *sys.argv])


_as_the_command_runs()


def fht_design(n: int, p: int, rho: float, *, seed: int = 0, snr: float = 3.0):
    """Friedman, Hastie & Tibshirani (2010), section 5.1: Gaussian X with equal pairwise
    correlation rho, beta_j = (-1)^j exp(-2 (j - 1) / 20), Gaussian noise with SNR 3."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, p))
    chunk = 65536
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        block = rng.standard_normal((stop - start, p))
        block *= np.sqrt(1.0 - rho)
        block += np.sqrt(rho) * rng.standard_normal((stop - start, 1))
        X[start:stop] = block
    j = np.arange(1, p + 1)
    beta = (-1.0) ** j * np.exp(-2.0 * (j - 1) / 20.0)
    signal = X @ beta
    k = np.sqrt(signal.var() / snr)
    y = signal + k * rng.standard_normal(n)
    return X, y


def best_time(func, repeats: int):
    """(best wall time in seconds, last result)."""
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def have_glmnet() -> tuple[bool, str]:
    if shutil.which("Rscript") is None:
        return False, "Rscript not found (apt-get install -y r-cran-glmnet)"
    probe = subprocess.run(
        ["Rscript", "-e", "suppressMessages(library(glmnet))"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return False, "R package glmnet not installed (apt-get install -y r-cran-glmnet)"
    return True, ""


_R_PATH = r"""
args <- commandArgs(TRUE)
d <- args[1]; n <- as.integer(args[2]); p <- as.integer(args[3]); reps <- as.integer(args[4])
alpha <- as.double(args[5]); nl <- as.integer(args[6])
suppressMessages(library(glmnet))
x <- matrix(readBin(file.path(d, "x.bin"), "double", n * p), n, p)
y <- readBin(file.path(d, "y.bin"), "double", n)
lam <- if (nl > 0) readBin(file.path(d, "lam.bin"), "double", nl) else NULL
best <- Inf
for (r in seq_len(reps)) {
  t <- system.time(f <- glmnet(x, y, alpha = alpha, lambda = lam))[["elapsed"]]
  best <- min(best, t)
}
writeBin(as.vector(f$lambda), file.path(d, "lambda.bin"))
writeBin(as.vector(as.matrix(f$beta)), file.path(d, "beta.bin"))
writeBin(as.vector(f$a0), file.path(d, "a0.bin"))
cat(best, length(f$lambda), "\n")
"""


def glmnet_path(
    X: np.ndarray,
    y: np.ndarray,
    lambdas: np.ndarray | None,
    *,
    alpha: float = 1.0,
    repeats: int = 1,
    with_lambdas: bool = False,
):
    """Time glmnet(x, y, alpha, lambda = lambdas) in R (glmnet's own default path where
    ``lambdas`` is None); returns (seconds, beta (k, p), a0 (k,)), and glmnet's lambdas (k,)
    after them ``with_lambdas``.

    Only the glmnet() call is timed (inside R); data travel as raw float64 files.
    """
    n, p = X.shape
    if lambdas is None:
        lambdas = np.zeros(0)
    with tempfile.TemporaryDirectory() as d:
        dpath = Path(d)
        np.asfortranarray(X).T.tofile(dpath / "x.bin")  # column-major, as R stores matrices
        y.astype(np.float64).tofile(dpath / "y.bin")
        lambdas.astype(np.float64).tofile(dpath / "lam.bin")
        script = dpath / "path.R"
        script.write_text(_R_PATH)
        out = subprocess.run(
            [
                "Rscript",
                str(script),
                d,
                str(n),
                str(p),
                str(repeats),
                repr(alpha),
                str(len(lambdas)),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, k = out.stdout.split()
        k = int(k)
        beta = np.fromfile(dpath / "beta.bin").reshape(k, p)
        a0 = np.fromfile(dpath / "a0.bin")
        used = np.fromfile(dpath / "lambda.bin")
    if with_lambdas:
        return float(seconds), beta, a0, used
    return float(seconds), beta, a0


_R_CV = r"""
args <- commandArgs(TRUE)
d <- args[1]; n <- as.integer(args[2]); p <- as.integer(args[3]); reps <- as.integer(args[4])
alpha <- as.double(args[5])
suppressMessages(library(glmnet))
x <- matrix(readBin(file.path(d, "x.bin"), "double", n * p), n, p)
y <- readBin(file.path(d, "y.bin"), "double", n)
foldid <- readBin(file.path(d, "foldid.bin"), "integer", n)
best <- Inf
for (r in seq_len(reps)) {
  t <- system.time(cv <- cv.glmnet(x, y, alpha = alpha, foldid = foldid))[["elapsed"]]
  best <- min(best, t)
}
writeBin(as.vector(cv$lambda), file.path(d, "lambda.bin"))
writeBin(as.vector(cv$cvm), file.path(d, "cvm.bin"))
cat(best, length(cv$lambda), cv$lambda.min, cv$lambda.1se, "\n")
"""


def glmnet_cv(X: np.ndarray, y: np.ndarray, folds: np.ndarray, *, alpha: float, repeats: int = 1):
    """Time cv.glmnet(x, y, alpha, foldid) with its defaults in R (folds 0..K-1 here);
    returns (seconds, lambdas, cvm, lambda.min, lambda.1se).  Only the call is timed."""
    n, p = X.shape
    with tempfile.TemporaryDirectory() as d:
        dpath = Path(d)
        np.asfortranarray(X).T.tofile(dpath / "x.bin")
        y.astype(np.float64).tofile(dpath / "y.bin")
        (np.asarray(folds) + 1).astype(np.int32).tofile(dpath / "foldid.bin")
        script = dpath / "cv.R"
        script.write_text(_R_CV)
        out = subprocess.run(
            ["Rscript", str(script), d, str(n), str(p), str(repeats), repr(alpha)],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, k, lam_min, lam_1se = out.stdout.split()
        lambdas = np.fromfile(dpath / "lambda.bin")
        cvm = np.fromfile(dpath / "cvm.bin")
    return float(seconds), lambdas, cvm, float(lam_min), float(lam_1se)


def standardized(X: np.ndarray, y: np.ndarray):
    mean = X.mean(axis=0)
    sd = X.std(axis=0)
    return (X - mean) / sd, y - y.mean(), sd


def path_quality(Xs: np.ndarray, z: np.ndarray, alphas: np.ndarray, B: np.ndarray, l1_ratio: float):
    """Objective values (k,) and KKT violations relative to alpha (k,) of standardized
    coefficient rows B (k, p) on the standardized problem."""
    n = Xs.shape[0]
    R = z[:, None] - Xs @ B.T  # (n, k)
    G = Xs.T @ R / n  # gradients (p, k)
    obj = 0.5 * np.mean(R * R, axis=0) + alphas * (
        l1_ratio * np.abs(B).sum(axis=1) + 0.5 * (1 - l1_ratio) * (B * B).sum(axis=1)
    )
    lam1, lam2 = alphas * l1_ratio, alphas * (1 - l1_ratio)
    nz = B.T != 0
    viol = np.where(
        nz, np.abs(G - lam1 * np.sign(B.T) - lam2 * B.T), np.maximum(np.abs(G) - lam1, 0.0)
    )
    return obj, viol.max(axis=0) / alphas


def geomean(values) -> float:
    values = np.asarray([v for v in values if np.isfinite(v) and v > 0])
    return float(np.exp(np.log(values).mean())) if values.size else float("nan")
