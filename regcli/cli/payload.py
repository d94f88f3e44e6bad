"""The JSON payload of every command: the stable contract that scripts and CI read.

Each ``*_payload`` function turns a core result and its dataset into plain dicts and lists of
JSON types (non-finite numbers become null).  CSV (``csvout``) and rich tables (``tables``) are
drawn from these payloads, never from the results directly.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from regcli.cli.text import num
from regcli.core.criteria import select_by

if TYPE_CHECKING:
    from regcli.core.fitting import FitResult
    from regcli.core.path import PathResult
    from regcli.core.usecases import CVFit
    from regcli.io.dataset import Dataset


#: A nonzero coefficient below this share of the largest (standardized) one counts as tiny.
TINY_SHARE = 1e-3


def number(x: float) -> float | None:
    """A float for JSON (NaN and infinities become null)."""
    x = float(x)
    return x if math.isfinite(x) else None


def sparsity(names: list[str], std_coef: np.ndarray, constant: np.ndarray) -> dict[str, Any]:
    """Which coefficients are zero, constant or tiny, and the norms (standardized scale)."""
    absval = np.abs(std_coef)
    largest = float(absval.max()) if absval.size else 0.0
    tiny = (absval > 0) & (absval < TINY_SHARE * largest)
    return {
        "n_nonzero": int(np.count_nonzero(std_coef)),
        "n_features": len(names),
        "zero_features": [n for n, c, k in zip(names, std_coef, constant) if c == 0 and not k],
        "constant_features": [n for n, k in zip(names, constant) if k],
        "tiny_threshold": TINY_SHARE,
        "n_tiny_nonzero": int(tiny.sum()),
        "tiny_nonzero_features": [n for n, t in zip(names, tiny) if t],
        "l1_norm": float(absval.sum()),
        "l2_norm": float(np.sqrt((absval**2).sum())),
    }


def fit_payload(
    res: FitResult,
    ds: Dataset,
    *,
    selection: dict[str, Any] | None = None,
    checks: list[dict[str, Any]] | None = None,
    controls: dict[str, Any] | None = None,
    family: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fit payload; ``selection`` says how alpha was chosen (None: given by --alpha),
    ``checks`` are the evaluated data checks, ``controls`` the penalty factors and limits
    (``penalties.controls_report``; null without them), ``family`` the binomial or Poisson
    measures (``common.family_measures``: deviance, dev_ratio, accuracy, auc, classes)."""
    names = ds.feature_names
    std = res.standardization
    timings = {"load_s": ds.load_s, "fit_s": res.fit_s}
    if selection is not None and "cv_s" in selection:
        timings["cv_s"] = selection["cv_s"]
    return {
        "command": "fit",
        "source": ds.source,
        "target": ds.target,
        "target_source": ds.target_reason,
        "engine": ds.engine,
        "penalty": res.penalty,
        "alpha": res.alpha,
        "l1_ratio": res.l1_ratio,
        "standardize": std.standardize,
        "fit_intercept": std.fit_intercept,
        "intercept": res.intercept,
        "coefficients": dict(zip(names, map(float, res.coef))),
        "standardized_coefficients": dict(zip(names, map(float, res.standardized_coef))),
        "n_samples": res.n_samples,
        "n_features": res.n_features,
        "n_nonzero": res.n_nonzero,
        "r2": res.r2,
        "family": res.family,
        **_family_keys(family),
        "converged": res.converged,
        "n_iter": res.n_iter,
        "max_kkt_violation": res.max_kkt_violation,
        "max_kkt_violation_relative": number(res.max_kkt_violation / res.alpha)
        if res.alpha > 0
        else None,
        "alpha_max": res.alpha_max,
        "sparsity": sparsity(names, res.standardized_coef, std.constant),
        "rows": {"read": ds.n_rows_read, "used": ds.n_samples, "dropped": ds.n_rows_dropped},
        "imputed": ds.imputed,
        "encoding": [e.to_dict() for e in ds.encodings if e.kind != "numeric"],
        "alpha_selection": selection or {"method": "--alpha"},
        "penalty_controls": controls,
        "relaxed": _relaxed_fit(res, names),
        "checks": checks or [],
        "timings": timings,
    }


