"""Tests of the channel threshold, its λ-shift (ROSE) and the composition with the routing test."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect import thresholds as th

pos = st.floats(min_value=1e-3, max_value=50, allow_nan=False)
frac = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)


def test_derivation_reduces_to_published_rho_form():
    cond = th.channel_condition_expr("rho")
    assert sp.simplify(cond.lhs - (th.eta_rho - 1) / th.eta_T) == 0
    assert sp.simplify(cond.rhs - th.D_inf / th.D_train) == 0


@pytest.mark.parametrize("fixed", [0, 1])
def test_derivation_verified(fixed):
    d = th.derive_channel_threshold(fixed=fixed, price=th.lam)
    assert d["verified"]
    assert sp.simplify(d["dlnC_train"] + th.eta_T / th.D_train) == 0


def test_exact_form_cost_elasticity():
    cond = th.channel_condition_expr("exact")
    assert sp.simplify(cond.lhs - (th.eta_rho - th.rho / (1 + th.rho)) / th.eta_T) == 0


def test_lambda_limit_exact_and_rho_forms():
    lim = th.lambda_limit("exact")
    assert sp.simplify(lim["lhs"] - th.eta_rho / th.eta_T) == 0 and lim["rhs"] == 0
    lim0 = th.lambda_limit("rho")
    assert sp.simplify(lim0["lhs"] - (th.eta_rho - 1) / th.eta_T) == 0


def test_known_values():
    assert th.inference_wins(1.5, 0.5, 0.4)            # (1.5-1)/0.5 = 1 > 0.4
    assert not th.inference_wins(1.5, 0.5, 1.2)
    assert th.critical_dollar_ratio(1.5, 0.5) == pytest.approx(1.0)
    assert th.cost_elasticity_rho(64) == pytest.approx(64 / 65)
    assert th.threshold_eta_rho(0.5, 2.0) == pytest.approx(2.0)
    assert th.routing_factor(0.5, 0.4, 0.1) == pytest.approx(1.2 / 1.1)


def test_composition_verified():
    assert th.composed_condition_expr("rho")["verified"]
    assert th.composed_condition_expr("exact")["verified"]


@settings(max_examples=300, deadline=None)
@given(eta_r=st.floats(0, 1.0), eta_t=pos, ratio=pos)
def test_no_crossing_when_eta_rho_at_most_one(eta_r, eta_t, ratio):
    assert not th.inference_wins(eta_r, eta_t, ratio)


@settings(max_examples=300, deadline=None)
@given(eta_r=pos, eta_t=pos, ratio=pos)
def test_sign_equivalences(eta_r, eta_t, ratio):
    m = th.channel_margin(eta_r, eta_t, ratio)
    f = th.channel_factor(eta_r, eta_t, ratio)
    if abs(m) > 1e-9:
        assert (m > 0) == (f > 1)
        assert (m > 0) == (ratio < th.critical_dollar_ratio(eta_r, eta_t))


@settings(max_examples=300, deadline=None)
@given(eta_r=pos, eta_t=pos, ratio=pos, rho=pos, lam=frac)
def test_cheaper_rollouts_never_hurt(eta_r, eta_t, ratio, rho, lam):
    # lowering λ can only move the verdict towards inference
    if th.inference_wins(eta_r, eta_t, ratio, rho, 1.0):
        assert th.inference_wins(eta_r, eta_t, ratio, rho, lam)


@settings(max_examples=300, deadline=None)
@given(k=frac, d=pos, g=pos)
def test_routing_factor_sign(k, d, g):
    if abs(k * d - g) > 1e-9:
        assert (th.routing_factor(k, d, g) > 1) == (k * d > g)


@settings(max_examples=300, deadline=None)
@given(eta_r=pos, eta_t=pos, ratio=pos, k=frac, d=pos, g=pos)
def test_composed_matches_shifted_threshold(eta_r, eta_t, ratio, k, d, g):
    m = th.routing_factor(k, d, g)
    direct = th.channel_margin(m * eta_r, eta_t, ratio)
    prod = th.composed_factor(eta_r, eta_t, ratio, k, d, g)
    if abs(direct) > 1e-9:
        assert (direct > 0) == (prod > 1)
