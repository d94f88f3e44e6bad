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


def plot_path(payload: dict[str, Any], path: str, *, force: bool, label_top: int = 10) -> None:
    """Coefficient paths (standardized) against log(alpha), nonzero counts on the top axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    alphas = np.asarray(payload["alphas"])
    names = list(payload["standardized_coefficients"])
    coefs = np.array([payload["standardized_coefficients"][n] for n in names])
    fig, ax = plt.subplots(figsize=(8, 5))
    x = np.log(alphas)
    for row in coefs:
        if np.any(row != 0):
            ax.plot(x, row, lw=1)
    for name in payload["entry_order"][:label_top]:
        j = names.index(name)
        ax.annotate(
            name, (x[-1], coefs[j][-1]), fontsize=7, xytext=(3, 0), textcoords="offset points"
        )
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("log(alpha)")
    ax.set_ylabel("standardized coefficient")
    ax.invert_xaxis()
    _nonzero_axis(ax, x, np.asarray(payload["n_nonzero"]))
    ax.set_title(
        f"{payload['penalty']} path: {payload['target']} ({payload['source']})", fontsize=10
    )
    _save(fig, path, force)
    plt.close(fig)


def plot_cv(payload: dict[str, Any], path: str, *, force: bool) -> None:
    """glmnet's CV picture: mean error +-1 se against log(alpha), alpha_min and alpha_1se dotted,
    nonzero counts on the top axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    alphas = np.asarray(payload["alphas"])
    mean = np.asarray(payload["cv_mean"], dtype=float)
    se = np.asarray(payload["cv_se"], dtype=float)
    x = np.log(alphas)
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.errorbar(x, mean, yerr=se, fmt="o", color="tab:red", ecolor="grey", ms=3, capsize=2, lw=0.8)
    for key in ("alpha_min", "alpha_1se"):
        ax.axvline(np.log(payload[key]), ls=":", color="black", lw=1)
    ax.set_xlabel("log(alpha)")
    ax.set_ylabel(f"CV {payload['metric']}")
    ax.invert_xaxis()
    _nonzero_axis(ax, x, np.asarray(payload["n_nonzero"]))
    ax.set_title(
        f"{payload['penalty']} (l1_ratio {payload['l1_ratio']:g}): {payload['n_folds']}-fold CV",
        fontsize=10,
    )
    _save(fig, path, force)
    plt.close(fig)


def plot_compare(
    payload: dict[str, Any], res: Any, path: str, *, force: bool, top: int = 15
) -> None:
    """Left: every model's CV curve against log(alpha); right: coefficients side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for m in res.models:
        if m.curve is None:
            left.axhline(m.cv_mean, ls="--", color="grey", lw=1, label="ols")
            continue
        c = m.curve
        line = left.plot(np.log(c.alphas), c.cv_mean, lw=1.2, label=f"{m.name} ({m.l1_ratio:g})")
        left.axvline(np.log(m.alpha), ls=":", lw=0.8, color=line[0].get_color())
    left.set_xlabel("log(alpha)")
    left.set_ylabel(f"CV {payload['metric']}")
    left.invert_xaxis()
    left.legend(fontsize=8)
    names = (
        payload["entry_order"]
        + [n for n in payload["models"][0]["coefficients"] if n not in payload["entry_order"]]
    )[:top]
    width = 0.8 / len(payload["models"])
    ypos = np.arange(len(names))
    for k, m in enumerate(payload["models"]):
        vals = [m["standardized_coefficients"][n] for n in names]
        right.barh(ypos + k * width, vals, height=width, label=m["penalty"])
    right.set_yticks(ypos + 0.4 - width / 2)
    right.set_yticklabels(names, fontsize=8)
    right.invert_yaxis()
    right.axvline(0, color="grey", lw=0.5)
    right.set_xlabel("standardized coefficient")
    right.legend(fontsize=8)
    fig.suptitle(f"regcli compare: {payload['target']} ({payload['source']})", fontsize=10)
    _save(fig, path, force)
    plt.close(fig)
