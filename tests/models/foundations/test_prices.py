"""Tests for costcorrect.models.foundations.prices (log-linear price trends)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.foundations import prices


def _frame(rates: dict[str, float], n: int = 8, noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for cls, rate in rates.items():
        for i, days in enumerate(np.linspace(0, 1096, n).round()):
            t = days / 365.25
            cpm = 10 * np.exp(-np.log(rate) * t + noise * rng.standard_normal())
            rows.append(
                {
                    "model": f"{cls}{i}",
                    "price_class": cls,
                    "date": pd.Timestamp("2023-01-01") + pd.Timedelta(days=days),
                    "input_usd_per_mtok": cpm,
                    "output_usd_per_mtok": cpm,
                }
            )
    return prices.add_blended(pd.DataFrame(rows))


def test_blended_is_mean_of_input_and_output():
    df = prices.add_blended(
        pd.DataFrame(
            {
                "model": ["a"],
                "date": ["2023-03-14"],
                "input_usd_per_mtok": [30.0],
                "output_usd_per_mtok": [60.0],
            }
        )
    )
    assert df["cpm"].iloc[0] == pytest.approx(45.0)
    assert df["years"].iloc[0] == pytest.approx(72 / 365.25)


@settings(deadline=None)
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
        __import__("scipy").stats.t.ppf(0.975, fit.df), rel=1e-9
    )


def test_fit_needs_three_points():
    with pytest.raises(ValueError):
        prices.fit_trend(np.array([0.0, 1.0]), np.array([1.0, 0.0]))


def test_equal_slopes_test_with_provider_controls():
    df = _frame({"a": 3.0, "b": 3.0}, noise=0.05, seed=3)
    df["provider"] = np.where(np.arange(len(df)) % 2 == 0, "p", "q")
    df.loc[df["provider"] == "q", "log_cpm"] += 1.0  # a pure level shift between providers
    plain, ctrl = prices.equal_slopes_test(df), prices.equal_slopes_test(df, controls=("provider",))
    assert ctrl["df2"] == plain["df2"] - 1
    assert ctrl["p"] > 0.01


def test_rate_ratio_interval_separates_different_rates_and_not_equal_ones():
    differ = prices.rate_ratio_interval(_frame({"a": 2.0, "b": 20.0}, noise=0.1, seed=1))
    assert differ["fastest"] == "b" and differ["slowest"] == "a"
    assert differ["ratio"] == pytest.approx(10.0, rel=0.2)
    assert differ["low"] > 1
    same = prices.rate_ratio_interval(_frame({"a": 3.0, "b": 3.0}, noise=0.1, seed=1))
    assert same["low"] < 1 < same["high"]
    assert same["ratio"] >= 1


def test_detectable_rate_ratio_grows_with_noise_and_is_one_without_it():
    assert prices.detectable_rate_ratio(0.0, 30) == pytest.approx(1.0)
    quiet = prices.rate_ratio_interval(_frame({"a": 3.0, "b": 3.0}, noise=0.05, seed=1))
    noisy = prices.rate_ratio_interval(_frame({"a": 3.0, "b": 3.0}, noise=0.5, seed=1))
    d_quiet = prices.detectable_rate_ratio(quiet["se"], quiet["df"])
    assert 1 < d_quiet < prices.detectable_rate_ratio(noisy["se"], noisy["df"])
    # 80% power lies beyond the interval's half-width: exp((t_975 + t_80) se) > high / ratio
    assert d_quiet > quiet["high"] / quiet["ratio"]


def test_rate_ratio_interval_with_provider_controls_matches_f_test_dof():
    df = _frame({"a": 3.0, "b": 3.0}, noise=0.05, seed=3)
    df["provider"] = np.where(np.arange(len(df)) % 2 == 0, "p", "q")
    assert (
        prices.rate_ratio_interval(df, controls=("provider",))["df"]
        == prices.equal_slopes_test(df, controls=("provider",))["df2"]
    )


def test_prediction_pvalue_at_the_interval_edge_is_one_minus_level():
    df = _frame({"x": 4.0}, n=6, noise=0.05, seed=2)
    fit = prices.class_trends(df)["x"]
    _lo, mid, hi = prices.prediction_interval(fit, 1.5, 0.9)
    assert prices.prediction_pvalue(fit, 1.5, hi) == pytest.approx(0.1, rel=1e-9)
    assert prices.prediction_pvalue(fit, 1.5, mid) == pytest.approx(1.0)


def test_successor_ratios_and_largest_earlier_rise():
    df = prices.add_blended(
        pd.DataFrame(
            {
                "model": ["a", "b", "c", "d"],
                "date": ["2022-01-01", "2023-06-01", "2024-06-01", "2026-04-01"],
                "input_usd_per_mtok": [10.0, 5.0, 6.0, 12.0],
                "output_usd_per_mtok": [10.0, 5.0, 4.0, 8.0],
            }
        )
    )
    r = prices.successor_price_ratios(df)
    assert list(r["model"]) == ["b", "c", "d"] and list(r["ratio"]) == pytest.approx(
        [0.5, 1.0, 2.0]
    )
    assert prices.largest_earlier_rise(df, "2026-04-01") == pytest.approx(1.0)  # d itself excluded
    assert prices.largest_earlier_rise(df, "2026-04-01", measure="input") == pytest.approx(1.2)
    assert prices.largest_earlier_rise(df, "2026-04-01", measure="output") == pytest.approx(0.8)
    with pytest.raises(ValueError):
        prices.largest_earlier_rise(df, "2023-01-01", years=0.5)


def test_common_decline_recovers_a_shared_rate_and_includes_one_without_a_fall():
    falling = prices.common_decline(_frame({"a": 4.0, "b": 4.0}, noise=0.05, seed=4))
    assert falling["factor"] == pytest.approx(4.0, rel=0.1)
    assert 1 < falling["low"] <= falling["factor"] <= falling["high"]
    flat = prices.common_decline(_frame({"a": 1.0, "b": 1.0}, noise=0.1, seed=5))
    assert flat["low"] < 1 < flat["high"]


def test_max_ratio_within_band_picks_the_widest_near_pair():
    acc = [0.50, 0.51, 0.70, 0.71]
    cost = [1.0, 30.0, 2.0, 4.0]
    ratio, i, j = prices.max_ratio_within_band(acc, cost, band=0.02)
    assert (ratio, i, j) == (30.0, 1, 0)
    # a pair farther apart than the band never counts
    ratio, _, _ = prices.max_ratio_within_band(acc, cost, band=0.005)
    assert ratio == 1.0
    ratio, i, j = prices.max_ratio_within_band(acc, cost, band=0.02, mask=[False, True, True, True])
    assert (ratio, i, j) == (2.0, 3, 2)


def test_cost_spread_top_and_upper_half():
    score = np.array([0.85, 0.84, 0.60, 0.59, 0.20])
    cost = np.array([2.0, 20.0, 1.0, 50.0, 500.0])
    top, i, j = prices.cost_spread(score, cost, band=0.05, frontier="top")
    assert top == pytest.approx(1.0) and (i, j) == (1, 0)
    half, i, j = prices.cost_spread(score, cost, band=0.05, frontier="upper half")
    assert half == pytest.approx(np.log10(50)) and (i, j) == (3, 2)  # 0.20 is below half the best
    with pytest.raises(ValueError):
        prices.cost_spread(score, cost, band=0.05, frontier="all")


@given(
    st.lists(st.floats(0, 1), min_size=2, max_size=12),
    st.floats(0, 0.3),
)
def test_max_ratio_is_at_least_one_and_grows_with_the_band(acc, band):
    cost = np.linspace(1, 10, len(acc))
    narrow, _, _ = prices.max_ratio_within_band(acc, cost, band)
    wide, _, _ = prices.max_ratio_within_band(acc, cost, band + 0.1)
    assert 1.0 <= narrow <= wide


def test_widest_pair_returns_the_rows():
    frame = pd.DataFrame(
        {"name": list("abcd"), "acc": [0.5, 0.51, 0.7, 0.71], "cost": [1, 30, 2, 4]}
    )
    w = prices.widest_pair(frame, "acc", "cost", 0.02)
    assert w["ratio"] == pytest.approx(30) and w["orders"] == pytest.approx(np.log10(30))
    assert (w["dear"]["name"], w["cheap"]["name"]) == ("b", "a")
    top = prices.widest_pair(frame, "acc", "cost", 0.02, frontier="top")
    assert (top["dear"]["name"], top["cheap"]["name"]) == ("d", "c")
    assert top["ratio"] == pytest.approx(2)


def test_tables_over_the_declared_choices():
    df = _frame({"flagship": 2.0, "small": 3.0}, n=8, noise=0.05)
    df["provider"] = ["A", "B"] * (len(df) // 2)
    df["date_basis"] = ["launch", "observed"] * (len(df) // 2)
    samples = prices.analysis_samples(df)
    assert len(samples["launch/price-change dates"]) == len(df) // 2
    table = prices.across_choices(prices.common_decline, df, level=0.9)
    assert list(table.index) == [
        "none, all rows",
        "none, launch/price-change dates",
        "provider levels, all rows",
        "provider levels, launch/price-change dates",
    ]
    base = prices.common_decline(df, level=0.9)
    assert table.loc["none, all rows", "factor"] == pytest.approx(base["factor"])
    fits = prices.class_trends(df)
    summary = prices.trend_summary(fits, 0.9)
    assert summary.loc["small", "annual decline"] == pytest.approx(3.0, rel=0.1)
    assert (summary["low"] <= summary["annual decline"]).all()
    lines = prices.trend_lines(df, fits, "2023-01-01", n=5)
    assert len(lines) == 10 and set(lines["price_class"]) == {"flagship", "small"}


def test_new_price_pvalue_flags_an_outlier():
    df = _frame({"flagship": 2.0}, n=10, noise=0.02, seed=3)
    df["provider"] = "A"
    on_trend = df.iloc[[-1]].assign(model="on")
    outlier = df.iloc[[-1]].assign(model="off", log_cpm=df["log_cpm"].iloc[-1] + 2.0)
    rest = df.iloc[:-1]
    fit = prices.fit_trend(rest["years"].to_numpy(), rest["log_cpm"].to_numpy())
    expected = prices.prediction_pvalue(fit, on_trend["years"].iloc[0], on_trend["log_cpm"].iloc[0])
    assert prices.new_price_pvalue(pd.concat([rest, on_trend]), "on") == pytest.approx(expected)
    assert prices.new_price_pvalue(pd.concat([df.iloc[:-1], outlier]), "off", "A") < 0.05
