"""Optional matplotlib figures (the `plot` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from regcli.errors import UsageError

PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def check_plot_target(path: str | None, *, force: bool) -> None:
    """Fail before any work when a plot is asked for but cannot be drawn or written."""
    if path is None:
        return
    if Path(path).suffix.lower() not in PLOT_SUFFIXES:
        raise UsageError(f"--plot: {path!r} must end in .png, .svg or .pdf")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'regcli[plot]'") from None
    from regcli.io.files import check_writable

    check_writable(path, force=force, option="--plot")


def _save(fig: Any, path: str, force: bool) -> None:
    import io

    from regcli.io.files import write_atomic

    buf = io.BytesIO()
    fig.savefig(buf, format=Path(path).suffix.lower().lstrip("."), bbox_inches="tight")
    write_atomic(path, buf.getvalue(), force=force, option="--plot")


def _nonzero_axis(ax: Any, x: np.ndarray, n_nonzero: np.ndarray) -> None:
    """The number of nonzero coefficients on a top axis over log(alpha), as glmnet draws it."""
    top = ax.secondary_xaxis("top")
    ticks = np.linspace(x.min(), x.max(), min(6, len(x))) if len(x) > 1 else x
    top.set_xticks(ticks)
    top.set_xticklabels([str(n_nonzero[np.argmin(np.abs(x - t))]) for t in ticks])
    top.set_xlabel("nonzero coefficients")


def spread_labels(y: np.ndarray, gap: float, low: float, high: float) -> np.ndarray:
    """Label positions near ``y`` (data units) at least ``gap`` apart, inside [low, high]:
    sorted, pushed apart downwards then upwards, order kept (so no two labels overlap)."""
    order = np.argsort(y)
    pos = np.asarray(y, dtype=float)[order].copy()
    for i in range(1, pos.size):  # push up
        pos[i] = max(pos[i], pos[i - 1] + gap)
    if pos.size and pos[-1] > high:  # then back down from the top
        pos[-1] = high
        for i in range(pos.size - 2, -1, -1):
            pos[i] = min(pos[i], pos[i + 1] - gap)
    if pos.size and pos[0] < low:  # too many for the height: spread evenly
        pos = np.linspace(low, high, pos.size) if pos.size > 1 else np.array([low])
    out = np.empty_like(pos)
    out[order] = pos
    return out


def _left_out_note(fig: Any, shown: int, total: int, sentence: str) -> None:
    """A grey line at the bottom of the figure saying what was left out, when anything was."""
    if shown < total:
        fig.text(
            0.01,
            0.01,
            sentence.format(shown=shown, total=total) + "; --format csv lists all",
            fontsize=8,
            color="dimgrey",
        )


def plot_path(payload: dict[str, Any], path: str, *, force: bool, label_top: int = 12) -> None:
    """Coefficient paths (standardized) against log(alpha), nonzero counts on the top axis;
    the largest curves at the smallest alpha are labelled at the right edge, spread apart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    alphas = np.asarray(payload["alphas"])
    names = list(payload["standardized_coefficients"])
    coefs = np.array([payload["standardized_coefficients"][n] for n in names]).reshape(
        len(names), len(alphas)
    )
    fig, ax = plt.subplots(figsize=(9, 5.5))
    x = np.log(alphas)
    drawn = [j for j in range(len(names)) if np.any(coefs[j] != 0)]
    colors = {}
    for j in drawn:
        colors[j] = ax.plot(x, coefs[j], lw=1)[0].get_color()
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("log(alpha)")
    ax.set_ylabel("standardized coefficient")
    ax.invert_xaxis()
    _nonzero_axis(ax, x, np.asarray(payload["n_nonzero"]))
    ax.set_title(
        f"{payload['penalty']} path: {payload['target']} ({payload['source']})", fontsize=10
    )
    end = np.abs(coefs[:, -1]) if len(alphas) else np.zeros(len(names))
    labelled = sorted(drawn, key=lambda j: -end[j])[:label_top]
    if labelled and len(alphas):
        fig.canvas.draw()
        low, high = ax.get_ylim()
        height_px = ax.get_window_extent().height
        gap = (high - low) * 11 / max(height_px, 1.0)  # about one 7-pt line of text
        ys = spread_labels(coefs[labelled, -1], gap, low + gap / 2, high - gap / 2)
        for j, y_label in zip(labelled, ys):
            ax.annotate(
                names[j],
                xy=(x[-1], coefs[j, -1]),
                xytext=(1.01, y_label),
                textcoords=("axes fraction", "data"),
                fontsize=7,
                va="center",
                color=colors[j],
                arrowprops={"arrowstyle": "-", "lw": 0.4, "color": colors[j]},
                annotation_clip=False,
            )
        fig.subplots_adjust(right=0.8, bottom=0.13)
    _left_out_note(
        fig,
        len(labelled),
        len(drawn),
        "{shown} of {total} curves are labelled: the largest at the smallest alpha",
    )
    _save(fig, path, force)
    plt.close(fig)


