"""The mergeable statistics accumulator: chunks, merges and differences equal one pass."""

from __future__ import annotations

import numpy as np

from regcli.core.family import GAUSSIAN, moments_deviance
from regcli.core.moments import Moments, moments_by_fold
from regcli.core.stats import gram_statistics, prepare, standardization_from


def _data(n=500, p=6, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3, p) + offset
    y = X @ rng.standard_normal(p) + rng.standard_normal(n) + offset
    w = rng.uniform(0.2, 2.0, n)
    return X, y, w


def _reference(X, y, w):
    v = w / w.sum()
    mx, my = v @ X, v @ y
    Xc, yc = X - mx, y - my
    return mx, my, (Xc * v[:, None]).T @ Xc, v @ (Xc * yc[:, None]), v @ yc**2


def test_chunked_updates_equal_the_reference_moments():
    X, y, w = _data()
    m = Moments(np.zeros(6))
    for a, b in [(0, 7), (7, 300), (300, 500)]:
        m.update(X[a:b], y[a:b], w[a:b])
    for got, want in zip(m.covariances(True), _reference(X, y, w)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert m.n == 500


def test_merge_recenters_exactly_and_minus_undoes_it():
    X, y, w = _data(seed=1)
    a = Moments(X[:10].mean(0), float(y[:10].mean())).update(X[:200], y[:200], w[:200])
    b = Moments(X[-10:].mean(0) + 3.0, 5.0).update(X[200:], y[200:], w[200:])
    whole = a.merge(b)
    for got, want in zip(whole.covariances(True), _reference(X, y, w)):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)
    back = whole.minus(b.recentered(a.center, a.y_center))
    for got, want in zip(back.covariances(True), a.covariances(True)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_a_provisional_center_keeps_precision_where_raw_sums_lose_it():
    X, y, w = _data(seed=2, offset=1e8)  # mean 1e8, spread ~1: raw x'x cancels catastrophically
    m = Moments(X[0].copy(), float(y[0]))  # the first row as provisional center
    for a in range(0, 500, 64):
        m.update(X[a : a + 64], y[a : a + 64], w[a : a + 64])
    _, _, C, _, _ = m.covariances(True)
    _, _, want, _, _ = _reference(X, y, w)
    np.testing.assert_allclose(C, want, rtol=1e-7, atol=1e-7)
    raw = (X * (w / w.sum())[:, None]).T @ X - np.outer(w @ X / w.sum(), w @ X / w.sum())
    assert np.abs(raw - want).max() > 1e-3  # what the accumulator avoids


def test_fold_moments_sum_to_the_whole_and_give_prepare_statistics():
    X, y, w = _data(n=300, seed=3)
    fold = np.random.default_rng(0).integers(0, 4, 300)
    center, yc = (w @ X) / w.sum(), float(w @ y / w.sum())
    parts = moments_by_fold(X, y, w, fold, 4, center, yc, chunk_rows=64)
    total = parts[0]
    for part in parts[1:]:
        total = total.merge(part)
    std = standardization_from(total, fit_intercept=True, standardize=True)
    stats = gram_statistics(total, std, fit_intercept=True, n_samples=300)
    std2, stats2 = prepare(X, y, w, fit_intercept=True, standardize=True, gram=True)
    np.testing.assert_allclose(std.scale, std2.scale, rtol=1e-12)
    np.testing.assert_allclose(stats.gram, stats2.gram, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(stats.c, stats2.c, rtol=1e-11, atol=1e-13)


def test_held_out_deviance_from_moments_equals_the_rows():
    X, y, w = _data(n=120, seed=4)
    m = Moments(X.mean(0), float(y.mean())).update(X, y, w)
    coefs = np.random.default_rng(1).standard_normal((3, 6))
    intercepts = np.array([0.1, -2.0, 5.0])
    got = moments_deviance(m, coefs, intercepts)
    want = [GAUSSIAN.deviance(y, b0 + X @ b, w) for b, b0 in zip(coefs, intercepts)]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_augmented_rows_give_the_sums_of_centered_updates():
    """One syrk of [sqrt(w) (x - c), sqrt(w) (y - y_c), sqrt(w)] (the stream engine's batches)
    holds every sum the separate updates form, weighted or not, in either memory order."""
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((300, 7)) + 3.0, rng.standard_normal(300) - 1.0
    c, yc = X[:50].mean(axis=0), float(y[:50].mean())
    for w in (None, rng.uniform(0.2, 3.0, 300)):
        ref = Moments(c, yc)
        ref.update_centered(X - c, y - yc, 1.0 if w is None else w)
        for order in ("C", "F"):
            A = np.empty((300, 9), order=order)
            A[:, :7], A[:, 7], A[:, 8] = X - c, y - yc, 1.0
            if w is not None:
                A *= np.sqrt(w)[:, None]
            got = Moments(c, yc)
            got.update_augmented(A, 300)
            assert got.n == ref.n and np.isclose(got.W, ref.W, rtol=1e-13)
            for name in ("sx", "sxy", "S"):
                np.testing.assert_allclose(
                    getattr(got, name), getattr(ref, name), rtol=1e-11, atol=1e-10
                )
            assert np.isclose(got.sy, ref.sy, rtol=1e-11, atol=1e-10)
            assert np.isclose(got.syy, ref.syy, rtol=1e-12)
