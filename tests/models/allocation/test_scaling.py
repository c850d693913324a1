"""Tests of the α(ρ) forms and their elasticities."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.allocation import scaling as sc


def test_symbolic_elasticities():
    a, b, r = sc.a_, sc.b_, sc.r
    assert sp.simplify(sc.elasticity_expr("exppower") - a * b * r ** (-b)) == 0
    lg = sc.alpha_expr("logistic")
    assert sp.simplify(sc.elasticity_expr("logistic") - b * (1 - lg)) == 0


def test_passk_proof():
    assert all(sc.passk_below_one_proof().values())


@settings(deadline=None)
@given(rho=st.floats(1e-3, 1e4), p=st.floats(1e-6, 0.999))
def test_passk_eta_below_one(rho, p):
    e = sc.eta_passk(rho, p)
    assert 0 <= e <= 1
    if e < 1e-8:  # α indistinguishable from 1 in floating point
        return
    # numeric derivative agrees
    h = 1e-5
    num = (
        np.log(sc.alpha_passk(rho * np.exp(h), p)) - np.log(sc.alpha_passk(rho * np.exp(-h), p))
    ) / (2 * h)
    assert num == pytest.approx(e, rel=1e-3, abs=1e-6)


@settings(deadline=None)
@given(rho=st.floats(1, 1e4), a=st.floats(-5, 5), b=st.floats(0.05, 5))
def test_logistic_eta_matches_numeric(rho, a, b):
    h = 1e-5
    num = (
        np.log(sc.alpha_logistic(rho * np.exp(h), a, b))
        - np.log(sc.alpha_logistic(rho * np.exp(-h), a, b))
    ) / (2 * h)
    assert num == pytest.approx(sc.eta_logistic(rho, a, b), rel=1e-3, abs=1e-7)
    # crossing condition b(1-α) > 1  <=>  b > 1/(1-α)
    al = sc.alpha_logistic(rho, a, b)
    if abs(b - sc.logistic_slope_needed(al)) > 1e-6:
        assert (sc.eta_logistic(rho, a, b) > 1) == (b > sc.logistic_slope_needed(al))


@settings(deadline=None)
@given(rho=st.floats(1, 1e4), a=st.floats(0.01, 20), b=st.floats(0.01, 2))
def test_exppower_eta(rho, a, b):
    al = sc.alpha_exppower(rho, a, b)
    assert sc.eta_exppower(rho, a, b) == pytest.approx(b * -np.log(al), rel=1e-9)
    if al > 0 and abs(al - sc.exppower_crossing_alpha(b)) > 1e-9:
        assert (sc.eta_exppower(rho, a, b) > 1) == (al < sc.exppower_crossing_alpha(b))


def test_fits_recover_parameters():
    rho = np.array([1, 10, 100, 1000])
    a, b = sc.fit_exppower(rho, sc.alpha_exppower(rho, 3.0, 0.3))
    assert (a, b) == pytest.approx((3.0, 0.3))
    a2, b2 = sc.fit_logistic(rho, sc.alpha_logistic(rho, -1.0, 0.7))
    assert (a2, b2) == pytest.approx((-1.0, 0.7))
    assert sc.fit_passk(rho[:3], sc.alpha_passk(rho[:3], 0.01)) == pytest.approx(0.01)


def test_arc_elasticity():
    assert sc.arc_elasticity(0.5, 1.0, 1, 2) == pytest.approx(1.0)


def test_mixture_bound_proof():
    assert all(sc.mixture_bound_proof().values())


@settings(deadline=None)
@given(k=st.integers(1, 30), seed=st.integers(0, 2**31 - 1), log_rho=st.floats(-2, 5))
def test_mixture_of_passk_has_elasticity_below_one(k, seed, log_rho):
    """Hypothesis: any mixture of pass@k curves (random weights and per-problem success rates spanning
    1e-8..1) has coverage elasticity below 1 at every ρ, so it never crosses the channel threshold."""
    rng = np.random.default_rng(seed)
    p = np.clip(10 ** rng.uniform(-8, 0, k), 1e-12, 1 - 1e-12)
    w = rng.dirichlet(np.ones(k))
    rho = 10**log_rho
    e = float(sc.eta_mixture(rho, p, w))
    assert 0 <= e < 1
    # the elasticity is an average of the components' (weights w_i·a_i)
    a = 1 - (1 - p) ** rho
    if a.sum() > 1e-300 and np.all(np.isfinite(a)):
        avg = np.sum(w * a * sc.eta_passk(rho, p)) / np.sum(w * a)
        assert e == pytest.approx(avg, rel=1e-6, abs=1e-12)


def test_two_point_exppower_fit_violates_the_mixture_bound():
    """Brown et al.'s Gemma-2B pair (0.02% at k = 1, 7.1% at k = 10,000): the exponentiated power law
    through the two points has local η > 1 at k = 1, which no coverage curve (a mixture of pass@k)
    can have."""
    a, b = sc.fit_exppower([1, 10000], [0.0002, 0.071])
    assert sc.eta_exppower(1, a, b) > 1


def test_commodity_cutoff_cannot_fail_under_passk():
    """Moved from the chapter (`commodity-fails` could not fail): under pass@k every α0 fails,
    not only α0 > 0.95."""
    for a0 in (0.01, 0.2, 0.5, 0.95, 0.99):
        assert sc.eta_passk(1, a0) < 1


def test_two_point_fits_pass_through_both_points():
    fits = sc.two_point_fits([1.0, 8.0], [64.0, 64.0], [0.71, 0.894], [0.867, 0.9])
    assert set(fits) == set(sc.TWO_POINT_COLUMNS)
    for k in range(2):
        r0, r1 = [1.0, 8.0][k], 64.0
        a0, a1 = [0.71, 0.894][k], [0.867, 0.9][k]
        la, lb = fits["logistic_a"][k], fits["logistic_b"][k]
        ea, eb = fits["exppower_a"][k], fits["exppower_b"][k]
        for rho, alpha in ((r0, a0), (r1, a1)):
            assert sc.alpha_logistic(rho, la, lb) == pytest.approx(alpha)
            assert sc.alpha_exppower(rho, ea, eb) == pytest.approx(alpha)
        assert fits["arc_eta"][k] == pytest.approx(np.log(a1 / a0) / np.log(r1 / r0))
        assert fits["logistic_eta0"][k] == pytest.approx(sc.eta_logistic(r0, la, lb))


def test_elasticity_curves_long_table():
    import pandas as pd

    fits = pd.DataFrame(sc.two_point_fits([1.0], [64.0], [0.71], [0.867])).assign(label="R1")
    rho = np.geomspace(1, 100, 5)
    table = sc.elasticity_curves(rho, fits, passk=(0.1,))
    assert set(table["form"]) == {"pass@k", "logistic", "exp-power"}
    assert len(table) == 3 * len(rho)
    logistic = table[table["curve"] == "logistic: R1"]["eta"].to_numpy()
    assert logistic == pytest.approx(
        sc.eta_logistic(rho, fits["logistic_a"][0], fits["logistic_b"][0])
    )
    assert (table[table["form"] == "pass@k"]["eta"] < 1).all()
