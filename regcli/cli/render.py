"""Result objects -> JSON payloads (the stable contract), CSV, and rich tables for terminals.

Every format is made from the same payload dict, so they cannot disagree.
"""

from __future__ import annotations

import csv
import io
import math
from typing import IO, TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from rich.console import Console

    from regcli.core.fitting import FitResult
    from regcli.core.path import PathResult
    from regcli.io.dataset import Dataset

#: A nonzero coefficient below this share of the largest (standardized) one counts as tiny.
TINY_SHARE = 1e-3
#: Rows of a coefficient table shown on a terminal before the rest is summarized.
TERMINAL_ROWS = 40


def _f(x: float) -> float | None:
    """A float for JSON (NaN and infinities become null)."""
    x = float(x)
    return x if math.isfinite(x) else None


def cell(x: Any) -> str:
    """A number for a CSV cell: the shortest round-trip text; empty when missing or not finite."""
    if x is None:
        return ""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    x = float(x)
    return repr(x) if math.isfinite(x) else ""


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 solve', '2 solves' (``many`` for irregular plurals)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def num(x: float | None, digits: int = 6) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}g}"


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


def fit_payload(res: FitResult, ds: Dataset) -> dict[str, Any]:
    names = ds.feature_names
    std = res.standardization
    return {
        "command": "fit",
        "source": ds.source,
        "target": ds.target,
        "target_source": ds.target_reason,
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
        "converged": res.converged,
        "n_iter": res.n_iter,
        "max_kkt_violation": res.max_kkt_violation,
        "max_kkt_violation_relative": _f(res.max_kkt_violation / res.alpha)
        if res.alpha > 0
        else None,
        "alpha_max": res.alpha_max,
        "sparsity": sparsity(names, res.standardized_coef, std.constant),
        "rows": {"read": ds.n_rows_read, "used": ds.n_samples, "dropped": ds.n_rows_dropped},
        "imputed": ds.imputed,
        "encoding": [e.to_dict() for e in ds.encodings if e.kind != "numeric"],
        "timings": {"load_s": ds.load_s, "fit_s": res.fit_s},
    }


def fit_csv(payload: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["feature", "coefficient", "standardized_coefficient"])
    w.writerow(["(intercept)", cell(payload["intercept"]), ""])
    std = payload["standardized_coefficients"]
    for name, value in payload["coefficients"].items():
        w.writerow([name, cell(value), cell(std[name])])
    return buf.getvalue()


def make_console(file: IO[str] | None = None, *, terminal: bool) -> Console:
    """A rich console; off a terminal it is wide enough never to cut a table."""
    from rich.console import Console

    if terminal:
        return Console(highlight=False)
    return Console(file=file, width=400, highlight=False, color_system=None, soft_wrap=True)


def render_text(draw: Any, *, terminal: bool) -> str | None:
    """Run ``draw(console)``: straight to the terminal, or captured as plain text."""
    if terminal:
        draw(make_console(terminal=True))
        return None
    buf = io.StringIO()
    draw(make_console(buf, terminal=False))
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def _kv_table(rows: list[tuple[str, str]], title: str | None = None):  # type: ignore[no-untyped-def]
    from rich.table import Table

    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    for k, v in rows:
        t.add_row(k, v)
    return t if title is None else _titled(title, t)


def _titled(title: str, table: Any) -> Any:
    """A bold title line above ``table`` (a table's own title wraps at the table's width)."""
    from rich.console import Group
    from rich.text import Text

    return Group(Text(title, style="bold"), table)


def _grid() -> Any:
    """A data table that fits 80 columns: a rule under the header, no vertical borders."""
    from rich import box
    from rich.table import Table

    return Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")


