"""Rebuild the files in sample_data/ (run from the repository root).

    python sample_data/make_sample_data.py

- diabetes.csv / diabetes.parquet: the raw (unscaled) diabetes data of Efron, Hastie, Johnstone
  and Tibshirani (2004), read from the copy inside scikit-learn's package data (only this
  script needs scikit-learn installed).
- sparse_wide.csv / sparse_wide.parquet / sparse_wide_truth.csv: a generated p > n problem
  with a known sparse truth (seeded; the same files on every run).
- breast_cancer.csv: the Wisconsin diagnostic breast cancer data (569 x 30, a two-class
  target written as text), from the copy inside scikit-learn's package data.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DIABETES_COLUMNS = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def diabetes() -> pd.DataFrame:
    import sklearn.datasets

    data_dir = Path(sklearn.datasets.__file__).parent / "data"
    with gzip.open(data_dir / "diabetes_data_raw.csv.gz") as fh:
        X = np.loadtxt(fh)
    with gzip.open(data_dir / "diabetes_target.csv.gz") as fh:
        y = np.loadtxt(fh)
    df = pd.DataFrame(X, columns=DIABETES_COLUMNS)
    for col in ("age", "sex", "bp", "s1", "s3", "s6"):
        if np.all(df[col] == np.round(df[col])):
            df[col] = df[col].astype(np.int64)
    df["y"] = y.astype(np.int64)
    return df


BREAST_CANCER_MEASURES = [
    "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
    "concave_points", "symmetry", "fractal_dimension",
]  # fmt: skip


def breast_cancer() -> pd.DataFrame:
    """The 30 features named mean_*, se_*, worst_* and the diagnosis as text."""
    import sklearn.datasets

    path = Path(sklearn.datasets.__file__).parent / "data" / "breast_cancer.csv"
    raw = np.loadtxt(path, delimiter=",", skiprows=1)
    names = [f"{kind}_{m}" for kind in ("mean", "se", "worst") for m in BREAST_CANCER_MEASURES]
    df = pd.DataFrame(raw[:, :30], columns=names)
    # the file codes 0 = malignant, 1 = benign (its header lists the class names in that order)
    df["diagnosis"] = np.where(raw[:, 30] == 0, "malignant", "benign")
    return df


def sparse_wide(n: int = 80, p: int = 400, k: int = 8, snr: float = 4.0, seed: int = 2004):
    """n rows, p Gaussian features with pairwise correlation 0.3, k nonzero true coefficients."""
    rng = np.random.default_rng(seed)
    rho = 0.3
    X = np.sqrt(1 - rho) * rng.standard_normal((n, p)) + np.sqrt(rho) * rng.standard_normal((n, 1))
    beta = np.zeros(p)
    support = np.sort(rng.choice(p, size=k, replace=False))
    beta[support] = rng.choice([-1.0, 1.0], size=k) * rng.uniform(1.0, 3.0, size=k)
    signal = X @ beta
    noise_sd = np.sqrt(signal.var() / snr)
    y = 10.0 + signal + noise_sd * rng.standard_normal(n)
    names = [f"x{j + 1:03d}" for j in range(p)]
    df = pd.DataFrame(np.round(X, 6), columns=names)
    df["y"] = np.round(y, 6)
    truth = pd.DataFrame({"feature": names, "coefficient": beta})
    return df, truth


def main() -> None:
    df = diabetes()
    df.to_csv(HERE / "diabetes.csv", index=False)
    df.to_parquet(HERE / "diabetes.parquet", index=False)
    wide, truth = sparse_wide()
    wide.to_csv(HERE / "sparse_wide.csv", index=False)
    wide.to_parquet(HERE / "sparse_wide.parquet", index=False)
    truth.to_csv(HERE / "sparse_wide_truth.csv", index=False)
    breast_cancer().to_csv(HERE / "breast_cancer.csv", index=False)


if __name__ == "__main__":
    main()