def _family_keys(measures: dict[str, Any] | None) -> dict[str, Any]:
    """deviance, null_deviance, dev_ratio (and accuracy, auc, classes, positive_class for
    binomial) of a binomial or Poisson fit; nothing for gaussian."""
    if measures is None:
        return {}
    return {k: number(v) if isinstance(v, float) else v for k, v in measures.items()}


def _relaxed_fit(res: FitResult, names: list[str]) -> dict[str, Any] | None:
    """A relaxed fit's gamma, whether it was refit, and the penalized fit it blends."""
    if res.gamma is None:
        return None
    assert res.penalized_coef is not None
    return {
        "gamma": res.gamma,
        "refit": res.refit_ok,
        "penalized_intercept": res.penalized_intercept,
        "penalized_coefficients": dict(zip(names, map(float, res.penalized_coef))),
    }


def entry_order(names: list[str], entry_alpha: np.ndarray) -> list[str]:
    """Features by the alpha at which they first become nonzero (largest first); never last."""
    entered = [i for i in range(len(names)) if np.isfinite(entry_alpha[i])]
    entered.sort(key=lambda i: (-entry_alpha[i], i))
    return [names[i] for i in entered]


def path_payload(
    res: PathResult,
    ds: Dataset,
    *,
    controls: dict[str, Any] | None = None,
    criterion: str | None = None,
) -> dict[str, Any]:
    """The path payload; ``controls`` as for fit (its ``at_limit`` at the path's last point);
    ``criterion`` (aic, bic, ebic) adds the point it selects."""
    names = ds.feature_names
    entry = res.entry_alpha
    std = res.standardization
    criteria = res.criteria()
    selected = None
    if criterion is not None:
        i = select_by(criteria[criterion])
        selected = {
            "criterion": criterion,
            "index": i,
            "alpha": float(res.alphas[i]),
            "value": number(criteria[criterion][i]),
            "n_nonzero": int(res.n_nonzero[i]),
            "dev_ratio": float(res.dev_ratio[i]),
            "intercept": float(res.intercepts[i]),
            "coefficients": dict(zip(names, map(float, res.coefs[i]))),
        }
    return {
        "command": "path",
        "source": ds.source,
        "target": ds.target,
        "target_source": ds.target_reason,
        "engine": ds.engine,
        "family": res.family,
        "classes": ds.target_levels,
        "null_deviance": res.null_deviance,
        "penalty": _penalty_name(res.l1_ratio),
        "l1_ratio": res.l1_ratio,
        "standardize": std.standardize,
        "fit_intercept": std.fit_intercept,
        "n_samples": res.n_samples,
        "n_features": len(names),
        "alpha_max": res.alpha_max,
        "alphas": res.alphas.tolist(),
        "n_nonzero": res.n_nonzero.tolist(),
        "dev_ratio": res.dev_ratio.tolist(),
        "intercepts": res.intercepts.tolist(),
        "coefficients": {n: res.coefs[:, j].tolist() for j, n in enumerate(names)},
        "standardized_coefficients": {
            n: res.standardized_coefs[:, j].tolist() for j, n in enumerate(names)
        },
        "entry_alpha": {n: number(entry[j]) for j, n in enumerate(names)},
        "entry_order": entry_order(names, entry),
        "constant_features": [n for n, k in zip(names, std.constant) if k],
        "penalty_controls": controls,
        "aic": [number(v) for v in criteria["aic"]],
        "bic": [number(v) for v in criteria["bic"]],
        "ebic": [number(v) for v in criteria["ebic"]],
        "selected": selected,
        "gamma": res.gamma,
        "relaxed_refit": None if res.refit_ok is None else res.refit_ok.tolist(),
        "max_kkt_violation": res.max_kkt_violation.tolist(),
        "max_kkt_violation_relative": [number(v) for v in res.max_kkt_relative],
        "n_iter": res.n_iter.tolist(),
        "converged": bool(res.converged.all()),
        "stop_reason": res.stop_reason,
        "rows": {"read": ds.n_rows_read, "used": ds.n_samples, "dropped": ds.n_rows_dropped},
        "timings": {"load_s": ds.load_s, "fit_s": res.fit_s},
    }


