"""Golden cases: CLI runs on sample_data whose numerical results are stored as JSON."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
DIABETES = str(SAMPLE / "diabetes.csv")
WIDE = str(SAMPLE / "sparse_wide.csv")

CASES: dict[str, list[str]] = {
    "fit_l1_diabetes": ["fit", DIABETES, "--penalty", "l1", "--alpha", "1"],
    "fit_enet_wide": [
        "fit",
        WIDE,
        "--penalty",
        "elasticnet",
        "--l1-ratio",
        "0.5",
        "--alpha",
        "0.3",
    ],
    "path_l1_diabetes": ["path", DIABETES],
    "cv_diabetes": ["cv", DIABETES, "--l1-ratio", "0.5,1", "--folds", "5"],
    "compare_diabetes": ["compare", DIABETES, "--folds", "5"],
}
#: Only results are kept: no timings, file names or iteration counts.
KEEP = {
    "fit": ["alpha", "intercept", "coefficients", "n_nonzero", "r2"],
    "path": ["alphas", "n_nonzero", "dev_ratio", "intercepts", "entry_order", "stop_reason"],
    "cv": ["alphas", "cv_mean", "cv_se", "alpha_min", "alpha_1se", "l1_ratio"],
    "compare": ["models", "verdict"],
}


def run(args: list[str]) -> dict[str, Any]:
    from regcli.cli.app import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*args, "--format", "json"])
    assert code == 0, code
    payload = json.loads(out.getvalue())
    kept = {k: payload[k] for k in KEEP[args[0]]}
    if args[0] == "compare":
        kept["models"] = [
            {k: m[k] for k in ("penalty", "alpha", "cv_mean", "coefficients")}
            for m in payload["models"]
        ]
        kept["verdict"] = {
            k: payload["verdict"][k] for k in ("best", "within_one_se", "sparsest_within_one_se")
        }
    return kept
