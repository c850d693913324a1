"""Tests of the α(ρ) forms and their elasticities."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect import scaling as sc


def test_symbolic_elasticities():
    a, b, r = sc.a_, sc.b_, sc.r
    assert sp.simplify(sc.elasticity_expr("exppower") - a * b * r ** (-b)) == 0
    lg = sc.alpha_expr("logistic")
    assert sp.simplify(sc.elasticity_expr("logistic") - b * (1 - lg)) == 0


def test_passk_proof():
    assert all(sc.passk_below_one_proof().values())


@settings(max_examples=300, deadline=None)
@given(rho=st.floats(1e-3, 1e4), p=st.floats(1e-6, 0.999))
def test_passk_eta_below_one(rho, p):
    e = sc.eta_passk(rho, p)
    assert 0 <= e <= 1
    if e < 1e-8:     # α indistinguishable from 1 in floating point
        return
    # numeric derivative agrees
    h = 1e-5
    num = (np.log(sc.alpha_passk(rho * np.exp(h), p)) - np.log(sc.alpha_passk(rho * np.exp(-h), p))) / (2 * h)
    assert num == pytest.approx(e, rel=1e-3, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(rho=st.floats(1, 1e4), a=st.floats(-5, 5), b=st.floats(0.05, 5))
def test_logistic_eta_matches_numeric(rho, a, b):
    h = 1e-5
    num = (np.log(sc.alpha_logistic(rho * np.exp(h), a, b)) - np.log(sc.alpha_logistic(rho * np.exp(-h), a, b))) / (2 * h)
    assert num == pytest.approx(sc.eta_logistic(rho, a, b), rel=1e-3, abs=1e-7)
    # crossing condition b(1-α) > 1  <=>  b > 1/(1-α)
    al = sc.alpha_logistic(rho, a, b)
    if abs(b - sc.logistic_slope_needed(al)) > 1e-6:
        assert (sc.eta_logistic(rho, a, b) > 1) == (b > sc.logistic_slope_needed(al))


@settings(max_examples=200, deadline=None)
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