def _penalty_name(l1_ratio: float) -> str:
    return "l1" if l1_ratio == 1.0 else ("l2" if l1_ratio == 0.0 else "elasticnet")


def _curve_dict(curve: Any) -> dict[str, Any]:
    return {
        "l1_ratio": curve.l1_ratio,
        "penalty": _penalty_name(curve.l1_ratio),
        "alphas": curve.alphas.tolist(),
        "cv_mean": [number(v) for v in curve.cv_mean],
        "cv_se": [number(v) for v in curve.cv_se],
        "n_nonzero": curve.n_nonzero.tolist(),
        "alpha_min": curve.alpha_min,
        "alpha_1se": curve.alpha_1se,
        "cv_min": number(curve.cv_mean[curve.index_min]),
        "cv_se_at_min": number(curve.cv_se[curve.index_min]),
        "cv_at_1se": number(curve.cv_mean[curve.index_1se]),
        "cv_r2": [number(v) for v in curve.cv_r2],
    }


def cv_payload(
    run: CVFit,
    ds: Dataset,
    *,
    seed: int,
    fold_col: str | None,
    group_col: str | None,
    fold_grid: str,
    checks: list[dict[str, Any]],
    controls: dict[str, Any] | None = None,
    family: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The cv payload: the curves of every l1 ratio, the selection and the refit model
    (``family``: its binomial or Poisson measures, as for fit)."""
    res, model, select = run.cv, run.model, run.select
    curve = res.curve
    out: dict[str, Any] = {
        "command": "cv",
        "source": ds.source,
        "target": ds.target,
        "target_source": ds.target_reason,
        "engine": ds.engine,
        "family": model.family,
        "classes": ds.target_levels,
    }
    out.update(_curve_dict(curve))
    out.update(
        {
            "select": select,
            "fold_grid": fold_grid,
            "metric": res.metric,
            "n_folds": res.n_folds,
            "repeats": res.n_repeats,
            "seed": None if fold_col else seed,
            "fold_col": fold_col,
            "group_col": group_col,
            "l1_ratios": [_curve_dict(c) for c in res.curves],
            "cv_r2_selected": number(run.cv_r2),
            "relaxed": _relaxed_cv(run),
            "model": fit_payload(model, ds, controls=controls, family=family),
            "checks": checks,
            "timings": {"load_s": ds.load_s, "cv_s": res.fit_s, "fit_s": res.fit_s + model.fit_s},
        }
    )
    return out


def _relaxed_cv(run: CVFit) -> dict[str, Any] | None:
    """The relaxed cross-validation: a curve per gamma and cv.glmnet's chosen pairs."""
    rel = run.cv.relaxed
    if rel is None:
        return None
    alphas = run.cv.curve.alphas
    (gm, am), (g1, a1) = rel.index_min, rel.index_1se
    return {
        "gammas": [float(g) for g in rel.gammas],
        "cv_mean": [[number(v) for v in row] for row in rel.cv_mean],
        "cv_se": [[number(v) for v in row] for row in rel.cv_se],
        "cv_r2": [[number(v) for v in row] for row in rel.cv_r2],
        "gamma_min": float(rel.gammas[gm]),
        "alpha_min": float(alphas[am]),
        "cv_min": number(rel.cv_mean[gm, am]),
        "gamma_1se": float(rel.gammas[g1]),
        "alpha_1se": float(alphas[a1]),
        "cv_at_1se": number(rel.cv_mean[g1, a1]),
        "selected": {"gamma": run.model.gamma, "alpha": run.model.alpha},
    }


def model_label(m: dict[str, Any]) -> str:
    """'l1', 'l2', 'ols', or 'enet 0.5' (the l1 ratio): short enough for a column header."""
    return m["penalty"] if m["penalty"] != "elasticnet" else f"enet {num(m['l1_ratio'], 3)}"


def compare_payload(
    res: Any,
    ds: Dataset,
    *,
    select: str,
    seed: int,
    fold_col: str | None,
    group_col: str | None,
    test_size: float | None,
    checks: list[dict[str, Any]],
    controls: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The compare payload: every model's cv and refit, collinearity and the verdict."""
    names = ds.feature_names
    col = res.collinearity
    models = []
    for m in res.models:
        models.append(
            {
                "penalty": m.name,
                "alpha": m.alpha,
                "l1_ratio": m.l1_ratio,
                "cv_mean": m.cv_mean,
                "cv_se": m.cv_se,
                "cv_r2": number(m.cv_r2),
                "cv_mean_min": number(m.cv_mean_min),
                "n_nonzero": m.n_nonzero,
                "n_features": len(names),
                "l1_norm": m.l1_norm,
                "l2_norm": m.l2_norm,
                "intercept": m.intercept,
                "coefficients": dict(zip(names, map(float, m.coef))),
                "standardized_coefficients": dict(zip(names, map(float, m.standardized_coef))),
                "selection_frequency": (
                    None
                    if m.selection_frequency is None
                    else dict(zip(names, map(float, m.selection_frequency)))
                ),
                "test_mse": m.test_mse,
                "test_r2": m.test_r2,
                "time_s": m.seconds,
            }
        )
    v = res.verdict
    groups = [
        {
            "members": [names[j] for j in g.members],
            "l1_kept": [names[j] for j in g.l1_kept],
            "l1_dropped": [names[j] for j in g.l1_dropped],
            "l2_coefficients": {
                names[j]: float(res.model("l2").standardized_coef[j]) for j in g.members
            },
        }
        for g in v.groups
    ]
    payload: dict[str, Any] = {
        "command": "compare",
        "source": ds.source,
        "target": ds.target,
        "target_source": ds.target_reason,
        "engine": ds.engine,
        "n_samples": int(res.models[0].fit.n_samples) if res.models[0].fit else ds.n_samples,
        "n_features": len(names),
        "family": res.models[0].fit.family if res.models[0].fit else "gaussian",
        "classes": ds.target_levels,
        "metric": res.metric,
        "select": select,
        "n_folds": res.n_folds,
        "repeats": res.n_repeats,
        "seed": None if fold_col else seed,
        "fold_col": fold_col,
        "group_col": group_col,
        "test_size": test_size,
        "models": models,
        "entry_order": entry_order(names, res.entry_alpha),
        "collinearity": {
            "condition_number": number(col.condition_number),
            "rank_deficient": not np.isfinite(col.condition_number),
            "correlation_threshold": 0.9,
            "groups": [[names[j] for j in g] for g in col.groups],
            "max_vif": col.max_vif,
            "max_vif_feature": None if col.max_vif_feature is None else names[col.max_vif_feature],
        },
        "verdict": {
            "best": v.best,
            "within_one_se": v.within_one_se,
            "sparsest_within_one_se": v.sparsest_within_one_se,
            "recommended": v.recommended,
            "compared_at": "alpha_min",
            "differences": {
                k: {"mean": number(d.mean), "se": number(d.se)} for k, d in v.differences.items()
            },
            "refit_at": f"alpha_{select}",
            "correlated_groups": groups,
        },
        "ols_absent_reason": res.ols_absent_reason,
        "penalty_controls": controls,
        "checks": checks,
        "timings": {"load_s": ds.load_s, "data_pass_s": res.data_pass_s, "fit_s": res.total_s},
    }
    payload["verdict"]["sentences"] = verdict_sentences(payload)
    return payload


def verdict_sentences(p: dict[str, Any]) -> list[str]:
    """The verdict in words, each sentence computed from the numbers in the payload."""
    models = {m["penalty"]: m for m in p["models"]}
    v = p["verdict"]
    best = models[v["best"]]
    diff = v["differences"]
    out = [
        f"Compared at each model's alpha_min on the same folds: best is {model_label(best)}, "
        f"CV {p['metric']} {num(best['cv_mean_min'], 5)}."
    ]

    def listed(keys: list[str]) -> str:
        return ", ".join(difference(k) for k in keys)

    def difference(key: str) -> str:
        mean, se = diff[key]["mean"], diff[key]["se"]
        if mean is None:  # a fold's error was infinite (its predictions overflowed)
            return f"{model_label(models[key])} (its CV error is not finite)"
        sign = "+" if mean >= 0 else ""
        return f"{model_label(models[key])} ({sign}{num(mean, 3)} +- {num(se, 3)})"

    others = [k for k in v["within_one_se"] if k != v["best"]]
    if others:
        out.append(
            "Within one standard error of it, by the paired per-fold difference: "
            + listed(others)
            + ": their difference from the best is noise."
        )
    else:
        out.append("No other model is within one standard error of it (paired per-fold).")
    behind = [k for k in models if k not in v["within_one_se"]]
    if behind:
        out.append("More than one standard error behind: " + listed(behind) + ".")
    rule = p["select"]
    out.append(
        f"The penalized models were refit at alpha_{rule} (--select {rule}); "
        + (
            "the largest alpha within one standard error of each model's minimum."
            if rule == "1se"
            else "each model's minimum."
        )
        + (" Least squares has no alpha." if "ols" in models else "")
    )
    sp = models[v["sparsest_within_one_se"]]
    out.append(
        f"Sparsest model within one standard error of the best: {model_label(sp)}, "
        f"{sp['n_nonzero']} of {sp['n_features']} coefficients nonzero."
    )
    l1, l2 = models.get("l1"), models.get("l2")
    if l1 and l2:
        zero = l1["n_features"] - l1["n_nonzero"]
        small = min((abs(x) for x in l2["standardized_coefficients"].values() if x != 0), default=0)
        out.append(
            f"L1 set {zero} of {l1['n_features']} coefficients exactly to zero; L2 kept "
            f"{l2['n_nonzero']} nonzero (smallest |standardized coefficient| {num(small, 3)})."
        )
    for g in v["correlated_groups"]:
        spread = ", ".join(f"{k} {num(val, 3)}" for k, val in g["l2_coefficients"].items())
        out.append(
            f"Correlated group {{{', '.join(g['members'])}}} (|r| > 0.9): L1 kept "
            f"{', '.join(g['l1_kept'])} and dropped {', '.join(g['l1_dropped'])}, while "
            f"L2 spread the weight over all {len(g['members'])} ({spread})."
        )
    if l1 and l1["selection_frequency"] is not None:
        kept = [k for k, c in l1["coefficients"].items() if c != 0]
        shaky = [
            (k, l1["selection_frequency"][k]) for k in kept if l1["selection_frequency"][k] < 0.8
        ]
        if kept and not shaky:
            out.append(
                "The L1 selection is stable: "
                + (
                    "its one feature was"
                    if len(kept) == 1
                    else f"each of its {len(kept)} features was"
                )
                + " chosen in at least 80% of the fold fits."
            )
        elif shaky:
            unstable = ", ".join(f"{k} ({100 * f:.0f}%)" for k, f in shaky[:8])
            out.append(
                f"The L1 selection is unstable for {len(shaky)} of its {len(kept)} "
                f"features, chosen in under 80% of the fold fits: {unstable}."
            )
    if p["ols_absent_reason"]:
        out.append(p["ols_absent_reason"][0].upper() + p["ols_absent_reason"][1:] + ".")
    return out
