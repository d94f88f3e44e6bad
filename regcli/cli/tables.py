"""Rich tables of the payloads for people at a terminal (80 columns), and the console."""

from __future__ import annotations

import io
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from regcli.cli.payload import model_label
from regcli.cli.text import num, plural

if TYPE_CHECKING:
    from rich.console import Console


#: Rows of a coefficient table shown on a terminal before the rest is summarized.
TERMINAL_ROWS = 40


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


def _fit_label(p: dict[str, Any]) -> str:
    """What a fit's ``r2`` is: training R², or the deviance explained of other families."""
    return "training R²" if p.get("family", "gaussian") == "gaussian" else "deviance explained"


def _family_rows(p: dict[str, Any]) -> list[tuple[str, str]]:
    """Training fit of the model: R² for gaussian; deviance (and accuracy, AUC) otherwise."""
    family = p.get("family", "gaussian")
    if family == "gaussian":
        return [("training R²", num(p["r2"], 5))]
    rows = [
        (
            "family",
            family + (f"   positive class {p['positive_class']!r}" if family == "binomial" else ""),
        ),
        (
            "training deviance",
            f"{num(p['deviance'], 5)} (null {num(p['null_deviance'], 5)}; "
            f"{num(100 * p['dev_ratio'], 4)}% explained)",
        ),
    ]
    if family == "binomial":
        rows.append(("training accuracy", f"{num(p['accuracy'], 4)}   AUC {num(p['auc'], 4)}"))
    return rows


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
        *_relaxed_rows(p.get("relaxed")),
        *_family_rows(p),
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
    _draw_controls(console, p.get("penalty_controls"))


def _relaxed_cv_rows(r: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not r:
        return []
    gammas = ", ".join(num(g) for g in r["gammas"])
    return [
        ("relaxed gammas", gammas),
        (
            "relaxed min",
            f"gamma {num(r['gamma_min'])}, alpha {num(r['alpha_min'])}  (cv {num(r['cv_min'])})",
        ),
        (
            "relaxed 1se",
            f"gamma {num(r['gamma_1se'])}, alpha {num(r['alpha_1se'])}  (cv {num(r['cv_at_1se'])})",
        ),
        ("refit at", f"gamma {num(r['selected']['gamma'])}, alpha {num(r['selected']['alpha'])}"),
    ]


def _relaxed_rows(r: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not r:
        return []
    g = r["gamma"]
    if not r["refit"]:
        return [("relaxed", f"gamma {num(g)}: support too large to refit; penalized fit shown")]
    return [
        (
            "relaxed",
            f"gamma {num(g)}: {num(g)} x penalized + {num(1 - g)} x least-squares refit "
            "on its support",
        )
    ]


def control_rows(c: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Rows saying which features are unpenalized, reweighted or bounded (grouped by value),
    and which coefficients sit at a limit."""
    if not c:
        return []
    rows = []
    if c["unpenalized"]:
        rows.append(("unpenalized", _names(c["unpenalized"])))
    for label, values in (
        ("penalty factor", c["penalty_factors"]),
        ("lower limit", c["lower"]),
        ("upper limit", c["upper"]),
    ):
        groups: dict[float, list[str]] = {}
        for name, value in values.items():
            groups.setdefault(value, []).append(name)
        for value, names in sorted(groups.items(), key=lambda kv: len(kv[1])):
            rows.append((f"{label} {num(value, 3)}", _names(names, limit=8)))
    rows.append(("at a limit", _names(c["at_limit"]) if c["at_limit"] else "none"))
    return rows


def _draw_controls(console: Console, c: dict[str, Any] | None) -> None:
    rows = control_rows(c)
    if rows:
        console.print()
        console.print(_kv_table(rows, title="Penalty factors and limits"))


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
    sel = p.get("selected")
    if sel:
        console.print(
            f"selected by {sel['criterion'].upper()}: alpha {num(sel['alpha'])} "
            f"(point {sel['index']}), {sel['n_nonzero']} nonzero, "
            f"{100 * sel['dev_ratio']:.2f}% deviance explained"
        )
    _draw_controls(console, p.get("penalty_controls"))


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
        *_relaxed_cv_rows(p.get("relaxed")),
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
        f"{num(p['model']['alpha'])}: {_fit_label(p['model'])} {num(p['model']['r2'], 5)}, "
        f"converged: {_convergence_text(p['model'])}"
    )
    console.print()
    _draw_coefficients(console, p["model"])
    console.print()
    _draw_sparsity(console, p["model"]["sparsity"], p["model"]["penalty"])
    _draw_controls(console, p["model"].get("penalty_controls"))


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
    gaussian = p.get("family", "gaussian") == "gaussian"
    cols = ["model", "alpha", f"CV {p['metric']}", "se", "CV R²" if gaussian else "CV dev. expl."]
    cols += (["test mse", "test R²"] if gaussian else ["test dev.", "test dev. expl."]) * has_test
    cols += ["nonzero", "L1 norm", "L2 norm"] + (["time s"] if wide else [])
    for c in cols:
        t.add_column(c, justify="left" if c == "model" else "right", no_wrap=True)
    for m in p["models"]:
        row = [
            model_label(m),
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
        t.add_column(model_label(m), justify="right", no_wrap=True)
    freq_models = [m for m in p["models"] if m["selection_frequency"] is not None]
    for m in freq_models:
        t.add_column(f"sel {model_label(m)}", justify="right", no_wrap=True)
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
    _draw_controls(console, p.get("penalty_controls"))
    console.print()
    console.print("[bold]Verdict[/bold]")
    for sentence in p["verdict"]["sentences"]:
        console.print(f"- {sentence}")


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
        t.add_row(
            *[p["kept"][c][i] for c in p["kept"]], value if isinstance(value, str) else num(value)
        )
    console.print(t)
    if n > TERMINAL_ROWS:
        console.print(f"... {n - TERMINAL_ROWS} more rows: --format csv writes them all")


def draw_assess(console: Console, p: dict[str, Any]) -> None:
    m = p["metrics"]
    rows = [
        ("model", p["model"]),
        ("data", p["source"]),
        ("target", p["target"]),
        ("rows", f"{p['rows']['used']} assessed of {p['rows']['read']}"),
    ]
    if p.get("family", "gaussian") == "gaussian":
        rows += [("R²", num(m["r2"], 5)), ("MSE", num(m["mse"])), ("MAE", num(m["mae"]))]
    else:
        rows += [
            ("family", p["family"]),
            ("deviance", num(m["deviance"])),
            ("null deviance", num(m["null_deviance"])),
            ("deviance explained", num(m["dev_ratio"], 5)),
        ]
        if p["family"] == "binomial":
            rows += [
                ("positive class", str(p["positive_class"])),
                ("accuracy", num(m["accuracy"], 5)),
                ("AUC", num(m["auc"], 5)),
            ]
        rows += [("MSE (mean)", num(m["mse"])), ("MAE (mean)", num(m["mae"]))]
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


def draw_diff(console: Console, p: dict[str, Any]) -> None:
    a = p["alpha"]
    rows = [
        ("old", p["old"]),
        ("new", p["new"]),
        ("alpha", f"{num(a['old'])} -> {num(a['new'])}"),
        *(
            [("family", f"{p['family']['old']} -> {p['family']['new']}")]
            if p["family"]["old"] != p["family"]["new"]
            else []
        ),
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
