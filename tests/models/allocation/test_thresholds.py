"""Tests of the channel threshold, its λ-shift (ROSE) and the composition with the routing test."""

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.allocation import thresholds as th

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
    assert th.inference_wins(1.5, 0.5, 0.4)  # (1.5-1)/0.5 = 1 > 0.4
    assert not th.inference_wins(1.5, 0.5, 1.2)
    assert th.critical_dollar_ratio(1.5, 0.5) == pytest.approx(1.0)
    assert th.cost_elasticity_rho(64) == pytest.approx(64 / 65)
    assert th.threshold_eta_rho(0.5, 2.0) == pytest.approx(2.0)
    assert th.routing_factor(0.2, 0.1, reading="marginal") == pytest.approx(1.2 / 1.1)
    assert th.routing_factor(0.2, 0.1, reading="level") == pytest.approx(1 / 0.9)


# --------------- moved from the chapter: corollaries that hold by construction ---------------


def test_no_crossing_at_or_below_unit_elasticity_symbolic():
    s = sp.symbols("s", positive=True)
    lhs = th.channel_condition_expr("rho").lhs
    assert sp.simplify(lhs.subs(th.eta_rho, 1 - s)).is_negative
    assert sp.simplify(lhs.subs(th.eta_rho, 1)) == 0


def test_corner_solution_symbolic():
    # d ln C / d ln ρ = 1 − η_ρ in the ρ form: positive whenever η_ρ < 1 (cost rises with every sample)
    s, rr = sp.symbols("s rho", positive=True)
    a = sp.Function("alpha")
    own = sp.simplify(sp.diff(sp.log(rr / a(rr)), rr) * rr)
    own = sp.simplify(own.subs(sp.Derivative(a(rr), rr), th.eta_rho * a(rr) / rr))
    assert sp.simplify(own - (1 - th.eta_rho)) == 0
    assert sp.simplify(own.subs(th.eta_rho, 1 - s)).is_positive


# --------------- the one composition: general derivation and its two readings ---------------


def test_routed_threshold_derivation_verified():
    assert th.derive_routed_threshold()["verified"]


@pytest.mark.parametrize("reading", th.READINGS)
def test_special_cases_equal_the_published_readings(reading):
    """The general routed condition with each reading's (ε_P, λ_m) IS that reading's product form."""
    e = th.reading_expr(reading)
    assert e["equivalent"]
    x = th.eta_T * th.D_inf / th.D_train
    if reading == "level":  # the routing-premium chapter: Φ_c = (η−1)/(η_T r), Φ_r = 1/(1 − κΔ + γ)
        assert e["eps_P"] == 0
        assert sp.simplify(e["lam_m"] - (1 - th.kappa * th.Delta + th.gamma)) == 0
        assert sp.simplify(e["routing_factor"] - 1 / (1 - th.kappa * th.Delta + th.gamma)) == 0
        assert sp.simplify(e["channel_factor"] - (th.eta_rho - 1) / x) == 0
    else:  # the inference-frontier chapter: Φ_c = η/(1 + η_T r), Φ_r = (1 + κΔ)/(1 + γ)
        assert sp.simplify(e["eps_P"] - (th.kappa * th.Delta * th.eta_rho - th.gamma)) == 0
        assert sp.simplify(e["lam_m"] - (1 + th.gamma)) == 0
        assert sp.simplify(e["routing_factor"] - (1 + th.kappa * th.Delta) / (1 + th.gamma)) == 0
        assert sp.simplify(e["channel_factor"] - th.eta_rho / (1 + x)) == 0


def test_readings_agree_to_first_order():
    t = sp.symbols("t", positive=True)
    for reading in th.READINGS:
        phi = th.reading_expr(reading)["routing_factor"]
        lin = sp.series(
            sp.log(phi.subs({th.kappa: t * th.kappa, th.gamma: t * th.gamma})), t, 0, 2
        ).removeO()
        assert sp.simplify(lin - t * (th.kappa * th.Delta - th.gamma)) == 0


def test_level_reading_not_a_product_in_exact_form():
    x = th.level_reading_exact_form_gap()
    assert sp.simplify(x["gap"] - x["closed"]) == 0
    assert x["gap"] != 0


def test_rescue_differs_between_readings():
    # pass@k with p = 0.1 at ρ = 1: η = x/(eˣ−1) < 1; a good router (κΔ = 0.3, γ = 0.1)
    from costcorrect.models.allocation import scaling as sc

    eta = float(sc.eta_passk(1, 0.1))
    assert eta < 1
    assert th.routed_critical_ratio(eta, 0.5, 0.3, 0.1, reading="level") < 0  # never rescued
    assert (
        th.routed_critical_ratio(eta, 0.5, 0.3, 0.1, reading="marginal") > 0
    )  # rescued: (1+κΔ)η > 1+γ


