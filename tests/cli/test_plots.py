"""Plots: labels never overlap, what is left out is said, every cross-validated ratio drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regcli.cli.plot import spread_labels

matplotlib = pytest.importorskip("matplotlib")


def test_spread_labels_keeps_order_gap_and_bounds():
    rng = np.random.default_rng(0)
    for _ in range(200):
        y = rng.normal(0, 1, rng.integers(1, 15))
        y[: len(y) // 2] = 0.01 * rng.standard_normal(len(y) // 2)  # a crowd near 0
        gap, low, high = 0.15, -3.0, 3.0
        pos = spread_labels(y, gap, low, high)
        order = np.argsort(y, kind="stable")
        placed = pos[order]
        assert np.all(np.diff(placed) >= gap - 1e-12)
        assert placed.min() >= low - 1e-12 and placed.max() <= high + 1e-12


@pytest.fixture
def wide(tmp_path):
    rng = np.random.default_rng(3)
    n, p = 120, 30
    X = rng.standard_normal((n, p)) + 0.5 * rng.standard_normal((n, 1))
    beta = np.zeros(p)
    beta[:12] = rng.normal(0, 2, 12)
    path = tmp_path / "p30.csv"
    frame = pd.DataFrame(X, columns=[f"feat_{j:02d}" for j in range(p)])
    frame.assign(y=X @ beta + 2 * rng.standard_normal(n)).to_csv(path, index=False)
    return path


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def test_path_plot_labels_the_largest_and_says_what_is_left_out(cli, wide, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", lambda fig: figures.append(fig))
    r = cli("path", wide, "--plot", tmp_path / "p.png", "-f", "json")
    assert r.exit_code == 0 and (tmp_path / "p.png").stat().st_size > 0
    out = r.json()
    texts = _texts(figures[0])
    labels = [t for t in texts if t.startswith("feat_")]
    end = {k: abs(v[-1]) for k, v in out["standardized_coefficients"].items()}
    largest = sorted(end, key=lambda k: -end[k])[: len(labels)]
    assert sorted(labels) == sorted(largest) and len(labels) == 12
    assert any("of" in t and "curves are labelled" in t for t in texts)


def test_cv_plot_draws_every_ratio(cli, wide, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", lambda fig: figures.append(fig))
    r = cli("cv", wide, "--l1-ratio", "0.1,0.5,0.9,1", "--plot", tmp_path / "cv.png")
    assert r.exit_code == 0
    ax = figures[0].axes[0]
    labels = [line.get_label() for line in ax.get_lines() if line.get_label().startswith("l1_")]
    assert len(labels) == 4 and sum("(chosen)" in lab for lab in labels) == 1


def test_compare_plot_names_what_it_leaves_out(cli, wide, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", lambda fig: figures.append(fig))
    r = cli("compare", wide, "--folds", "5", "--plot", tmp_path / "c.png")
    assert r.exit_code == 0
    fig = figures[0]
    assert any("15 of 30 features" in t for t in _texts(fig))
    right = fig.axes[1]
    assert len(right.get_yticklabels()) == 15