def plot_cv(payload: dict[str, Any], path: str, *, force: bool) -> None:
    """glmnet's CV picture for every l1 ratio cross-validated: mean error +-1 se against
    log(alpha), alpha_min and alpha_1se of the chosen ratio dotted, its nonzero counts on the
    top axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    curves = payload.get("l1_ratios") or [payload]
    chosen = None
    for c in curves:
        x = np.log(np.asarray(c["alphas"]))
        mean = np.asarray(c["cv_mean"], dtype=float)
        se = np.asarray(c["cv_se"], dtype=float)
        is_chosen = c["l1_ratio"] == payload["l1_ratio"]
        label = f"l1_ratio {c['l1_ratio']:g}" + (" (chosen)" if is_chosen else "")
        line = ax.plot(x, mean, lw=1.8 if is_chosen else 1.0, label=label, zorder=3)[0]
        ax.fill_between(x, mean - se, mean + se, color=line.get_color(), alpha=0.12, lw=0)
        if is_chosen:
            chosen = x, c
    for key in ("alpha_min", "alpha_1se"):
        ax.axvline(np.log(payload[key]), ls=":", color="black", lw=1)
    ax.set_xlabel("log(alpha)")
    ax.set_ylabel(f"CV {payload['metric']} (band: +-1 se)")
    ax.invert_xaxis()
    if chosen is not None:
        _nonzero_axis(ax, chosen[0], np.asarray(chosen[1]["n_nonzero"]))
    if len(curves) > 1:
        ax.legend(fontsize=8)
    ax.set_title(
        f"{payload['penalty']}: {payload['n_folds']}-fold CV; dotted: alpha_min and alpha_1se "
        f"of l1_ratio {payload['l1_ratio']:g}",
        fontsize=10,
    )
    _save(fig, path, force)
    plt.close(fig)


def plot_compare(
    payload: dict[str, Any], res: Any, path: str, *, force: bool, top: int = 15
) -> None:
    """Left: every model's CV curve against log(alpha); right: the standardized coefficients
    of the ``top`` largest features side by side (the rest are named as left out)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = payload["models"]
    all_names = list(models[0]["standardized_coefficients"])
    size = {n: max(abs(m["standardized_coefficients"][n]) for m in models) for n in all_names}
    names = sorted(all_names, key=lambda n: -size[n])[:top]
    height = max(5.0, 0.32 * len(names) + 1.5)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, height), gridspec_kw={"width_ratios": [1, 1.1]}
    )
    for m in res.models:
        if m.curve is None:
            left.axhline(m.cv_mean, ls="--", color="grey", lw=1, label="ols")
            continue
        c = m.curve
        label = m.name if m.name != "elasticnet" else f"elasticnet ({m.l1_ratio:g})"
        line = left.plot(np.log(c.alphas), c.cv_mean, lw=1.2, label=label)
        left.axvline(np.log(m.alpha), ls=":", lw=0.8, color=line[0].get_color())
    left.set_xlabel("log(alpha)")
    left.set_ylabel(f"CV {payload['metric']}")
    left.invert_xaxis()
    left.legend(fontsize=8)
    left.set_title("CV curves (dotted: each model's refit alpha)", fontsize=9)
    width = 0.8 / len(models)
    ypos = np.arange(len(names))
    for k, m in enumerate(models):
        vals = [m["standardized_coefficients"][n] for n in names]
        label = m["penalty"] if m["penalty"] != "elasticnet" else f"enet {m['l1_ratio']:g}"
        right.barh(ypos + k * width, vals, height=width, label=label)
    right.set_yticks(ypos + 0.4 - width / 2)
    right.set_yticklabels(names, fontsize=8)
    right.set_ylim(len(names) - 0.1, -0.3)
    right.axvline(0, color="grey", lw=0.5)
    right.set_xlabel("standardized coefficient")
    right.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    shown = f"{len(names)} of {len(all_names)} features" if len(names) < len(all_names) else ""
    right.set_title(
        "Coefficients" + (f" ({shown}, largest first)" if shown else ", largest first"),
        fontsize=9,
    )
    fig.suptitle(f"regcli compare: {payload['target']} ({payload['source']})", fontsize=10)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    _left_out_note(
        fig, len(names), len(all_names), "{shown} of {total} features are drawn: the largest"
    )
    _save(fig, path, force)
    plt.close(fig)