@settings(deadline=None)
@given(eta_r=pos, eta_t=pos, ratio=pos, kd=st.floats(0, 0.9), g=st.floats(0, 0.5))
def test_numeric_readings_match_product_forms(eta_r, eta_t, ratio, kd, g):
    for reading in th.READINGS:
        m = th.routed_margin(eta_r, eta_t, ratio, kd, g, reading=reading)
        prod = th.composed_factor(eta_r, eta_t, ratio, kd, g, reading=reading)
        crit = th.routed_critical_ratio(eta_r, eta_t, kd, g, reading=reading)
        if abs(m) > 1e-9 and abs(prod - 1) > 1e-9:
            assert (m > 0) == (prod > 1) == (ratio < crit)


@settings(deadline=None)
@given(eta_r=st.floats(0, 1.0), eta_t=pos, ratio=pos, kd=st.floats(0, 0.9), g=st.floats(0, 0.5))
def test_level_reading_never_rescues_unit_elasticity(eta_r, eta_t, ratio, kd, g):
    assert th.routed_margin(eta_r, eta_t, ratio, kd, g, reading="level") <= 1e-12


@settings(deadline=None)
@given(eta_r=st.floats(0, 1.0), eta_t=pos, ratio=pos)
def test_no_crossing_when_eta_rho_at_most_one(eta_r, eta_t, ratio):
    assert not th.inference_wins(eta_r, eta_t, ratio)


@settings(deadline=None)
@given(eta_r=pos, eta_t=pos, ratio=pos)
def test_sign_equivalences(eta_r, eta_t, ratio):
    m = th.channel_margin(eta_r, eta_t, ratio)
    if abs(m) > 1e-9:
        assert (m > 0) == (th.channel_factor(eta_r, eta_t, ratio, reading="level") > 1)
        assert (m > 0) == (th.channel_factor(eta_r, eta_t, ratio, reading="marginal") > 1)
        assert (m > 0) == (ratio < th.critical_dollar_ratio(eta_r, eta_t))


@settings(deadline=None)
@given(eta_r=pos, eta_t=pos, ratio=pos, rho=pos, lam=frac)
def test_cheaper_rollouts_never_hurt(eta_r, eta_t, ratio, rho, lam):
    # lowering λ can only move the verdict towards inference
    if th.inference_wins(eta_r, eta_t, ratio, rho, 1.0):
        assert th.inference_wins(eta_r, eta_t, ratio, rho, lam)


@settings(deadline=None)
@given(kd=st.floats(0, 0.95), g=st.floats(0, 0.5))
def test_routing_factor_sign(kd, g):
    if abs(kd - g) > 1e-9:
        for reading in th.READINGS:
            assert (th.routing_factor(kd, g, reading=reading) > 1) == (kd > g)


def test_one_definition_of_the_threshold_symbols_and_of_routing_factor():
    """The allocation chapters share one composition: `routing_factor` and κ, Δ, γ are defined once."""
    import re

    from conftest import ROOT as root

    src = [p.read_text() for p in (root / "src" / "costcorrect").rglob("*.py")]
    assert sum(len(re.findall(r"^def routing_factor\(", t, flags=re.M)) for t in src) == 1
    pattern = re.compile(
        r"sp\.symbols\(\s*\"[^\"]*\b(kappa|Delta|gamma|eta_alpha\^T|eta_alpha\^rho)\b"
    )
    where = [
        p.name
        for p in (root / "src" / "costcorrect").rglob("*.py")
        if pattern.search(p.read_text())
    ]
    assert where == ["thresholds.py"], where
    for slug in ("inference-frontier", "routing-premium", "rose"):
        text = (root / "notebooks" / f"{slug}.md").read_text()
        assert not pattern.search(text), slug


def test_flops_matched_multiplier_is_snells_formula():
    expr = th.flops_matched_multiplier_expr()
    assert sp.simplify(expr - (th.M_ + 3 * (th.M_ - 1) / th.R_)) == 0
    # equal FLOPs: no exchange when the models are the same size, and more inference at small R
    assert th.flops_matched_multiplier(1, 0.5) == 1
    assert th.flops_matched_multiplier(14, 0.16) > th.flops_matched_multiplier(14, 22) > 14
    assert th.flops_matched_multiplier(14, 22) == pytest.approx(14 + 39 / 22)
