"""The n x n (Woodbury) active set of the wide elastic net: its solves against dense linear
algebra through every kind of change (features entering and leaving, cancelled changes, more
changes than the capacitance holds, new lam2), and whole paths through it against the Gram route."""

import numpy as np
import pytest

from regcli.core import compute_path
from regcli.core import dual as dual_module
from regcli.core import stats as stats_module
from regcli.core.dual import DualActiveSet
from regcli.core.stats import LazyStats
from regcli.core.tuning import DUAL_FACTOR_FROM
from tests.core.test_path import make_problem, rel


def lazy_stats(n: int, p: int, seed: int) -> LazyStats:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + 0.7 * rng.standard_normal((n, 1))  # correlated
    X -= X.mean(axis=0)
    X /= np.sqrt((X * X).sum(axis=0))  # unit columns, as the standardized source
    z = rng.standard_normal(n)
    return LazyStats(np.asfortranarray(X), z - z.mean())


def dense_solve(stats: LazyStats, act: DualActiveSet, rhs: np.ndarray) -> np.ndarray:
    XA = stats.Xs[:, act.idx]
    return np.linalg.solve(XA.T @ XA + act.lam2 * np.eye(act.idx.size), rhs)


@pytest.mark.parametrize("n", [60, 320])  # a factor per change; the capacitance and CG
def test_dual_solves_match_dense_algebra_through_every_kind_of_change(n):
    stats = lazy_stats(n, 3 * n, seed=n)
    rng = np.random.default_rng(1)
    coef = np.zeros(3 * n)
    start = rng.choice(3 * n, size=n // 2, replace=False)
    coef[start] = rng.standard_normal(start.size)
    lam2 = 0.05
    act = DualActiveSet(stats, coef, lam2)
    outside = [j for j in range(3 * n) if coef[j] == 0]
    for step in range(40):
        kind = step % 5
        if kind in (0, 1):  # features enter
            new = np.array([outside.pop() for _ in range(3)])
            act.append(new, np.ones(3), None)
        elif kind == 2:  # features leave, among them some that entered since the factor
            mask = np.ones(act.idx.size, dtype=bool)
            mask[rng.choice(act.idx.size, size=2, replace=False)] = False
            mask[-1] = False
            outside.extend(act.idx[~mask].tolist())
            act.keep(mask)
        elif kind == 3:  # the next alpha
            act.retarget(lam2 * 0.93 ** (step // 5 + 1))
        else:  # one feature leaves and comes back: the two changes cancel
            j, s = act.idx[0], act.sign[0]
            mask = np.ones(act.idx.size, dtype=bool)
            mask[0] = False
            act.keep(mask)
            act.append(np.array([j]), np.array([s]), None)
        rhs = rng.standard_normal(act.idx.size)
        x = act.solve(rhs)
        assert rel(x, dense_solve(stats, act, rhs)) < 1e-9, step


def test_more_changes_than_the_capacitance_holds_and_a_large_shift(monkeypatch):
    monkeypatch.setattr(dual_module, "DUAL_MAX_CHANGES", 8)
    stats = lazy_stats(320, 900, seed=3)
    coef = np.zeros(900)
    coef[:200] = 1.0
    act = DualActiveSet(stats, coef, 0.1)
    rhs = np.ones(200)
    act.solve(rhs)  # the factor
    act.append(np.arange(200, 230), np.ones(30), None)  # beyond the capacitance
    act.retarget(0.01)  # below DUAL_PCG_MIN_SHIFT_RATIO of the factor's lam2
    rhs = np.linspace(-1, 1, 230)
    assert rel(act.solve(rhs), dense_solve(stats, act, rhs)) < 1e-9


def test_lam2_below_the_rounding_of_k_still_solves():
    stats = lazy_stats(320, 700, seed=5)
    coef = np.zeros(700)
    coef[:400] = 1.0
    act = DualActiveSet(stats, coef, 1e-300)
    x = act.solve(np.ones(400))
    assert np.isfinite(x).all()


def test_single_precision_factor_preconditions_and_gives_way_where_it_would_not_serve(
    monkeypatch,
):
    stats = lazy_stats(320, 900, seed=7)
    coef = np.zeros(900)
    coef[:250] = 1.0
    rhs = np.linspace(-1, 2, 250)
    # well conditioned: the factor is single precision, the solves exact to rounding all the same
    act = DualActiveSet(stats, coef, 0.1)
    assert rel(act.solve(rhs), dense_solve(stats, act, rhs)) < 1e-9
    assert isinstance(act._factor, dual_module.SingleFactor)
    # (trace(K) + lam2) / lam2 above SINGLE_MAX_CONDITION: a double-precision factor
    act = DualActiveSet(stats, coef, 1e-5)
    assert rel(act.solve(rhs), dense_solve(stats, act, rhs)) < 1e-9
    assert isinstance(act._factor, dual_module.Factor)
    # a fresh single factor that needs too many iterations is given up for an exact one
    monkeypatch.setattr(dual_module, "SINGLE_MAX_ITERATIONS", 0)
    act = DualActiveSet(stats, coef, 0.1)
    assert rel(act.solve(rhs), dense_solve(stats, act, rhs)) < 1e-9
    act.retarget(0.09)
    assert rel(act.solve(rhs), dense_solve(stats, act, rhs)) < 1e-9
    assert isinstance(act._factor, dual_module.Factor)


@pytest.mark.parametrize("l1_ratio", [0.5, 0.1])
def test_large_wide_elastic_net_path_through_the_capacitance_matches_gram_mode(l1_ratio):
    # n >= DUAL_PCG_MIN_SAMPLES: the active set passes n / 2 and the dual form's factor serves
    # several rounds and alphas
    X, y = make_problem(320, 900, seed=21, k=60)
    a = compute_path(X, y, l1_ratio=l1_ratio, n_alphas=40, gram=False)
    assert a.n_nonzero.max() >= DUAL_FACTOR_FROM * 320  # the dual form did run
    b = compute_path(X, y, l1_ratio=l1_ratio, alphas=a.alphas, gram=True)
    assert a.converged.all() and (a.max_kkt_relative <= 1e-6).all()
    assert rel(a.coefs, b.coefs) < 1e-6


@pytest.mark.parametrize("l1_ratio", [1.0, 0.9, 0.1])  # the lasso's segments; primal; dual
def test_screened_certificate_gradients_leave_the_path_and_its_certificates_unchanged(
    monkeypatch, l1_ratio
):
    X, y = make_problem(320, 900, seed=22, k=60)
    plain = compute_path(X, y, l1_ratio=l1_ratio, n_alphas=40, gram=False)
    requests = []
    original = LazyStats.screened_gradient

    def counted(self, fit, lam1, active, active_columns):  # type: ignore[no-untyped-def]
        requests.append(self._single.made)
        return original(self, fit, lam1, active, active_columns)

    monkeypatch.setattr(stats_module, "SCREENED_GRADIENT_FROM", 0)
    monkeypatch.setattr(LazyStats, "screened_gradient", counted)
    screened = compute_path(X, y, l1_ratio=l1_ratio, alphas=plain.alphas, gram=False)
    assert sum(requests) >= 30  # the single-precision product served most checks
    assert screened.converged.all() and (screened.max_kkt_relative <= 1e-7).all()
    assert rel(screened.coefs, plain.coefs) < 1e-9
    # the certificates, recomputed exactly on the standardized problem, agree
    exact = compute_path(X, y, l1_ratio=l1_ratio, alphas=plain.alphas, gram=True)
    assert rel(screened.coefs, exact.coefs) < 1e-6


def test_a_target_beyond_single_precision_range_takes_the_double_factor():
    # y of 1e100: lam2 and K + lam2 I beyond float32's range (the single-precision
    # preconditioner's cast overflowed); the lazy path agrees with the Gram route's
    X, y = make_problem(320, 900, seed=23, k=60)
    lazy = compute_path(X, y * 1e100, l1_ratio=0.1, n_alphas=30, gram=False)
    assert lazy.n_nonzero.max() >= DUAL_FACTOR_FROM * 320  # the dual form did run
    assert lazy.converged.all() and (lazy.max_kkt_relative <= 1e-7).all()
    gram = compute_path(X, y * 1e100, l1_ratio=0.1, alphas=lazy.alphas, gram=True)
    assert rel(lazy.coefs, gram.coefs) < 1e-6


def test_two_rows_and_thousands_of_features_enter_together_without_thousands_of_rounds():
    # two rows: every centered column is +-the same vector, so the elastic net takes every
    # feature at once; the k x k form grew 10 features a round (hundreds of rounds and a
    # 3000 x 3000 factor per point), now the n x n form takes over and grows geometrically
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((2, 3000)), rng.standard_normal(2)
    res = compute_path(X, y, l1_ratio=0.5, n_alphas=10, gram=False)
    assert res.converged.all() and (res.max_kkt_relative <= 1e-7).all()
    assert res.n_nonzero[-1] == 3000 and res.n_iter.max() <= 60


@pytest.mark.parametrize(
    ("n", "p", "y_scale"), [(2, 3, 1e-80), (50, 2000, 1e-12), (300, 900, 1e-8)]
)
def test_a_target_in_small_units_leaves_the_dual_form_where_it_would_lose_the_certificate(
    n, p, y_scale
):
    # alpha, and so lam2, scale with y while X~ X~' does not: with y in small units the
    # Woodbury form's division by lam2 amplified rounding (y of 1e-80 on two rows: coefficients
    # of 1e+177 and an overflow; 300 x 900 with y of 1e-8: points unconverged at 0.2 x alpha;
    # 1000 x 5000 with y of 1e-5: 29 s, unconverged); the k x k form serves such a lam2
    rng = np.random.default_rng(n + p)
    X = rng.standard_normal((n, p)) if p > 3 else np.outer([1.0, -1.0], [1.0, -1.0, 1.0])
    y = rng.standard_normal(n) * y_scale
    res = compute_path(X, y, l1_ratio=0.1, n_alphas=30, gram=False)
    assert res.converged.all() and (res.max_kkt_relative <= 1e-7).all()
    assert np.isfinite(res.coefs).all() and res.n_iter.max() <= 60
    assert np.abs(res.coefs).max() <= 1e3 * y_scale