def _selection_rows(sel: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not sel or sel.get("method") != "cv":
        return []
    return [
        (
            "alpha chosen by",
            f"{sel['n_folds']}-fold CV, seed {sel['seed']}, alpha_{sel['select']} "
            f"(alpha_min {num(sel['alpha_min'])}; CV mse {num(sel['cv_mean'])}); "
            "regcli cv shows the curve",
        )
    ]


def _convergence_text(p: dict[str, Any]) -> str:
    rel = p.get("max_kkt_violation_relative")
    rel_s = f" = {num(rel, 2)} x alpha" if rel is not None else ""
    state = "yes" if p["converged"] else "[red]NO[/red]"
    solves = plural(p["n_iter"], "solve")
    return f"{state} (max KKT violation {num(p['max_kkt_violation'], 2)}{rel_s}; {solves})"


def draw_fit(console: Console, p: dict[str, Any]) -> None:

    rows = [
        ("file", p["source"]),
        ("target", f"{p['target']}  ({p['target_source']})"),
        (
            "rows",
            f"{p['rows']['used']} used of {p['rows']['read']}"
            + (
                f" ({p['rows']['dropped']} dropped for missing values)"
                if p["rows"]["dropped"]
                else ""
            ),
        ),
        ("features", str(p["n_features"])),
        (
            "penalty",
            f"{p['penalty']}   alpha {num(p['alpha'])}   l1_ratio {num(p['l1_ratio'])}"
            f"   (alpha_max {num(p['alpha_max'])})",
        ),
        *_selection_rows(p.get("alpha_selection")),
        (
            "standardized",
            "yes" if p["standardize"] else "no" + ("" if p["fit_intercept"] else "; no intercept"),
        ),
        ("training R²", num(p["r2"], 5)),
        ("converged", _convergence_text(p)),
        ("time", f"load {p['timings']['load_s']:.3f} s, fit {p['timings']['fit_s']:.4f} s"),
    ]
    if p["imputed"]:
        rows.insert(3, ("imputed", ", ".join(f"{k} ({v})" for k, v in p["imputed"].items())))
    console.print(_kv_table(rows, title=f"regcli fit: {p['penalty']}"))
    console.print()
    _draw_coefficients(console, p)
    console.print()
    _draw_sparsity(console, p["sparsity"], p["penalty"])


def _draw_coefficients(console: Console, p: dict[str, Any]) -> None:

    coef, std = p["coefficients"], p["standardized_coefficients"]
    order = sorted((n for n in coef if std[n] != 0), key=lambda n: -abs(std[n]))
    terminal = console.is_terminal
    shown = order[:TERMINAL_ROWS] if terminal else order
    title = "Coefficients (nonzero, by size of the standardized coefficient)"
    t = _grid()
    t.add_column("#", justify="right")
    t.add_column("feature")
    t.add_column("coefficient", justify="right")
    t.add_column("standardized", justify="right")
    t.add_row("", "(intercept)", num(p["intercept"]), "")
    for rank, name in enumerate(shown, 1):
        t.add_row(str(rank), name, num(coef[name]), num(std[name]))
    console.print(_titled(title, t))
    if len(order) > len(shown):
        console.print(f"... {len(order) - len(shown)} more nonzero; --format csv lists all")


def _names(names: list[str], limit: int = 25) -> str:
    if not names:
        return "none"
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _draw_sparsity(console: Console, s: dict[str, Any], penalty: str) -> None:
    k, p = s["n_nonzero"], s["n_features"]
    zero = s["zero_features"]
    rows = [
        ("nonzero", f"{k} of {p}"),
        ("exactly zero", f"{len(zero)}: {_names(zero)}" if zero else "none"),
        ("constant", _names(s["constant_features"])),
        (
            f"tiny (< {s['tiny_threshold']:g} x largest)",
            f"{s['n_tiny_nonzero']}"
            + (f": {_names(s['tiny_nonzero_features'], 10)}" if s["n_tiny_nonzero"] else ""),
        ),
        ("L1 norm (standardized)", num(s["l1_norm"])),
        ("L2 norm (standardized)", num(s["l2_norm"])),
    ]
    if penalty == "l2":
        rows.append(("note", "ridge shrinks but never zeroes: small coefficients stay nonzero"))
    elif zero:
        rows.append(("note", f"the L1 part set {plural(len(zero), 'coefficient')} exactly to zero"))
    console.print(_kv_table(rows, title="Sparsity"))


def entry_order(names: list[str], entry_alpha: np.ndarray) -> list[str]:
    """Features by the alpha at which they first become nonzero (largest first); never last."""
    entered = [i for i in range(len(names)) if np.isfinite(entry_alpha[i])]
    entered.sort(key=lambda i: (-entry_alpha[i], i))
    return [names[i] for i in entered]


def path_payload(res: PathResult, ds: Dataset) -> dict[str, Any]:
    names = ds.feature_names
    entry = res.entry_alpha
    std = res.standardization
    return {
        "command": "path",
        "source": ds.source,
        "target": ds.target,
        "target_source": ds.target_reason,
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
        "entry_alpha": {n: _f(entry[j]) for j, n in enumerate(names)},
        "entry_order": entry_order(names, entry),
        "constant_features": [n for n, k in zip(names, std.constant) if k],
        "max_kkt_violation": res.max_kkt_violation.tolist(),
        "max_kkt_violation_relative": [_f(v) for v in res.max_kkt_relative],
        "n_iter": res.n_iter.tolist(),
        "converged": bool(res.converged.all()),
        "stop_reason": res.stop_reason,
        "rows": {"read": ds.n_rows_read, "used": ds.n_samples, "dropped": ds.n_rows_dropped},
        "timings": {"load_s": ds.load_s, "fit_s": res.fit_s},
    }


def _penalty_name(l1_ratio: float) -> str:
    return "l1" if l1_ratio == 1.0 else ("l2" if l1_ratio == 0.0 else "elasticnet")


def path_csv(p: dict[str, Any]) -> str:
    """One row per alpha: summary columns, then one coefficient column per feature."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
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


def thin_rows(coefs: np.ndarray, target_rows: int = 20) -> list[int]:
    """About ``target_rows`` evenly spaced indices plus every index where the support changes."""
    k = coefs.shape[0]
    if k == 0:
        return []
    keep = set(np.linspace(0, k - 1, min(k, target_rows)).round().astype(int).tolist())
    support = coefs != 0
    for i in range(1, k):
        if not np.array_equal(support[i], support[i - 1]):
            keep.add(i)
    return sorted(keep)


def draw_path(console: Console, p: dict[str, Any], *, thin: bool) -> None:

    names = list(p["coefficients"])
    coefs = np.array([p["coefficients"][n] for n in names]).T.reshape(len(p["alphas"]), len(names))
    rel = [v for v in p["max_kkt_violation_relative"] if v is not None]
    rows = [
        ("file", p["source"]),
        ("target", f"{p['target']}  ({p['target_source']})"),
        ("rows, features", f"{p['n_samples']}, {p['n_features']}"),
        (
            "penalty",
            f"{p['penalty']}   l1_ratio {num(p['l1_ratio'])}   alpha_max {num(p['alpha_max'])}",
        ),
        ("points", f"{len(p['alphas'])} (stop: {p['stop_reason']})"),
        (
            "converged",
            ("yes" if p["converged"] else "[red]NO[/red]")
            + (f" (max KKT violation {num(max(rel), 2)} x alpha)" if rel else ""),
        ),
        ("time", f"load {p['timings']['load_s']:.3f} s, path {p['timings']['fit_s']:.4f} s"),
    ]
    console.print(_kv_table(rows, title=f"regcli path: {p['penalty']}"))
    console.print()
    shown = thin_rows(coefs) if thin else list(range(len(p["alphas"])))
    title = "Path" + (
        " (thinned: about 20 rows plus every change of the nonzero set; --format csv gives all)"
        if thin and len(shown) < len(p["alphas"])
        else ""
    )
    t = _grid()
    for col in ("#", "alpha", "nonzero", "%dev", "entered / left"):
        t.add_column(col, justify="right" if col != "entered / left" else "left")
    prev = np.zeros(len(names), dtype=bool)
    support = coefs != 0
    for i in range(len(p["alphas"])):
        now = support[i]
        entered = [names[j] for j in np.flatnonzero(now & ~prev)]
        left = [names[j] for j in np.flatnonzero(prev & ~now)]
        prev = now
        if i not in shown:
            continue
        change = " ".join(
            [f"+{n}" for n in entered[:6]]
            + (["..."] if len(entered) > 6 else [])
            + [f"-{n}" for n in left[:4]]
            + (["..."] if len(left) > 4 else [])
        )
        t.add_row(
            str(i + 1),
            num(p["alphas"][i], 5),
            str(p["n_nonzero"][i]),
            f"{100 * p['dev_ratio'][i]:.2f}",
            change,
        )
    console.print(_titled(title, t))
    console.print()
    order = p["entry_order"]
    title = "Entry order (largest alpha at which each feature becomes nonzero)"
    t = _grid()
    for col in ("#", "feature", "entry alpha", "coefficient at smallest alpha"):
        t.add_column(col, justify="left" if col == "feature" else "right")
    limit = TERMINAL_ROWS if console.is_terminal else len(order)
    for rank, name in enumerate(order[:limit], 1):
        t.add_row(str(rank), name, num(p["entry_alpha"][name], 5), num(p["coefficients"][name][-1]))
    console.print(_titled(title, t))
    if len(order) > limit:
        console.print(f"... {len(order) - limit} more entered; --format csv or json lists all")
    never = [n for n in names if p["entry_alpha"][n] is None]
    if never:
        console.print(f"never nonzero on this path ({len(never)}): {_names(never)}")


def _curve_dict(curve: Any) -> dict[str, Any]:
    return {
        "l1_ratio": curve.l1_ratio,
        "penalty": _penalty_name(curve.l1_ratio),
        "alphas": curve.alphas.tolist(),
        "cv_mean": [_f(v) for v in curve.cv_mean],
        "cv_se": [_f(v) for v in curve.cv_se],
        "n_nonzero": curve.n_nonzero.tolist(),
        "alpha_min": curve.alpha_min,
        "alpha_1se": curve.alpha_1se,
        "cv_min": _f(curve.cv_mean[curve.index_min]),
        "cv_se_at_min": _f(curve.cv_se[curve.index_min]),
        "cv_at_1se": _f(curve.cv_mean[curve.index_1se]),
        "cv_r2": [_f(v) for v in curve.cv_r2],
    }


def cv_payload(
    res: Any,
    model: FitResult,
    ds: Dataset,
    *,
    select: str,
    seed: int,
    fold_col: str | None,
    group_col: str | None,
    fold_grid: str = "common",
) -> dict[str, Any]:
    curve = res.curve
    out: dict[str, Any] = {
        "command": "cv",
        "source": ds.source,
        "target": ds.target,
        "target_source": ds.target_reason,
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
            "model": fit_payload(model, ds),
            "checks": [],
            "timings": {"load_s": ds.load_s, "cv_s": res.fit_s, "fit_s": res.fit_s + model.fit_s},
        }
    )
    return out


def cv_csv(p: dict[str, Any]) -> str:
    """The CV curve of every l1 ratio: one row per (l1_ratio, alpha)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
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


def draw_cv(console: Console, p: dict[str, Any], *, thin: bool) -> None:

    folds = (
        f"from column {p['fold_col']!r}"
        if p["fold_col"]
        else f"seed {p['seed']}"
        + (f", {p['repeats']} repeats" if p["repeats"] > 1 else "")
        + (f", groups from {p['group_col']!r}" if p["group_col"] else "")
    )
    rows = [
        ("file", p["source"]),
        ("target", f"{p['target']}  ({p['target_source']})"),
        ("rows, features", f"{p['model']['n_samples']}, {p['model']['n_features']}"),
        ("folds", f"{p['n_folds']} ({folds})"),
        ("metric", p["metric"]),
        (
            "chosen",
            f"{p['penalty']}  l1_ratio {num(p['l1_ratio'])}  alpha_{p['select']} "
            f"{num(p['alpha_min'] if p['select'] == 'min' else p['alpha_1se'])}",
        ),
        (
            "alpha_min",
            f"{num(p['alpha_min'])}  (cv {num(p['cv_min'])} +- {num(p['cv_se_at_min'], 3)})",
        ),
        ("alpha_1se", f"{num(p['alpha_1se'])}  (cv {num(p['cv_at_1se'])})"),
        ("time", f"load {p['timings']['load_s']:.3f} s, cv {p['timings']['cv_s']:.3f} s"),
    ]
    console.print(_kv_table(rows, title="regcli cv"))
    console.print()
    if len(p["l1_ratios"]) > 1:
        title = "Per l1 ratio (same folds)"
        t = _grid()
        for col in (
            "l1_ratio",
            "alpha_min",
            "cv at min",
            "se",
            "nonzero at min",
            "alpha_1se",
            "nonzero at 1se",
            "",
        ):
            t.add_column(col, justify="right")
        for c in p["l1_ratios"]:
            i_min, i_1se = c["alphas"].index(c["alpha_min"]), c["alphas"].index(c["alpha_1se"])
            t.add_row(
                num(c["l1_ratio"]),
                num(c["alpha_min"]),
                num(c["cv_min"]),
                num(c["cv_se_at_min"], 3),
                str(c["n_nonzero"][i_min]),
                num(c["alpha_1se"]),
                str(c["n_nonzero"][i_1se]),
                "best" if c["l1_ratio"] == p["l1_ratio"] else "",
            )
        console.print(_titled(title, t))
        console.print()
    alphas = p["alphas"]
    marks = {alphas.index(p["alpha_min"]): "min", alphas.index(p["alpha_1se"]): "1se"}
    if p["alpha_min"] == p["alpha_1se"]:
        marks = {alphas.index(p["alpha_min"]): "min, 1se"}
    even = set(np.linspace(0, len(alphas) - 1, min(len(alphas), 20)).round().astype(int).tolist())
    shown = sorted(even | set(marks)) if thin else list(range(len(alphas)))
    title = f"CV curve, l1_ratio {num(p['l1_ratio'])}" + (
        " (thinned; --format csv gives all)" if thin and len(shown) < len(alphas) else ""
    )
    t = _grid()
    for col in ("#", "alpha", f"cv {p['metric']}", "+- se", "nonzero", ""):
        t.add_column(col, justify="right")
    for i in shown:
        t.add_row(
            str(i + 1),
            num(alphas[i], 5),
            num(p["cv_mean"][i]),
            num(p["cv_se"][i], 3),
            str(p["n_nonzero"][i]),
            marks.get(i, ""),
        )
    console.print(_titled(title, t))
    console.print()
    console.print(
        f"[bold]Refit on all rows[/bold] at alpha_{p['select']} = "
        f"{num(p['model']['alpha'])}: training R² {num(p['model']['r2'], 5)}, "
        f"converged: {_convergence_text(p['model'])}"
    )
    console.print()
    _draw_coefficients(console, p["model"])
    console.print()
    _draw_sparsity(console, p["model"]["sparsity"], p["model"]["penalty"])


def _model_label(m: dict[str, Any]) -> str:
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
) -> dict[str, Any]:
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
                "cv_r2": _f(m.cv_r2),
                "cv_mean_min": _f(m.cv_mean_min),
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
        "n_samples": int(res.models[0].fit.n_samples) if res.models[0].fit else ds.n_samples,
        "n_features": len(names),
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
            "condition_number": _f(col.condition_number),
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
                k: {"mean": _f(d.mean), "se": _f(d.se)} for k, d in v.differences.items()
            },
            "refit_at": f"alpha_{select}",
            "correlated_groups": groups,
        },
        "ols_absent_reason": res.ols_absent_reason,
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
        f"Compared at each model's alpha_min on the same folds: best is {_model_label(best)}, "
        f"CV {p['metric']} {num(best['cv_mean_min'], 5)}."
    ]

    def listed(keys: list[str]) -> str:
        return ", ".join(
            f"{_model_label(models[k])} ({'+' if diff[k]['mean'] >= 0 else ''}"
            f"{num(diff[k]['mean'], 3)} +- {num(diff[k]['se'], 3)})"
            for k in keys
        )

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
        f"Sparsest model within one standard error of the best: {_model_label(sp)}, "
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


