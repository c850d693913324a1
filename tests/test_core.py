import numpy as np
import sympy as sp
from hypothesis import given, strategies as st

from costcorrect import core


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
