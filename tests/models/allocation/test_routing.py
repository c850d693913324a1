"""Tests of the routing-premium model (costcorrect.models.allocation.routing): symbolic identities,
mappings, sign conditions."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from costcorrect.models.allocation import routing as r

pos = st.floats(min_value=1e-3, max_value=10.0, allow_nan=False)
unit = st.floats(min_value=1e-3, max_value=0.999, allow_nan=False)


def test_margin_model_reduces_to_kappa_delta_minus_gamma():
    m = r.margin_model()
    g = m.symbols["gamma"]
    assert sp.simplify(m.premium_at_optimum - (m.kappa * m.Delta - g)) == 0
    # away from the optimum the level shift b survives at first order ...
    assert sp.diff(m.premium_first_order, m.symbols["b"]) != 0
    # ... and vanishes at the optimum (envelope argument)
    assert sp.simplify(sp.diff(m.premium_at_optimum, m.symbols["b"])) == 0


def test_margin_model_classifier_without_information_pays_nothing():
    m = r.margin_model()
    k = m.kappa.subs(m.symbols["f"], m.symbols["s"])
    assert k == 0


def test_allocation_rule_identity_and_oracle():
    a = r.allocation_rule()
    assert sp.simplify(a.premium - (a.kappa * a.Delta - a.symbols["gamma"])) == 0
    oracle = a.kappa.subs({a.symbols["s"]: 1, a.symbols["f"]: 0})
    assert oracle == 1


def test_elasticities_in_safety_ratio():
    e = r.premium_elasticities()
    assert sp.simplify(e["kappa"] - r.S / (r.S - 1)) == 0
    assert sp.simplify(e["Delta"] - r.S / (r.S - 1)) == 0
    assert sp.simplify(e["gamma"] + 1 / (r.S - 1)) == 0
    assert r.elasticity_kappa(2.0) == pytest.approx(2.0)
    assert r.elasticity_gamma(2.0) == pytest.approx(-1.0)


def test_critical_error_closed_form_and_known_values():
    expr = r.critical_error_expr()
    assert sp.simplify(expr - (2 * r.S + 1 - sp.sqrt(8 * r.S + 1)) / (2 * r.S)) == 0
    assert r.critical_error(2.0) == pytest.approx(0.21922, abs=1e-5)
    assert r.critical_error(1.0) == pytest.approx(0.0, abs=1e-12)


def test_speculative_decoding_mapping_matches_theorem_3_8():
    # Leviathan et al. (2023) Table 4, EnDe / T5-small / argmax: alpha 0.75, gamma 7, c 0.02, Exp 3.2
    assert r.spec_improvement(0.75, 7, 0.02) == pytest.approx(3.2, abs=0.05)
    kd, g = r.spec_kappa_delta(0.75, 7), r.spec_overhead(0.75, 7, 0.02)
    assert 1 - (kd - g) == pytest.approx(1 / r.spec_improvement(0.75, 7, 0.02))


def test_one_set_of_threshold_symbols():
    from costcorrect.models.allocation import thresholds as th

    assert r.kappa is th.kappa and r.Delta is th.Delta and r.gamma is th.gamma and r.S is th.S
    assert r.margin_model().symbols["gamma"] is th.gamma
    assert not hasattr(r, "routing_factor")


def test_five_patterns_rule_defines_kappa_as_the_residual():
    """Moved from the chapter (`five-patterns` held by construction): the cheap-path rule's premium is
    κΔ − γ because κ is *defined* as the share of the oracle saving that is left; it equals the margin
    theorem's informedness s − f only when misroutes cost nothing (λ f (1 − e) = 0)."""
    a = r.allocation_rule()
    s_, f_ = a.symbols["s"], a.symbols["f"]
    assert sp.simplify(a.premium - (a.kappa * a.Delta - a.symbols["gamma"])) == 0
    assert sp.simplify(a.kappa - (s_ - f_)) != 0
    a_, n_, c_ = sp.symbols("a n c", positive=True)
    E_ = (1 - a_ ** (n_ + 1)) / (1 - a_)
    assert sp.simplify((1 - (n_ * c_ + 1) / E_) - ((1 - 1 / E_) - n_ * c_ / E_)) == 0