def compare_csv(p: dict[str, Any]) -> str:
    """One row per feature (L1 entry order first): each model's coefficient and the selection
    frequencies."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    labels = [_model_label(m) for m in p["models"]]
    freq_models = [m for m in p["models"] if m["selection_frequency"] is not None]
    w.writerow(
        ["feature"] + labels + [f"selection_frequency_{_model_label(m)}" for m in freq_models]
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


def draw_compare(console: Console, p: dict[str, Any]) -> None:

    folds = f"from column {p['fold_col']!r}" if p["fold_col"] else f"seed {p['seed']}"
    rows = [
        ("file", p["source"]),
        ("target", f"{p['target']}  ({p['target_source']})"),
        (
            "rows, features",
            f"{p['n_samples']}{' (training)' if p['test_size'] else ''}, {p['n_features']}",
        ),
        ("folds", f"{p['n_folds']} ({folds}), alpha_{p['select']} for every model"),
        ("time", f"load {p['timings']['load_s']:.3f} s, compare {p['timings']['fit_s']:.3f} s"),
    ]
    console.print(_kv_table(rows, title="regcli compare"))
    console.print()
    has_test = any(m["test_mse"] is not None for m in p["models"])
    title = "Models (tuned by CV on the same folds)"
    t = _grid()
    wide = console.width >= 100
    cols = ["model", "alpha", f"CV {p['metric']}", "se", "CV R²"]
    cols += ["test mse", "test R²"] if has_test else []
    cols += ["nonzero", "L1 norm", "L2 norm"] + (["time s"] if wide else [])
    for c in cols:
        t.add_column(c, justify="left" if c == "model" else "right", no_wrap=True)
    for m in p["models"]:
        row = [
            _model_label(m),
            num(m["alpha"], 4),
            num(m["cv_mean"], 5),
            num(m["cv_se"], 3),
            num(m["cv_r2"], 3),
        ]
        if has_test:
            row += [num(m["test_mse"], 5), num(m["test_r2"], 3)]
        row += [
            f"{m['n_nonzero']}/{m['n_features']}",
            num(m["l1_norm"], 4),
            num(m["l2_norm"], 4),
        ] + ([f"{m['time_s']:.3f}"] if wide else [])
        t.add_row(*row)
    console.print(_titled(title, t))
    console.print()
    names = list(p["models"][0]["coefficients"])
    order = p["entry_order"] + [n for n in names if n not in p["entry_order"]]
    limit = TERMINAL_ROWS if console.is_terminal else len(order)
    title = (
        "Standardized coefficients (blank = exactly zero; sel = share of fold fits that kept it)"
    )
    t = _grid()
    t.add_column("feature")
    for m in p["models"]:
        t.add_column(_model_label(m), justify="right", no_wrap=True)
    freq_models = [m for m in p["models"] if m["selection_frequency"] is not None]
    for m in freq_models:
        t.add_column(f"sel {_model_label(m)}", justify="right", no_wrap=True)
    for name in order[:limit]:
        t.add_row(
            name,
            *[
                num(m["standardized_coefficients"][name], 4) if m["coefficients"][name] != 0 else ""
                for m in p["models"]
            ],
            *[f"{100 * m['selection_frequency'][name]:.0f}%" for m in freq_models],
        )
    console.print(_titled(title, t))
    if len(order) > limit:
        console.print(f"... {len(order) - limit} more features; --format csv lists all")
    console.print()
    c = p["collinearity"]
    crows = [
        (
            "condition number",
            "infinite (rank deficient)" if c["rank_deficient"] else num(c["condition_number"], 4),
        ),
        (
            "|r| > 0.9 groups",
            "; ".join("{" + ", ".join(g) + "}" for g in c["groups"][:10]) or "none",
        ),
    ]
    if c["max_vif"] is not None:
        crows.append(("largest VIF", f"{num(c['max_vif'], 4)} ({c['max_vif_feature']})"))
    console.print(_kv_table(crows, title="Collinearity of the standardized X"))
    console.print()
    console.print("[bold]Verdict[/bold]")
    for sentence in p["verdict"]["sentences"]:
        console.print(f"- {sentence}")


def predict_csv(p: dict[str, Any]) -> str:
    """The kept columns and a `prediction` column, one row per scored input row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    kept = p["kept"]
    w.writerow([*kept, "prediction"])
    for i, value in enumerate(p["predictions"]):
        w.writerow([kept[c][i] for c in kept] + [cell(value)])
    return buf.getvalue()


