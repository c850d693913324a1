"""Tests for costcorrect.prices (log-linear price trends)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect import prices


def _frame(rates: dict[str, float], n: int = 8, noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for cls, rate in rates.items():
        for i, days in enumerate(np.linspace(0, 1096, n).round()):
            t = days / 365.25
            cpm = 10 * np.exp(-np.log(rate) * t + noise * rng.standard_normal())
            rows.append({"model": f"{cls}{i}", "price_class": cls, "date": pd.Timestamp("2023-01-01") + pd.Timedelta(days=days),
                         "input_usd_per_mtok": cpm, "output_usd_per_mtok": cpm})
    return prices.add_blended(pd.DataFrame(rows))


def test_blended_is_mean_of_input_and_output():
    df = prices.add_blended(pd.DataFrame({"model": ["a"], "date": ["2023-03-14"], "input_usd_per_mtok": [30.0],
                                          "output_usd_per_mtok": [60.0]}))
    assert df["cpm"].iloc[0] == pytest.approx(45.0)
    assert df["years"].iloc[0] == pytest.approx(72 / 365.25)


@settings(max_examples=12, deadline=None)
@given(st.floats(min_value=1.05, max_value=50.0))
def test_noise_free_fit_recovers_the_annual_decline(rate):
    fit = prices.class_trends(_frame({"x": rate}))["x"]
    lo, point, hi = fit.annual_decline()
    assert point == pytest.approx(rate, rel=1e-9)
    assert lo == pytest.approx(hi, rel=1e-6)


def test_equal_slopes_test_separates_different_rates_and_not_equal_ones():
    differ = prices.equal_slopes_test(_frame({"a": 2.0, "b": 20.0}, noise=0.1, seed=1))
    same = prices.equal_slopes_test(_frame({"a": 3.0, "b": 3.0}, noise=0.1, seed=1))
    assert differ["p"] < 1e-6
    assert same["p"] > 0.01


def test_first_last_ratio_and_prediction_interval():
    df = _frame({"x": 4.0}, n=5, noise=0.05, seed=2)
    ratio = prices.first_last_ratio(df)["ratio_first_to_last"].iloc[0]
    assert ratio == pytest.approx(df["cpm"].iloc[0] / df["cpm"].iloc[-1])
    fit = prices.class_trends(df)["x"]
    lo, mid, hi = prices.prediction_interval(fit, 1.5)
    assert lo < mid < hi
    assert prices.standardized_residual(fit, 1.5, hi) == pytest.approx(
        __import__("scipy").stats.t.ppf(0.975, fit.df), rel=1e-9)


def test_fit_needs_three_points():
    with pytest.raises(ValueError):
        prices.fit_trend(np.array([0.0, 1.0]), np.array([1.0, 0.0]))


def test_equal_slopes_test_with_provider_controls():
    df = _frame({"a": 3.0, "b": 3.0}, noise=0.05, seed=3)
    df["provider"] = np.where(np.arange(len(df)) % 2 == 0, "p", "q")
    df.loc[df["provider"] == "q", "log_cpm"] += 1.0   # a pure level shift between providers
    plain, ctrl = prices.equal_slopes_test(df), prices.equal_slopes_test(df, controls=("provider",))
    assert ctrl["df2"] == plain["df2"] - 1
    assert ctrl["p"] > 0.01
