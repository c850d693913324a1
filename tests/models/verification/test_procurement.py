"""Tests of costcorrect.models.verification.procurement: verifier family, market, bounds and the
seeded simulator."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.verification import procurement as pr
from costcorrect.models.verification import scoring as sc


@settings(deadline=None)
@given(pi=st.floats(0.05, 0.95), alpha=st.floats(0.05, 0.99))
def test_precision_inverse(pi, alpha):
    if alpha <= pi:  # a verifier can only raise the accuracy of accepted answers
        return
    th = pr.theta_for_precision(alpha, pi)
    assert 0.5 <= th < 1
    assert pr.precision(th, pi) == pytest.approx(alpha, rel=1e-9)


def test_uninformative_verifier_gives_pass1():
    assert pr.precision(0.5, 0.3) == pytest.approx(0.3)


@settings(deadline=None)
@given(q=st.floats(0.1, 0.9), rule=st.sampled_from(sc.RULES))
def test_calibration_monotone(q, rule):
    th = np.linspace(0.5, 0.95, 20)
    s = pr.expected_probe_score(rule, th, q)
    assert np.all(np.diff(s) > 0)


def test_truthful_posterior_is_best_report():
    """For a candidate who saw 'accept', its posterior beats any other report (strict propriety
    in the model)."""
    th, q = 0.7, 0.4
    r1, _ = pr.posteriors(np.array([th]), q)
    p = r1[0]
    grid = np.linspace(0.01, 0.99, 99)
    es = p * sc.binary_score("brier", grid, np.ones(99, int)) + (1 - p) * sc.binary_score(
        "brier", grid, np.zeros(99, int)
    )
    assert abs(grid[np.argmax(es)] - p) <= 0.01


def test_maximin_entropy_is_balanced():
    assert pr.maximin_entropy_share([0.5, 0.6, 0.9]) == pytest.approx(0.5)


def test_market_unravels_and_not():
    R = sp.Rational
    lemons = pr.Market(
        theta=[R(1), R(2)], prior=[R(1, 2), R(1, 2)], cost=[R(0), R(8)], value=[R(1), R(10)]
    )
    assert lemons.single_crossing() and lemons.efficient() == 1
    assert pr.posted_price_equilibria(lemons) == [0] and pr.unravels(lemons)
    fine = pr.Market(
        theta=[R(1), R(2)], prior=[R(1, 2), R(1, 2)], cost=[R(1), R(4)], value=[R(2), R(10)]
    )
    assert 1 in pr.posted_price_equilibria(fine) and not pr.unravels(fine)


def test_two_type_threshold():
    tt = pr.two_type_condition()
    mu, _vL, _vH, _cL, cH = tt["symbols"]
    assert sp.simplify(tt["pooled"].subs(mu, tt["mu_star"]) - cH) == 0


def test_subgaussian_and_le_cam_derivations():
    sg = pr.subgaussian_max_derivation()
    _lam, s2, M = sg["symbols"]
    assert sp.simplify(sg["bound"] - sp.sqrt(2 * s2 * sp.log(M))) == 0
    lc = pr.le_cam_rate_derivation()
    assert lc["kl_series_matches"] and lc["bound_times_sqrtN_free_of_N"]


def test_bounds_shapes_and_order():
    N = np.array(pr.N_GRID)
    th = pr.candidate_family(0.3, 0.6, 8)
    L = pr.secant_lipschitz("brier", th, 0.5, 0.3)
    ub = pr.hoeffding_bound(N, 8, 2.0, L)
    lb, d = pr.le_cam_bound(N, th[-1], 0.3)
    assert np.all(np.diff(ub) < 0) and np.all(np.diff(lb) < 0)
    assert np.all(ub > lb) and np.all(d > 0)
    np.testing.assert_allclose(ub[1:] / ub[:-1], np.sqrt(0.5))


def test_simulation_reproducible_and_seed_sensitive():
    th = pr.candidate_family(0.3, 0.6, 6)
    a = pr.simulate_mechanism(np.random.default_rng(7), "brier", th, 0.3, 0.5, [32, 256], 500)
    b = pr.simulate_mechanism(np.random.default_rng(7), "brier", th, 0.3, 0.5, [32, 256], 500)
    c = pr.simulate_mechanism(np.random.default_rng(8), "brier", th, 0.3, 0.5, [32, 256], 500)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_simulation_gap_falls_with_n_and_beats_posted_price():
    th = pr.candidate_family(0.3, 0.6, 6)
    rng = np.random.default_rng(1)
    g = pr.simulate_mechanism(rng, "log", th, 0.3, 0.5, [32, 1024], 1000).mean(axis=1)
    pp = pr.simulate_posted_price(rng, th, 0.3, 5, [32, 1024], 1000).mean(axis=1)
    assert g[1] < g[0] and np.all(g < pp)


def test_posted_price_equilibrium_buys_worst():
    th = pr.candidate_family(0.3, 0.6, 4)
    g = pr.simulate_posted_price(np.random.default_rng(0), th, 0.3, 0, [32], 50)
    assert np.allclose(g, pr.cost_gap(th, 0.3)[0])


def test_posted_price_gap_does_not_depend_on_n():
    """Flat pay: the posted-price purchase is the same draw whatever the number of probes, so its
    share of the gap closed cannot move with N (why the chapter cannot test the '< 30% at every N' claim)."""
    th = pr.candidate_family(0.3, 0.6, 6)
    g = pr.simulate_posted_price(np.random.default_rng(2), th, 0.3, 3, [32, 256, 4096], 20000)
    assert set(np.unique(g)) <= set(pr.cost_gap(th, 0.3)[:4])
    means = g.mean(axis=1)
    se = g.std(axis=1, ddof=1).max() / np.sqrt(g.shape[1])
    assert np.ptp(means) < 6 * se


def test_first_crossing():
    N = [32, 64, 128]
    assert pr.first_crossing(N, np.array([0.2, 0.1, 0.01]), 0.05) == pytest.approx(
        64 * 2 ** (np.log(2) / np.log(10))
    )
    assert pr.first_crossing(N, np.array([0.01, 0.0, 0.0]), 0.05) == 32
    assert pr.first_crossing(N, np.array([0.2, 0.2, 0.2]), 0.05) == float("inf")


def test_threshold_ci_brackets_point():
    th = pr.candidate_family(0.3, 0.6, 6)
    rng = np.random.default_rng(3)
    g = pr.simulate_mechanism(rng, "brier", th, 0.3, 0.5, list(pr.N_GRID), 400)
    point, lo, hi = pr.threshold_ci(g, list(pr.N_GRID), rng, 0.05, boot=100)
    assert lo <= point <= hi


def test_verdict_selection_does_not_depend_on_reports_or_rule():
    """The choice uses verdicts only: with the same draws, every scoring rule buys the same candidate."""
    th = pr.candidate_family(0.3, 0.6, 6)
    g = [
        pr.simulate_mechanism(np.random.default_rng(11), rule, th, 0.3, 0.5, [32, 256], 300)
        for rule in sc.RULES
    ]
    assert np.array_equal(g[0], g[1]) and np.array_equal(g[0], g[2])
    with pytest.raises(ValueError):
        pr.simulate_mechanism(
            np.random.default_rng(0), "brier", th, 0.3, 0.5, [32], 10, select="prize"
        )


def test_selection_truthfulness_certificate():
    out = pr.selection_truthfulness()
    for rule in sc.RULES:
        assert out[rule]["verdict_selection_dsic"]
        assert not out[rule]["contest_foc_zero"]  # a score contest adds V·w'(p) at the truth


def test_score_contest_is_not_truthful():
    """A weaker seller wins a score contest more often by overstating its confidence
    (common random numbers)."""
    truth = pr.score_contest_win(np.random.default_rng(3), "brier", 0.6, 0.7, 0.5, 64, 40000)
    lie = pr.score_contest_win(
        np.random.default_rng(3), "brier", 0.6, 0.7, 0.5, 64, 40000, (0.65, 0.35)
    )
    assert lie > truth + 0.005


def test_verdict_lipschitz_bounds_gaps():
    th = pr.candidate_family(0.33, 0.435, 8)
    L = pr.verdict_lipschitz(th, 0.33)
    g = pr.cost_gap(th, 0.33)
    assert np.all(g <= L * (th.max() - th) + 1e-12)
    assert np.isclose(np.max(g[:-1] / (th[-1] - th[:-1])), L)


def test_verdict_selection_draws_binomial_counts_whatever_q():
    th = np.array([0.6, 0.7, 0.8])
    a = pr.simulate_mechanism(np.random.default_rng(3), "brier", th, 0.3, 0.5, [64], 400)
    b = pr.simulate_mechanism(np.random.default_rng(3), "brier", th, 0.3, 0.1, [64], 400)
    assert np.array_equal(a, b)  # the label share does not enter selection on verdicts


def test_chapter_tables_are_consistent():
    import pandas as pd

    bench = pd.DataFrame(
        {"pass1": [0.3, 0.5], "verified_accuracy": [0.5, 0.7]},
        index=pd.Index(["A", "B"], name="benchmark"),
    )
    pi, th = pr.family(bench, "A", 4)
    m = pr.calibrated_market(pi, th, 0.6)
    assert m.single_crossing() and m.efficient() == 3
    tab = pr.market_table(m)
    assert list(tab["price c is an equilibrium"]) == [
        j in pr.posted_price_equilibria(m) for j in range(4)
    ]
    assert pr.calibration_table(bench, 4).shape == (2, 6)
    ex = pr.two_type_example()
    assert (
        ex["mu* in the example"] == sp.Rational(1, 4) and ex["high type trades at a posted price"]
    )
    rng = np.random.default_rng(1)
    mechs = {"v": ("brier", "maximin", "verdicts")}
    gaps, sim = pr.simulate_grid(rng, bench, [2, 4], mechs, [32, 64], 50, 0.6)
    assert set(sim.mechanism) == {"v", *pr.POSTED} and len(sim) == 2 * 2 * 3 * 2
    nk = pr.first_n_by_k(gaps, bench, [2, 4], "v", [32, 64], 0.05)
    assert nk.shape == (2, 2)
    reruns = pr.ThresholdReruns("brier", bench, [32, 64], 50, 0.05, 1e-3)
    assert reruns("A", 2, "first-best", 7) == reruns("A", 2, "first-best", 7)
    bounds = pr.bounds_table(bench, [2], [32, 64])
    assert (bounds.upper > 0).all() and len(pr.gap_curves(sim, bounds)) > 0


def test_threshold_reading_tables():
    import pandas as pd

    t = pd.DataFrame(
        {
            "benchmark": ["A", "A", "B"],
            "mechanism": ["m", "n", "m"],
            "N at 5%": [20.0, np.inf, 100.4],
            "CI low": [20.0, np.inf, 90.0],
            "CI high": [40.0, np.inf, 120.0],
        }
    )
    cells = pr.threshold_cells(t, 32)
    assert cells.loc["m", "A"] == "≤ 32" and cells.loc["n", "A"] == "not reached"
    assert cells.loc["m", "B"] == "100 [90, 120]"
    nk = pd.DataFrame({"A": {2: 32.0, 4: np.inf}}).rename_axis("K")
    long = pr.thresholds_long({"r": nk})
    assert list(long.N5) == [32.0] and set(long.columns) == {"K", "benchmark", "N5", "reading"}