def draw_predict(console: Console, p: dict[str, Any]) -> None:
    from rich.table import Table

    n = p["n_predictions"]
    dropped = f", {p['rows_dropped']} dropped for missing values" if p["rows_dropped"] else ""
    console.print(f"[bold]regcli predict[/bold]: {p['model']} on {p['source']}")
    console.print(f"{plural(n, 'prediction')} of {p['target']}{dropped}")
    t = Table(box=None, pad_edge=False)
    for col in p["kept"]:
        t.add_column(col)
    t.add_column("prediction", justify="right")
    for i, value in enumerate(p["predictions"][:TERMINAL_ROWS]):
        t.add_row(*[p["kept"][c][i] for c in p["kept"]], num(value))
    console.print(t)
    if n > TERMINAL_ROWS:
        console.print(f"... {n - TERMINAL_ROWS} more rows: --format csv writes them all")


def assess_csv(p: dict[str, Any]) -> str:
    """One row per metric: metric,value."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric", "value"])
    for key, value in p["metrics"].items():
        w.writerow([key, cell(value)])
    return buf.getvalue()


def draw_assess(console: Console, p: dict[str, Any]) -> None:
    m = p["metrics"]
    rows = [
        ("model", p["model"]),
        ("data", p["source"]),
        ("target", p["target"]),
        ("rows", f"{p['rows']['used']} assessed of {p['rows']['read']}"),
        ("R²", num(m["r2"], 5)),
        ("MSE", num(m["mse"])),
        ("MAE", num(m["mae"])),
    ]
    console.print(_kv_table(rows, title="regcli assess"))
    _draw_checks(console, p["checks"])


def _draw_checks(console: Console, checks: list[dict[str, Any]]) -> None:
    if not checks:
        return
    console.print()
    t = _grid()
    for col in ("check", "observed", "required", "result"):
        t.add_column(col)
    for c in checks:
        result = "pass" if c["passed"] else ("warn" if c["severity"] == "warn" else "FAIL")
        observed = c["observed"]
        t.add_row(
            c["name"],
            num(observed) if isinstance(observed, float) else str(observed),
            c["required"],
            result,
        )
    console.print(_titled("Checks", t))


def diff_csv(p: dict[str, Any]) -> str:
    """One row per feature of either model: the coefficients and their changes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    keys = ["old", "new", "change", "old_standardized", "new_standardized", "standardized_change"]
    w.writerow(["feature", "in", *keys])
    for row in p["features"]:
        w.writerow([row["feature"], row["in"], *[cell(row[k]) for k in keys]])
    return buf.getvalue()


