"""Tests for costcorrect.models.foundations.levers (multiplicative lever decomposition)."""

import math

import pandas as pd
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from costcorrect.models.foundations import levers


def test_stack_factor_is_solved_not_typed():
    sol = levers.solve_stack_factor()
    assert sp.simplify(sol - levers.F_total / levers.F_arch) == 0
    assert float(sol.subs({levers.F_total: 280, levers.F_arch: 3})) == pytest.approx(
        93.333333, rel=1e-6
    )


def test_log_additivity_with_and_without_fleet():
    assert sp.simplify(levers.log_additivity()) == 0
    assert sp.simplify(levers.log_additivity(with_fleet=True)) == 0
    assert levers.F_fleet in levers.compression_expr(with_fleet=True).free_symbols
    assert levers.F_fleet not in levers.compression_expr().free_symbols


@given(st.lists(st.floats(min_value=1.01, max_value=20), min_size=1, max_size=6))
def test_waterfall_ends_at_reciprocal_product(fs):
    w = levers.waterfall({f"l{i}": f for i, f in enumerate(fs)})
    assert w["after"].iloc[-1] == pytest.approx(1 / math.prod(fs), rel=1e-9)
    assert (w["after"] < w["before"]).all()


def test_waterfall_rejects_nonpositive():
    with pytest.raises(ValueError):
        levers.waterfall({"bad": 0.0})


def test_lever_ranges_take_widest_range_and_product():
    df = pd.DataFrame(
        {
            "row_id": ["a", "b", "c"],
            "lever": ["runtime", "runtime", "quantization"],
            "factor_low": [2.0, 1.5, 1.6],
            "factor_high": [4.0, 3.0, 1.6],
        }
    )
    r = levers.lever_ranges(df)
    assert list(r.index) == ["quantization", "runtime"]
    assert r.loc["runtime", "low"] == 1.5 and r.loc["runtime", "high"] == 4.0
    p = levers.product_range(r)
    assert p["low"] == pytest.approx(1.6 * 1.5) and p["high"] == pytest.approx(1.6 * 4.0)
    assert levers.implied_residual(280, {"a": 2, "b": 5}) == pytest.approx(28)


def test_product_at_named_points():
    df = pd.DataFrame(
        {
            "row_id": ["a", "b"],
            "lever": ["runtime", "quantization"],
            "factor_low": [2.0, 1.0],
            "factor_high": [8.0, 4.0],
        }
    )
    r = levers.lever_ranges(df)
    assert levers.product_at(r, {}) == pytest.approx(4.0 * 2.0)
    assert levers.product_at(r, {"runtime": "high", "quantization": "low"}) == pytest.approx(8.0)
    lows = levers.product_at(r, dict.fromkeys(r.index, "low"))
    highs = levers.product_at(r, dict.fromkeys(r.index, "high"))
    assert (lows, highs) == (
        pytest.approx(levers.product_range(r)["low"]),
        pytest.approx(levers.product_range(r)["high"]),
    )
    with pytest.raises(ValueError):
        levers.product_at(r, {"runtime": "top"})


def test_fleet_multipliers_pass_the_fleet_factor_straight_through():
    """With every other lever at 1, a fleet factor F divides CPM, and so Cost-correct, by F."""
    t = levers.fleet_multipliers({"a": 2.0, "b": 2.79})
    assert t.loc["a", "CPM multiplier"] == pytest.approx(0.5)
    assert t.loc["b", "Cost-correct multiplier"] == pytest.approx(1 / 2.79)


def test_waterfall_to_ends_at_the_total_fall():
    wf = levers.waterfall_to(280.0, {"quantization": 2.0, "architecture": 3.0})
    assert list(wf["lever"]) == ["quantization", "architecture", "unexplained"]
    assert wf["after"].iloc[-1] == pytest.approx(1 / 280)
    assert wf["factor"].iloc[-1] == pytest.approx(280 / 6)


def test_stack_factor_curve_is_the_solved_demand():
    curve = levers.stack_factor_curve(280.0, [1.0, 3.0, 10.0])
    assert list(curve.columns) == ["F_arch", "F_stack"]
    assert curve["F_stack"].to_numpy() == pytest.approx([280.0, 280 / 3, 28.0])
    assert (curve["F_arch"] * curve["F_stack"]).to_numpy() == pytest.approx([280.0] * 3)
