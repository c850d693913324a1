import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from costcorrect.models.foundations import core


def test_vcpd_limit_is_cpm():
    assert core.vcpd_limit() == core.CPM
    assert core.vcpd(7.5) == 7.5


def test_elasticities():
    eta = core.elasticities()
    assert eta["CPM"] == 1 and eta["R"] == 1 and eta["alpha"] == -1
    assert sp.simplify(eta["rho_bar"] - core.rho / (1 + core.rho)) == 0


def test_worked_examples():
    assert core.reasoning_multiplier(50_500, 500) == 101
    assert core.rollout_ratio(16) == 15
    assert core.blended_cpm(5.0, 30.0) == 17.5
    assert core.cost_correct(17.5, 101, 15, 0.5) == 17.5 * 101 * 16 / 0.5
    assert core.Deployment(10, 2, 1, 0.5).cost_correct == 80


def test_alpha_leverage_symbolic_matches_numeric():
    assert core.alpha_leverage_expr() == 1 / core.alpha
    finite = core.alpha_leverage_expr(sp.Rational(1, 100), sp.Rational(1, 100))
    for a in (0.2, 0.5, 0.7):
        assert np.isclose(float(finite.subs(core.alpha, a)), core.alpha_lift_leverage(a))


@given(st.floats(0.01, 1.0), st.floats(1e-4, 0.05))
def test_alpha_lift_is_stronger_lever_below_one(a, lift):
    # a lift-point rise in alpha beats a lift-fraction CPM cut whenever alpha + lift < 1
    if a + lift < 1:
        assert core.alpha_lift_leverage(a, lift, lift) > 1


def test_alpha_band_3_to_8_needs_alpha_between_an_eighth_and_a_third():
    # moved here from the ledger: solving 1/alpha = 3 and = 8 is a property of our reading, not a claim
    marginal = core.alpha_leverage_expr()
    sols = sorted(float(s) for v in (3, 8) for s in sp.solve(sp.Eq(marginal, v), core.alpha))
    assert sols == [0.125, 1 / 3]


def test_alpha_leverage_readings():
    assert core.alpha_leverage(0.25, "marginal") == 4
    assert core.alpha_leverage(0.2, "one point vs 1%") == core.alpha_lift_leverage(0.2)
    assert core.alpha_leverage(0.2, "equal relative step") == pytest.approx(0.2 / 0.21)
    lo, hi = core.alpha_leverage_span(0.2, 0.7, "marginal")
    assert (lo, hi) == (pytest.approx(1 / 0.7), pytest.approx(5.0))
    with pytest.raises(ValueError):
        core.alpha_leverage(0.5, "twice as fast")


@given(st.floats(0.01, 0.98), st.floats(1e-4, 0.02))
def test_equal_relative_steps_make_cpm_the_stronger_lever(a, lift):
    assert core.alpha_leverage(a, "equal relative step", lift) < 1


def test_most_extreme_value():
    assert core.most_extreme([0.41, 0.59], 0.2, 0.7) == 0.59
    assert core.most_extreme([0.78, 0.9], 0.2, 0.7) == 0.9
    assert core.most_extreme([0.1, 0.5], 0.2, 0.7) == 0.1


def test_sensitivity_moves_one_term_at_a_time():
    ref = dict(cpm=10.0, r=10.0, rho_bar=3.0, a=0.5)
    spans = {"cpm": [5.0, 10.0, 20.0], "rho_bar": [0.0, 7.0], "a": [0.25, 1.0]}
    s = core.sensitivity(ref, spans)
    assert list(s["term"]) == ["cpm"] * 3 + ["rho_bar"] * 2 + ["a"] * 2
    assert s["cost_correct"].iloc[1] == pytest.approx(core.cost_correct(**ref))
    # elasticity +1 in CPM, (1+ρ̄) in rollouts, −1 in α: the relative column shows each
    assert s["relative"].to_numpy() == pytest.approx([0.5, 1.0, 2.0, 0.25, 2.0, 2.0, 0.5])
    with pytest.raises(ValueError, match="tokens"):
        core.sensitivity(ref, {"tokens": [1.0]})


def test_sensitivity_spread_ranks_terms_by_how_far_they_move_the_unit():
    ref = dict(cpm=10.0, r=10.0, rho_bar=3.0, a=0.5)
    spans = {"cpm": [5.0, 10.0, 20.0], "rho_bar": [0.0, 7.0], "a": [0.4, 1.0]}
    spread = core.sensitivity_spread(core.sensitivity(ref, spans))
    assert list(spread.index) == ["rho_bar", "cpm", "a"]
    assert spread.to_numpy() == pytest.approx([8.0, 4.0, 2.5])
