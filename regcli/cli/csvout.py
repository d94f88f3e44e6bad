"""CSV renderings of the payloads: one table per command, numbers as round-trip text."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np

from regcli.cli.payload import model_label


class CsvWriter:
    """The writer of every CSV table regcli prints: ``csv.writer`` with "\n" line ends that
    also quotes a row whose text holds a "\r" (the csv module quotes only the line terminator's
    characters, and readers take a bare "\r" as the end of a line; a category level or column
    name may hold one)."""

    def __init__(self, out: Any):
        self._plain = csv.writer(out, lineterminator="\n")
        self._quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, row: list[Any]) -> None:
        bare_cr = any(isinstance(c, str) and "\r" in c for c in row)
        (self._quoted if bare_cr else self._plain).writerow(row)


def cell(x: Any) -> str:
    """A number for a CSV cell: the shortest round-trip text; empty when missing or not finite."""
    if x is None:
        return ""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    x = float(x)
    return repr(x) if math.isfinite(x) else ""


def fit_csv(payload: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = CsvWriter(buf)
    w.writerow(["feature", "coefficient", "standardized_coefficient"])
    w.writerow(["(intercept)", cell(payload["intercept"]), ""])
    std = payload["standardized_coefficients"]
    for name, value in payload["coefficients"].items():
        w.writerow([name, cell(value), cell(std[name])])
    return buf.getvalue()


def path_csv(p: dict[str, Any]) -> str:
    """One row per alpha: summary columns, then one coefficient column per feature."""
    buf = io.StringIO()
    w = CsvWriter(buf)
    names = list(p["coefficients"])
    w.writerow(
        ["index", "alpha", "n_nonzero", "dev_ratio", "intercept", "max_kkt_violation"] + names
    )
    for i, alpha in enumerate(p["alphas"]):
        w.writerow(
            [
                i + 1,
                cell(alpha),
                p["n_nonzero"][i],
                cell(p["dev_ratio"][i]),
                cell(p["intercepts"][i]),
                cell(p["max_kkt_violation"][i]),
            ]
            + [cell(p["coefficients"][n][i]) for n in names]
        )
    return buf.getvalue()


def cv_csv(p: dict[str, Any]) -> str:
    """The CV curve of every l1 ratio: one row per (l1_ratio, alpha)."""
    buf = io.StringIO()
    w = CsvWriter(buf)
    w.writerow(
        [
            "l1_ratio",
            "alpha",
            "cv_mean",
            "cv_se",
            "n_nonzero",
            "is_alpha_min",
            "is_alpha_1se",
            "chosen",
        ]
    )
    for c in p["l1_ratios"]:
        chosen_ratio = c["l1_ratio"] == p["l1_ratio"]
        for i, a in enumerate(c["alphas"]):
            is_min, is_1se = a == c["alpha_min"], a == c["alpha_1se"]
            chosen = chosen_ratio and (
                (p["select"] == "min" and is_min) or (p["select"] == "1se" and is_1se)
            )
            w.writerow(
                [
                    cell(c["l1_ratio"]),
                    cell(a),
                    cell(c["cv_mean"][i]),
                    cell(c["cv_se"][i]),
                    c["n_nonzero"][i],
                    int(is_min),
                    int(is_1se),
                    int(chosen),
                ]
            )
    return buf.getvalue()


def compare_csv(p: dict[str, Any]) -> str:
    """One row per feature (L1 entry order first): each model's coefficient and the selection
    frequencies."""
    buf = io.StringIO()
    w = CsvWriter(buf)
    labels = [model_label(m) for m in p["models"]]
    freq_models = [m for m in p["models"] if m["selection_frequency"] is not None]
    w.writerow(
        ["feature"] + labels + [f"selection_frequency_{model_label(m)}" for m in freq_models]
    )
    w.writerow(
        ["(intercept)"] + [cell(m["intercept"]) for m in p["models"]] + [""] * len(freq_models)
    )
    names = list(p["models"][0]["coefficients"])
    order = p["entry_order"] + [n for n in names if n not in p["entry_order"]]
    for name in order:
        w.writerow(
            [name]
            + [cell(m["coefficients"][name]) for m in p["models"]]
            + [cell(m["selection_frequency"][name]) for m in freq_models]
        )
    return buf.getvalue()


def predict_csv(p: dict[str, Any]) -> str:
    """The kept columns and a `prediction` column, one row per scored input row."""
    buf = io.StringIO()
    w = CsvWriter(buf)
    kept = p["kept"]
    w.writerow([*kept, "prediction"])
    for i, value in enumerate(p["predictions"]):
        w.writerow([kept[c][i] for c in kept] + [value if isinstance(value, str) else cell(value)])
    return buf.getvalue()


def assess_csv(p: dict[str, Any]) -> str:
    """One row per metric: metric,value."""
    buf = io.StringIO()
    w = CsvWriter(buf)
    w.writerow(["metric", "value"])
    for key, value in p["metrics"].items():
        w.writerow([key, cell(value)])
    return buf.getvalue()


def diff_csv(p: dict[str, Any]) -> str:
    """One row per feature of either model: the coefficients and their changes."""
    buf = io.StringIO()
    w = CsvWriter(buf)
    keys = ["old", "new", "change", "old_standardized", "new_standardized", "standardized_change"]
    w.writerow(["feature", "in", *keys])
    for row in p["features"]:
        w.writerow([row["feature"], row["in"], *[cell(row[k]) for k in keys]])
    return buf.getvalue()