def draw_diff(console: Console, p: dict[str, Any]) -> None:
    a = p["alpha"]
    rows = [
        ("old", p["old"]),
        ("new", p["new"]),
        ("alpha", f"{num(a['old'])} -> {num(a['new'])}"),
        ("support added", _names(p["support_added"]) if p["support_added"] else "none"),
        ("support removed", _names(p["support_removed"]) if p["support_removed"] else "none"),
        ("sign flips", _names(p["sign_flips"]) if p["sign_flips"] else "none"),
        (
            "largest change",
            f"{num(p['max_coef_change'], 4)} (standardized, {p['max_coef_change_feature']})",
        ),
    ]
    console.print(_kv_table(rows, title="regcli diff"))
    console.print()
    order = sorted(p["features"], key=lambda r: -abs(r["standardized_change"]))
    limit = TERMINAL_ROWS if console.is_terminal else len(order)
    t = _grid()
    for col in ("feature", "old", "new", "change", "std change", ""):
        t.add_column(col, justify="left" if col in ("feature", "") else "right")
    marks = {f: "added" for f in p["support_added"]}
    marks.update({f: "removed" for f in p["support_removed"]})
    marks.update({f: "sign flip" for f in p["sign_flips"]})
    for r in order[:limit]:
        t.add_row(
            r["feature"],
            num(r["old"], 5),
            num(r["new"], 5),
            num(r["change"], 4),
            num(r["standardized_change"], 4),
            marks.get(r["feature"], "" if r["in"] == "both" else f"only in {r['in']}"),
        )
    console.print(_titled("Coefficients, largest standardized change first", t))
    if len(order) > limit:
        console.print(f"... {len(order) - limit} more features; --format csv lists all")
    _draw_checks(console, p["checks"])