def test_exact_margin_premium_is_second_order_close():
    rng = np.random.default_rng(0)
    n = 50
    args = dict(
        pi=rng.uniform(0.2, 0.8, n),
        s=rng.uniform(0.6, 1, n),
        f=rng.uniform(0, 0.4, n),
        c50_h=rng.uniform(2, 8, n),
        h_h=rng.uniform(2, 4, n),
        c50_e=rng.uniform(0.3, 1.5, n),
        h_e=rng.uniform(2, 4, n),
    )
    errs = []
    for t in (0.02, 0.01):
        p, kd = r.exact_margin_premium(t=t, g=0.0, **args)
        errs.append(np.abs(p - kd))
    ratio = np.median(errs[0] / errs[1])
    assert 3.5 < ratio < 4.5


# ------------------------------ property tests of the sign conditions ------------------------------

_rule = r.allocation_rule()
_sym = _rule.symbols
_kappa_fn = sp.lambdify((_sym["e"], _sym["s"], _sym["f"], _sym["lambda"]), _rule.kappa)
_delta_fn = sp.lambdify((_sym["e"], _sym["lambda"]), _rule.Delta)


@given(pos, pos, pos)
def test_sign_of_premium_iff_safety_ratio_above_one(k, d, g):
    p = r.premium(k, d, g)
    s = r.safety_ratio(k, d, g)
    if abs(p) > 1e-9:
        assert (p > 0) == (s > 1)


@given(unit, unit, unit, unit, st.floats(min_value=0, max_value=0.5))
def test_allocation_rule_sign_condition(e, s, f, lam, g):
    k, d = _kappa_fn(e, s, f, lam), _delta_fn(e, lam)
    p = r.allocation_premium(e, s, f, lam, g)
    assert p == pytest.approx(k * d - g, abs=1e-9)
    if abs(p) > 1e-9:
        assert (p > 0) == (k * d > g)


@given(st.floats(min_value=1.0001, max_value=1e3))
def test_common_error_at_critical_value_flips_exactly(s):
    e = float(r.critical_error(s))
    assert 0 <= e < 1
    # at eps*, the overstated kappa, Delta and understated gamma meet the boundary
    assert (1 - e) ** 2 * s == pytest.approx(1 + e, rel=1e-9)
    # a slightly smaller error keeps the verdict, a slightly larger one flips it
    assert (1 - 0.99 * e) ** 2 * s > 1 + 0.99 * e
    if e > 1e-6:
        assert (1 - 1.01 * e) ** 2 * s < 1 + 1.01 * e


@given(
    st.floats(min_value=0.05, max_value=0.95),
    st.integers(min_value=1, max_value=12),
    st.floats(min_value=0.0, max_value=0.3),
)
def test_speculative_decoding_walltime_sign_and_flop_failure(a, n, c):
    kd, g = r.spec_kappa_delta(a, n), r.spec_overhead(a, n, c)
    improvement = r.spec_improvement(a, n, c)
    # positive premium on the walltime basis iff the improvement factor exceeds 1
    if abs(improvement - 1) > 1e-9:
        assert (kd > g) == (improvement > 1)
    # on the arithmetic-operations basis the premium is never positive (E <= gamma + 1)
    assert kd - r.spec_flop_overhead(a, n, c) <= 1e-12


@given(st.floats(min_value=1.0, max_value=100.0), st.floats(min_value=1e-4, max_value=1.0))
def test_reported_factor_is_a_floor_on_the_safety_ratio(F, share):
    """Moved from the chapter (`six-positive` and its worst-case twin held by construction): a reported
    net cost reduction F > 1 implies S >= F > 1 for every overhead the mapping allows."""
    g = share * float(r.overhead_cap(F))  # any overhead up to the cap 1/F
    kd = float(r.kappa_delta_from_speedup(F, g))
    assert kd <= 1 + 1e-12
    assert r.safety_ratio(1.0, kd, g) >= F * (1 - 1e-9)


def test_safety_floor_expression():
    f = r.safety_floor_expr()
    F = f["F"]
    assert sp.simplify(f["S_minus_F"] - (F - 1) * (1 - r.gamma * F) / (r.gamma * F)) == 0


def test_wilson_interval_known_values():
    lo, hi = r.wilson_interval(10, 10)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(0.7225, abs=1e-3)
    lo, hi = r.wilson_interval(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)


def test_sign_agreement_counts_are_consistent():
    a = r.sign_agreement(1, 200, 0.001, 0.05)
    assert a["k_outside"] <= a["n_outside"] <= 200
    assert a["outside"] == pytest.approx(a["k_outside"] / a["n_outside"])


def test_spec_break_even_identities():
    out = r.spec_break_even()
    assert out["verified"] and out["n1"] and out["every_n"]
    a, c = sp.symbols("a c", positive=True)
    assert sp.simplify(out["gap_n1"] - (a - c) / (1 + c)) == 0


@given(
    st.floats(0.01, 0.99),
    st.floats(0.001, 0.99),
)
def test_spec_improvement_exists_iff_acceptance_exceeds_cost(a, c):
    best = max(float(r.spec_improvement(a, n, c)) for n in range(1, 65))
    if a > c + 1e-9:
        assert best > 1
    elif a < c - 1e-9:
        assert best <= 1 + 1e-12


def _table4():
    import pandas as pd

    return pd.DataFrame(
        {
            "task": ["EnDe", "EnDe"],
            "draft_model": ["T5-small", "T5-base"],
            "temperature": [0, 1],
            "acceptance_rate": [0.75, 0.6],
            "draft_length": [7, 3],
            "cost_coefficient": [0.02, 0.05],
            "improvement_expected": [3.4, 2.0],
            "improvement_empirical": [3.4, 1.9],
        }
    )


def test_leviathan_table_maps_table4_and_flop_basis_is_negative():
    lev = r.leviathan_table(_table4())
    assert np.allclose(lev.S, lev.kappa_delta / lev.gamma)
    assert np.allclose(lev.kappa_delta, 1 - 1 / lev.E_tokens)
    assert (lev.premium_flop < 0).all()
    assert r.flop_premium(lev, 0.1) < r.flop_premium(lev, 0.0) < 0


def test_calibrate_systems_puts_reported_gains_above_their_floor():
    import pandas as pd

    lev = r.leviathan_table(_table4())
    systems = pd.DataFrame(
        {
            "pattern": ["speculative decoding", "cascade routing"],
            "substitute": [False, True],
            "factor_point": [3.4, 2.0],
            "factor_low": [1.4, float("nan")],
            "factor_high": [3.4, 4.0],
        },
        index=pd.Index(["leviathan", "cascade"], name="system"),
    )
    over = pd.DataFrame(
        {"gamma_low": [0.0, 0.01], "gamma_high": [0.0, 0.9], "basis": ["walltime", "assumed"]},
        index=systems.index,
    )
    cal = r.calibrate_systems(systems, over, lev, 0.1)
    row = cal.loc["cascade"]
    assert row.g_hi == pytest.approx(0.5)  # capped at 1/F_low
    assert row.S_low >= row.S_floor - 1e-12 and row.S_floor == 2.0
    assert not cal.flips_at_modest_error.any()


def test_arc_elasticity_and_patterns():
    import pandas as pd

    curves = pd.DataFrame({"model": ["m"] * 2, "samples": [4, 16], "accuracy": [0.5, 0.6]})
    arc = r.arc_elasticities(curves)
    eta = np.log(0.6 / 0.5) / np.log(4)
    assert arc.iloc[0, 0] == pytest.approx(eta)
    assert arc.iloc[0, 2] == pytest.approx(1 / eta - 1)
    assert len(r.PATTERNS) == 5
